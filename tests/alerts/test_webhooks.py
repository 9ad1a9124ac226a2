"""Outbound webhooks against a real HTTP receiver on 127.0.0.1 (no mocks).

Each test subscribes the receiver, makes a change through the services (which
write the audit trail: the outbox), runs the collection and the delivery as the
Celery tasks do, and reads what the receiver got.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from portfolio.models import AuditEntry, Department, District, Sector
from projects import services
from projects.alerts import receivers, webhooks
from projects.alerts.choices import WebhookDeliveryStatus, WebhookEventType
from projects.alerts.delivery import deadlines_scan
from projects.alerts.models import (
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from projects.alerts.tasks import webhooks_dispatch_task
from projects.models import Project, YearRecord
from tests.alerts.support import WebhookReceiver
from tests.factories import admin_actor

pytestmark = pytest.mark.django_db
# A named administrator: services refuse writes by an anonymous system process.
ACTOR = None


@pytest.fixture(autouse=True)
def _actor(db):
    global ACTOR
    ACTOR = admin_actor("webhook-admin")
    yield
    ACTOR = None


ALL_EVENTS = list(WebhookEventType.values)


def subscribe(url, *, events=ALL_EVENTS, districts=(), sectors=(), **kwargs):
    subscription = WebhookSubscription(
        name=kwargs.pop("name", f"ERP {url[-12:]} {len(districts)}{len(sectors)}"),
        url=url,
        events=list(events),
        **kwargs,
    )
    webhooks.webhook_subscription_save(subscription=subscription, actor=ACTOR)
    subscription.districts.set(District.objects.filter(code__in=districts))
    subscription.sectors.set(Sector.objects.filter(code__in=sectors))
    return subscription


def dispatch(now=None) -> list[str]:
    """What the periodic task does, in this process: collect, then send what is due."""
    webhooks.webhook_events_collect(now=now)
    return [
        webhooks.webhook_deliver(delivery_id=pk, now=now)
        for pk in webhooks.webhook_deliveries_due(now=now)
    ]


def rename(code: str, name: str) -> Project:
    project = Project.objects.get(code=code)
    return services.project_update(project=project, actor=ACTOR, data={"name": name})


def verify(secret: str, header: str, body: bytes) -> bool:
    """The receiver's check, as docs/api.md shows it (not the app's own code)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - timestamp) <= 300
    return fresh and hmac.compare_digest(expected, fields["v1"])


def test_a_change_is_pushed_once_signed_with_its_event_id(plan):
    with WebhookReceiver() as receiver:
        subscription = subscribe(receiver.url)
        rename("t1-001", "光雾山旅游区提升工程（改名）")
        assert dispatch() == ["sent"]
        [(headers, body)] = receiver.received()

    assert verify(subscription.secret, headers["X-Portfolio-Signature"], body)
    assert not verify("another-secret", headers["X-Portfolio-Signature"], body)
    tampered = body.replace("改名".encode(), "篡改".encode())
    assert not verify(subscription.secret, headers["X-Portfolio-Signature"], tampered)
    assert webhooks.webhook_signature_verify(
        subscription.secret, headers["X-Portfolio-Signature"], body
    )
    event = json.loads(body)
    assert event["type"] == "project.changed" == headers["X-Portfolio-Event"]
    assert event["id"] == headers["X-Portfolio-Event-Id"]
    assert event["data"]["project"]["code"] == "t1-001"
    assert event["data"]["project"]["table"] == 1
    assert event["data"]["changes"]["name"][1] == "光雾山旅游区提升工程（改名）"
    assert event["data"]["actor"] == ACTOR.username
    assert dt.datetime.fromisoformat(event["created_at"]).utcoffset() == dt.timedelta(
        hours=8
    )
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == WebhookDeliveryStatus.SENT
    assert delivery.last_status_code == 200 and delivery.attempts == 1
    assert delivery.attempt_log.get().status_code == 200


def test_a_replayed_signature_is_refused_after_five_minutes():
    body = b'{"id": "x"}'
    header = webhooks.webhook_signature("s3cret", int(time.time()) - 301, body)
    assert not webhooks.webhook_signature_verify("s3cret", header, body)
    assert not verify("s3cret", header, body)
    assert webhooks.webhook_signature_verify(
        "s3cret", header, body, now=time.time() - 10
    )


