"""Photos and documents of projects and progress updates.

Files go through Django's storage API (local files by default, any S3-style
store by ``STORAGES["default"]``). What a file *is* is decided by its content
(magic bytes, the zip's table of contents, Pillow for images), never by its name
or the browser's content type; a name whose extension disagrees with the content
is refused too, so that a PNG called ``.pdf`` cannot reach anyone as a PDF.
Files are served only by ``attachment_response``, which checks the project's
scope: MEDIA_URL is never routed.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from portfolio.authorization import person_of
from portfolio.choices import AuditAction, Role
from portfolio.selectors import user_scope
from portfolio.services import Actor, audit_log
from projects.dossier.choices import AttachmentKind
from projects.dossier.models import Attachment, ProgressUpdate
from projects.models import Project
from projects.services import _authorize

THUMBNAIL_SIZE = (320, 320)


@dataclass(frozen=True)
class FileType:
    mime: str
    extensions: tuple[str, ...]
    label: str
    pillow_format: str = ""

    @property
    def is_image(self) -> bool:
        return bool(self.pillow_format)


PNG = FileType("image/png", (".png",), "PNG", "PNG")
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG", "JPEG")
GIF = FileType("image/gif", (".gif",), "GIF", "GIF")
WEBP = FileType("image/webp", (".webp",), "WebP", "WEBP")
PDF = FileType("application/pdf", (".pdf",), "PDF")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
    _("Word（DOCX）"),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
    _("Excel（XLSX）"),
)
ALLOWED_TYPES = (PNG, JPEG, GIF, WEBP, PDF, DOCX, XLSX)


def _allowed_text() -> str:
    return str(_("、")).join(str(t.label) for t in ALLOWED_TYPES)


# Lazy: translated when a message is rendered, not at import.
ALLOWED_TEXT = lazy(_allowed_text, str)()


def _sniff_zip(fileobj) -> FileType | None:
    """An Office Open XML document, told apart by its parts; macros refused."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None  # macro-enabled (docm/xlsm) under another name
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def sniff(fileobj) -> FileType | None:
    """The allowed type of ``fileobj`` judged from its bytes, or None.

    Reads from the start and leaves the file at the start again. Raises
    ``ValidationError`` for an image over the pixel cap (``image_pixels_check``).
    """
    fileobj.seek(0)
    head = fileobj.read(16)
    fileobj.seek(0)
    found: FileType | None = None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        found = GIF
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        found = WEBP
    elif head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"PK\x03\x04"):
        found = _sniff_zip(fileobj)
        fileobj.seek(0)
    if found is not None and found.is_image and not _image_is_sound(fileobj, found):
        found = None
    return found


def _too_many_pixels(size: tuple[int, int] | None = None) -> ValidationError:
    limit = settings.PORTFOLIO_IMAGE_MAX_PIXELS
    message = _(
        "图片像素过多（上限 %(limit)s 万像素），可能是异常文件，已拒绝；"
        "请缩小尺寸后重新上传。"
    ) % {"limit": f"{limit / 10_000:g}"}
    if size is not None:
        message += _("（本图 %(width)s×%(height)s 像素）") % {
            "width": size[0],
            "height": size[1],
        }
    return ValidationError({"file": message})


