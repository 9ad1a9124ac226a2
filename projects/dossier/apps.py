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
        from .api.embeds import register_embeds

        register_embeds()
