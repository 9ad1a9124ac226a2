"""The deadline rules: each a small named unit, each applied in a fixed number of
statements whatever the number of projects.

A rule is its notice kind, its audience (who hears of it) and ``items(today)``: a
queryset of the items it fires for on that day, annotated with the columns a
notice needs (``n_item``, ``n_ct``, ``n_project``, ``n_year_record``,
``n_district``, ``n_sector``, ``n_period``). Applying a rule is two statements:

- resolve: every open notice of the rule whose (item, period) is no longer among
  the items is resolved (its cause is gone);
- create: ``INSERT … SELECT`` of items × covering recipients, ``ON CONFLICT DO
  NOTHING`` against the unique (rule, item, recipient, period) constraint, so a
  re-run, a retry or two beat processes never create a second notice.

Periods: ``D-14``/``D-7``/``D-1`` for reminders (one per lead time); the report
year (``2025``), or ``2025/2026-01-05`` once a report submitted on that day was
reopened, for unsubmitted reports; the day of the return or submission for
returned and unreviewed reports; the end year (schedule overdue) or the start
year (late start) for project rules, so that a late project is told once, not
every year; the source notice (``report_overdue/2025``) for escalations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from indicators.models import Indicator
from portfolio.choices import UNSUBMITTED_STATES, ReviewState, Role
from portfolio.models import Department, Profile, RoleGroup
from portfolio.selectors import user_scope
from projects.alerts.choices import NoticeKind
from projects.alerts.indicator_rules import (
    indicator_behind_items,
    indicator_unreported_items,
    indicator_unreported_late_items,
)
from projects.alerts.models import Notice
from projects.choices import DONE_PHASES, HealthLight, Phase
from projects.models import Project, YearRecord
from projects.selectors import watched_projects_q, watched_records_q

# Notices that tell a supervisor something is late (escalated when unresolved).
OVERDUE_KINDS = frozenset(
    {
        NoticeKind.REPORT_OVERDUE,
        NoticeKind.RETURNED_OVERDUE,
        NoticeKind.REVIEW_OVERDUE,
        NoticeKind.SCHEDULE_OVERDUE,
        NoticeKind.LATE_START,
        NoticeKind.PROGRESS_OVERDUE,
    }
)
# The digest's order: most urgent first.
URGENCY = list(NoticeKind)

ITEM_COLUMNS = (
    "n_item",
    "n_ct",
    "n_project",
    "n_year_record",
    "n_district",
    "n_sector",
    "n_department",
    "n_period",
)


class Audience(enum.Enum):
    """Who hears of a rule: the scope of each is its departments (or everything)."""

    CLERKS = "clerks"  # 填报员 of the departments covering the project
    SUPERVISORS = "supervisors"  # 督查员 covering the project, all-city ones too
    ADMINISTRATORS = "administrators"  # 管理员 and superusers: the next level


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the project's time zone (Asia/Shanghai)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _local_day_text(field: str) -> Cast:
    """A timestamp's local calendar day as ``YYYY-MM-DD`` text, in SQL."""
    return Cast(TruncDate(field), CharField())


def _record_columns(qs: QuerySet[YearRecord], period) -> QuerySet[YearRecord]:
    # Every rule about reports funnels through here: one place for which
    # records are watched at all (not those of removed or carried-on projects).
    return qs.filter(watched_records_q()).annotate(
        n_item=F("pk"),
        n_ct=Value(ContentType.objects.get_for_model(YearRecord).pk, IntegerField()),
        n_period=period,
    )


def _project_columns(qs: QuerySet[Project], period) -> QuerySet[Project]:
    return qs.filter(watched_projects_q()).annotate(
        n_item=F("pk"),
        n_ct=Value(ContentType.objects.get_for_model(Project).pk, IntegerField()),
        n_period=period,
    )


