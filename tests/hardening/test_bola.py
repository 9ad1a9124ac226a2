"""Object-level authorization (OWASP API1:2023, BOLA), generated from the schema.

Every operation of the OpenAPI schema whose path takes a key (``{code}`` or
``{id}``) is tried by every kind of caller that is limited to a part of the
portfolio: a district's clerk, a bureau's clerk, a district supervisor, a read
token, and write tokens in each role (clerk, supervisor, administrator), each
limited to one department. For each pair:

- an object outside the caller's scope (prepared so that the request would
  succeed if scope were not checked: a submitted record for ``approve``…)
  answers exactly what a key that does not exist answers, and that is 404 for
  every caller whose credentials allow the method at all (a read token's write
  is refused with 403 before any object is looked up, whatever the key, so it
  tells nothing either); the object is unchanged;
- an object inside the scope is reached (not 404): the test bites.

The plan's reference data (districts, sectors, clusters, departments,
indicators) is public to every authenticated caller, by design; it is checked
as such. An operation with a key that is in neither list fails the test until
it is classified here.

Lists return exactly the rows in scope (also as CSV, and with any filter), and
an update cannot move a project out of its writer's scope (into someone else's):
moving needs a supervisor's role and both places held, which no caller limited
to one department has.
Who is in scope is computed here from the departments' districts and sectors,
not with the code under test.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.db.models import Q
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from portfolio.choices import ReviewState
from portfolio.models import Department, District, Sector, Tombstone
from projects import services
from projects.adjustments import adjustment_propose, adjustment_submit
from projects.choices import AdjustmentKind, Phase
from projects.models import Adjustment, Project, YearRecord
from tests.callers import token_caller
from tests.factories import UserFactory, admin_actor, reviewer
from tests.hardening.conftest import figure

PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's


@dataclass(frozen=True)
class Role:
    kind: str  # clerk, supervisor, read, write
    departments: tuple[str, ...]
    token_role: str = "clerk"  # the role a token acts in (create_api_client --role)

    @property
    def is_token(self) -> bool:
        return self.kind in ("read", "write")

    def may_write(self) -> bool:
        """Whether the credentials let the request reach an object at all."""
        return self.kind != "read"


ROLES = {
    "clerk-of-a-district": Role("clerk", ("bazhou-gov",)),
    "clerk-of-a-bureau": Role("clerk", ("education-bureau",)),
    "district-supervisor": Role("supervisor", ("nanjiang-gov",)),
    "read-token-of-a-bureau": Role("read", ("culture-tourism-bureau",)),
    "write-token-of-a-district": Role("write", ("pingchang-gov",)),
    "supervisor-token-of-a-bureau": Role(
        "write", ("commerce-bureau",), token_role="supervisor"
    ),
    "administrator-token-of-a-district": Role(
        "write", ("tongjiang-gov",), token_role="administrator"
    ),
}

# The plan's published content: every authenticated caller reads all of it.
PUBLIC = (
    "/api/v1/districts/",
    "/api/v1/sectors/",
    "/api/v1/clusters/",
    "/api/v1/departments/",
    "/api/v1/indicators/",
    "/api/v1/plans/",
)
SCOPED = ("/api/v1/projects/", "/api/v1/year-records/", "/api/v1/adjustments/")
# A person's own objects: only their recipient reaches them (tokens: none).
OWNED = ("/api/v1/notices/",)
NOTICE_DAY = dt.date(2026, 12, 13)  # a week before the 2026 reports are due

# What each keyed operation needs to succeed: the state of the year record it
# acts on, and its body. Keyed by the path's suffix after the key.
PREPARE = {
    "": (ReviewState.DRAFT, {"progress": "越权测试"}),
    "history/": (None, None),
    "phase/": (ReviewState.DRAFT, {"phase": Phase.UNDER_CONSTRUCTION}),
    "submit/": (ReviewState.DRAFT, {}),
    "approve/": (ReviewState.SUBMITTED, {}),
    "return/": (ReviewState.SUBMITTED, {"reason": "越权测试"}),
    "reopen/": (ReviewState.APPROVED, {"reason": "越权测试"}),
}
PROJECT_BODY = {"name": "越权测试改名"}


def _keyed_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if "{" in path
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    )


OPERATIONS = _keyed_operations()


# -- the oracle: who may see what, from the departments alone ---------------------
def scope_q(role: Role, prefix: str = "") -> Q:
    departments = Department.objects.filter(code__in=role.departments)
    districts = [d.district_id for d in departments if d.district_id]
    sectors = list(
        Department.sectors.through.objects.filter(
            department__in=departments
        ).values_list("sector_id", flat=True)
    )
    return Q(**{f"{prefix}district_id__in": districts}) | Q(
        **{f"{prefix}sector_id__in": sectors}
    )


def projects_in(role: Role):
    return Project.objects.filter(scope_q(role))


def projects_out(role: Role):
    return Project.objects.exclude(scope_q(role))


# -- callers ---------------------------------------------------------------------
def caller_for(name: str) -> APIClient:
    role = ROLES[name]
    if role.is_token:
        return token_caller(
            role.kind, role.departments, name=f"越权测试 {name}", role=role.token_role
        )
    factory = UserFactory.clerk if role.kind == "clerk" else UserFactory.supervisor
    user = factory(list(role.departments), username=f"bola-{name}")
    caller = APIClient()
    basic = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    caller.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
    caller.user = user
    return caller


def send(caller: APIClient, method: str, url: str, body):
    if method == "GET":
        return caller.get(url)
    return getattr(caller, method.lower())(url, body or {}, format="json")


# -- objects in a given state ------------------------------------------------------
def latest_record(project: Project) -> YearRecord:
    return project.year_records.order_by("-year").first()


def put_in_state(record: YearRecord, state: ReviewState | None) -> YearRecord:
    """Bring ``record`` to ``state`` through the services (a system actor)."""
    if state is None or record.state == state:
        return record
    if not record.phase:
        record = services.year_record_update(
            record=record, actor=admin_actor(), data={"phase": Phase.PREPARING}
        )
    if state == ReviewState.DRAFT:
        return record
    record = services.year_record_submit(record=record, actor=admin_actor())
    if state == ReviewState.APPROVED:
        record = services.year_record_approve(record=record, actor=reviewer())
    return record


def _split(path: str) -> tuple[str, str]:
    """``/api/v1/projects/{code}/phase/`` → (``/api/v1/projects/``, ``phase/``)."""
    head, _, tail = path.partition("{")
    return head, tail.partition("}/")[2]


def adjustment_in_state(project: Project, state: ReviewState | None) -> Adjustment:
    """A change of ``project``'s content proposed (and submitted, for ``state``
    submitted) through the services by an administrator."""
    adjustment = adjustment_propose(
        plan=project.plan,
        kind=AdjustmentKind.CHANGE,
        actor=admin_actor(),
        reason="越权测试",
        project=project,
        payload={"content": "越权测试的建设内容"},
    )
    if state == ReviewState.SUBMITTED:
        adjustment = adjustment_submit(adjustment=adjustment, actor=admin_actor())
    return adjustment


def _target(path: str, project: Project, state) -> tuple[str, object]:
    """The URL of the operation on ``project`` (its latest year record, or an
    adjustment of it)."""
    collection, suffix = _split(path)
    if collection == "/api/v1/adjustments/":
        adjustment = adjustment_in_state(project, state)
        return f"{collection}{adjustment.pk}/{suffix}", adjustment
    record = put_in_state(latest_record(project), state)
    if collection == "/api/v1/projects/":
        return f"{collection}{project.code}/{suffix}", project
    return f"{collection}{record.pk}/{suffix}", record


def _version(obj) -> int:
    return type(obj).objects.get(pk=obj.pk).version


# -- the generated test ------------------------------------------------------------
@pytest.mark.parametrize("role_name", list(ROLES))
@pytest.mark.parametrize(
    "method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS]
)
def test_out_of_scope_object_is_not_found(method, path, role_name, plan):
    role = ROLES[role_name]
    caller = caller_for(role_name)
    collection, suffix = _split(path)

    if collection in PUBLIC:
        assert method == "GET", f"{method} {path}: a write on public data?"
        listed = caller.get(collection, {"page_size": 500}).json()
        key = "code"
        everything = [row[key] for row in listed["results"]]
        assert len(everything) == listed["count"] > 0
        for value in everything:
            response = caller.get(path.replace("{code}", value))
            assert response.status_code == 200, (role_name, value)
        return

    if collection in OWNED:
        _owned(caller, role, method, path)
        return

    assert collection in SCOPED, (
        f"{method} {path} takes a key but is neither scoped, owned nor public: "
        "classify it in tests/hardening/test_bola.py"
    )
    assert suffix in PREPARE, f"{method} {path}: say how to prepare its object"
    state, body = PREPARE[suffix]
    if collection == "/api/v1/projects/" and suffix == "":
        body = PROJECT_BODY

    outside_project = projects_out(role).order_by("table", "number").first()
    inside_project = projects_in(role).order_by("table", "number").first()
    assert outside_project is not None and inside_project is not None
    outside_url, outside = _target(path, outside_project, state)
    before = _version(outside)

    missing_key = (
        "no-such-project"
        if collection == "/api/v1/projects/"
        else str(YearRecord.objects.order_by("-pk").first().pk + 10**6)
    )
    missing = send(caller, method, f"{collection}{missing_key}/{suffix}", body)
    response = send(caller, method, outside_url, body)

    # Out of scope and non-existent cannot be told apart.
    assert (response.status_code, response.json()) == (
        missing.status_code,
        missing.json(),
    ), (role_name, response.json(), missing.json())
    if method == "GET" or role.may_write():
        assert response.status_code == 404, response.json()
    else:
        assert response.status_code == 403, response.json()
    assert _version(outside) == before, "an out-of-scope object was changed"

    # And the same request on an object in scope gets past the scope check.
    inside_url, _inside = _target(path, inside_project, state)
    inside_response = send(caller, method, inside_url, body)
    assert inside_response.status_code != 404, (
        role_name,
        inside_url,
        inside_response.json(),
    )


def _owned(caller: APIClient, role: Role, method: str, path: str) -> None:
    """Notices: another person's notice is not found, even one about a project in
    the caller's scope; one's own is reached. Tokens receive no notice at all."""
    from projects.alerts.delivery import deadlines_scan
    from projects.alerts.models import Notice

    deadlines_scan(today=NOTICE_DAY)
    own_user = getattr(caller, "user", None)
    others = Notice.objects.exclude(recipient=own_user).order_by("id")
    in_scope = others.filter(scope_q(role, "project__")).first()
    outside = in_scope or others.first()
    assert outside is not None
    missing = Notice.objects.order_by("-pk").first().pk + 10**6
    body = {}
    response = send(caller, method, path.replace("{id}", str(outside.pk)), body)
    ghost = send(caller, method, path.replace("{id}", str(missing)), body)
    assert (response.status_code, response.json()) == (
        ghost.status_code,
        ghost.json(),
    )
    read_before = outside.read_at
    if method == "GET" or role.may_write():
        assert response.status_code == 404, response.json()
    else:
        assert response.status_code == 403, response.json()
    outside.refresh_from_db()
    assert outside.read_at == read_before
    if own_user is None:
        listed = caller.get("/api/v1/notices/").json()
        assert listed["count"] == 0
        return
    mine = Notice.objects.filter(recipient=own_user).first()
    assert mine is not None, "the scan told this person nothing: the test cannot bite"
    inside = send(caller, method, path.replace("{id}", str(mine.pk)), body)
    assert inside.status_code == 200, inside.json()
    listed = _all_rows(caller, "/api/v1/notices/")
    assert {row["recipient"] for row in listed} == {own_user.username}
    assert len(listed) == Notice.objects.filter(recipient=own_user).count()


def test_keyed_operations_are_all_covered():
    """The generation above is not empty, and it names what it covers."""
    assert len(OPERATIONS) >= 15, OPERATIONS
    figure(
        "BOLA",
        f"{len(OPERATIONS)} keyed operations × {len(ROLES)} limited callers = "
        f"{len(OPERATIONS) * len(ROLES)} generated cases "
        f"({', '.join(ROLES)})",
    )


# -- lists -----------------------------------------------------------------------
def _all_rows(caller: APIClient, path: str, params=None) -> list[dict]:
    rows, page = [], 1
    while True:
        response = caller.get(path, {**(params or {}), "page_size": 500, "page": page})
        assert response.status_code == 200, response.json()
        body = response.json()
        rows.extend(body["results"])
        if not body["next"]:
            return rows
        page += 1


def _csv_rows(caller: APIClient, path: str) -> int:
    response = caller.get(path, {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return len(list(csv.reader(io.StringIO(text)))) - 1  # less the header


@pytest.fixture
def tombstones(plan):
    """Deleted projects (with their records): one in each caller's scope."""
    for role in ROLES.values():
        project = projects_in(role).order_by("table", "number").last()
        services.project_delete(project=project, actor=admin_actor(), reason="测试")
    return Tombstone.objects.all()