def test_filters_on_scope_and_event_type(plan):
    with (
        WebhookReceiver() as bazhou,
        WebhookReceiver() as enyang,
        WebhookReceiver() as reviews,
    ):
        subscribe(bazhou.url, districts=["bazhou"], name="巴州区")
        subscribe(enyang.url, districts=["enyang"], name="恩阳区")
        subscribe(
            reviews.url, events=[WebhookEventType.YEAR_RECORD_STATE], name="只要审核"
        )
        in_bazhou = Project.objects.filter(district__code="bazhou").first()
        in_enyang = Project.objects.filter(district__code="enyang").first()
        rename(in_bazhou.code, "巴州区项目改名")
        rename(in_enyang.code, "恩阳区项目改名")
        dispatch()
        assert [e["data"]["project"]["code"] for e in bazhou.events()] == [
            in_bazhou.code
        ]
        assert [e["data"]["project"]["code"] for e in enyang.events()] == [
            in_enyang.code
        ]
        assert reviews.received() == []


def test_a_moved_project_is_news_on_both_sides(plan):
    project = Project.objects.filter(district__code="bazhou").first()
    other_sector = Sector.objects.exclude(pk=project.sector_id).first()
    with WebhookReceiver() as bazhou, WebhookReceiver() as other:
        subscribe(bazhou.url, districts=["bazhou"], name="巴州区")
        subscribe(other.url, sectors=[other_sector.code], name="别的产业")
        services.project_update(
            project=project,
            actor=ACTOR,
            data={"district_id": District.objects.get(code="enyang").pk},
            reason="区划调整",
        )
        dispatch()
        [event] = bazhou.events()
        assert event["type"] == "project.moved"
        assert event["data"]["changes"]["district"] == ["bazhou", "enyang"]
        assert event["data"]["project"]["district"] == "enyang"
        assert other.received() == []


def submit(record: YearRecord) -> None:
    services.year_record_update(
        record=record, actor=ACTOR, data={"phase": "under_construction"}
    )
    services.year_record_submit(record=record, actor=ACTOR)


def test_year_record_transition_and_deletion(plan):
    record = YearRecord.objects.get(project__code="t2-001", year=2026)
    district = record.project.district.code
    with WebhookReceiver() as receiver:
        subscribe(receiver.url, districts=[district])
        submit(record)
        dispatch()
        by_type = {e["type"]: e for e in receiver.events()}
        services.project_delete(
            project=Project.objects.get(code="t2-001"), actor=ACTOR, reason="重复录入"
        )
        dispatch()
        deleted = receiver.events()[-1]
    submitted = by_type["year_record.state_changed"]["data"]
    assert (submitted["from"], submitted["to"], submitted["action"]) == (
        "draft",
        "submitted",
        "submit",
    )
    assert submitted["year_record"]["year"] == 2026
    assert submitted["year_record"]["project"] == "t2-001"
    assert by_type["project.changed"]["data"]["changes"]["phase"][1] == (
        "under_construction"
    )
    assert deleted["type"] == "project.deleted"
    assert deleted["data"]["project"]["code"] == "t2-001"
    assert deleted["data"]["project"]["district"] == district
    assert deleted["data"]["reason"] == "重复录入"


def test_a_transition_of_a_record_deleted_since_still_reaches_its_district(plan):
    record = YearRecord.objects.get(project__code="t2-002", year=2026)
    district = record.project.district.code
    with WebhookReceiver() as receiver:
        subscribe(receiver.url, districts=[district])
        submit(record)
        services.project_delete(project=record.project, actor=ACTOR)
        dispatch()
        types = sorted(e["type"] for e in receiver.events())
    assert types == ["project.changed", "project.deleted", "year_record.state_changed"]


def test_a_notice_is_one_event_however_many_people_it_went_to(plan, supervisor):
    from projects.alerts.models import Notice

    with WebhookReceiver() as receiver:
        subscribe(
            receiver.url,
            events=[WebhookEventType.NOTICE_RAISED],
            districts=["nanjiang"],
        )
        deadlines_scan(today=dt.date(2026, 12, 13), open_year=False)
        dispatch()
        events = receiver.events()
    notices = Notice.objects.filter(project__district__code="nanjiang")
    items = notices.values("kind", "object_id", "period").distinct().count()
    assert notices.count() > items > 0
    assert len(events) == items
    assert len({e["id"] for e in events}) == items
    assert {e["data"]["project"]["district"] for e in events} == {"nanjiang"}
    sample = events[0]["data"]
    assert sample["notice"]["kind"] and sample["project"]["code"]
    # Every item became one event, whichever district it is in.
    everywhere = Notice.objects.values("kind", "object_id", "period").distinct()
    assert WebhookEvent.objects.count() == everywhere.count()


