"""规划导入 in the admin: upload → preview (nothing saved) → commit; errors shown
by sheet, row and column; administrators only."""

from __future__ import annotations

import io
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook

from portfolio.models import Plan
from projects.models import Project
from tests.factories import UserFactory, reviewer

DEMO = (
    Path(__file__).parents[2] / "fixtures" / "DEMO-made-up-15th-plan-NOT-OFFICIAL.xlsx"
)
NEW = "demo-15th-service"


def _upload(client, content: bytes, name="plan.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("admin:projects_plan_import"), {"file": file})


def test_upload_preview_commit(client, db):
    client.force_login(UserFactory.administrator(username="t-admin-import"))
    listing = client.get(reverse("admin:projects_plantable_changelist"))
    assert "规划导入" in listing.content.decode()
    uploaded = _upload(client, DEMO.read_bytes())
    assert uploaded.status_code == 302
    preview = client.get(uploaded["Location"])
    page = preview.content.decode()
    assert "新建 项目: 60" in page and "确认导入" in page
    assert not Plan.objects.filter(code=NEW).exists()  # a preview saves nothing
    committed = client.post(uploaded["Location"], {"commit": "1"})
    assert committed.status_code == 302
    assert Project.objects.filter(plan__code=NEW).count() == 60
    assert Project.objects.filter(plan__code="bazhong-14th-service").count() == 135


def test_errors_are_listed_and_nothing_is_saved(client, db):
    client.force_login(UserFactory.administrator(username="t-admin-import"))
    workbook = load_workbook(DEMO)
    workbook["表2"]["C3"] = "火星区"
    data = io.BytesIO()
    workbook.save(data)
    uploaded = _upload(client, data.getvalue())
    page = client.get(uploaded["Location"]).content.decode()
    assert "工作表“表2”第3行C（县区）列：没有名为“火星区”的县区。" in page
    assert "确认导入" not in page
    client.post(uploaded["Location"], {"commit": "1"})
    assert not Plan.objects.filter(code=NEW).exists()


def test_only_administrators_import(client, db):
    client.force_login(reviewer())
    assert client.get(reverse("admin:projects_plan_import")).status_code == 403
