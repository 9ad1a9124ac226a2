"""Renderers: JSON through orjson; CSV and XLSX for the exports of every list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def _default(value):
    if isinstance(value, Decimal | Promise):
        return str(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class ORJSONRenderer(BaseRenderer):
    """``application/json``, UTF-8, Chinese unescaped; several times faster."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default)


class CSVRenderer(BaseRenderer):
    """Chosen by ``?format=csv`` or ``Accept: text/csv``; lists only (see export)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Lists answer CSV themselves (streamed); anything else here is an error
        # body that the exception handler already switched to JSON.
        return orjson.dumps(data, default=_default)


class XLSXRenderer(BaseRenderer):
    """Chosen by ``?format=xlsx`` or the spreadsheet ``Accept`` type."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return orjson.dumps(data, default=_default)


EXPORT_RENDERERS = (CSVRenderer, XLSXRenderer)
