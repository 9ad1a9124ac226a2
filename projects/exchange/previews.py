"""Previews of an Excel import, kept in the database between preview and commit.

Any server can show or commit a preview: the upload is a row of ``ImportPreview``,
not a file in one server's temp directory. A preview belongs to its uploader:
another person's token is answered as an unknown one (it does not even say that
the token exists). It lives ``PREVIEW_TTL``; an expired preview is refused with
its own message and deleted when it is read, at every new upload, and by
``python manage.py purge_import_previews``.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.exchange.importing import ImportResult, year_records_import
from projects.exchange.models import ImportPreview

# As long as a clerk may reasonably leave a preview open before confirming it.
PREVIEW_TTL = dt.timedelta(hours=24)

GONE = _("找不到该导入预览：它已经导入、已被清除，或不是您上传的。请重新上传文件。")
EXPIRED = _("该导入预览已过期（上传已超过 24 小时），已被清除；请重新上传文件。")


class PreviewUnavailable(Exception):
    """The preview cannot be used; ``message`` tells the user why, in Chinese."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@transaction.atomic
def import_preview_create(
    *,
    file: IO[bytes],
    uploaded_by: AbstractBaseUser,
    filename: str = "",
    now: dt.datetime | None = None,
) -> ImportPreview:
    """Keep an upload (already through ``file_check``) for its preview and commit.

    Expired previews of anyone are purged first, so the table never holds more
    than a day of uploads even when nobody runs the purge command.
    """
    now = now or timezone.now()
    import_previews_purge(now=now)
    file.seek(0)
    content = file.read()
    file.seek(0)
    preview = ImportPreview(
        uploaded_by=uploaded_by,
        filename=filename[:120],
        content=content,
        expires_at=now + PREVIEW_TTL,
    )
    preview.full_clean()
    preview.save()
    return preview


def import_preview_get(
    *, token: str, user: AbstractBaseUser, now: dt.datetime | None = None
) -> ImportPreview:
    """The user's own preview under ``token``; raises ``PreviewUnavailable``.

    An expired preview is deleted as it is refused (autocommit: the deletion
    stands although the call raises).
    """
    preview = ImportPreview.objects.filter(token=token, uploaded_by=user.pk).first()
    if preview is None:
        raise PreviewUnavailable(GONE)
    if preview.expires_at <= (now or timezone.now()):
        preview.delete()
        raise PreviewUnavailable(EXPIRED)
    return preview


@transaction.atomic
def import_preview_run(
    *, preview: ImportPreview, actor: AbstractBaseUser, commit: bool
) -> ImportResult:
    """Import the kept file: a preview (rolled back) or, with ``commit``, for real.

    A commit locks the preview's row and deletes it with the import, in one
    transaction: two confirmations of one preview (a double click, two servers)
    import once, and the second is told the preview is gone. Raises
    ``ImportRefused`` for a file that cannot be read as the template.
    """
    if commit:
        preview = (
            ImportPreview.objects.select_for_update().filter(pk=preview.pk).first()
        )
        if preview is None:
            raise PreviewUnavailable(GONE)
    result = year_records_import(
        file=io.BytesIO(bytes(preview.content)),
        actor=actor,
        commit=commit,
        filename=preview.filename,
    )
    if result.committed:
        preview.delete()
    return result


def import_previews_purge(*, now: dt.datetime | None = None) -> int:
    """Delete every expired preview; return how many there were."""
    deleted, _by_model = ImportPreview.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
