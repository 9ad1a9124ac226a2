"""A database made before the dossier and alerts moved out of ``projects`` migrates
forward with its data intact.

The models of ``projects.dossier`` and ``projects.alerts`` moved there from
``projects`` with ``SeparateDatabaseAndState`` (the tables keep their
``projects_*`` names) and their content types were relabelled. This test takes the
test database back to before the move (``projects 0004``; ``dossier``, ``alerts``
and ``exchange`` unapplied), writes rows through the historical models as the old
code did, migrates forward to the latest, and reads them with today's models.

The migrations run on committed data (``transactional_db``): the database is
flushed afterwards, so the plan is loaded again for the tests that follow.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portfolio.models import AuditEntry
from projects.alerts.models import Notice
from projects.bootstrap.plan_loader import plan_load
from projects.dossier.models import CoordinationProblem, ProgressUpdate, ProjectDossier
from projects.models import Project, YearRecord
from tests.conftest import LOAD_DAY

pytestmark = pytest.mark.slow  # a flush and a reload of the plan: ~10 s

BEFORE_THE_MOVE = [
    ("projects", "0004_notice_kinds_progress_health"),
    ("dossier", None),
    ("alerts", None),
    ("exchange", None),
]
MOVED = {
    "dossier": [
        "projectdossier",
        "progressupdate",
        "coordinationproblem",
        "attachment",
        "healthrule",
        "projecthealth",
    ],
    "alerts": ["departmentwebhook", "digest", "notice", "webhooknotice"],
}
CODE = "t-migrated-001"


def migrate(targets) -> MigrationExecutor:
    """Migrate the test database to ``targets``; the executor's state is after it."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # A fresh executor: its loader reads what is applied now.
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def plan_reloaded_after(django_db_blocker):
    """Set up before ``transactional_db``, so torn down after its flush: the
    database is migrated to the latest and the plan is put back."""
    yield
    with django_db_blocker.unblock():
        migrate(latest())  # if the test failed half-way
        plan_load(today=LOAD_DAY)
        call_command("create_demo_accounts", stdout=StringIO())


def old_rows(apps) -> dict[str, int]:
    """What the code before the move wrote: every model is ``projects.*``."""
    content_type = apps.get_model("contenttypes", "ContentType")
    plan = apps.get_model("portfolio", "Plan").objects.get(is_current=True)
    department = apps.get_model("portfolio", "Department").objects.get(
        code="bazhou-gov"
    )
    user = apps.get_model("auth", "User").objects.create(username="t-old-clerk")
    project = apps.get_model("projects", "Project").objects.create(
        plan=plan,
        code=CODE,
        table=3,
        number=9001,
        name="迁移前的项目",
        district=apps.get_model("portfolio", "District").objects.get(code="bazhou"),
        sector=apps.get_model("portfolio", "Sector").objects.get(
            code="commerce-logistics"
        ),
        department=department,
        period="2024-2027",
        start_year=2024,
        end_year=2027,
        content="迁移前写入",
    )
    record = apps.get_model("projects", "YearRecord").objects.create(
        project=project,
        year=2026,
        due_date=dt.date(2026, 12, 20),
        planned_investment=Decimal("1200.00"),
    )
    dossier = apps.get_model("projects", "ProjectDossier").objects.create(
        project=project, owner_unit="巴中市某公司", contact_person="李四"
    )
    update = apps.get_model("projects", "ProgressUpdate").objects.create(
        year_record=record,
        period="2026-03",
        cadence="monthly",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        due_date=dt.date(2026, 4, 5),
        completed_investment=Decimal("100.00"),
        cumulative_investment=Decimal("300.00"),
        physical_progress="主体施工",
        percent_complete=Decimal("25.00"),
        submitted_at=timezone.now(),
        submitted_by=user,
    )
    problem = apps.get_model("projects", "CoordinationProblem").objects.create(
        project=project,
        progress_update=update,
        description="用地未落实",
        owner_department=department,
        due_date=dt.date(2026, 5, 5),
        raised_on=dt.date(2026, 4, 5),
    )
    update_type, _ = content_type.objects.get_or_create(
        app_label="projects", model="progressupdate"
    )
    record_type, _ = content_type.objects.get_or_create(
        app_label="projects", model="yearrecord"
    )
    notice = apps.get_model("projects", "Notice").objects.create(
        kind="progress_overdue",
        content_type=record_type,
        object_id=record.pk,
        project=project,
        year_record=record,
        recipient=user,
        period="2026-03",
        opened_on=dt.date(2026, 4, 6),
    )
    entry = apps.get_model("portfolio", "AuditEntry").objects.create(
        content_type=update_type,
        object_id=str(update.pk),
        object_repr="2026-03 进度更新",
        action="create",
        actor=user,
        actor_label="t-old-clerk",
        changes={"cumulative_investment": [None, "300"]},
    )
    return {
        "project": project.pk,
        "record": record.pk,
        "dossier": dossier.pk,
        "update": update.pk,
        "problem": problem.pk,
        "notice": notice.pk,
        "entry": entry.pk,
        "update_type": update_type.pk,
    }


def test_a_database_from_before_the_move_migrates_forward_intact(
    plan_reloaded_after, transactional_db
):
    executor = migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps
    assert "dossier" not in {model._meta.app_label for model in old.get_models()}
    ids = old_rows(old)

    migrate(latest())
    # What ``manage.py migrate`` does after the migrations: content types and
    # permissions for the models as they are now (must not duplicate the moved ones).
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    ContentType.objects.clear_cache()

    project = Project.objects.get(pk=ids["project"])
    assert (project.code, project.name) == (CODE, "迁移前的项目")
    record = YearRecord.objects.get(pk=ids["record"], project=project)
    assert record.planned_investment == Decimal("1200.00")
    dossier = ProjectDossier.objects.get(pk=ids["dossier"])
    assert (dossier.project, dossier.owner_unit) == (project, "巴中市某公司")
    update = ProgressUpdate.objects.get(pk=ids["update"])
    assert (update.year_record, update.period) == (record, "2026-03")
    assert update.cumulative_investment == Decimal("300.00")
    assert update.submitted_by.username == "t-old-clerk"
    problem = CoordinationProblem.objects.get(pk=ids["problem"])
    assert (problem.project, problem.progress_update) == (project, update)
    notice = Notice.objects.get(pk=ids["notice"])
    assert notice.item == record  # the GenericForeignKey still resolves
    assert (notice.project, notice.year_record) == (project, record)

    entry = AuditEntry.objects.get(pk=ids["entry"])
    assert entry.content_type_id == ids["update_type"]  # the same row, relabelled
    assert entry.content_type.natural_key() == ("dossier", "progressupdate")
    assert entry.content_type.model_class() is ProgressUpdate
    assert entry.content_type.get_object_for_this_type(pk=entry.object_id) == update
    assert ContentType.objects.get_for_model(ProgressUpdate).pk == ids["update_type"]

    for app_label, models in MOVED.items():
        for model in models:
            labels = list(
                ContentType.objects.filter(model=model).values_list(
                    "app_label", flat=True
                )
            )
            assert labels == [app_label], (model, labels)

    assert MigrationExecutor(connection).migration_plan(latest()) == []