def _located(qs: QuerySet) -> QuerySet:
    """Add what a new notice needs besides the item: its project, year record,
    district and sector. Kept out of ``items`` so that resolving (which only
    compares items and periods) does not join the projects."""
    none = Cast(Value(None), BigIntegerField())
    if qs.model is Indicator:  # no project: heard by its department's people
        return qs.annotate(
            n_project=none,
            n_year_record=none,
            n_district=none,
            n_sector=none,
            n_department=F("department_id"),
        )
    if qs.model is Project:
        return qs.annotate(
            n_project=F("pk"),
            n_year_record=none,
            n_district=F("district_id"),
            n_sector=F("sector_id"),
            n_department=none,
        )
    record = "pk" if qs.model is YearRecord else "year_record_id"
    return qs.annotate(
        n_project=F("project_id"),
        n_year_record=F(record),
        n_district=F("project__district_id"),
        n_sector=F("project__sector_id"),
        n_department=none,
    )


# --- The rules' items ---------------------------------------------------------


def reminder_items(today: dt.date) -> QuerySet[YearRecord]:
    """Reports still owed whose due date is at most N days away (N: lead times).

    One notice per lead time: with 14, 7 and 1 a report gets ``D-14`` when 14 or
    fewer days are left, ``D-7`` at 7 or fewer, ``D-1`` on the day before (or on
    the due day itself if the scan missed the day before). A missed day is caught
    up; a passed lead time is not sent late once a shorter one applies.
    """
    leads = sorted(set(settings.PORTFOLIO_REMINDER_DAYS))
    if not leads:
        return YearRecord.objects.none()
    period = Case(
        *[
            When(due_date__lte=today + dt.timedelta(days=n), then=Value(f"D-{n}"))
            for n in leads
        ],
        output_field=CharField(),
    )
    records = YearRecord.objects.filter(
        state__in=UNSUBMITTED_STATES,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=leads[-1]),
    )
    return _record_columns(records, period)


def report_overdue_items(today: dt.date) -> QuerySet[YearRecord]:
    """Reports never submitted (draft) whose due date has passed.

    Due on the due date inclusive: overdue from the day after. A report that was
    submitted and then reopened by a supervisor is a new episode (its period
    names the submission that was reopened), so it is reported again.
    """
    period = Case(
        When(submitted_at__isnull=True, then=Cast("year", CharField())),
        default=Concat(
            Cast("year", CharField()),
            Value("/"),
            _local_day_text("submitted_at"),
            output_field=CharField(),
        ),
        output_field=CharField(),
    )
    records = YearRecord.objects.filter(state=ReviewState.DRAFT, due_date__lt=today)
    return _record_columns(records, period)


def returned_overdue_items(today: dt.date) -> QuerySet[YearRecord]:
    """Returned reports not resubmitted within M days of the return.

    The clerk always keeps the time until the due date as well: overdue once both
    the due date and the M days after the return day have passed.
    """
    grace = settings.PORTFOLIO_RETURNED_GRACE_DAYS
    records = YearRecord.objects.filter(
        state=ReviewState.RETURNED,
        due_date__lt=today,
        returned_at__lt=day_start(today - dt.timedelta(days=grace)),
    )
    return _record_columns(records, _local_day_text("returned_at"))


def review_overdue_items(today: dt.date) -> QuerySet[YearRecord]:
    """Submitted reports no supervisor has approved or returned within K days."""
    days = settings.PORTFOLIO_REVIEW_DAYS
    records = YearRecord.objects.filter(
        state=ReviewState.SUBMITTED,
        submitted_at__lt=day_start(today - dt.timedelta(days=days)),
    )
    return _record_columns(records, _local_day_text("submitted_at"))


def schedule_overdue_items(today: dt.date) -> QuerySet[Project]:
    """Projects past their end year and not completed (nor in operation, cancelled).

    A project ending in 2025 is on time until 31 December 2025, late from
    1 January 2026. Its period is the end year: told once, not every year; a
    corrected end year that has passed too is a new lateness.
    """
    projects = Project.objects.filter(end_year__lt=today.year).exclude(
        phase__in=DONE_PHASES
    )
    return _project_columns(projects, Cast("end_year", CharField()))


def late_start_items(today: dt.date) -> QuerySet[Project]:
    """Projects whose start year has come and that are still preparing (前期).

    Its period is the start year: told once per planned start.
    """
    projects = Project.objects.filter(start_year__lte=today.year, phase=Phase.PREPARING)
    return _project_columns(projects, Cast("start_year", CharField()))


