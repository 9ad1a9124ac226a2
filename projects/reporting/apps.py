from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "projects.reporting"
    label = "reporting"
    verbose_name = _("统计与看板")
