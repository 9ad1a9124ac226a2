"""Import of a year's progress: the round trip, the preview, rows refused as a whole."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from portfolio.choices import ReviewState
from portfolio.models import AuditEntry
from projects import services
from projects.choices import Phase
from projects.models import Project, YearRecord
from tests.exchange.helpers import (
    cell,
    commit,
    database_state,
    import_errors,
    preview,
    sheet,
    template_download,
    to_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

YEAR = 2026


def bazhou_codes(n: int) -> list[str]:
    return list(
        Project.objects.filter(district__code="bazhou")
        .order_by("table", "number")
        .values_list("code", flat=True)[:n]
    )


def record(code: str) -> YearRecord:
    return YearRecord.objects.get(project__code=code, year=YEAR)


def test_template_holds_the_clerks_own_projects(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    ws = sheet(template_download(client))
    keys = [
        ws.cell(row=row, column=1).value
        for row in range(3, ws.max_row + 1)
        if ws.cell(row=row, column=1).value
    ]
    expected = YearRecord.objects.filter(year=YEAR, project__district__code="bazhou")
    assert sorted(keys) == sorted(
        f"{r.project.code}|{YEAR}|{r.version}" for r in expected
    )
    assert ws.column_dimensions["A"].hidden
    assert ws.protection.sheet
    assert ws.freeze_panes == "A3"
    # The figures are open for typing, the project's own columns are not.
    code = bazhou_codes(1)[0]
    assert cell(ws, code, "actual_investment").protection.locked is False
    assert cell(ws, code, "name").protection.locked is True


def test_round_trip_saves_exactly_the_edits_with_history(client, clerk_bazhou):
    """Download, edit as a clerk would, preview, commit: the DB holds the edits."""
    first, second, untouched = bazhou_codes(3)
    client.force_login(clerk_bazhou)
    workbook = template_download(client)
    ws = sheet(workbook)
    cell(ws, first, "phase").value = "新开工"
    cell(ws, first, "planned_investment").value = 5000
    cell(ws, first, "actual_investment").value = 1234.5
    cell(ws, first, "percent_complete").value = 35
    cell(ws, first, "progress").value = "主体结构完成三层。"
    cell(ws, second, "phase").value = "竣工"
    cell(ws, second, "percent_complete").value = 100
    cell(ws, second, "problems").value = "资金拨付滞后"
    before = database_state()
    untouched_before = YearRecord.objects.filter(year=YEAR).exclude(
        project__code__in=[first, second]
    )
    untouched_values = list(untouched_before.order_by("pk").values())

    response, token = upload(client, to_bytes(workbook))
    assert token, response.content.decode()[:2000]
    page = preview(client, token)
    html = page.content.decode()
    assert page.status_code == 200
    assert import_errors(page) == []
    assert "确认导入" in html
    assert "将保存以下 8 处修改（2 个项目）" in html
    assert "1234.5" in html and "主体结构完成三层。" in html
    # The preview saved nothing.
    assert database_state() == before

    done = commit(client, token)
    assert done.status_code == 302
    assert done["Location"].endswith(f"?year={YEAR}")

    one, two = record(first), record(second)
    assert one.phase == Phase.UNDER_CONSTRUCTION
    assert one.planned_investment == Decimal("5000.00")
    assert one.actual_investment == Decimal("1234.50")
    assert one.percent_complete == Decimal("35.00")
    assert one.progress == "主体结构完成三层。"
    assert one.problems == "" and one.next_steps == ""
    assert two.phase == Phase.COMPLETED
    assert two.percent_complete == Decimal("100.00")
    assert two.problems == "资金拨付滞后"
    assert two.actual_investment is None
    assert one.state == two.state == ReviewState.DRAFT
    assert one.version == before_version(before, one) + 1
    # Every other record is exactly as it was.
    assert (
        list(
            YearRecord.objects.filter(year=YEAR)
            .exclude(project__code__in=[first, second])
            .order_by("pk")
            .values()
        )
        == untouched_values
    )
    assert record(untouched).version == 1

    record_type = ContentType.objects.get_for_model(YearRecord)
    history = AuditEntry.objects.filter(
        content_type=record_type, object_id=str(one.pk), actor=clerk_bazhou
    ).get()
    assert history.actor_label == "t-clerk-bazhou"
    assert history.changes == {
        "planned_investment": [None, "5000"],
        "actual_investment": [None, "1234.5"],
        "percent_complete": [None, "35"],
        "phase": ["", "under_construction"],
        "progress": ["", "主体结构完成三层。"],
    }
    assert history.reason.startswith("Excel导入（进展.xlsx）")
    assert AuditEntry.objects.filter(
        content_type=record_type, object_id=str(two.pk), actor=clerk_bazhou
    ).exists()
    # The project's phase follows its latest year record, named to the importer too.
    assert Project.objects.get(code=first).phase == Phase.UNDER_CONSTRUCTION
    # The kept upload is gone: a second commit cannot replay it.
    again = commit(client, token)
    assert again.status_code == 302 and again["Location"].endswith("/import/")


def before_version(state: dict, record: YearRecord) -> int:
    return next(r["version"] for r in state["records"] if r["id"] == record.pk)


def test_unchanged_template_changes_nothing(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    before = database_state()
    _, token = upload(client, to_bytes(template_download(client)))
    page = preview(client, token)
    assert "没有需要保存的修改" in page.content.decode()
    assert "确认导入" not in page.content.decode()
    commit(client, token)
    assert database_state() == before


def edited_template(client, edits: dict[str, dict[str, object]]) -> bytes:
    workbook = template_download(client)
    ws = sheet(workbook)
    for code, values in edits.items():
        for name, value in values.items():
            cell(ws, code, name).value = value
    return to_bytes(workbook)


def test_one_bad_row_saves_nothing_and_each_error_names_row_and_column(
    client, clerk_bazhou
):
    good, bad, worse = bazhou_codes(3)
    client.force_login(clerk_bazhou)
    content = edited_template(
        client,
        {
            good: {"actual_investment": 100},
            bad: {"actual_investment": -5, "percent_complete": 120},
            worse: {"phase": "快完工了", "planned_investment": "一百万"},
        },
    )
    before = database_state()
    _, token = upload(client, content)
    page = preview(client, token)
    errors = import_errors(page)
    bad_row = sheet(template_download(client))
    row_bad = next(
        r
        for r in range(3, bad_row.max_row + 1)
        if str(bad_row.cell(row=r, column=1).value).startswith(f"{bad}|")
    )
    row_worse = row_bad + 1
    places = {where for where, _ in errors}
    assert f"第{row_bad}行 J列（完成投资（万元））" in places
    assert f"第{row_bad}行 K列（形象进度（%））" in places
    assert f"第{row_worse}行 H列（年度阶段）" in places
    assert f"第{row_worse}行 I列（计划投资（万元））" in places
    messages = dict(errors)
    assert "“快完工了”不是有效的阶段" in messages[f"第{row_worse}行 H列（年度阶段）"]
    assert (
        "“一百万”不是有效的数字" in messages[f"第{row_worse}行 I列（计划投资（万元））"]
    )
    assert "0" in messages[f"第{row_bad}行 J列（完成投资（万元））"]
    assert "未保存任何数据" in page.content.decode()
    assert "确认导入" not in page.content.decode()
    # Committing anyway (a forged POST) re-validates and still saves nothing.
    commit(client, token)
    assert database_state() == before


def test_submitted_and_approved_records_refuse_edits(client, clerk_bazhou, supervisor):
    submitted, approved, fine = bazhou_codes(3)
    for code in (submitted, approved):
        rec = record(code)
        services.year_record_update(
            record=rec, actor=clerk_bazhou, data={"phase": Phase.PREPARING}
        )
        services.year_record_submit(record=record(code), actor=clerk_bazhou)
    services.year_record_approve(record=record(approved), actor=supervisor)
    client.force_login(clerk_bazhou)
    content = edited_template(
        client,
        {
            submitted: {"progress": "补充说明"},
            approved: {"actual_investment": 10},
            fine: {"progress": "正常推进"},
        },
    )
    before = database_state()
    _, token = upload(client, content)
    errors = dict(import_errors(preview(client, token)))
    state_errors = [m for w, m in errors.items() if "G列（审核状态）" in w]
    assert any("已提交" in m and "不能修改" in m for m in state_errors)
    assert any("已审核" in m and "不能修改" in m for m in state_errors)
    commit(client, token)
    assert database_state() == before


def test_clerk_cannot_import_into_another_departments_projects(
    client, clerk_bazhou, supervisor
):
    """A supervisor's all-city template, edited and uploaded by a district clerk."""
    own = bazhou_codes(1)[0]
    other = (
        Project.objects.filter(district__code="nanjiang")
        .order_by("number")
        .first()
        .code
    )
    client.force_login(supervisor)
    content = edited_template(
        client, {own: {"progress": "本单位"}, other: {"progress": "越权修改"}}
    )
    client.force_login(clerk_bazhou)
    before = database_state()
    _, token = upload(client, content)
    errors = import_errors(preview(client, token))
    # The same words as for a project that does not exist: the import does not
    # confirm that a code outside one's scope exists (the API answers 404). Every
    # row outside the clerk's scope is refused so, the edited one among them, and
    # none of the clerk's own rows.
    messages = [m for _, m in errors]
    assert f"找不到项目 {other} 的 {YEAR} 年度记录。" in messages
    outside = set(
        Project.objects.exclude(district__code="bazhou").values_list("code", flat=True)
    )
    assert {f"找不到项目 {code} 的 {YEAR} 年度记录。" for code in outside} == set(
        messages
    )
    assert not any(Project.objects.get(code=other).name in m for _, m in errors)
    commit(client, token)
    assert database_state() == before


