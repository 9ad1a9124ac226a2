"""A database that cannot be reached answers 503 with Retry-After, not a 500.

When PostgreSQL restarts (or a failover, or the connection limit is reached),
a request fails with ``OperationalError`` or ``InterfaceError``. That is the
server being temporarily unavailable, which clients and load balancers retry;
a 500 says the request itself broke something. Under /api/ the answer is the
API's JSON error shape; elsewhere (the admin) a short plain-text page.

Recovery needs no manual step: Django drops a broken connection at the end of
the request (and ``CONN_HEALTH_CHECKS`` tests a persistent one before reuse), so
the next request connects afresh once the database is back.
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable_response(request) -> HttpResponse:
    message = _("数据库暂时不可用，请稍后重试。")
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": message,
                "code": "service_unavailable",
                "retry_after": RETRY_AFTER_SECONDS,
            },
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            message, status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection in a view into a 503 (see module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, UNAVAILABLE):
            return None
        logger.warning(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            str(exception).strip().splitlines()[0] if str(exception) else "",
        )
        return database_unavailable_response(request)


def _nul_parameter(request) -> str | None:
    """The first query parameter with a NUL byte in its name or value, if any."""
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\\x00")
    return None


class NulByteMiddleware:
    """A NUL byte in the address or a query parameter: 400, before any view.

    PostgreSQL text cannot hold NUL (psycopg refuses the query), so a NUL in a
    key (``/api/v1/clusters/a%00b/``) or a filter (``?recipient=%00``,
    ``?state=x%00`` in the admin) was a 500 wherever a view forgot to check.
    No address or parameter of this system has a use for one. Under /api/ the
    answer is the API's JSON error naming the parameter; elsewhere plain text.
    Bodies are checked where they are read (forms and serializers refuse NUL).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return _bad_request(request, _("请求地址不能含有空字符（NUL）。"))
        name = _nul_parameter(request)
        if name is not None:
            message = _("参数不能含有空字符（NUL）。")
            return _bad_request(request, message, field=name)
        return self.get_response(request)


def _bad_request(request, message: str, field: str | None = None) -> HttpResponse:
    if not request.path.startswith("/api/"):
        text = f"{field}: {message}" if field else message
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    body = {"detail": message, "code": "invalid"}
    if field is not None:
        body["detail"] = _("请求数据有误：%(field)s：%(message)s") % {
            "field": field,
            "message": message,
        }
        body["errors"] = {field: [message]}
    return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})


class RateLimitHeadersMiddleware:
    """``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` on every API response
    that passed the throttles (portfolio.api.throttling), 429s included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        figures = getattr(request, "rate_limit", None)
        if figures is not None:
            response["RateLimit-Limit"] = str(figures.limit)
            response["RateLimit-Remaining"] = str(figures.remaining)
            response["RateLimit-Reset"] = str(figures.reset)
        return response