def test_a_light_change_is_pushed(plan):
    from decimal import Decimal

    from projects.choices import HealthLight
    from projects.dossier.choices import HealthRuleKind
    from projects.dossier.health import health_refresh
    from projects.dossier.models import HealthRule

    HealthRule.objects.all().delete()
    HealthRule.objects.create(
        kind=HealthRuleKind.PAST_END_YEAR, threshold=Decimal("0"), light="red"
    )
    project = Project.objects.filter(end_year=2026).first()
    health_refresh(project_ids=[project.pk], today=dt.date(2026, 11, 28))
    with WebhookReceiver() as receiver:
        subscribe(receiver.url, events=[WebhookEventType.LIGHT_CHANGED])
        health_refresh(project_ids=[project.pk], today=dt.date(2027, 1, 10))
        dispatch()
        [event] = receiver.events()
    assert event["data"]["from"] == HealthLight.GREEN
    assert event["data"]["to"] == HealthLight.RED
    assert event["data"]["project"]["code"] == project.code


def test_what_happened_before_the_subscription_is_not_sent(plan):
    rename("t1-002", "订阅之前的修改")
    with WebhookReceiver() as receiver:
        subscribe(receiver.url)
        assert dispatch() == []
        assert receiver.received() == []


def test_retried_with_backoff_after_a_500(plan):
    with WebhookReceiver() as receiver:
        receiver.statuses = [500, 503]
        subscription = subscribe(receiver.url)
        rename("t1-003", "会失败两次")
        now = timezone.now()
        assert dispatch(now) == ["retry"]
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery.status == WebhookDeliveryStatus.PENDING
        assert delivery.last_status_code == 500
        assert delivery.next_attempt_at == now + dt.timedelta(seconds=30)
        # Not due yet: nothing is sent, however often the dispatch runs.
        assert dispatch(now + dt.timedelta(seconds=10)) == []
        assert dispatch(now + dt.timedelta(seconds=31)) == ["retry"]
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == now + dt.timedelta(seconds=31 + 60)
        assert dispatch(now + dt.timedelta(seconds=92)) == ["sent"]
        bodies = [body for _, body in receiver.received()]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same event each time
    delivery.refresh_from_db()
    assert delivery.status == WebhookDeliveryStatus.SENT and delivery.attempts == 3
    codes = list(delivery.attempt_log.order_by("pk").values_list("status_code"))
    assert codes == [(500,), (503,), (200,)]


