"""Shared pieces of the OpenAPI description: error responses and examples,
headers, the exports' operations, the authentication schemes, the typing of the
filters, and the hook that finishes the schema (``postprocess``).

The schema is what integrators generate clients from (openapi-python-client and
the like): tags and operation ids are ASCII (the Chinese is in descriptions),
every query parameter has its real type, null is a type (OpenAPI 3.1), each
response has one media type, and the headers a client reads (``ETag``,
``Retry-After``, ``RateLimit-*``) are declared.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from .renderers import CSVRenderer, XLSXRenderer
from .serializers import ErrorSerializer


def error(description: str, *examples: OpenApiExample) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer, description=description, examples=list(examples)
    )


UNAUTHENTICATED = error(
    _("未提供或无效的凭据。"),
    OpenApiExample(
        _("未登录"),
        value={"detail": _("身份认证信息未提供。"), "code": "not_authenticated"},
    ),
)
FORBIDDEN = error(
    _("凭据或角色不允许该操作（如只读令牌写入）。"),
    OpenApiExample(
        _("只读令牌"),
        value={
            "detail": _("该凭据为只读（read），只能读取数据，不能修改或执行审核操作。"),
            "code": "permission_denied",
        },
    ),
)
NOT_FOUND = error(
    _("不存在，或不在调用者的负责范围内。"),
    OpenApiExample(_("未找到"), value={"detail": _("未找到。"), "code": "not_found"}),
)
INVALID = error(
    _("请求数据有误；errors 列出每个出错字段。"),
    OpenApiExample(
        _("负数投资"),
        value={
            "detail": _("请求数据有误：actual_investment：请确保该值大于或等于 0。"),
            "code": "invalid",
            "errors": {"actual_investment": [_("请确保该值大于或等于 0。")]},
        },
    ),
)
BAD_QUERY = error(
    _("查询参数有误；errors 列出每个出错的参数。"),
    OpenApiExample(
        _("未知的县区编码"),
        value={
            "detail": _("请求数据有误：district：未知的县区编码：nowhere。"),
            "code": "invalid",
            "errors": {"district": [_("未知的县区编码：nowhere")]},
        },
    ),
)
CONFLICT = error(
    _("当前状态不允许该操作；给出当前状态和允许的操作。"),
    OpenApiExample(
        _("已审核的记录不能提交"),
        value={
            "detail": (
                _("年度记录当前状态为“已审核”，不能“提交”；可执行的操作：重新打开。")
            ),
            "code": "transition_not_allowed",
            "state": "approved",
            "allowed_actions": ["reopen"],
        },
    ),
)
STALE = error(
    _("If-Match 与对象当前版本不符：对象已被他人修改。"),
    OpenApiExample(
        _("版本冲突"),
        value={
            "detail": _("该记录已被他人修改（当前版本 4），请刷新后重新填写。"),
            "code": "precondition_failed",
            "current_version": 4,
        },
    ),
)
THROTTLED = error(
    _("请求过于频繁。"),
    OpenApiExample(
        _("限流"),
        value={
            "detail": _("请求超过了限速。 Expected available in 12 seconds."),
            "code": "throttled",
            "retry_after": 12,
        },
    ),
)

PAGE_NOT_FOUND = error(
    _("页码不存在（page 小于 1 或超过最后一页）。"),
    OpenApiExample(
        _("无效页码"), value={"detail": _("无效页面。"), "code": "not_found"}
    ),
)

READ_ERRORS = {401: UNAUTHENTICATED, 404: NOT_FOUND, 429: THROTTLED}
LIST_ERRORS = {
    400: BAD_QUERY,
    401: UNAUTHENTICATED,
    404: PAGE_NOT_FOUND,
    429: THROTTLED,
}
WRITE_ERRORS = {
    400: INVALID,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
    412: STALE,
    429: THROTTLED,
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=_(
        '读取时得到的 ETag（如 "3-5f2c…"，或只写版本号 "3"）；对象已被修改时返回 412。'
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=_("上次读取时得到的 ETag；内容未变时返回 304（无响应体）。"),
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    response=[200, 304],
    description=_(
        '对象的版本及内容摘要，如 "3-5f2c…"：修改时放入 If-Match，'
        "再次读取时放入 If-None-Match。"
    ),
)
NOT_MODIFIED = OpenApiResponse(
    description=_("内容自 If-None-Match 所给的 ETag 以来未变（无响应体）。")
)


def list_responses(serializer) -> dict:
    """A paginated JSON list (its exports are operations of their own).

    Each response names its one media type: the list also answers CSV and XLSX
    (``?format=``), which the schema would otherwise offer on every status.
    """
    responses = {200: serializer, **LIST_ERRORS}
    return {(code, "application/json"): body for code, body in responses.items()}


def export_schemas(
    *,
    tag: str,
    name: str,
    noun: str,
    parameters: tuple[OpenApiParameter, ...] = (),
    errors: dict[int, OpenApiResponse] | None = None,
) -> dict[str, Any]:
    """The two export operations of a list, for ``extend_schema_view``.

    ``name`` makes the operation ids (``projects_export_csv``); ``noun`` is the
    resource in the words of the summary; ``parameters`` and ``errors`` are
    what the list has beyond its filters and the usual errors.
    """
    errors = {
        **{code: body for code, body in LIST_ERRORS.items() if code != 404},
        **(errors or {}),
    }
    formats = {
        "export_csv": (
            "csv",
            CSVRenderer.media_type,
            {"type": "string"},
            _("整个筛选结果的 CSV（UTF-8，带 BOM，表头为中文）"),
        ),
        "export_xlsx": (
            "xlsx",
            XLSXRenderer.media_type,
            {"type": "string", "format": "binary"},
            _("整个筛选结果的 Excel 工作簿（表头为中文）"),
        ),
    }
    return {
        action: extend_schema(
            operation_id=f"{name}_{action}",
            tags=[tag],
            summary=_("导出%(noun)s（%(format)s）") % {"noun": noun, "format": fmt},
            description=_(
                "与列表相同的筛选条件，导出整个筛选结果（不分页）。"
                "列表加 ?format=%(format)s 效果相同。"
            )
            % {"format": fmt},
            filters=True,
            parameters=list(parameters),
            responses={
                (200, media_type): OpenApiResponse(body, description=description),
                **{(code, "application/json"): e for code, e in errors.items()},
            },
        )
        for action, (fmt, media_type, body, description) in formats.items()
    }


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token of an external system, as ``Bearer`` or as ``Token``.

    Two schemes, either of which will do: an HTTP bearer scheme (what client
    generators send by default) and the ``Authorization: Token <token>`` header
    of the contract.
    """

    target_class = "portfolio.authentication.ApiTokenAuthentication"
    name = ["bearerAuth", "tokenAuth"]

    def get_security_requirement(self, auto_schema):
        return [{"bearerAuth": []}, {"tokenAuth": []}]

    def get_security_definition(self, auto_schema):
        issued = _("由 create_api_client 或管理后台签发")
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": _("外部系统的令牌：Authorization: Bearer <令牌>（%s）。")
                % issued,
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": _("外部系统的令牌：Authorization: Token <令牌>（%s）。")
                % issued,
            },
        ]


