"""Attachments: checked by content, stored through the storage API, scoped."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from portfolio.models import AuditEntry
from projects.dossier.attachments import (
    attachment_add,
    attachment_check,
    attachment_delete,
)
from projects.dossier.choices import AttachmentKind
from projects.dossier.models import Attachment
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root):
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _dirs, files in os.walk(root)
        for f in files
    )


def png_bytes(size=(64, 48), noise=False):
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(out, format="JPEG")
    return out.getvalue()


def image_bytes(fmt):
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 200)).save(out, format=fmt)
    return out.getvalue()


def xlsx_bytes():
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def docx_bytes(macro=False):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 10)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The first bytes of a Windows executable and of a Linux one.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def project(db):
    return ProjectFactory()


def add(project, actor, name, content, kind=AttachmentKind.PHOTO, **kwargs):
    return attachment_add(
        project=project,
        actor=actor,
        upload=upload(name, content, **kwargs),
        kind=kind,
        title="现场照片",
    )


def test_photo_is_stored_with_thumbnail_and_history(project, clerk_bazhou, media):
    # The browser's content type is ignored: the bytes say PNG.
    attachment = add(
        project, clerk_bazhou, "工地.png", png_bytes(), content_type="text/html"
    )
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "工地.png"
    assert attachment.file.name.startswith(f"dossier/{project.code}/")
    assert attachment.file.name.endswith(".png")
    assert "工地" not in attachment.file.name  # stored under a random name
    assert attachment.thumbnail.name.endswith("_thumb.jpg")
    assert len(stored_files(media)) == 2
    entry = AuditEntry.objects.get(
        content_type__model="attachment", object_id=str(attachment.pk)
    )
    assert entry.changes["file"] == [None, "工地.png"]


@pytest.mark.parametrize(
    ("name", "content", "kind", "mime"),
    [
        ("批复.pdf", PDF, AttachmentKind.APPROVAL, "application/pdf"),
        (
            "验收.docx",
            docx_bytes(),
            AttachmentKind.ACCEPTANCE,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("照片.JPEG", jpeg_bytes(), AttachmentKind.PHOTO, "image/jpeg"),
        ("扫描件.jpg", jpeg_bytes(), AttachmentKind.APPROVAL, "image/jpeg"),
        ("动图.gif", image_bytes("GIF"), AttachmentKind.PHOTO, "image/gif"),
        ("照片.webp", image_bytes("WEBP"), AttachmentKind.PHOTO, "image/webp"),
        (
            "投资台账.xlsx",
            xlsx_bytes(),
            AttachmentKind.OTHER,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_allowed_files_are_accepted(project, clerk_bazhou, name, content, kind, mime):
    attachment = add(project, clerk_bazhou, name, content, kind=kind)
    assert attachment.content_type == mime


REFUSED = [
    pytest.param(
        "现场.pdf", png_bytes(), "后缀“.pdf”与文件内容（PNG）不符", id="png-as-pdf"
    ),
    pytest.param("照片.jpg", EXE, "文件内容不是允许的类型", id="exe-as-jpg"),
    pytest.param("照片.jpg", ELF, "文件内容不是允许的类型", id="elf-as-jpg"),
    pytest.param("宏.docx", docx_bytes(macro=True), "不是允许的类型", id="macro-docx"),
    pytest.param(
        "照片.png",
        b"\x89PNG\r\n\x1a\n" + b"junk" * 20,
        "不是允许的类型",
        id="broken-png",
    ),
    pytest.param("批复.pdf", PDF, "现场照片须为图片", id="pdf-as-photo"),
    pytest.param("空.png", b"", "文件为空", id="empty"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED)
def test_refused_by_content(project, clerk_bazhou, media, name, content, message):
    with pytest.raises(ValidationError) as caught:
        add(project, clerk_bazhou, name, content)
    assert message in caught.value.message_dict["file"][0]
    assert stored_files(media) == []
    assert not Attachment.objects.filter(project=project).exists()


def test_file_over_the_limit_is_refused(project, clerk_bazhou, settings, media):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 10_000
    big = png_bytes((80, 80), noise=True)
    assert len(big) > 10_000
    with pytest.raises(ValidationError) as caught:
        add(project, clerk_bazhou, "大图.png", big)
    assert "超过大小上限" in caught.value.message_dict["file"][0]
    assert stored_files(media) == []


def test_declared_size_is_not_trusted(settings):
    settings.PROJECTS_ATTACHMENT_MAX_BYTES = 10_000
    big = upload("大图.png", png_bytes((80, 80), noise=True))
    big.size = 10  # a lying client
    with pytest.raises(ValidationError):
        attachment_check(big, AttachmentKind.PHOTO)


def test_only_the_projects_clerks_attach(project, clerk_education, supervisor):
    for actor in (clerk_education, supervisor):
        with pytest.raises(PermissionDenied):
            add(project, actor, "照片.png", png_bytes())


def file_url(attachment, thumb=False):
    name = "thumbnail" if thumb else "file"
    return reverse(f"admin:dossier_attachment_{name}", args=[attachment.pk])


def test_served_within_scope_only(client, project, clerk_bazhou, clerk_education):
    content = png_bytes()
    attachment = add(project, clerk_bazhou, "工地.png", content)

    client.force_login(clerk_bazhou)
    response = client.get(file_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    thumb = client.get(file_url(attachment, thumb=True))
    assert thumb["Content-Type"] == "image/jpeg"

    # A clerk of another department: refused without revealing the file.
    client.force_login(clerk_education)
    for url in (file_url(attachment), file_url(attachment, thumb=True)):
        refused = client.get(url)
        assert refused.status_code == 404
        assert content not in refused.content

    # Anonymous: sent to the login page.
    client.logout()
    assert client.get(file_url(attachment)).status_code == 302


def test_documents_are_downloaded_not_rendered(client, project, clerk_bazhou):
    attachment = add(
        project, clerk_bazhou, "批复.pdf", PDF, kind=AttachmentKind.APPROVAL
    )
    client.force_login(clerk_bazhou)
    response = client.get(file_url(attachment))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")


def test_media_url_is_not_routed(client, project, clerk_bazhou, settings):
    attachment = add(project, clerk_bazhou, "工地.png", png_bytes())
    client.force_login(clerk_bazhou)
    assert client.get(settings.MEDIA_URL + attachment.file.name).status_code == 404


def test_delete_removes_the_files_after_commit(
    project, clerk_bazhou, media, django_capture_on_commit_callbacks
):
    attachment = add(project, clerk_bazhou, "工地.png", png_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(attachment=attachment, actor=clerk_bazhou, reason="传错")
    assert stored_files(media) == []
    assert AuditEntry.objects.filter(
        content_type__model="attachment", object_id=str(attachment.pk), reason="传错"
    ).exists()


def test_upload_through_the_admin(client, project, clerk_bazhou, media):
    client.force_login(clerk_bazhou)
    url = reverse("admin:dossier_attachment_add")
    refused = client.post(
        url,
        {
            "project": project.pk,
            "kind": AttachmentKind.PHOTO,
            "title": "伪装的程序",
            "upload": upload("照片.jpg", EXE, content_type="image/jpeg"),
        },
    )
    assert refused.status_code == 200
    assert "文件内容不是允许的类型" in refused.content.decode()
    accepted = client.post(
        url,
        {
            "project": project.pk,
            "kind": AttachmentKind.PHOTO,
            "title": "主体封顶",
            "upload": upload("封顶.png", png_bytes()),
        },
    )
    assert accepted.status_code == 302
    attachment = Attachment.objects.get(project=project)
    assert attachment.title == "主体封顶"
    listing = client.get(reverse("admin:dossier_attachment_changelist"))
    assert file_url(attachment, thumb=True) in listing.content.decode()
