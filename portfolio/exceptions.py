"""Exceptions every app shares: the review and phase tables refuse, a write is stale.

They live in the ground layer so that the API's error handler and every app's
services can raise and answer them without importing one another.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class TransitionNotAllowed(Exception):
    """The record's state (or the project's phase) does not allow this change."""

    def __init__(self, message: str, *, state: str, allowed: list[str]):
        super().__init__(message)
        self.message = message
        self.state = state
        self.allowed = allowed


class StaleWrite(Exception):
    """The object changed since the writer read it (optimistic locking)."""

    def __init__(self, *, current_version: int):
        super().__init__(
            str(_("该记录已被他人修改（当前版本 %(v)s），请刷新后重新填写。"))
            % {"v": current_version}
        )
        self.current_version = current_version
