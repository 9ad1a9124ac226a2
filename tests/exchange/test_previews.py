"""Import previews live in the database: any server commits them, for their uploader
only, within their day."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.exchange import previews
from projects.exchange.models import ImportPreview
from projects.models import Project, YearRecord
from tests.exchange.helpers import (
    cell,
    commit,
    database_state,
    preview,
    sheet,
    template_download,
    to_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def code():
    return (
        Project.objects.filter(district__code="bazhou")
        .order_by("table", "number")
        .values_list("code", flat=True)
        .first()
    )


def edited(client, code: str, progress: str) -> bytes:
    workbook = template_download(client)
    cell(sheet(workbook), code, "progress").value = progress
    return to_bytes(workbook)


def server_temp_dir(monkeypatch, path) -> None:
    """Stand in for another machine: its own, empty, temp directory."""
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))


def post_commit(client, token: str):
    """Confirm the import and follow the redirect, to read the message shown."""
    url = reverse("admin:projects_yearrecord_import_preview", args=[token])
    return client.post(url, {"commit": "1"}, follow=True)


def test_preview_on_one_server_commits_on_another(
    client, clerk_bazhou, code, tmp_path, monkeypatch
):
    server_a, server_b = tmp_path / "server-a", tmp_path / "server-b"
    server_temp_dir(monkeypatch, server_a)
    client.force_login(clerk_bazhou)
    content = edited(client, code, "另一台服务器上确认")
    _, token = upload(client, content)
    assert token
    assert "确认导入" in preview(client, token).content.decode()
    kept = ImportPreview.objects.get(token=token)
    assert kept.uploaded_by == clerk_bazhou
    assert bytes(kept.content) == content
    assert kept.filename == "进展.xlsx"
    lifetime = kept.expires_at - kept.created_at
    assert abs(lifetime - previews.PREVIEW_TTL) < dt.timedelta(seconds=5)
    assert list(server_a.iterdir()) == []  # nothing kept on this server's disk

    # Another server: a new session, another (empty) temp directory.
    server_temp_dir(monkeypatch, server_b)
    other = Client()
    other.force_login(clerk_bazhou)
    done = commit(other, token)
    assert done.status_code == 302, done.content.decode()[:2000]
    assert done["Location"].endswith(f"?year={YEAR}")
    record = YearRecord.objects.get(project__code=code, year=YEAR)
    assert record.progress == "另一台服务器上确认"
    assert not ImportPreview.objects.filter(token=token).exists()
    assert list(server_b.iterdir()) == []


def test_expired_preview_is_refused_and_deleted(client, clerk_bazhou, code):
    client.force_login(clerk_bazhou)
    _, token = upload(client, edited(client, code, "过期后确认"))
    ImportPreview.objects.filter(token=token).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    before = database_state()
    page = post_commit(client, token)
    assert page.redirect_chain[-1][0].endswith("/import/")
    assert "该导入预览已过期（上传已超过 24 小时），已被清除" in page.content.decode()
    assert database_state() == before
    assert not ImportPreview.objects.filter(token=token).exists()


def test_expired_previews_are_purged_at_upload_and_by_command(
    client, clerk_bazhou, code
):
    yesterday = timezone.now() - previews.PREVIEW_TTL - dt.timedelta(minutes=1)

    def old_preview() -> ImportPreview:
        return previews.import_preview_create(
            file=io.BytesIO(b"PK\x03\x04 old"), uploaded_by=clerk_bazhou, now=yesterday
        )

    first = old_preview()
    client.force_login(clerk_bazhou)
    _, token = upload(client, edited(client, code, "新上传"))
    assert list(ImportPreview.objects.values_list("token", flat=True)) == [token]
    assert first.token != token

    old_preview()
    out = StringIO()
    call_command("purge_import_previews", stdout=out)
    assert "已删除过期的导入预览 1 个" in out.getvalue()
    assert list(ImportPreview.objects.values_list("token", flat=True)) == [token]


def test_another_users_token_is_refused(client, clerk_bazhou, clerk_education, code):
    client.force_login(clerk_bazhou)
    _, token = upload(client, edited(client, code, "别人的预览"))
    client.force_login(clerk_education)
    before = database_state()
    for response in (
        client.get(
            reverse("admin:projects_yearrecord_import_preview", args=[token]),
            follow=True,
        ),
        post_commit(client, token),
    ):
        assert response.redirect_chain[-1][0].endswith("/import/")
        assert "找不到该导入预览" in response.content.decode()
    assert database_state() == before
    # Still there for its uploader, who may confirm it.
    assert ImportPreview.objects.filter(token=token).exists()
    client.force_login(clerk_bazhou)
    assert commit(client, token).status_code == 302
    assert (
        YearRecord.objects.get(project__code=code, year=YEAR).progress == "别人的预览"
    )


def test_unknown_token_is_refused(client, clerk_bazhou):
    client.force_login(clerk_bazhou)
    page = post_commit(client, "x" * 32)
    assert "找不到该导入预览" in page.content.decode()