# --- Responses every operation can give (a postprocessing hook) ---------------

HTTP_METHODS = ("get", "put", "patch", "post", "delete", "head", "options")
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


def bad_request() -> dict:
    """The 400 every operation documents (built per schema, in the active language)."""
    return {
        "description": gettext(
            "请求无效：请求体过大（超过 2.5 MB）、JSON 格式错误或嵌套过深、"
            "地址或参数含有空字符（NUL）。"
        ),
        "content": {
            "application/json": {
                "schema": ERROR_SCHEMA,
                "examples": {
                    "NUL": {
                        "value": {
                            "detail": gettext("请求地址不能含有空字符（NUL）。"),
                            "code": "invalid",
                        }
                    },
                    gettext("过大"): {
                        "value": {
                            "detail": gettext("请求体过大：上限为 2.5 MB。"),
                            "code": "request_too_large",
                        }
                    },
                },
            }
        },
    }


def unavailable() -> dict:
    """The 503 every operation documents."""
    return {
        "description": gettext(
            "数据库暂时不可用（重启、故障切换、连接数已满，或内置 SQLite "
            "正被另一进程长时间写入）：请求未生效，请按 Retry-After 秒后重试。"
        ),
        "headers": {
            "Retry-After": {
                "description": gettext("建议重试前等待的秒数。"),
                "required": True,
                "schema": {"type": "integer"},
            }
        },
        "content": {
            "application/json": {
                "schema": ERROR_SCHEMA,
                "examples": {
                    gettext("数据库不可用"): {
                        "value": {
                            "detail": gettext("数据库暂时不可用，请稍后重试。"),
                            "code": "service_unavailable",
                            "retry_after": 5,
                        }
                    }
                },
            }
        },
    }


def error_responses(result, generator, request, public):
    """Every operation documents 400 and 503, which any request can meet.

    400: a request refused before any view (a NUL byte in the address or a
    parameter, ``portfolio.middleware.NulByteMiddleware``) or by the parser (a
    body too large or too deeply nested). 503: the database cannot be reached
    (``portfolio.middleware.DatabaseUnavailableMiddleware``), with Retry-After.
    Operations that already describe their 400 keep their own description.
    """
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", bad_request())
            responses.setdefault("503", unavailable())
    return result


