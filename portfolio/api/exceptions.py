"""Every error of the API as JSON: ``{"detail", "code", ...}``.

``errors`` names each invalid field with its messages (400); a refused workflow
action (409) says the record's ``state`` and its ``allowed_actions``; a stale
write (412) gives the ``current_version``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from portfolio.exceptions import StaleWrite, TransitionNotAllowed
from portfolio.middleware import UNAVAILABLE, database_unavailable_response

from .renderers import ORJSONRenderer

NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "transition_not_allowed"

    def __init__(self, message: str, *, state: str, allowed: list[str]):
        super().__init__(message)
        self.state = state
        self.allowed = allowed


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, message: str, *, current_version: int | None):
        super().__init__(message)
        self.current_version = current_version


class BadRequest(exceptions.APIException):
    """A request the server will not read: too large, too many fields, a bad
    host. Django raises these as ``SuspiciousOperation``; here they are JSON."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = _("请求无效。")


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    return str(_("请求体过大：上限为 %(mb)s MB。")) % {"mb": f"{limit:g}"}


def bad_request_of(exc: SuspiciousOperation) -> BadRequest:
    if isinstance(exc, RequestDataTooBig):
        return BadRequest(too_large_message(), code="request_too_large")
    return BadRequest()


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{field: [message, ...]}``; nested errors become ``field.index``."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            for field, messages in _flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list | tuple):
                for field, messages in _flatten(value, f"{prefix}.{index}").items():
                    out.setdefault(field, []).extend(messages)
            else:
                out.setdefault(prefix or NON_FIELD, []).append(str(value))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(errors))
    return out


def _django_validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in exc.messages]}


def _summary(errors: dict[str, list[str]]) -> str:
    parts = []
    for field, messages in errors.items():
        text = "".join(messages).rstrip(gettext("。"))
        parts.append(
            text
            if field == NON_FIELD
            else gettext("%(field)s：%(text)s") % {"field": field, "text": text}
        )
    return str(_("请求数据有误：")) + gettext("；").join(parts) + gettext("。")


def validation_body(errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"detail": _summary(errors), "code": "invalid", "errors": errors}


def api_exception_handler(exc, context):
    """DRF's handler, extended to the services' exceptions and one JSON shape."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_errors(exc))
    elif isinstance(exc, TransitionNotAllowed):
        exc = Conflict(exc.message, state=exc.state, allowed=exc.allowed)
    elif isinstance(exc, StaleWrite):
        exc = PreconditionFailed(str(exc), current_version=exc.current_version)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if str(exc) else None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, SuspiciousOperation):
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE, read by the parser in the view.
        exc = bad_request_of(exc)

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = validation_body(_flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, dict | list):
            flat = _flatten(detail)
            detail = gettext("；").join("".join(m) for m in flat.values())
        body = {"detail": str(detail), "code": _code_of(exc)}
        if isinstance(exc, Conflict):
            body["state"] = exc.state
            body["allowed_actions"] = exc.allowed
        elif isinstance(exc, PreconditionFailed):
            body["current_version"] = exc.current_version
        elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait + 0.999)
    response.data = body
    request = context.get("request")
    if request is not None:
        # Errors are JSON even when the caller asked for CSV or XLSX.
        request.accepted_renderer = ORJSONRenderer()
        request.accepted_media_type = ORJSONRenderer.media_type
    return response


def _code_of(exc) -> str:
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(codes, str):
        return codes
    return getattr(exc, "default_code", "error")


def json_error(request, status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code},
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


@csrf_exempt
def api_not_found(request, exception=None, **kwargs) -> HttpResponse:
    """404 for an address under /api/ that matches no resource.

    Routed for every such address (``config/urls.py``), so Django's own pages
    (its HTML 404, DEBUG's technical page, APPEND_SLASH's redirect or its
    DEBUG error for a PATCH) never answer under /api/. A GET or HEAD without
    its final slash is redirected as APPEND_SLASH would, when the address with
    the slash is a resource; any other method gets the 404 (a redirect would
    lose its body).

    Exempt from CSRF: it changes nothing, and a PATCH with a cookie to an unknown
    address must get this JSON 404, not the CSRF middleware's HTML 403.
    """
    path = request.path_info
    if request.method in ("GET", "HEAD") and not path.endswith("/"):
        try:
            match = resolve(path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(
                request.get_full_path(force_append_slash=True)
            )
    return json_error(request, 404, str(_("未找到该地址。")), "not_found")


def handler400(request, exception=None):
    """JSON under /api/ (a body too large, a bad Host), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        error = (
            bad_request_of(exception)
            if isinstance(exception, SuspiciousOperation)
            else BadRequest()
        )
        return json_error(request, 400, str(error.detail), _code_of(error))
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    """JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        detail = str(exception) if exception and str(exception) else None
        error = exceptions.PermissionDenied(detail)
        return json_error(request, 403, str(error.detail), "permission_denied")
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    """JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    # Called while the exception is being handled: a database that cannot be
    # reached outside a view (a middleware's query) is a 503 as well.
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        return database_unavailable_response(request)
    if request.path.startswith("/api/"):
        return json_error(
            request, 500, str(_("服务器内部错误，请稍后重试。")), "server_error"
        )
    return defaults.server_error(request)
