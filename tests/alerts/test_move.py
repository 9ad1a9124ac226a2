"""A moved project's open notices go with it (issue 13).

Before: the notices about a project stayed with the old district's people after
the project moved, and the new district's people heard of it only at the next
scan. Now the old recipients' open notices are closed and the new ones' opened,
in the moving transaction, with the same periods (so the next scan adds none).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from projects import services
from projects.alerts.delivery import deadlines_scan
from projects.alerts.models import Notice
from projects.models import Project
from tests.callers import user_caller
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _open(user, project) -> set[tuple[str, int | None, str]]:
    return set(
        Notice.objects.filter(
            recipient=user, project=project, resolved_at__isnull=True
        ).values_list("kind", "year_record_id", "period")
    )


def test_open_notices_follow_a_moved_project():
    bazhou = UserFactory.supervisor(["bazhou-gov"], username="t-sup-bazhou")
    enyang = UserFactory.supervisor(["enyang-gov"], username="t-sup-enyang")
    bureau = UserFactory.supervisor(["culture-tourism-bureau"], username="t-sup-ct")
    mover = UserFactory.supervisor(["bazhou-gov", "enyang-gov"], username="t-mover")
    project = Project.objects.get(code="t1-003")  # 巴州区, tourism: overdue reports
    today = timezone.localdate()
    deadlines_scan(today=today)
    told_bazhou = _open(bazhou, project)
    assert told_bazhou, "the scan told 巴州区 nothing: the test cannot bite"
    assert _open(enyang, project) == set()
    told_bureau = _open(bureau, project)
    assert told_bureau
    read_at = timezone.now()
    Notice.objects.filter(recipient=bazhou, project=project).update(read_at=read_at)

    services.project_update(
        project=project,
        actor=mover,
        data={
            "district_id": enyang.profile.departments.get().district_id,
            "department_id": enyang.profile.departments.get().pk,
        },
        reason="区划调整",
    )

    # The old district's supervisor: closed, still read (history is kept).
    assert _open(bazhou, project) == set()
    closed = Notice.objects.filter(recipient=bazhou, project=project)
    assert closed.count() == len(told_bazhou)
    assert all(n.resolved_at and n.read_at == read_at for n in closed)
    # The new one: the same items and periods.
    assert _open(enyang, project) == told_bazhou
    # The bureau still covers it by its sector: untouched.
    assert _open(bureau, project) == told_bureau
    assert _open(mover, project) == told_bazhou
    # Nothing left for the scan to add about this project.
    before = Notice.objects.filter(project=project).count()
    deadlines_scan(today=today)
    assert Notice.objects.filter(project=project).count() == before
    # What each one's inbox says.
    inbox = user_caller(bazhou).get("/api/v1/notices/", {"resolved": "false"}).json()
    assert project.code not in {row["project"] for row in inbox["results"]}
    inbox = user_caller(enyang).get("/api/v1/notices/", {"resolved": "false"}).json()
    assert project.code in {row["project"] for row in inbox["results"]}


def test_a_refused_move_leaves_the_notices_alone():
    bazhou = UserFactory.supervisor(["bazhou-gov"], username="t-sup-bazhou")
    project = Project.objects.get(code="t1-003")
    deadlines_scan(today=timezone.localdate())
    told = _open(bazhou, project)
    clerk = UserFactory.clerk(["bazhou-gov"], username="t-clerk-bz")
    with pytest.raises(PermissionDenied):
        services.project_update(
            project=project,
            actor=clerk,
            data={"district_id": project.district_id + 1},
            reason="x",
        )
    assert _open(bazhou, project) == told
