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
