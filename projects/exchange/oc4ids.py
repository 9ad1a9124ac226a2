"""The portfolio as an OC4IDS 0.9.5 project package (Open Contracting for
Infrastructure Data Standard), for ``GET /api/v1/oc4ids/`` and
``python manage.py export_oc4ids``.

One OC4IDS project per project of the plan; the mapping, and what has no home
in the standard, are in docs/oc4ids.md. Money is stored in 万元 and published in
yuan (CNY, ×10 000, exact). Personal data (the dossier's contact person and
phone, the responsible leader) is never exported.

The package is streamed: its envelope, then the projects a chunk at a time
(a handful of queries per chunk), so a package of 100 000 projects never sits
in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

import orjson
from django.conf import settings
from django.db.models import Max, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portfolio.models import Cluster, Plan
from projects.choices import Phase
from projects.dossier.choices import AttachmentKind
from projects.dossier.models import Attachment, ProgressUpdate, ProjectDossier
from projects.models import Project, YearRecord

OC4IDS_VERSION = "0.9"
CHUNK = 500
# Our phase → projectStatus (a closed codelist). No report yet: the plan has
# identified the project. Suspended has no code: it is still being implemented.
STATUS = {
    "": "identification",
    Phase.PREPARING: "preparation",
    Phase.UNDER_CONSTRUCTION: "implementation",
    Phase.SUSPENDED: "implementation",
    Phase.COMPLETED: "completion",
    Phase.IN_OPERATION: "maintenance",
    Phase.CANCELLED: "cancelled",
}
# The plan's 14 industries (专栏6) → projectSector codes.
SECTORS = {
    "tourism": ["cultureSportsAndRecreation"],
    "wellness": ["health"],
    "commerce-logistics": ["economy", "transport"],
    "culture-creative": ["cultureSportsAndRecreation"],
    "finance": ["economy"],
    "tech-info": ["communications"],
    "human-resources": ["economy"],
    "e-commerce": ["economy", "communications"],
    "business-services": ["economy"],
    "catering": ["economy"],
    "household-community": ["economy"],
    "education": ["education"],
    "medical-sports": ["health", "cultureSportsAndRecreation"],
    "housing": ["socialHousing"],
}
# Attachment kinds → documentType; approvals and other files have no code.
DOCUMENT_TYPES = {
    AttachmentKind.PHOTO: "illustration",
    AttachmentKind.ACCEPTANCE: "completionCertificate",
}
STARTED_PHASES = frozenset(
    {Phase.UNDER_CONSTRUCTION, Phase.COMPLETED, Phase.IN_OPERATION, Phase.SUSPENDED}
)
DONE_PHASES = frozenset({Phase.COMPLETED, Phase.IN_OPERATION})
PERCENT = {"name": "%", "scheme": "UNCEFACT", "id": "P1"}
# The dossier's funding sources, as budget breakdowns (without the unit).
SOURCE_LABELS = {
    "fiscal_funds": gettext_lazy("财政资金"),
    "special_bonds": gettext_lazy("专项债券"),
    "bank_loans": gettext_lazy("银行贷款"),
    "social_capital": gettext_lazy("社会资本"),
    "other_funds": gettext_lazy("其他资金"),
}


# --- Values -----------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _moment(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _day_start(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=_zone()).isoformat()


def _day_end(day: dt.date) -> str:
    moment = dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=_zone())
    return moment.isoformat()


def _year_period(start: int, end: int | None = None) -> dict:
    return {
        "startDate": _day_start(dt.date(start, 1, 1)),
        "endDate": _day_end(dt.date(end or start, 12, 31)),
    }


def cny(wan: Decimal) -> dict:
    """An amount of 万元 as an OC4IDS Value in yuan: exact (×10 000)."""
    yuan = wan * 10000
    amount = int(yuan) if yuan == yuan.to_integral_value() else float(yuan)
    return {"amount": amount, "currency": "CNY"}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# --- One project -------------------------------------------------------------------


def _parties(project: Project, dossier: ProjectDossier | None) -> list[dict]:
    department = project.department
    parties = [
        {
            "id": f"dept-{department.code}",
            "name": department.name,
            "identifier": {
                "scheme": "CN-BZ-DEPT",
                "id": department.code,
                "legalName": department.name,
            },
            "roles": ["publicAuthority"],
        }
    ]
    owner = (dossier.owner_unit if dossier else "").strip()
    if owner:
        digest = hashlib.sha256(owner.encode()).hexdigest()[:12]
        parties.append(
            {"id": f"owner-{digest}", "name": owner, "roles": ["procuringEntity"]}
        )
    return parties


def _budget(dossier: ProjectDossier | None) -> dict | None:
    if dossier is None or dossier.total_investment is None:
        return None
    budget: dict = {
        "description": _("项目总投资（项目档案，原单位万元）"),
        "amount": cny(dossier.total_investment),
    }
    sources = [
        {
            "id": name,
            "description": str(SOURCE_LABELS[name]),
            "amount": cny(getattr(dossier, name)),
        }
        for name in ProjectDossier.SOURCE_FIELDS
        if getattr(dossier, name)
    ]
    if sources:
        budget["budgetBreakdowns"] = [
            {
                "id": "funding-sources",
                "description": _("资金来源"),
                "budgetBreakdown": sources,
            }
        ]
    return budget


def _update_period(update: ProgressUpdate) -> dict:
    return {
        "startDate": _day_start(update.period_start),
        "endDate": _day_end(update.period_end),
    }


def _year_observations(record: YearRecord, money, progress, planned) -> None:
    """A year report's completed and planned investment and its progress."""
    period = _year_period(record.year)
    if record.actual_investment is not None:
        money.append(
            {
                "id": str(record.year),
                "period": period,
                "value": cny(record.actual_investment),
                "notes": _("%(year)s年度报告") % {"year": record.year},
            }
        )
    if record.percent_complete is not None:
        observation = {
            "id": str(record.year),
            "period": period,
            "measure": _number(record.percent_complete),
            "unit": PERCENT,
        }
        if record.progress.strip():
            observation["notes"] = record.progress.strip()
        progress.append(observation)
    if record.planned_investment is not None:
        planned.append(
            {
                "id": str(record.year),
                "period": period,
                "value": cny(record.planned_investment),
            }
        )