@pytest.mark.parametrize("role_name", list(ROLES))
def test_lists_hold_exactly_the_rows_in_scope(role_name, tombstones):
    role = ROLES[role_name]
    caller = caller_for(role_name)

    expected_projects = set(projects_in(role).values_list("code", flat=True))
    listed = {row["code"] for row in _all_rows(caller, "/api/v1/projects/")}
    assert listed == expected_projects
    assert _csv_rows(caller, "/api/v1/projects/") == len(expected_projects)

    expected_records = set(
        YearRecord.objects.filter(scope_q(role, "project__")).values_list(
            "pk", flat=True
        )
    )
    listed = {row["id"] for row in _all_rows(caller, "/api/v1/year-records/")}
    assert listed == expected_records
    assert _csv_rows(caller, "/api/v1/year-records/") == len(expected_records)

    expected_deletions = set(
        Tombstone.objects.filter(scope_q(role)).values_list("object_id", flat=True)
    )
    listed = {str(row["id"]) for row in _all_rows(caller, "/api/v1/deletions/")}
    assert listed == expected_deletions
    assert 0 < len(expected_deletions) < tombstones.count()

    # No filter widens the scope: every district, every sector, every project.
    for district in District.objects.values_list("code", flat=True):
        for path in ("/api/v1/projects/", "/api/v1/year-records/"):
            rows = _all_rows(caller, path, {"district": district})
            keys = {row["code"] if "code" in row else row["project"] for row in rows}
            assert keys <= expected_projects, (district, keys - expected_projects)
    for sector in Sector.objects.filter(plan__is_current=True).values_list(
        "code", flat=True
    ):
        rows = _all_rows(caller, "/api/v1/projects/", {"sector": sector})
        assert {row["code"] for row in rows} <= expected_projects, sector
    outside = projects_out(role).order_by("table", "number").first()
    assert _all_rows(caller, "/api/v1/year-records/", {"project": outside.code}) == []
    assert _all_rows(caller, "/api/v1/projects/", {"search": outside.code}) == []

    figure(
        "BOLA",
        f"{role_name}: {len(expected_projects)} projects, "
        f"{len(expected_records)} year records, {len(expected_deletions)} "
        "deletions listed — exactly the scope, also as CSV and under every filter",
    )