def test_out_of_scope_row_reads_like_a_missing_project(client, clerk_bazhou):
    """An unknown code and another department's code get the same error."""
    other = Project.objects.filter(district__code="nanjiang").first()
    record_other = other.year_records.get(year=YEAR)
    client.force_login(clerk_bazhou)
    messages = {}
    for code, version in ((other.code, record_other.version), ("t9-999", 1)):
        workbook = template_download(client)
        ws = sheet(workbook)
        own = bazhou_codes(1)[0]
        cell(ws, own, "progress").value = "改写"
        cell(ws, own, "key").value = f"{code}|{YEAR}|{version}"
        _, token = upload(client, to_bytes(workbook))
        ((where, message),) = import_errors(preview(client, token))
        messages[code] = (where, message.replace(code, "CODE"))
    assert messages[other.code] == messages["t9-999"]


def test_supervisor_cannot_import_figures(client, supervisor):
    code = bazhou_codes(1)[0]
    client.force_login(supervisor)
    content = edited_template(client, {code: {"progress": "督查员代填"}})
    before = database_state()
    _, token = upload(client, content)
    errors = import_errors(preview(client, token))
    assert any("只有本单位填报员可以填报" in message for _, message in errors)
    commit(client, token)
    assert database_state() == before


def test_changed_since_download_is_refused(client, clerk_bazhou):
    code = bazhou_codes(1)[0]
    client.force_login(clerk_bazhou)
    content = edited_template(client, {code: {"progress": "模板里的新内容"}})
    services.year_record_update(
        record=record(code), actor=clerk_bazhou, data={"problems": "别处改过"}
    )
    before = database_state()
    _, token = upload(client, content)
    errors = import_errors(preview(client, token))
    assert any("模板下载后已被修改" in message for _, message in errors)
    commit(client, token)
    assert database_state() == before