def progress_overdue_items(today: dt.date) -> QuerySet[YearRecord]:
    """Year records with an in-year progress update missing after its due date.

    One item per record, its period the earliest missing update ("2026-03"): a
    March update missing on 6 April is told once, and again only for a later
    period once March has been filed. Monthly dispatch starts on
    ``PROJECTS_PROGRESS_SINCE``; until that is set the rule is silent, or every
    month since 2021 would be overdue on a fresh install.
    """
    from projects.dossier.selectors import progress_updates_overdue

    nothing = _record_columns(
        YearRecord.objects.none(), Value("", output_field=CharField())
    )
    if settings.PROJECTS_PROGRESS_SINCE is None:
        return nothing
    earliest: dict[int, str] = {}
    for item in progress_updates_overdue(today):  # sorted by due date
        earliest.setdefault(item.year_record_id, item.period)
    if not earliest:
        return nothing
    period = Case(
        *(When(pk=pk, then=Value(key)) for pk, key in earliest.items()),
        output_field=CharField(),
    )
    return _record_columns(YearRecord.objects.filter(pk__in=earliest), period)


def health_red_items(today: dt.date) -> QuerySet[Project]:
    """Projects whose traffic light is red; the period is the day it turned red,
    so a project that turns red again after a green spell is told again."""
    projects = Project.objects.filter(health__light=HealthLight.RED)
    return _project_columns(projects, _local_day_text("health__light_since"))


def escalation_items(today: dt.date) -> QuerySet[Notice]:
    """Overdue items whose first notice has been open for E days or more.

    The item escalates once per source notice period; it is resolved with it.
    """
    days = settings.PORTFOLIO_ESCALATION_DAYS
    notices = Notice.objects.filter(
        level=1,
        kind__in=OVERDUE_KINDS,
        resolved_at__isnull=True,
        opened_on__lte=today - dt.timedelta(days=days),
    )
    return notices.annotate(
        n_item=F("object_id"),
        n_ct=F("content_type_id"),
        n_period=Concat(F("kind"), Value("/"), F("period"), output_field=CharField()),
    )


@dataclass(frozen=True)
class Rule:
    name: str
    kind: NoticeKind
    audience: Audience
    items: Callable[[dt.date], QuerySet]
    level: int = 1
    # Heard by the people of the item's department (indicators), not by those
    # covering a project's district or sector.
    by_department: bool = False


RULES: tuple[Rule, ...] = (
    Rule("reminder", NoticeKind.REMINDER, Audience.CLERKS, reminder_items),
    Rule(
        "report_overdue",
        NoticeKind.REPORT_OVERDUE,
        Audience.SUPERVISORS,
        report_overdue_items,
    ),
    Rule(
        "returned_overdue",
        NoticeKind.RETURNED_OVERDUE,
        Audience.SUPERVISORS,
        returned_overdue_items,
    ),
    Rule(
        "review_overdue",
        NoticeKind.REVIEW_OVERDUE,
        Audience.SUPERVISORS,
        review_overdue_items,
    ),
    Rule(
        "schedule_overdue",
        NoticeKind.SCHEDULE_OVERDUE,
        Audience.SUPERVISORS,
        schedule_overdue_items,
    ),
    Rule("late_start", NoticeKind.LATE_START, Audience.SUPERVISORS, late_start_items),
    Rule(
        "progress_overdue",
        NoticeKind.PROGRESS_OVERDUE,
        Audience.SUPERVISORS,
        progress_overdue_items,
    ),
    Rule("health_red", NoticeKind.HEALTH_RED, Audience.SUPERVISORS, health_red_items),
    Rule(
        "indicator_unreported",
        NoticeKind.INDICATOR_UNREPORTED,
        Audience.CLERKS,
        indicator_unreported_items,
        by_department=True,
    ),
    Rule(
        "indicator_unreported_late",
        NoticeKind.INDICATOR_UNREPORTED_LATE,
        Audience.SUPERVISORS,
        indicator_unreported_late_items,
        by_department=True,
    ),
    Rule(
        "indicator_behind",
        NoticeKind.INDICATOR_BEHIND,
        Audience.SUPERVISORS,
        indicator_behind_items,
        by_department=True,
    ),
    # Last: it reads the notices the rules above have just opened and resolved.
    Rule(
        "escalation",
        NoticeKind.ESCALATION,
        Audience.ADMINISTRATORS,
        escalation_items,
        level=2,
    ),
)
RULES_BY_KIND = {rule.kind: rule for rule in RULES}


