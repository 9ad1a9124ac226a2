from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "projects.dossier"
    label = "dossier"
    verbose_name = _("项目档案")

    def ready(self) -> None:
        """Show the dossier inside the project and year-record API resources.

        ``projects`` may not import the dossier (docs/architecture.md): the
        dossier registers its embeds with the projects API's extension point.
        """
        from django.conf import settings
        from PIL import Image

        from .api.embeds import register_embeds

        register_embeds()
        # Pillow's own guard against decompression bombs, at the same cap as the
        # upload check (projects.dossier.attachments): warns above it, refuses
        # twice as much in Image.open, wherever an image is opened.
        Image.MAX_IMAGE_PIXELS = settings.PORTFOLIO_IMAGE_MAX_PIXELS
        self.name_history_keys()

    @staticmethod
    def name_history_keys() -> None:
        """What the dossier writes in others' history, named for the change log."""
        from portfolio.history import history_field_register
        from projects.choices import HealthLight
        from projects.models import Project

        from .models import HealthRule

        history_field_register(
            Project, "health", label=_("红绿灯"), choices=HealthLight.choices
        )
        history_field_register(HealthRule, "rule", label=_("规则"))
