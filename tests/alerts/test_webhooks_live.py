"""Outbound webhooks on a real Celery worker that is killed mid-delivery.

The receiver takes the first POST but holds its answer; the worker is killed
(SIGKILL) meanwhile, so the delivery's transaction is lost with it. A new
worker sends the event again: the same event id, one delivery row, one event —
at least once, never a second delivery (docs/api.md §11.4).
"""

from __future__ import annotations

import json

import pytest

from portfolio.models import District
from projects import services
from projects.alerts import webhooks
from projects.alerts.choices import WebhookDeliveryStatus, WebhookEventType
from projects.alerts.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from projects.models import Project
from tests.alerts.support import WebhookReceiver, wait_until
from tests.alerts.test_delivery_live import live, plan_reloaded_after  # noqa: F401
from tests.factories import admin_actor

pytestmark = pytest.mark.slow


def test_a_worker_killed_mid_delivery_sends_again_with_the_same_event_id(live):  # noqa: F811
    from config.celery_app import app

    actor = admin_actor("webhook-admin")
    live.worker.start()
    with WebhookReceiver() as receiver:
        receiver.hold_first = True
        subscription = WebhookSubscription(
            name="省项目平台",
            url=receiver.url,
            events=[WebhookEventType.PROJECT_CHANGED],
        )
        webhooks.webhook_subscription_save(subscription=subscription, actor=actor)
        subscription.districts.set(District.objects.filter(code="bazhou"))
        project = Project.objects.filter(district__code="bazhou").first()
        # Committed: the commit itself enqueues the dispatch on the worker.
        services.project_update(project=project, actor=actor, data={"name": "改名"})
        wait_until(receiver.holding.is_set, 60, "the first POST to arrive")

        live.worker.kill()
        receiver.release.set()
        delivery = WebhookDelivery.objects.get()
        wait_until(
            lambda: WebhookDelivery.objects.filter(
                pk=delivery.pk, status=WebhookDeliveryStatus.PENDING, attempts=0
            ).exists(),
            30,
            "the killed worker's transaction to be rolled back",
        )

        live.worker.start()
        app.send_task("alerts.webhooks_dispatch")
        wait_until(
            lambda: WebhookDelivery.objects.filter(
                pk=delivery.pk, status=WebhookDeliveryStatus.SENT
            ).exists(),
            60,
            f"the delivery to be sent again; worker log:\n{live.worker.log()[-3000:]}",
        )
        received = receiver.received()

        app.send_task("alerts.webhooks_dispatch")
        wait_until(
            lambda: live.worker.log().count("alerts.webhooks_dispatch") >= 4,
            30,
            "a second dispatch to run",
        )
        again = receiver.received()

    assert len(received) == 2 == len(again)
    ids = {headers["X-Portfolio-Event-Id"] for headers, _ in received}
    assert len(ids) == 1
    assert {json.loads(body)["id"] for _, body in received} == ids
    assert WebhookEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 1
