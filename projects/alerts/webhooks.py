"""Outbound webhooks: events pushed to external systems that should not poll.

The audit trail is the outbox. Every service writes its ``AuditEntry`` in the
same transaction as the change, and the deadline scan writes its ``Notice``
rows the same way, so an event exists exactly when the change was committed:
none is lost with a rolled-back transaction, none is invented.

- ``webhook_events_collect`` turns audit entries and notices not seen yet into
  ``WebhookEvent`` rows (unique per source: never two events for one change)
  and fans each one out to the active subscriptions that want it, as
  ``WebhookDelivery`` rows (unique per subscription and event). It looks back
  ``PORTFOLIO_WEBHOOK_HORIZON_MINUTES``, so a change committed a while after it
  was written is still found; collection runs one at a time (the active
  subscriptions are locked).
- ``webhook_deliver`` sends one delivery: a JSON body signed with HMAC-SHA256
  over ``timestamp.body``; a 2xx answer marks it sent, anything else schedules
  the next attempt with exponential backoff, until the give-up time.
- ``webhook_delivery_redeliver``: an administrator sends a delivery again.

Delivery is at least once: a worker killed after the receiver answered but
before the answer was recorded sends the same event (same ``id``) again, so a
receiver deduplicates on the event id (docs/api.md). There is never more than
one delivery per event and subscription, and two workers never send the same
delivery at the same time (its row is locked while it is sent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass

import orjson
import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from portfolio.choices import AuditAction
from portfolio.services import Actor, audit_log, diff, snapshot
from projects.alerts.choices import WebhookDeliveryStatus
from projects.alerts.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from projects.alerts.webhook_events import (
    Codes,
    audit_candidates,
    audit_events,
    notice_candidates,
    notice_events,
)

SIGNATURE_HEADER = "X-Portfolio-Signature"
EVENT_HEADER = "X-Portfolio-Event"
EVENT_ID_HEADER = "X-Portfolio-Event-Id"
DELIVERY_HEADER = "X-Portfolio-Delivery"
# A receiver should refuse a signature older than this (seconds): replays.
SIGNATURE_TOLERANCE = 300
COLLECT_BATCH = 500
DISPATCH_BATCH = 500


# --- Signing ------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix time>,v1=<hex HMAC-SHA256>``.

    The HMAC covers ``<timestamp>.<body>``, so a captured request cannot be
    replayed later with a fresh timestamp.
    """
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_signature_verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does (docs/api.md): recompute, compare, check the age."""
    parts = dict(
        item.split("=", 1) for item in header.split(",") if "=" in item.strip()
    )
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret, timestamp, body).rsplit("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Fan-out to the subscriptions ----------------------------------------------------


@dataclass
class _Subscriber:
    """A subscription with its filters as sets of codes (read once per run)."""

    subscription: WebhookSubscription
    events: frozenset[str]
    filters: dict[str, frozenset[str]]

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> _Subscriber:
        filters = {
            "plan": subscription.plans.all(),
            "department": subscription.departments.all(),
            "district": subscription.districts.all(),
            "sector": subscription.sectors.all(),
        }
        return cls(
            subscription,
            frozenset(subscription.events or []),
            {key: frozenset(row.code for row in rows) for key, rows in filters.items()},
        )

    def wants(self, event: WebhookEvent) -> bool:
        if event.type not in self.events:
            return False
        if event.occurred_at < self.subscription.created_at:
            return False
        for key, codes in self.filters.items():
            if codes and not codes & set(event.scope.get(key) or []):
                return False
        return True


def _give_up_at(subscription: WebhookSubscription, start: dt.datetime) -> dt.datetime:
    hours = subscription.give_up_hours or settings.PORTFOLIO_WEBHOOK_GIVE_UP_HOURS
    return start + dt.timedelta(hours=hours)


@transaction.atomic
def _collect_batch(now: dt.datetime, batch: int) -> tuple[int, int, bool]:
    """One batch: (events made, deliveries made, whether more may be left)."""
    # Locking the active subscriptions makes collection runs take turns, so
    # each sees the events of the one before it.
    subscriptions = list(
        WebhookSubscription.objects.select_for_update()
        .filter(is_active=True)
        .prefetch_related("plans", "departments", "districts", "sectors")
        .order_by("pk")
    )
    if not subscriptions:
        return 0, 0, False
    horizon = now - dt.timedelta(minutes=settings.PORTFOLIO_WEBHOOK_HORIZON_MINUTES)
    since = max(horizon, min(s.created_at for s in subscriptions))
    codes = Codes.load()
    entries = audit_candidates(since, batch)
    notices = notice_candidates(since, batch)
    events = audit_events(entries, codes) + notice_events(notices, codes)
    more = len(entries) == batch or len(notices) == batch
    if not events:
        return 0, 0, more
    WebhookEvent.objects.bulk_create(events)
    subscribers = [_Subscriber.of(s) for s in subscriptions]
    deliveries = [
        WebhookDelivery(
            subscription=subscriber.subscription,
            event=event,
            next_attempt_at=now,
            give_up_at=_give_up_at(subscriber.subscription, now),
        )
        for event in events
        for subscriber in subscribers
        if subscriber.wants(event)
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(events), len(deliveries), more


def webhook_events_collect(
    *, now: dt.datetime | None = None, batch: int = COLLECT_BATCH
) -> dict[str, int]:
    """Turn new audit entries and notices into events and deliveries.

    Idempotent: a source already turned into an event is skipped, a delivery
    already made is not made again. Runs in batches (each its own transaction)
    until nothing is left.
    """
    now = now or timezone.now()
    total = {"events": 0, "deliveries": 0}
    while True:
        events, deliveries, more = _collect_batch(now, batch)
        total["events"] += events
        total["deliveries"] += deliveries
        if not more:
            return total


# --- Sending ---------------------------------------------------------------------


def webhook_body(event: WebhookEvent) -> bytes:
    """The JSON body of an event: the same bytes at every attempt."""
    return orjson.dumps(
        {
            "id": str(event.event_id),
            "type": event.type,
            "created_at": timezone.localtime(event.occurred_at).isoformat(),
            "data": event.data,
        }
    )


def webhook_backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failures: doubling, capped."""
    seconds = settings.PORTFOLIO_WEBHOOK_BACKOFF * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.PORTFOLIO_WEBHOOK_BACKOFF_MAX))


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, int]:
    """(status code or None, error, duration in ms) of one signed POST."""
    body = webhook_body(delivery.event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "bazhong-portfolio-webhooks/1",
        SIGNATURE_HEADER: webhook_signature(
            delivery.subscription.secret, timestamp, body
        ),
        EVENT_HEADER: delivery.event.type,
        EVENT_ID_HEADER: str(delivery.event.event_id),
        DELIVERY_HEADER: str(delivery.pk),
    }
    started = time.monotonic()
    try:
        response = requests.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=settings.PORTFOLIO_WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return None, f"{type(exc).__name__}: {exc}"[:1000], elapsed
    elapsed = int((time.monotonic() - started) * 1000)
    error = "" if 200 <= response.status_code < 300 else response.text[:500]
    return response.status_code, error, elapsed