def _update_observations(update: ProgressUpdate, money, progress) -> None:
    """A dispatch period's (month, quarter) completed investment and progress."""
    money.append(
        {
            "id": update.period,
            "period": _update_period(update),
            "value": cny(update.completed_investment),
            "notes": _("%(period)s 调度期完成投资") % {"period": update.period},
        }
    )
    progress.append(
        {
            "id": update.period,
            "period": _update_period(update),
            "measure": _number(update.percent_complete),
            "unit": PERCENT,
            "notes": update.physical_progress.strip() or update.period,
        }
    )


def _metric(metric_id: str, title: str, description: str, observations) -> list:
    if not observations:
        return []
    return [
        {
            "id": metric_id,
            "title": title,
            "description": description,
            "observations": observations,
        }
    ]


def _metrics(records: list[YearRecord]) -> tuple[list[dict], list[dict]]:
    """(metrics, forecasts): completed investment and physical progress per
    year and per dispatch period; planned investment per year."""
    money: list[dict] = []
    progress: list[dict] = []
    planned: list[dict] = []
    for record in records:
        _year_observations(record, money, progress, planned)
        for update in record.progress_updates.all():
            _update_observations(update, money, progress)
    metrics = _metric(
        "financialProgress",
        _("完成投资"),
        _("各年度及各调度期完成的投资（元）"),
        money,
    ) + _metric(
        "physicalProgress",
        _("形象进度"),
        _("各年度末及各调度期末的形象进度（%）"),
        progress,
    )
    forecasts = _metric(
        "financialProgress", _("计划投资"), _("各年度计划投资（元）"), planned
    )
    return metrics, forecasts