class PortfolioFilterExtension(DjangoFilterExtension):
    """django-filter's parameters, typed by our filter classes.

    A filter's ``openapi`` attribute (portfolio.filtersets) replaces the guessed
    schema (codes: arrays of strings; years: integers); arrays are sent as
    repeated parameters (``?district=a&district=b``; ``a,b`` works too); a
    filter kept under an older name (``replaced_by``) is marked deprecated.
    """

    priority = 1

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        openapi = getattr(filter_field, "openapi", None)
        replaced_by = getattr(filter_field, "replaced_by", None)
        for parameter in parameters:
            if openapi is not None:
                parameter["schema"] = copy.deepcopy(openapi)
                if filter_field.label and "description" not in parameter:
                    parameter["description"] = str(filter_field.label)
            if openapi is not None or getattr(filter_field, "openapi_explode", False):
                parameter.pop("explode", None)
                parameter.pop("style", None)
            if replaced_by:
                parameter["deprecated"] = True
                parameter["description"] = gettext("已弃用：请改用 %(name)s。") % {
                    "name": replaced_by
                }
        return parameters


TAGS = [
    ("root", _("资源目录：/api/v1/ 列出各资源的地址")),
    ("reference-data", _("参考数据：县区、产业、集聚区、责任单位")),
    ("indicators", _("考核指标及其目标")),
    ("projects", _("重大项目")),
    ("year-records", _("年度记录及其审核流程")),
    ("sync", _("增量同步：删除记录")),
    ("notices", _("提醒与逾期通知")),
    ("dashboard", _("工作台汇总")),
    ("plans", _("规划及其项目表")),
    ("adjustments", _("项目调整（增补、调出、替换、变更）及其审核流程")),
    ("statistics", _("调度统计、赛马排名与规划评估")),
    ("oc4ids", _("开放数据：按 OC4IDS 0.9.5 标准导出的项目数据包")),
]
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _("当前时间窗内允许的请求数"),
    "RateLimit-Remaining": _("当前时间窗内还可发出的请求数"),
    "RateLimit-Reset": _("多少秒后时间窗内最早的一次请求不再计数"),
}


def postprocess(result, generator, request, public):
    """Finish the schema: descriptions and tags, 400 and 503 on every operation,
    OpenAPI 3.1 nulls, headers."""
    result = error_responses(result, generator, request, public)
    result["info"]["description"] = gettext(
        "巴中市“十四五”服务业重大项目调度系统：规划重大项目的读取、增量同步、"
        "年度填报与审核接口（外部系统接口）。使用方法见 docs/api.md。"
    )
    used = {
        tag
        for operations in result["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    result["tags"] = [
        {"name": name, "description": str(description)}
        for name, description in TAGS
        if name in used
    ]
    for operations in result["paths"].values():
        for operation in operations.values():
            _finish_operation(operation)
    return _null_as_type(result)


def _finish_operation(operation: dict) -> None:
    # ``?format=`` still works on lists (the contract), but it is not offered:
    # a generated client would parse CSV as JSON. Exports have their operations.
    operation["parameters"] = [
        parameter
        for parameter in operation.get("parameters", [])
        if not (parameter["in"] == "query" and parameter["name"] == "format")
    ]
    if not operation["parameters"]:
        del operation["parameters"]
    for parameter in operation.get("parameters", []):
        _drop_titles(parameter.get("schema", {}))
        # A query parameter is there or not: it is never null.
        parameter.get("schema", {}).pop("nullable", None)
    for code, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        if code != "401":
            for name, description in RATE_LIMIT_HEADERS.items():
                headers[name] = {
                    "schema": {"type": "integer"},
                    "description": str(description),
                }
        if code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "required": True,
                "description": gettext("多少秒后可以再试"),
            }
        if not headers:
            del response["headers"]


def _drop_titles(schema: dict) -> None:
    """Titles of parameters (the filters' Chinese labels) would name the
    generated enum classes; their words are in the description already."""
    schema.pop("title", None)
    if isinstance(schema.get("items"), dict):
        _drop_titles(schema["items"])


def _null_as_type(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` (left by DRF and drf-spectacular in places)
    as 3.1 says it: ``null`` among the types."""
    if isinstance(node, list):
        return [_null_as_type(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _null_as_type(value) for key, value in node.items()}
    if not node.pop("nullable", False):
        return node
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return node
    if isinstance(kind, list):
        if "null" not in kind:
            node["type"] = [*kind, "null"]
        return node
    return {"oneOf": [node, {"type": "null"}]}
