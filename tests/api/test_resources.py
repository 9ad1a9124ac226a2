"""Every resource of /api/v1/ against the generic contract of ``api_base``."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from indicators.choices import Direction
from indicators.models import Indicator
from portfolio.choices import ReviewState
from portfolio.models import Cluster
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.api.api_base import (
    FilterCase,
    ReadOnlyResourceContract,
    WritableResourceContract,
    WriteCase,
)
from tests.factories import ProjectFactory, admin_actor

INSIDE = "t1-001"  # 巴州区, 旅游: within bazhou-gov's scope


def _outside() -> str:
    return Project.objects.filter(district__code="nanjiang").order_by("code")[0].code


def _latest(code: str) -> YearRecord:
    return YearRecord.objects.filter(project__code=code).order_by("-year").first()


class TestDistricts(ReadOnlyResourceContract):
    path = "/api/v1/districts/"
    filters = [FilterCase({"kind": "county"}, lambda r: r["kind"] == "county")]


class TestSectors(ReadOnlyResourceContract):
    path = "/api/v1/sectors/"
    filters = [
        FilterCase({"tier": "pillar"}, lambda r: r["tier"] == "pillar"),
        FilterCase({"tier": "growth,public"}, lambda r: r["tier"] != "pillar"),
    ]


class TestClusters(ReadOnlyResourceContract):
    path = "/api/v1/clusters/"
    filters = [
        FilterCase({"district": "nanjiang"}, lambda r: "nanjiang" in r["districts"]),
        FilterCase({"level": "province"}, lambda r: r["level_display"] == "省级"),
    ]


class TestDepartments(ReadOnlyResourceContract):
    path = "/api/v1/departments/"
    filters = [
        FilterCase(
            {"kind": "municipal_bureau"}, lambda r: r["kind"] == "municipal_bureau"
        ),
        FilterCase({"district": "bazhou"}, lambda r: r["district"] == "bazhou"),
        FilterCase({"sector": "education"}, lambda r: "education" in r["sectors"]),
    ]


class TestIndicators(ReadOnlyResourceContract):
    path = "/api/v1/indicators/"

    def filter_cases(self):
        # The plan's own ceiling (社会物流总费用与地区生产总值的比率 ≤ 18%) is loaded.
        assert Indicator.objects.filter(direction=Direction.LOWER_IS_BETTER).exists()
        assert Indicator.objects.exclude(direction=Direction.LOWER_IS_BETTER).exists()
        return [
            FilterCase(
                {"direction": "lower_is_better"},
                lambda r: r["direction"] == "lower_is_better",
            )
        ]


class TestProjects(WritableResourceContract):
    path = "/api/v1/projects/"
    scoped = True
    write = WriteCase(
        suffix="",
        body={"clusters": ["c02"]},
        expect={"clusters": [{"code": "c02", "name": "诺水河—空山旅游康养集聚区"}]},
    )

    def object_in_scope(self):
        return INSIDE

    def object_out_of_scope(self):
        return _outside()

    def filter_cases(self):
        # Make every filter bite: a phase, a cluster, a future project, a change.
        services.year_record_update(
            record=_latest(INSIDE),
            actor=admin_actor(),
            data={"phase": Phase.UNDER_CONSTRUCTION},
        )
        project = Project.objects.get(code="t1-002")
        services.project_update(
            project=project,
            actor=admin_actor(),
            data={"clusters": list(Cluster.objects.filter(code="c01"))},
        )
        ProjectFactory(start_year=2027, end_year=2028, period="2027-2028")
        since = timezone.now()
        services.project_update(
            project=Project.objects.get(code="t2-001"),
            actor=admin_actor(),
            data={"content": "更新后的建设内容"},
        )
        return [
            FilterCase({"district": "bazhou"}, lambda r: r["district"] == "bazhou"),
            FilterCase(
                {"district": "nanjiang,tongjiang"},
                lambda r: r["district"] in ("nanjiang", "tongjiang"),
            ),
            FilterCase({"sector": "education"}, lambda r: r["sector"] == "education"),
            FilterCase(
                {"department": "bazhou-gov"}, lambda r: r["department"] == "bazhou-gov"
            ),
            FilterCase(
                {"cluster": "c01"},
                lambda r: "c01" in [c["code"] for c in r["clusters"]],
            ),
            FilterCase({"table": "表6"}, lambda r: r["table"] == 6),
            FilterCase(
                {"table": "6"}, lambda r: (r["table"], r["table_display"]) == (6, "表6")
            ),
            FilterCase({"table": ["5", "6"]}, lambda r: r["table"] in (5, 6)),
            FilterCase(
                {"district": ["nanjiang", "tongjiang"]},
                lambda r: r["district"] in ("nanjiang", "tongjiang"),
            ),
            FilterCase(
                {"phase": "under_construction"},
                lambda r: r["phase"] == "under_construction",
            ),
            FilterCase(
                {"year": "2021"},
                lambda r: r["start_year"] <= 2021 and r["year_record"]["year"] == 2021,
            ),
            FilterCase({"overdue": "true"}, lambda r: r["overdue"] is True),
            FilterCase({"overdue": "false"}, lambda r: r["overdue"] is False),
            FilterCase(
                {"search": "博物馆"},
                lambda r: "博物馆" in r["name"] or "博物馆" in r["content"],
            ),
            FilterCase(
                {"updated_since": since.isoformat()}, lambda r: r["code"] == "t2-001"
            ),
            FilterCase({"start_year_min": "2023"}, lambda r: r["start_year"] >= 2023),
            FilterCase({"end_year_max": "2022"}, lambda r: r["end_year"] <= 2022),
            FilterCase(
                {"start_year_min": "2021", "start_year_max": "2021"},
                lambda r: r["start_year"] == 2021,
            ),
        ]


class TestYearRecords(WritableResourceContract):
    path = "/api/v1/year-records/"
    key = "id"
    scoped = True
    write = WriteCase(
        suffix="",
        body={"actual_investment": "1200.50", "progress": "主体工程完工"},
        expect={"actual_investment": "1200.50", "progress": "主体工程完工"},
    )

    def object_in_scope(self):
        return _latest(INSIDE).pk

    def object_out_of_scope(self):
        return _latest(_outside()).pk

    def filter_cases(self):
        record = _latest("t6-001")
        services.year_record_update(
            record=record,
            actor=admin_actor(),
            data={
                "phase": Phase.UNDER_CONSTRUCTION,
                "actual_investment": Decimal("800"),
                "percent_complete": Decimal("40"),
            },
        )
        since = timezone.now()
        services.year_record_submit(record=record, actor=admin_actor())
        today = timezone.localdate()
        return [
            FilterCase({"project": INSIDE}, lambda r: r["project"] == INSIDE),
            FilterCase(
                {"project": "t1-001,t1-002"},
                lambda r: r["project"] in ("t1-001", "t1-002"),
            ),
            FilterCase({"year": "2023"}, lambda r: r["year"] == 2023),
            FilterCase({"year_min": "2025"}, lambda r: r["year"] >= 2025),
            FilterCase(
                {"year_min": "2022", "year_max": "2023"},
                lambda r: 2022 <= r["year"] <= 2023,
            ),
            FilterCase({"state": "submitted"}, lambda r: r["state"] == "submitted"),
            FilterCase(
                {"phase": "under_construction"},
                lambda r: r["phase"] == "under_construction",
            ),
            FilterCase(
                {"overdue": "true"},
                lambda r: r["overdue"] and r["due_date"] < today.isoformat(),
            ),
            FilterCase({"overdue": "false"}, lambda r: r["overdue"] is False),
            FilterCase({"district": "nanjiang"}, lambda r: r["district"] == "nanjiang"),
            FilterCase({"sector": "education"}, lambda r: r["sector"] == "education"),
            FilterCase(
                {"actual_investment_min": "500"},
                lambda r: Decimal(r["actual_investment"]) >= 500,
            ),
            FilterCase(
                {"percent_complete_max": "50"},
                lambda r: Decimal(r["percent_complete"]) <= 50,
            ),
            FilterCase(
                {"updated_since": since.isoformat()}, lambda r: r["id"] == record.pk
            ),
            FilterCase(
                {"due_date_min": "2025-01-01", "due_date_max": "2025-12-31"},
                lambda r: r["due_date"].startswith("2025-"),
            ),
            # The older names, kept as deprecated aliases.
            FilterCase(
                {"due_date_after": "2025-01-01", "due_date_before": "2025-12-31"},
                lambda r: r["due_date"].startswith("2025-"),
            ),
        ]

    def prepare_write(self, key):
        assert YearRecord.objects.get(pk=key).state == ReviewState.DRAFT
