"""Events of the outbound webhooks, made from the audit trail and the notices.

Each audit entry about a project (created, changed, moved, deleted, its light)
or a year record's review (X → Y), and each notice item, becomes one
``WebhookEvent``: its type, its data as an integrator reads it (codes, not
ids), and its scope (the plan, department, district and sector codes it is
about) for the subscriptions' filters. ``projects.alerts.webhooks`` decides when
to make them and who receives them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from portfolio.choices import AuditAction
from portfolio.models import (
    AuditEntry,
    Department,
    District,
    Plan,
    Sector,
    Tombstone,
)
from projects.alerts.choices import NoticeKind, WebhookEventType
from projects.alerts.models import Notice, WebhookEvent
from projects.models import Project, YearRecord

PROJECT_ACTIONS = (
    AuditAction.CREATE,
    AuditAction.LOAD,
    AuditAction.UPDATE,
    AuditAction.PHASE,
    AuditAction.DELETE,
)
REVIEW_ACTIONS = (
    AuditAction.SUBMIT,
    AuditAction.APPROVE,
    AuditAction.RETURN,
    AuditAction.REOPEN,
)
# How a project's audit entry names what moves it, and the payload's name.
MOVE_FIELDS = {
    "district_id": "district",
    "sector_id": "sector",
    "department_id": "department",
    "district": "district",
    "sector": "sector",
    "department": "department",
}
SCOPE_KEYS = ("plan", "department", "district", "sector")


@dataclass
class Codes:
    """Codes of the reference rows by id, read once per collection run."""

    plans: dict[int, str]
    districts: dict[int, str]
    sectors: dict[int, str]
    departments: dict[int, str]

    @classmethod
    def load(cls) -> Codes:
        def codes(model) -> dict[int, str]:
            return dict(model.objects.values_list("pk", "code"))

        return cls(codes(Plan), codes(District), codes(Sector), codes(Department))

    def of(self, name: str, value):
        """A moved field's value as a code (audit entries may hold ids)."""
        table = {
            "district": self.districts,
            "sector": self.sectors,
            "department": self.departments,
        }[name]
        return table.get(value, value) if isinstance(value, int) else value


def _api_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/api/v1/{path}"


def _project_ref(project: Project, codes: Codes) -> dict:
    return {
        "code": project.code,
        "name": project.name,
        "plan": codes.plans.get(project.plan_id),
        "table": project.table.number if project.table_id else None,
        "table_display": str(project.table.label) if project.table_id else None,
        "number": project.number,
        "district": codes.districts.get(project.district_id),
        "sector": codes.sectors.get(project.sector_id),
        "department": codes.departments.get(project.department_id),
        "phase": project.phase or None,
        "url": _api_url(f"projects/{project.code}/"),
    }


def _scope(*refs: dict) -> dict[str, list[str]]:
    """The codes an event is about, for the subscriptions' filters."""
    scope: dict[str, list[str]] = {key: [] for key in SCOPE_KEYS}
    for ref in refs:
        for key in SCOPE_KEYS:
            value = ref.get(key)
            if value and value not in scope[key]:
                scope[key].append(value)
    return scope


def _classify(entry: AuditEntry, project_type_id: int) -> WebhookEventType:
    changes = entry.changes or {}
    if entry.content_type_id != project_type_id:
        return WebhookEventType.YEAR_RECORD_STATE
    if entry.action == AuditAction.DELETE:
        return WebhookEventType.PROJECT_DELETED
    if entry.action == AuditAction.CREATE or (
        entry.action == AuditAction.LOAD and not changes
    ):
        return WebhookEventType.PROJECT_CREATED
    if "health" in changes:
        return WebhookEventType.LIGHT_CHANGED
    if set(changes) & set(MOVE_FIELDS):
        return WebhookEventType.PROJECT_MOVED
    return WebhookEventType.PROJECT_CHANGED


def _changes(entry: AuditEntry, codes: Codes) -> dict[str, list]:
    """The audit entry's changes, with moved fields named and given as codes."""
    out = {}
    for name, pair in (entry.changes or {}).items():
        if name in MOVE_FIELDS:
            target = MOVE_FIELDS[name]
            out[target] = [codes.of(target, value) for value in pair]
        else:
            out[name] = pair
    return out


def _gone_project_ref(entry: AuditEntry, deletions: dict[str, dict]) -> dict:
    """A project deleted since: what its deletion's audit entry recorded."""
    changes = deletions.get(entry.object_id, {})
    ref = {"code": None, "name": entry.object_repr}
    for name in ("code", "name", *SCOPE_KEYS):
        pair = changes.get(name)
        if pair:
            ref[name] = pair[0]
    return ref


def _project_event_data(
    entry: AuditEntry, kind: WebhookEventType, ref: dict, codes: Codes
) -> tuple[dict, dict]:
    data = {"project": ref, "actor": entry.actor_label, "reason": entry.reason}
    scope = _scope(ref)
    if kind == WebhookEventType.LIGHT_CHANGED:
        before, after = entry.changes["health"]
        data.update({"from": before, "to": after})
    elif kind in (WebhookEventType.PROJECT_CHANGED, WebhookEventType.PROJECT_MOVED):
        data["changes"] = _changes(entry, codes)
        # A project moved out of a scope is news there too: both sides count.
        before = {
            name: pair[0]
            for name, pair in data["changes"].items()
            if name in SCOPE_KEYS
        }
        scope = _scope(ref, before)
    return data, scope


