from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BootstrapConfig(AppConfig):
    name = "projects.bootstrap"
    label = "bootstrap"
    verbose_name = _("初始化与演示数据")