def _image_is_sound(fileobj, expected: FileType) -> bool:
    """Pillow agrees on the format and the stream is intact; not decoded.

    ``Image.open`` reads only the header: the width and height are checked
    against ``PORTFOLIO_IMAGE_MAX_PIXELS`` before any pixel is decoded, so a
    small file that would unpack to gigabytes (a decompression bomb) is refused
    at once. ``Image.MAX_IMAGE_PIXELS`` is set to the same cap (``DossierConfig``):
    Pillow itself refuses anything twice as large in ``open``.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:
                if image.format != expected.pillow_format:
                    return False
                width, height = image.size
                if width * height > settings.PORTFOLIO_IMAGE_MAX_PIXELS:
                    raise _too_many_pixels((width, height))
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure means "not an image"
        return False
    finally:
        fileobj.seek(0)
    return True


def _thumbnail(fileobj) -> ContentFile | None:
    """A JPEG of at most ``THUMBNAIL_SIZE``, decoded as small as the format allows.

    ``draft`` lets a JPEG decode at 1/2 to 1/8 scale, and ``thumbnail`` reduces
    in steps (``reducing_gap``) before resampling; the image was checked against
    the pixel cap before. Turning by the EXIF orientation comes last, on the
    small image, not on a full-size copy.
    """
    from PIL import Image, ImageOps

    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            image.draft("RGB", THUMBNAIL_SIZE)
            image.thumbnail(THUMBNAIL_SIZE, reducing_gap=2.0)
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=80)
    except Exception:  # noqa: BLE001 - a photo without thumbnail is still a photo
        return None
    finally:
        fileobj.seek(0)
    return ContentFile(out.getvalue())


def _measure(fileobj, limit: int) -> tuple[int, str]:
    """Size and SHA-256 read from the bytes themselves (not the declared size)."""
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    while chunk := fileobj.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            break
        digest.update(chunk)
    fileobj.seek(0)
    return size, digest.hexdigest()


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        {
            "file": _("文件超过大小上限 %(mb)s MB，请压缩后重新上传。")
            % {"mb": f"{limit / 1024 / 1024:g}"}
        }
    )


def attachment_check(upload: File, kind: str) -> tuple[FileType, int, str]:
    """Check an upload by its content; return (type, size, sha256) or refuse.

    Refused: over ``settings.PROJECTS_ATTACHMENT_MAX_BYTES``; content of no
    allowed type (an executable, a plain zip, a macro document…); an image of
    more than ``settings.PORTFOLIO_IMAGE_MAX_PIXELS`` pixels (judged from its
    header, before decoding); a name whose extension is not the content's; a
    photo that is not an image.
    """
    limit = settings.PROJECTS_ATTACHMENT_MAX_BYTES
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    size, sha256 = _measure(upload, limit)
    if size > limit:
        raise _too_large(limit)
    if size == 0:
        raise ValidationError({"file": _("文件为空。")})
    found = sniff(upload)
    if found is None:
        raise ValidationError(
            {
                "file": _("文件内容不是允许的类型（%(allowed)s），已拒绝。")
                % {"allowed": ALLOWED_TEXT}
            }
        )
    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in found.extensions:
        raise ValidationError(
            {
                "file": _(
                    "文件名后缀“%(ext)s”与文件内容（%(type)s）不符，已拒绝；"
                    "请使用原始文件上传。"
                )
                % {"ext": extension or _("无"), "type": found.label}
            }
        )
    if kind == AttachmentKind.PHOTO and not found.is_image:
        raise ValidationError({"file": _("现场照片须为图片（PNG、JPEG、GIF、WebP）。")})
    return found, size, sha256


@transaction.atomic
def attachment_add(
    *,
    project: Project,
    actor: Actor | None,
    upload: File,
    kind: str,
    title: str = "",
    progress_update: ProgressUpdate | None = None,
) -> Attachment:
    """A clerk attaches a photo or document to a project or one of its updates.

    The file is checked by content, stored under a random name, and (for images)
    given a thumbnail; the history row names the original file.
    """
    _authorize(actor, project, role=Role.CLERK)
    if progress_update is not None and progress_update.year_record.project_id != (
        project.pk
    ):
        raise ValidationError({"progress_update": _("该进度更新不属于本项目。")})
    found, size, sha256 = attachment_check(upload, kind)
    original = os.path.basename(upload.name or "")[:255]
    attachment = Attachment(
        project=project,
        progress_update=progress_update,
        kind=kind,
        title=(title or "").strip(),
        original_name=original,
        content_type=found.mime,
        size=size,
        sha256=sha256,
        uploaded_by=person_of(actor),
    )
    attachment.full_clean(exclude=["file", "thumbnail"])
    stem = uuid.uuid4().hex
    attachment.file.save(f"{stem}{found.extensions[0]}", upload, save=False)
    if found.is_image:
        thumb = _thumbnail(upload)
        if thumb is not None:
            attachment.thumbnail.save(f"{stem}_thumb.jpg", thumb, save=False)
    stored = [attachment.file.name, attachment.thumbnail.name]
    try:
        attachment.save()
        audit_log(
            instance=attachment,
            action=AuditAction.CREATE,
            actor=actor,
            changes={
                "file": [None, original],
                "kind": [None, str(kind)],
                "content_type": [None, found.mime],
                "size": [None, size],
            },
        )
    except Exception:
        # The row did not make it: the files must not stay behind.
        _delete_files(attachment.file.storage, stored)
        raise
    return attachment


def _delete_files(storage, names) -> None:
    for name in names:
        if name:
            storage.delete(name)


@transaction.atomic
def attachment_delete(
    *, attachment: Attachment, actor: Actor | None, reason: str = ""
) -> None:
    """Remove an attachment; its files go once the deletion is committed."""
    attachment = Attachment.objects.select_related("project").get(pk=attachment.pk)
    _authorize(actor, attachment.project, role=Role.CLERK)
    storage = attachment.file.storage
    names = [attachment.file.name, attachment.thumbnail.name]
    audit_log(
        instance=attachment,
        action=AuditAction.DELETE,
        actor=actor,
        changes={"file": [attachment.original_name, None]},
        reason=reason,
    )
    attachment.delete()
    transaction.on_commit(lambda: _delete_files(storage, names))


def attachment_visible_to(user, attachment: Attachment) -> bool:
    return user_scope(user).covers_project(attachment.project)


INLINE_TYPES = frozenset({PNG.mime, JPEG.mime, GIF.mime, WEBP.mime})


def attachment_response(
    request: HttpRequest, attachment_id: int, *, thumbnail: bool = False
) -> FileResponse:
    """Serve an attachment's bytes to a user whose scope covers its project.

    Anyone else gets 404 (not 403): the file's existence is not disclosed.
    Images are shown inline; documents are downloaded, never rendered by the
    browser in the site's origin.
    """
    attachment = (
        Attachment.objects.select_related("project").filter(pk=attachment_id).first()
    )
    if attachment is None or not attachment_visible_to(request.user, attachment):
        raise Http404(_("附件不存在或不在您的负责范围内。"))
    use_thumbnail = thumbnail and bool(attachment.thumbnail)
    field = attachment.thumbnail if use_thumbnail else attachment.file
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("附件文件已丢失。")) from exc
    inline = attachment.content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        content_type="image/jpeg" if use_thumbnail else attachment.content_type,
        as_attachment=not inline,
        filename=attachment.original_name or os.path.basename(field.name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=0, no-store"
    return response