def _milestone_status(phase: str, due_year: int, today: dt.date, met) -> str:
    if met:
        return "met"
    if phase == Phase.CANCELLED or today.year > due_year:
        return "notMet"
    return "scheduled"


def _milestones(project: Project, today: dt.date) -> list[dict]:
    phase = project.phase
    period = {"period": project.period}
    return [
        {
            "id": "start",
            "title": _("开工"),
            "type": "delivery",
            "description": _("建设年限 %(period)s 的开工年") % period,
            "dueDate": _day_end(dt.date(project.start_year, 12, 31)),
            "status": _milestone_status(
                phase, project.start_year, today, phase in STARTED_PHASES
            ),
        },
        {
            "id": "completion",
            "title": _("竣工"),
            "type": "delivery",
            "description": _("建设年限 %(period)s 的完工年") % period,
            "dueDate": _day_end(dt.date(project.end_year, 12, 31)),
            "status": _milestone_status(
                phase, project.end_year, today, phase in DONE_PHASES
            ),
        },
    ]


def _documents(attachments: Iterable[Attachment]) -> list[dict]:
    site = settings.SITE_URL.rstrip("/")
    documents = []
    for attachment in attachments:
        document = {
            "id": f"attachment-{attachment.pk}",
            "title": attachment.title or attachment.original_name,
            "description": attachment.get_kind_display(),
            "url": site
            + reverse("admin:dossier_attachment_file", args=[attachment.pk]),
            "datePublished": _moment(attachment.uploaded_at),
            "format": attachment.content_type,
            "accessDetails": _("须登录本系统，且项目在其负责范围内"),
        }
        if attachment.kind in DOCUMENT_TYPES:
            document["documentType"] = DOCUMENT_TYPES[attachment.kind]
        documents.append(document)
    return documents


def _table_number(project: Project) -> int | str:
    return project.table.number if project.table_id else ""


def _classifications(project: Project) -> list[dict]:
    plan = project.plan
    items = [
        {
            "scheme": "CN-BZ-PLAN-TABLE",
            "id": f"{plan.code}:{_table_number(project)}",
            "description": _("%(plan)s 表%(table)s 重大项目")
            % {"plan": plan.name, "table": _table_number(project)},
        },
        {
            "scheme": "CN-BZ-SECTOR",
            "id": project.sector.code,
            "description": project.sector.name,
        },
    ]
    items += [
        {"scheme": "CN-BZ-CLUSTER", "id": cluster.code, "description": cluster.name}
        for cluster in project.clusters.all()
    ]
    return items


def _updated(project, dossier, records, attachments) -> dt.datetime:
    moments = [project.updated_at]
    if dossier is not None:
        moments.append(dossier.updated_at)
    for record in records:
        moments.append(record.updated_at)
        moments += [u.updated_at for u in record.progress_updates.all()]
    moments += [a.uploaded_at for a in attachments]
    return max(moments)


def _locations(project: Project) -> list[dict]:
    district = project.district
    return [
        {
            "id": district.code,
            "description": _("四川省巴中市%(district)s") % {"district": district.name},
            "address": {
                "locality": district.name,
                "region": _("四川省巴中市"),
                "countryName": _("中国"),
            },
        }
    ]


