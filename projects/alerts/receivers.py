"""What the alerts do when a lower app signals something; connected in ``apps.py``.

The lower apps cannot import the alerts (they sit above them): they send a
signal, and the receivers here turn it into notices.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction

from projects.alerts.rules import health_red_notices_open, notices_follow_project
from projects.models import Project, YearRecord

logger = logging.getLogger(__name__)


def notify_turned_red(
    sender, project_ids: list[int], today: dt.date | None = None, **kwargs
) -> None:
    """Projects have just turned red: each one's supervisors get a notice now.

    Receives ``projects.dossier.health.project_turned_red``, sent after the
    refresh committed, with the refresh's day. A database error is logged, not
    raised: the light is saved already, and the daily scan's ``health_red`` rule
    opens the notice anyway.
    """
    try:
        opened = health_red_notices_open(project_ids=project_ids, today=today)
    except DatabaseError:
        logger.exception("red-light notices for %s not opened", project_ids)
        return
    logger.info("red-light notices opened for %s: %s", project_ids, opened)


def notices_follow_move(sender, project, **kwargs) -> None:
    """A project moved: its open notices go to the people who cover it now.

    Receives ``projects.signals.project_moved`` inside the moving transaction:
    the move and its notices are committed together, or neither is.
    """
    closed, opened = notices_follow_project(project=project)
    logger.info(
        "project %s moved: %s notices closed, %s opened", project.pk, closed, opened
    )


def _enqueue_webhooks_dispatch() -> None:
    """After a commit: dispatch the outbound webhooks now, if anyone listens."""
    from projects.alerts.models import WebhookSubscription
    from projects.alerts.tasks import webhooks_dispatch_task

    if WebhookSubscription.objects.filter(is_active=True).exists():
        # No publish retries: with the broker down, the request that committed
        # must not wait for it; the periodic dispatch catches up.
        webhooks_dispatch_task.apply_async(retry=False)


def schedule_webhooks_dispatch(sender, instance, created: bool, **kwargs) -> None:
    """An audit entry about a project or a year record was written: once the
    transaction commits, enqueue one dispatch (not one per entry).

    Receives ``post_save`` of ``portfolio.AuditEntry``. Costs no query: the
    content types come from Django's cache. A broker that is down loses
    nothing: the periodic dispatch finds the entries a minute later.
    """
    if not created or not settings.PORTFOLIO_WEBHOOKS_ON_COMMIT:
        return
    types = ContentType.objects.get_for_models(Project, YearRecord)
    if instance.content_type_id not in {t.pk for t in types.values()}:
        return
    connection = transaction.get_connection()
    if any(
        callback is _enqueue_webhooks_dispatch
        for _, callback, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_webhooks_dispatch, robust=True)
