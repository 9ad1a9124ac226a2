"""Shared pieces of the OpenAPI description: error responses and examples."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

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
    400: INVALID,
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
    description=_('读取时得到的 ETag（如 "3"）；对象已被修改时返回 412。'),
)
FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    enum=["json", "csv", "xlsx"],
    description=_(
        "csv 或 xlsx：导出整个筛选结果（不分页），表头为中文。"
        "也可用 Accept 头（text/csv 或 xlsx 的 MIME 类型）。"
    ),
)


def list_responses(serializer) -> dict:
    """A paginated JSON list, or the whole filtered list as CSV or XLSX."""
    return {
        (200, "application/json"): serializer,
        (200, CSVRenderer.media_type): OpenApiResponse(
            OpenApiTypes.STR, description=_("整个筛选结果的 CSV（UTF-8，带 BOM）")
        ),
        (200, XLSXRenderer.media_type): OpenApiResponse(
            OpenApiTypes.BINARY, description=_("整个筛选结果的 Excel 工作簿")
        ),
        **{(code, "application/json"): body for code, body in LIST_ERRORS.items()},
    }


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <token>`` in the schema and in Swagger UI."""

    target_class = "portfolio.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                "外部系统的令牌，格式：Token <令牌>（由 create_api_client "
                "或管理后台签发）。"
            ),
        }
