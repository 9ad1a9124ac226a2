from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "projects.alerts"
    label = "alerts"
    verbose_name = _("提醒与通知")

    def ready(self):
        # The dossier sends the signal; it may not import the alerts (a layer up).
        from django.db.models.signals import post_save

        from portfolio.models import AuditEntry
        from projects.dossier.health import project_turned_red
        from projects.signals import project_moved

        from .receivers import (
            notices_follow_move,
            notify_turned_red,
            schedule_webhooks_dispatch,
        )

        project_turned_red.connect(
            notify_turned_red, dispatch_uid="alerts.notify_turned_red"
        )
        # The audit trail is the webhooks' outbox: a committed change wakes them.
        post_save.connect(
            schedule_webhooks_dispatch,
            sender=AuditEntry,
            dispatch_uid="alerts.schedule_webhooks_dispatch",
        )
        project_moved.connect(
            notices_follow_move, dispatch_uid="alerts.notices_follow_move"
        )
        self.name_history_keys()

    @staticmethod
    def name_history_keys() -> None:
        """A notice's ``read`` (a property, not a field), named for the change log."""
        from portfolio.history import history_field_register

        from .models import Notice

        history_field_register(Notice, "read", label=_("已读"), boolean=True)