# --- Applying a rule: two statements ------------------------------------------


def _tables() -> dict[str, str]:
    user = get_user_model()
    q = connection.ops.quote_name
    return {
        "notice": q(Notice._meta.db_table),
        "user": q(user._meta.db_table),
        "user_groups": q(user.groups.through._meta.db_table),
        "role_group": q(RoleGroup._meta.db_table),
        "profile": q(Profile._meta.db_table),
        "profile_departments": q(Profile.departments.through._meta.db_table),
        "department": q(Department._meta.db_table),
        "department_sectors": q(Department.sectors.through._meta.db_table),
    }


def _audience_ctes(audience: Audience) -> tuple[str, list, bool]:
    """SQL of ``members``, ``cov_district``, ``cov_sector`` (and ``cov_all``).

    Returns (sql, params, has_all): who may hear of an item, by district, by
    sector, or everywhere (all-city supervisors, administrators).
    """
    t = _tables()
    in_group = (
        f"SELECT ug.user_id FROM {t['user_groups']} ug "
        f"JOIN {t['role_group']} rg ON rg.group_id = ug.group_id WHERE rg.role = %s"
    )
    if audience is Audience.ADMINISTRATORS:
        members = (
            f"SELECT u.id AS user_id FROM {t['user']} u "
            f"WHERE u.is_active AND (u.is_superuser OR u.id IN ({in_group}))"
        )
        sql = f"members AS ({members}), cov_all AS (SELECT user_id FROM members)"
        return sql, [Role.ADMINISTRATOR.value], True
    role = Role.CLERK if audience is Audience.CLERKS else Role.SUPERVISOR
    members = (
        f"SELECT u.id AS user_id FROM {t['user']} u "
        f"WHERE u.is_active AND u.id IN ({in_group})"
    )
    of_members = (
        f"FROM {t['profile']} pr "
        f"JOIN {t['profile_departments']} pd ON pd.profile_id = pr.id"
    )
    member_filter = "pr.user_id IN (SELECT user_id FROM members)"
    cov_district = (
        f"SELECT DISTINCT pr.user_id, d.district_id {of_members} "
        f"JOIN {t['department']} d ON d.id = pd.department_id "
        f"WHERE d.district_id IS NOT NULL AND {member_filter}"
    )
    cov_sector = (
        f"SELECT DISTINCT pr.user_id, ds.sector_id {of_members} "
        f"JOIN {t['department_sectors']} ds ON ds.department_id = pd.department_id "
        f"WHERE {member_filter}"
    )
    cov_department = (
        f"SELECT DISTINCT pr.user_id, pd.department_id {of_members} "
        f"WHERE {member_filter}"
    )
    sql = (
        f"members AS ({members}), cov_district AS ({cov_district}), "
        f"cov_sector AS ({cov_sector}), cov_department AS ({cov_department})"
    )
    if audience is Audience.SUPERVISORS:
        cov_all = (
            f"SELECT pr.user_id FROM {t['profile']} pr "
            f"WHERE pr.all_departments AND {member_filter}"
        )
        return f"{sql}, cov_all AS ({cov_all})", [role.value], True
    return sql, [role.value], False


def rule_resolve(rule: Rule, today: dt.date, now: dt.datetime) -> int:
    """Resolve the rule's open notices whose cause is gone; one UPDATE."""
    cause = rule.items(today).filter(
        n_item=OuterRef("object_id"),
        n_ct=OuterRef("content_type_id"),
        n_period=OuterRef("period"),
    )
    return (
        Notice.objects.filter(kind=rule.kind, resolved_at__isnull=True)
        .exclude(Exists(cause))
        .update(resolved_at=now)
    )