def test_commit_revalidates_what_changed_after_the_preview(client, clerk_bazhou):
    code = bazhou_codes(1)[0]
    client.force_login(clerk_bazhou)
    _, token = upload(
        client, edited_template(client, {code: {"progress": "预览时有效"}})
    )
    assert "确认导入" in preview(client, token).content.decode()
    services.year_record_update(
        record=record(code), actor=clerk_bazhou, data={"phase": Phase.PREPARING}
    )
    services.year_record_submit(record=record(code), actor=clerk_bazhou)
    before = database_state()
    page = commit(client, token)
    assert page.status_code == 200
    assert import_errors(page)
    assert database_state() == before


def test_suspension_needs_a_reason_in_its_column(client, clerk_bazhou):
    code = bazhou_codes(1)[0]
    client.force_login(clerk_bazhou)
    before = database_state()
    _, token = upload(client, edited_template(client, {code: {"phase": "停缓建"}}))
    errors = dict(import_errors(preview(client, token)))
    assert any("O列（阶段变更原因）" in where for where in errors)
    commit(client, token)
    assert database_state() == before

    _, token = upload(
        client,
        edited_template(client, {code: {"phase": "停缓建", "reason": "用地未获批"}}),
    )
    assert commit(client, token).status_code == 302
    entry = AuditEntry.objects.filter(
        object_id=str(record(code).pk), actor=clerk_bazhou
    ).first()
    assert entry.reason == "Excel导入（进展.xlsx）：用地未获批"
    assert record(code).phase == Phase.SUSPENDED


def test_inserted_and_duplicated_rows_are_refused(client, clerk_bazhou):
    first, second = bazhou_codes(2)
    client.force_login(clerk_bazhou)
    workbook = template_download(client)
    ws = sheet(workbook)
    extra = ws.max_row + 1
    ws.cell(row=extra, column=4, value="自己加的新项目")
    ws.cell(row=extra, column=10, value=100)
    dup = ws.max_row + 1
    ws.cell(row=dup, column=1, value=cell(ws, first, "key").value)
    ws.cell(row=dup, column=12, value="重复")
    before = database_state()
    _, token = upload(client, to_bytes(workbook))
    errors = import_errors(preview(client, token))
    assert any(
        w.startswith(f"第{extra}行 A列") and "缺少或无效的校验键" in m
        for w, m in errors
    )
    assert any(w.startswith(f"第{dup}行") and "重复" in m for w, m in errors)
    commit(client, token)
    assert database_state() == before


def test_someone_elses_upload_token_is_refused(client, clerk_bazhou, clerk_education):
    code = bazhou_codes(1)[0]
    client.force_login(clerk_bazhou)
    _, token = upload(client, edited_template(client, {code: {"progress": "x"}}))
    client.force_login(clerk_education)
    before = database_state()
    response = commit(client, token)
    assert response.status_code == 302 and response["Location"].endswith("/import/")
    assert database_state() == before
