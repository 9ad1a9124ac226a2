"""Celery tasks of the alerts: the daily scan, the digests and their delivery.

Thin wrappers that take ids and dates and call the services. Each is idempotent
(a second run finds nothing to do), acknowledged late (a worker that dies
mid-task leaves the message to be redelivered) and, for deliveries, retried with
exponential backoff while the SMTP server or the robot API is down. The task
names are the historical ones (``projects.tasks.*``), which stored schedules use.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.dossier.health import health_refresh

from . import delivery as alerts
from . import webhooks

HEALTH_ACTOR = _("定时任务 health_refresh")


def _day(value: str | None) -> dt.date:
    """Tasks carry days as ISO strings (JSON); none means today in Asia/Shanghai."""
    return dt.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(name="projects.tasks.deadlines_scan", acks_late=True)
def deadlines_scan_task(today: str | None = None) -> dict:
    """Daily: traffic lights, then reminders, overdue notices, escalations."""
    day = _day(today)
    health_refresh(today=day, actor=str(HEALTH_ACTOR))
    return alerts.deadlines_scan(today=day).as_dict()


@shared_task(name="projects.tasks.digests_send", acks_late=True)
def digests_send_task(today: str | None = None) -> dict:
    """Daily: gather new notices into digests and enqueue one delivery each.

    Enqueued only once the digests are committed, so a delivery task never looks
    for a digest that is not there yet. Pending digests of earlier runs are
    enqueued again: the database, not the broker, is what remembers them.
    """
    with transaction.atomic():
        ids = alerts.digests_prepare()
        for digest_id in ids:
            transaction.on_commit(partial(digest_deliver_task.delay, digest_id, today))
    return {"digests": len(ids)}


@shared_task(
    name="projects.tasks.digest_deliver",
    bind=True,
    acks_late=True,
    autoretry_for=alerts.DELIVERY_ERRORS,
    retry_backoff=settings.PORTFOLIO_DELIVERY_BACKOFF,
    retry_backoff_max=settings.PORTFOLIO_DELIVERY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.PORTFOLIO_DELIVERY_MAX_RETRIES,
)
def digest_deliver_task(self, digest_id: int, today: str | None = None) -> str:
    """Send one digest; retried with backoff until the server takes it."""
    return alerts.digest_deliver(digest_id=digest_id, today=_day(today))


# --- Outbound webhooks (issue 15) ---------------------------------------------


@shared_task(name="alerts.webhooks_dispatch", acks_late=True)
def webhooks_dispatch_task() -> dict:
    """Every minute, and after each commit that changed a project: collect new
    events from the audit trail and the notices, then enqueue every delivery due.

    Idempotent: the database says what was collected and what was sent; a
    delivery enqueued twice is sent once (``webhook_deliver`` locks it).
    """
    collected = webhooks.webhook_events_collect()
    due = webhooks.webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    pruned = webhooks.webhook_events_prune()
    return {**collected, "enqueued": len(due), "pruned": pruned}


@shared_task(name="alerts.webhook_deliver", acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str:
    """Send one delivery if it is due; a failure schedules the next attempt in
    the database (exponential backoff), which the dispatch picks up."""
    return webhooks.webhook_deliver(delivery_id=delivery_id)