# -- moving objects between scopes ---------------------------------------------------
WRITERS = [name for name, role in ROLES.items() if role.may_write()]


@pytest.mark.parametrize("role_name", WRITERS)
def test_an_update_cannot_move_a_project_out_of_scope(role_name, plan):
    """No caller limited to one department moves a project: a clerk (person or
    token) never moves, and a supervisor or administrator must hold both the old
    and the new place, district by district, sector by sector. Even a move that
    keeps the project visible to the caller (a bureau re-districting a project
    of its sector) is refused."""
    role = ROLES[role_name]
    caller = caller_for(role_name)
    project = projects_in(role).order_by("table", "number").first()
    own_districts, own_sectors = _districts(role), _sectors(role)
    foreign_district = (
        District.objects.exclude(pk=project.district_id)
        .exclude(pk__in=own_districts)
        .order_by("order")
        .first()
    )
    foreign_sector = (
        Sector.objects.filter(plan__is_current=True)
        .exclude(pk=project.sector_id)
        .exclude(pk__in=own_sectors)
        .order_by("order")
        .first()
    )
    foreign_department = (
        Department.objects.exclude(pk=project.department_id)
        .exclude(code__in=role.departments)
        .order_by("code")
        .first()
    )
    for body in (
        {"district": foreign_district.code},
        {"sector": foreign_sector.code},
        {"department": foreign_department.code},
        {"district": foreign_district.code, "sector": foreign_sector.code},
    ):
        before = Project.objects.get(pk=project.pk)
        response = caller.patch(
            f"/api/v1/projects/{project.code}/",
            {**body, "reason": "越权测试"},
            format="json",
        )
        after = Project.objects.get(pk=project.pk)
        assert response.status_code == 403, (body, response.json())
        assert (
            after.district_id,
            after.sector_id,
            after.department_id,
            after.version,
        ) == (
            before.district_id,
            before.sector_id,
            before.department_id,
            before.version,
        ), body

    # Nor can it pull a foreign project into its own scope: that one is not found.
    foreign = projects_out(role).order_by("table", "number").first()
    pull = {"reason": "越权测试"}
    if own_districts:
        pull["district"] = District.objects.get(pk=min(own_districts)).code
    if own_sectors:
        pull["sector"] = Sector.objects.get(pk=min(own_sectors)).code
    before = Project.objects.get(pk=foreign.pk)
    response = caller.patch(f"/api/v1/projects/{foreign.code}/", pull, format="json")
    assert response.status_code == 404, response.json()
    assert Project.objects.get(pk=foreign.pk).version == before.version


def _districts(role: Role) -> set[int]:
    return set(
        Department.objects.filter(
            code__in=role.departments, district__isnull=False
        ).values_list("district_id", flat=True)
    )


def _sectors(role: Role) -> set[int]:
    return set(
        Department.sectors.through.objects.filter(
            department__code__in=role.departments
        ).values_list("sector_id", flat=True)
    )