def test_backoff_doubles_up_to_its_cap(settings):
    settings.PORTFOLIO_WEBHOOK_BACKOFF = 30
    settings.PORTFOLIO_WEBHOOK_BACKOFF_MAX = 100
    assert [webhooks.webhook_backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [
        30,
        60,
        100,
        100,
    ]


def test_given_up_after_the_window_and_redelivered_from_the_admin(
    plan, administrator, client, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as receiver:
        receiver.statuses = [500] * 20
        subscription = subscribe(receiver.url, give_up_hours=1)
        rename("t1-004", "接收方一直出错")
        now = timezone.now()
        outcomes = []
        for minutes in range(0, 120, 5):
            outcomes += dispatch(now + dt.timedelta(minutes=minutes))
        assert outcomes[-1] == "given_up" and "sent" not in outcomes
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery.status == WebhookDeliveryStatus.GIVEN_UP
        tried = len(receiver.received())
        assert tried == delivery.attempts < 10  # backoff: far fewer than 24 runs
        assert dispatch(now + dt.timedelta(hours=3)) == []

        client.force_login(administrator)
        page = client.get("/admin/alerts/webhookdelivery/")
        assert page.status_code == 200 and "已放弃" in page.content.decode()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(
                "/admin/alerts/webhookdelivery/",
                {"action": "redeliver", "_selected_action": [delivery.pk]},
            )
        assert response.status_code == 302 and len(callbacks) == 1
        delivery.refresh_from_db()
        assert delivery.status == WebhookDeliveryStatus.PENDING
        assert AuditEntry.objects.filter(
            content_type__model="webhookdelivery", object_id=str(delivery.pk)
        ).exists()
        receiver.statuses = []
        assert webhooks.webhook_deliver(delivery_id=delivery.pk) == "sent"
        assert len(receiver.received()) == tried + 1
        detail = client.get(f"/admin/alerts/webhookdelivery/{delivery.pk}/change/")
        text = detail.content.decode()
        assert detail.status_code == 200 and "500" in text and "接收方一直出错" in text


def test_collecting_and_sending_twice_sends_once(plan):
    with WebhookReceiver() as receiver:
        subscription = subscribe(receiver.url)
        rename("t1-005", "只推送一次")
        first = webhooks.webhook_events_collect()
        again = webhooks.webhook_events_collect()
        assert first == {"events": 1, "deliveries": 1}
        assert again == {"events": 0, "deliveries": 0}
        [pk] = webhooks.webhook_deliveries_due()
        assert webhooks.webhook_deliver(delivery_id=pk) == "sent"
        assert webhooks.webhook_deliver(delivery_id=pk) == "already"
        assert dispatch() == []
        assert len(receiver.received()) == 1
    event = WebhookEvent.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            subscription=subscription, event=event, give_up_at=timezone.now()
        )


def test_sent_but_not_recorded_is_sent_again_with_the_same_event_id(plan, monkeypatch):
    """At least once: a worker killed after the receiver answered, before the
    answer was committed, leaves the delivery pending; the next attempt sends
    the same event (same id), and the receiver deduplicates on it."""
    with WebhookReceiver() as receiver:
        subscribe(receiver.url)
        rename("t1-006", "送达后未记录")
        webhooks.webhook_events_collect()
        [pk] = webhooks.webhook_deliveries_due()

        def killed(*args, **kwargs):
            raise SystemExit("worker killed")

        with monkeypatch.context() as patch:
            patch.setattr(webhooks.WebhookAttempt.objects, "create", killed)
            with pytest.raises(SystemExit):
                webhooks.webhook_deliver(delivery_id=pk)
        delivery = WebhookDelivery.objects.get(pk=pk)
        assert delivery.status == WebhookDeliveryStatus.PENDING
        assert delivery.attempts == 0
        assert webhooks.webhook_deliver(delivery_id=pk) == "sent"
        received = receiver.received()
    assert len(received) == 2
    ids = {headers["X-Portfolio-Event-Id"] for headers, _ in received}
    assert len(ids) == 1 and {json.loads(b)["id"] for _, b in received} == ids
    assert WebhookDelivery.objects.filter(event__event_id=ids.pop()).count() == 1


def test_inactive_subscriptions_hear_nothing(plan):
    with WebhookReceiver() as receiver:
        subscribe(receiver.url, is_active=False)
        rename("t1-007", "停用的订阅")
        assert dispatch() == []
        assert receiver.received() == []
    assert not WebhookDelivery.objects.exists()


def test_the_dispatch_task_collects_and_enqueues(plan):
    from config.celery_app import app

    with WebhookReceiver() as receiver:
        subscribe(receiver.url)
        rename("t1-008", "任务")

        app.conf.task_always_eager = True
        try:
            result = webhooks_dispatch_task.run()
        finally:
            app.conf.task_always_eager = False
        assert result["events"] == 1 and result["enqueued"] == 1
        assert len(receiver.received()) == 1


def test_a_change_enqueues_one_dispatch_per_transaction(
    plan, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        transaction.atomic(),
    ):
        rename("t1-009", "第一次")
        rename("t1-009", "第二次")
    ours = [c for c in callbacks if c is receivers._enqueue_webhooks_dispatch]
    assert len(ours) == 1


def test_subscriptions_are_for_administrators(plan, administrator, supervisor, client):
    client.force_login(supervisor)
    assert client.get("/admin/alerts/webhooksubscription/").status_code == 403
    client.force_login(administrator)
    response = client.post(
        "/admin/alerts/webhooksubscription/add/",
        {
            "name": "省项目平台",
            "url": "https://example.test/hooks",
            "secret": "a-long-shared-secret",
            "events": ["project.created", "notice.raised"],
            "is_active": "on",
            "departments": [Department.objects.get(code="bazhou-gov").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription = WebhookSubscription.objects.get(name="省项目平台")
    assert subscription.events == ["project.created", "notice.raised"]
    assert list(subscription.departments.values_list("code", flat=True)) == [
        "bazhou-gov"
    ]
    entry = AuditEntry.objects.get(
        content_type__model="webhooksubscription", object_id=str(subscription.pk)
    )
    assert "a-long-shared-secret" not in json.dumps(entry.changes, ensure_ascii=False)
    refused = client.post(
        "/admin/alerts/webhooksubscription/add/",
        {"name": "空", "url": "https://example.test/x", "secret": "s"},
    )
    assert refused.status_code == 200 and "请" in refused.content.decode()
