"""What the Excel import keeps between its preview and its commit.

The upload is kept in the database, not on the server's disk: behind a load
balancer the commit may reach another server than the preview did.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def preview_token() -> str:
    """A token nobody can guess: 32 URL-safe characters (192 random bits)."""
    return secrets.token_urlsafe(24)


class ImportPreview(models.Model):
    """An uploaded template waiting for its uploader to confirm the import.

    The file's bytes are kept, not the rows parsed from them: the commit runs the
    very same checks as the preview (template shape, cells, versions, review
    states, scope) against the database as it is at the moment of the commit,
    and the cells' types and number formats those checks read are in the file
    only. An upload is at most 5 MB and lives a day at most.
    """

    token = models.CharField(
        _("令牌"), max_length=64, unique=True, default=preview_token, editable=False
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    filename = models.CharField(_("文件名"), max_length=120, blank=True)
    content = models.BinaryField(_("文件内容"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)

    class Meta:
        verbose_name = _("导入预览")
        verbose_name_plural = _("导入预览")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("%(name)s（%(user)s）") % {
            "name": self.filename or self.token,
            "user": self.uploaded_by,
        }