def rule_create(rule: Rule, today: dt.date, now: dt.datetime) -> int:
    """Open the rule's notices for today's items × covering recipients; one INSERT."""
    items = _located(rule.items(today)).order_by().values(*ITEM_COLUMNS)
    try:
        items_sql, items_params = items.query.sql_with_params()
    except EmptyResultSet:  # e.g. no reminder lead times configured
        return 0
    audience_sql, audience_params, has_all = _audience_ctes(rule.audience)
    # Three equi-joins rather than one OR-join, so that the database can hash
    # them: by district, by sector, and everyone who sees everything.
    branches = []
    if rule.by_department and rule.audience is not Audience.ADMINISTRATORS:
        branches.append(
            "SELECT i.*, m.user_id FROM items i JOIN cov_department m "
            "ON m.department_id = i.n_department"
        )
    elif rule.audience is not Audience.ADMINISTRATORS:
        branches += [
            "SELECT i.*, m.user_id FROM items i JOIN cov_district m "
            "ON m.district_id = i.n_district",
            "SELECT i.*, m.user_id FROM items i JOIN cov_sector m "
            "ON m.sector_id = i.n_sector",
        ]
    if has_all:
        branches.append("SELECT i.*, m.user_id FROM items i CROSS JOIN cov_all m")
    notice = _tables()["notice"]
    # INSERT first (then WITH … SELECT): so that drivers count the rows inserted.
    # NOT EXISTS skips the notices already there in one anti-join (a re-run is
    # then mostly reading); ON CONFLICT covers a concurrent scan.
    sql = (
        f"INSERT INTO {notice} (kind, level, content_type_id, "
        "object_id, project_id, year_record_id, recipient_id, period, opened_on, "
        f"created_at) WITH items AS ({items_sql}), {audience_sql} "
        "SELECT DISTINCT %s, %s, c.n_ct, c.n_item, c.n_project, c.n_year_record, "
        "c.user_id, c.n_period, %s, %s "
        f"FROM ({' UNION ALL '.join(branches)}) c "
        f"WHERE NOT EXISTS (SELECT 1 FROM {notice} n WHERE n.kind = %s "
        "AND n.content_type_id = c.n_ct AND n.object_id = c.n_item "
        "AND n.recipient_id = c.user_id AND n.period = c.n_period) "
        "ON CONFLICT DO NOTHING"
    )
    params = [
        *items_params,
        *audience_params,
        str(rule.kind),
        rule.level,
        today,
        now,
        str(rule.kind),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


@transaction.atomic
def health_red_notices_open(
    *, project_ids: Iterable[int], today: dt.date | None = None
) -> int:
    """Open the ``health_red`` notices of projects that have just turned red.

    The daily scan's rule, narrowed to these projects, so that their supervisors
    see the notice now rather than at the next scan. The period is the same (the
    day the light turned red), so the scan then finds the notices there and opens
    no second one. Returns the number of notices opened.
    """
    ids = list(project_ids)
    if not ids:
        return 0
    rule = dataclasses.replace(
        RULES_BY_KIND[NoticeKind.HEALTH_RED],
        items=lambda day: health_red_items(day).filter(pk__in=ids),
    )
    return rule_create(rule, today or timezone.localdate(), timezone.now())


# --- A moved project's notices ----------------------------------------------------


def _of_project(items: QuerySet, project_id: int) -> QuerySet:
    if items.model is Project:
        return items.filter(pk=project_id)
    return items.filter(project_id=project_id)


@transaction.atomic
def notices_follow_project(
    *, project: Project, today: dt.date | None = None
) -> tuple[int, int]:
    """After a move, a project's open notices are with the people who cover it now.

    A notice is the record of what was told to whom (read, delivered, in which
    digest): it is never re-addressed. The open notices of people who no longer
    cover the project are closed (resolved now: no more digests, escalations or
    group-chat posts to the old department); then the rules, narrowed to the
    project, open the notices its new clerks and supervisors should have, with
    the same periods, so that the next scan adds nothing. People who cover both
    places (all-city supervisors, administrators) keep theirs. Returns (closed,
    opened).
    """
    today = today or timezone.localdate()
    now = timezone.now()
    still_open = Notice.objects.filter(
        project_id=project.pk, resolved_at__isnull=True
    ).select_related("recipient")
    gone = [
        notice.pk
        for notice in still_open
        if not user_scope(notice.recipient).covers_project(project)
    ]
    closed = Notice.objects.filter(pk__in=gone).update(resolved_at=now)
    opened = 0
    for rule in RULES:
        if rule.audience is Audience.ADMINISTRATORS or rule.by_department:
            continue  # escalations follow their notices; indicators have no project
        narrowed = dataclasses.replace(
            rule, items=lambda day, rule=rule: _of_project(rule.items(day), project.pk)
        )
        opened += rule_create(narrowed, today, now)
    return closed, opened
