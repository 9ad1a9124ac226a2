"""django-axes (login lockouts) under a Chinese name in the admin.

Installed in place of ``axes`` (config/settings): the same app and label, named
登录保护 on the admin's home, where administrators see and clear lockouts. Its
models' and fields' names come from config/locale.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LoginProtectionConfig(AxesAppConfig):
    verbose_name = _("登录保护")