def oc4ids_project(project: Project, *, today: dt.date | None = None) -> dict:
    """One OC4IDS project (docs/oc4ids.md), from a project loaded as
    ``_chunk`` loads it (its relations selected and prefetched)."""
    today = today or timezone.localdate()
    dossier = getattr(project, "dossier", None)
    records = list(project.year_records.all())
    attachments = list(project.attachments.all())
    plan = project.plan
    data: dict = {
        "id": settings.OC4IDS_ID_PREFIX + project.code,
        "updated": _moment(_updated(project, dossier, records, attachments)),
        "language": "zh",
        "identifiers": [{"id": project.code, "scheme": "CN-BZ-PROJECT"}],
        "title": project.name,
        "status": STATUS[project.phase],
        "publicAuthority": {
            "id": f"dept-{project.department.code}",
            "name": project.department.name,
        },
        "period": _year_period(project.start_year, project.end_year),
        "locations": _locations(project),
        "additionalClassifications": _classifications(project),
        "parties": _parties(project, dossier),
        "milestones": _milestones(project, today),
        "policyAlignment": {
            "description": _(
                "《%(plan)s》（%(issuer)s %(issued)s 印发，%(start)s—%(end)s年）"
                "表%(table)s 第%(number)s号重大项目"
            )
            % {
                "plan": plan.name,
                "issuer": plan.issuer,
                "issued": plan.issued_on.isoformat(),
                "start": plan.start_year,
                "end": plan.end_year,
                "table": _table_number(project),
                "number": project.number,
            }
        },
    }
    if project.content.strip():
        data["description"] = project.content.strip()
    if project.sector.code in SECTORS:
        data["sector"] = SECTORS[project.sector.code]
    budget = _budget(dossier)
    if budget:
        data["budget"] = budget
    metrics, forecasts = _metrics(records)
    if metrics:
        data["metrics"] = metrics
    if forecasts:
        data["forecasts"] = forecasts
    documents = _documents(attachments)
    if documents:
        data["documents"] = documents
    return data


# --- The package --------------------------------------------------------------------


def _chunk(ids: list[int]) -> list[Project]:
    records = YearRecord.objects.order_by("year").prefetch_related(
        Prefetch(
            "progress_updates",
            queryset=ProgressUpdate.objects.order_by("period_start"),
        )
    )
    by_pk = (
        Project.objects.filter(pk__in=ids)
        .select_related("plan", "table", "district", "sector", "department", "dossier")
        .prefetch_related(
            Prefetch("clusters", queryset=Cluster.objects.order_by("number")),
            Prefetch("year_records", queryset=records),
            Prefetch(
                "attachments", queryset=Attachment.objects.order_by("uploaded_at")
            ),
        )
        .defer("seed")
        .in_bulk()
    )
    return [by_pk[pk] for pk in ids]


def oc4ids_projects(queryset: QuerySet[Project]) -> Iterator[dict]:
    """The OC4IDS projects of ``queryset``, in its order, a chunk at a time."""
    ids = iter(list(queryset.values_list("pk", flat=True)))
    today = timezone.localdate()
    while chunk := list(islice(ids, CHUNK)):
        for project in _chunk(chunk):
            yield oc4ids_project(project, today=today)


def oc4ids_published(queryset: QuerySet[Project]) -> dt.datetime:
    """The last change to what the package holds (its ``publishedDate``)."""
    latest = queryset.aggregate(
        project=Max("updated_at"), record=Max("year_records__updated_at")
    )
    moments = [m for m in latest.values() if m is not None]
    return max(moments) if moments else timezone.now()


def oc4ids_envelope(*, plan: Plan, uri: str, published: dt.datetime) -> dict:
    """The package without its projects."""
    envelope = {
        "uri": uri,
        "publishedDate": _moment(published),
        "version": OC4IDS_VERSION,
        "publisher": {"name": settings.OC4IDS_PUBLISHER or plan.issuer},
    }
    if settings.OC4IDS_LICENSE:
        envelope["license"] = settings.OC4IDS_LICENSE
    return envelope


def oc4ids_stream(
    queryset: QuerySet[Project], *, plan: Plan, uri: str
) -> Iterator[bytes]:
    """The package as JSON bytes: the envelope, then each project."""
    envelope = oc4ids_envelope(plan=plan, uri=uri, published=oc4ids_published(queryset))
    head = orjson.dumps({**envelope, "projects": []})
    yield head[: -len(b"[]}")] + b"["
    for number, project in enumerate(oc4ids_projects(queryset)):
        yield (b"," if number else b"") + orjson.dumps(project)
    yield b"]}"


def oc4ids_plan(code: str | None) -> Plan | None:
    """The plan named by ``code``, or the current plan when none is named."""
    if code:
        return Plan.objects.filter(code=code).first()
    return Plan.objects.filter(is_current=True).order_by("-start_year").first()


def oc4ids_uri(plan: Plan) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('oc4ids-list')}?plan={plan.code}"
