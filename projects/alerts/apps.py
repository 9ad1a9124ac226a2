from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "projects.alerts"
    label = "alerts"
    verbose_name = _("提醒与通知")

    def ready(self):
        # The dossier sends the signal; it may not import the alerts (a layer up).
        from projects.dossier.health import project_turned_red

        from .receivers import notify_turned_red

        project_turned_red.connect(
            notify_turned_red, dispatch_uid="alerts.notify_turned_red"
        )