def _record_attempt(delivery: WebhookDelivery, now: dt.datetime) -> str:
    status_code, error, elapsed = _post(delivery)
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=status_code,
        error=error,
        duration_ms=elapsed,
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status_code
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.last_error = ""
        outcome = "sent"
    else:
        delivery.last_error = error or str(status_code)
        next_at = now + webhook_backoff(delivery.attempts)
        if next_at > delivery.give_up_at:
            delivery.status = WebhookDeliveryStatus.GIVEN_UP
            delivery.next_attempt_at = None
            outcome = "given_up"
        else:
            delivery.next_attempt_at = next_at
            outcome = "retry"
    delivery.save()
    return outcome


@transaction.atomic
def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> str:
    """Send one delivery if it is due: "sent", "retry", "given_up", or why not.

    The row stays locked while the request is made: two workers (a duplicate
    task, a redelivered message) never send it at the same time; one that
    finds it locked answers "busy", and one that comes after sees it sent.
    """
    now = now or timezone.now()
    delivery = (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("event", "subscription")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        exists = WebhookDelivery.objects.filter(pk=delivery_id).exists()
        return "busy" if exists else "missing"
    if delivery.status != WebhookDeliveryStatus.PENDING:
        return "already"
    if not delivery.subscription.is_active:
        return "inactive"
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return "not_due"
    if now >= delivery.give_up_at:
        delivery.status = WebhookDeliveryStatus.GIVEN_UP
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return "given_up"
    return _record_attempt(delivery, now)


def webhook_deliveries_due(
    *, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH
) -> list[int]:
    """Pending deliveries of active subscriptions whose time has come."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def webhook_delivery_redeliver(
    *, delivery: WebhookDelivery, actor: Actor, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Send a delivery again, now, with a fresh give-up window (the admin action).

    The same row and the same event id: a receiver that got it already sees a
    duplicate it can recognise.
    """
    now = now or timezone.now()
    locked = (
        WebhookDelivery.objects.select_for_update()
        .select_related("subscription")
        .get(pk=delivery.pk)
    )
    before = locked.status
    locked.status = WebhookDeliveryStatus.PENDING
    locked.next_attempt_at = now
    locked.give_up_at = _give_up_at(locked.subscription, now)
    locked.sent_at = None
    locked.full_clean()
    locked.save()
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes={"status": [before, locked.status]},
        reason="redeliver",
    )
    return locked


def webhook_events_prune(*, now: dt.datetime | None = None) -> int:
    """Forget events older than the retention whose deliveries are all done."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.PORTFOLIO_WEBHOOK_RETENTION_DAYS)
    pending = WebhookDelivery.objects.filter(
        event=OuterRef("pk"), status=WebhookDeliveryStatus.PENDING
    )
    deleted, _ = (
        WebhookEvent.objects.filter(created_at__lt=cutoff)
        .exclude(Exists(pending))
        .delete()
    )
    return deleted


SUBSCRIPTION_FIELDS = ["name", "url", "events", "is_active", "give_up_hours"]


@transaction.atomic
def webhook_subscription_save(
    *, subscription: WebhookSubscription, actor: Actor
) -> WebhookSubscription:
    """Create or change a subscription (the admin's form), with its history row.

    The secret is never written to the history, only that it changed.
    """
    stored = (
        WebhookSubscription.objects.filter(pk=subscription.pk).first()
        if subscription.pk
        else None
    )
    subscription.full_clean()
    subscription.save()
    changes = diff(
        snapshot(stored, SUBSCRIPTION_FIELDS) if stored else {},
        snapshot(subscription, SUBSCRIPTION_FIELDS),
    )
    if stored is None or stored.secret != subscription.secret:
        changes["secret"] = ["***", "***"]
    audit_log(
        instance=subscription,
        action=AuditAction.CREATE if stored is None else AuditAction.UPDATE,
        actor=actor,
        changes=changes,
    )
    return subscription