def _record_event_data(
    entry: AuditEntry, record: YearRecord | None, gone: dict, codes: Codes
):
    """A review transition; a record deleted since is placed by its tombstone."""
    before, after = (entry.changes or {}).get("state", [None, None])
    project_ref = _project_ref(record.project, codes) if record else {}
    tombstone = gone.get(entry.object_id)
    where = project_ref or {
        "district": codes.districts.get(tombstone.district_id) if tombstone else None,
        "sector": codes.sectors.get(tombstone.sector_id) if tombstone else None,
    }
    data = {
        "year_record": {
            "id": int(entry.object_id),
            "project": project_ref.get("code"),
            "year": record.year if record else None,
            "url": _api_url(f"year-records/{entry.object_id}/"),
        },
        "project": project_ref or None,
        "action": entry.action,
        "from": before,
        "to": after,
        "actor": entry.actor_label,
        "reason": entry.reason,
    }
    return data, _scope(where)


def audit_candidates(since: dt.datetime, batch: int) -> list[AuditEntry]:
    types = ContentType.objects.get_for_models(Project, YearRecord)
    return list(
        AuditEntry.objects.filter(created_at__gte=since)
        .filter(
            Q(content_type=types[Project], action__in=PROJECT_ACTIONS)
            | Q(content_type=types[YearRecord], action__in=REVIEW_ACTIONS)
        )
        .exclude(Exists(WebhookEvent.objects.filter(audit_entry_id=OuterRef("pk"))))
        .order_by("pk")[:batch]
    )


def audit_events(entries: list[AuditEntry], codes: Codes) -> list[WebhookEvent]:
    """One event per audit entry, built from the objects as they are now."""
    project_type = ContentType.objects.get_for_model(Project).pk
    project_ids = {e.object_id for e in entries if e.content_type_id == project_type}
    record_ids = {e.object_id for e in entries if e.content_type_id != project_type}
    projects = Project.objects.select_related("table").in_bulk(
        [int(pk) for pk in project_ids]
    )
    records = YearRecord.objects.select_related("project").in_bulk(
        [int(pk) for pk in record_ids]
    )
    gone_records = {
        tombstone.object_id: tombstone
        for tombstone in Tombstone.objects.filter(
            model=YearRecord._meta.label_lower,
            object_id__in=[pk for pk in record_ids if int(pk) not in records],
        )
    }
    deletions = {
        entry.object_id: entry.changes or {}
        for entry in AuditEntry.objects.filter(
            content_type_id=project_type,
            action=AuditAction.DELETE,
            object_id__in=[pk for pk in project_ids if int(pk) not in projects],
        )
    }
    events = []
    for entry in entries:
        kind = _classify(entry, project_type)
        if kind == WebhookEventType.YEAR_RECORD_STATE:
            record = records.get(int(entry.object_id))
            data, scope = _record_event_data(entry, record, gone_records, codes)
        else:
            project = projects.get(int(entry.object_id))
            ref = (
                _project_ref(project, codes)
                if project is not None
                else _gone_project_ref(entry, deletions)
            )
            data, scope = _project_event_data(entry, kind, ref, codes)
        events.append(
            WebhookEvent(
                type=kind,
                occurred_at=entry.created_at,
                data=data,
                scope=scope,
                audit_entry_id=entry.pk,
            )
        )
    return events


def _notice_key_expression():
    return Concat(
        "kind",
        Value(":"),
        Cast("content_type_id", CharField()),
        Value(":"),
        Cast("object_id", CharField()),
        Value(":"),
        "period",
        output_field=CharField(),
    )


def notice_candidates(since: dt.datetime, batch: int) -> list[Notice]:
    return list(
        Notice.objects.annotate(key=_notice_key_expression())
        # Notices about projects: an indicator's notice (no project) goes to
        # digests and robots, not to the outbound events about projects.
        .filter(created_at__gte=since, project__isnull=False)
        .exclude(Exists(WebhookEvent.objects.filter(notice_key=OuterRef("key"))))
        .select_related("project", "year_record")
        .order_by("pk")[:batch]
    )


def notice_events(rows: list[Notice], codes: Codes) -> list[WebhookEvent]:
    """One event per notice item and period, however many people it went to."""
    events: dict[str, WebhookEvent] = {}
    for notice in rows:
        if notice.key in events:
            continue
        ref = _project_ref(notice.project, codes)
        record = notice.year_record
        events[notice.key] = WebhookEvent(
            type=WebhookEventType.NOTICE_RAISED,
            occurred_at=notice.created_at,
            data={
                "notice": {
                    "kind": notice.kind,
                    "kind_display": str(NoticeKind(notice.kind).label),
                    "level": notice.level,
                    "period": notice.period,
                    "opened_on": notice.opened_on.isoformat(),
                    "year": record.year if record else None,
                },
                "project": ref,
            },
            scope=_scope(ref),
            notice_key=notice.key,
        )
    return list(events.values())
