from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "projects.dossier"
    label = "dossier"
    verbose_name = _("项目档案")
