"""``Authorization: Token <token>`` (or ``Bearer <token>``) for external systems.

Client generators (openapi-python-client and others) send ``Bearer`` by default,
so both keywords are accepted. A header with any other scheme (``Basic`` aside,
which ``BasicAuthentication`` reads) is refused with a 401 that says what is
wrong, rather than read as "no credentials".
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .credentials import api_client_for_token, api_client_touch, refusal_reason
from .models import ApiClient


class ApiClientPrincipal:
    """``request.user`` for a request made with an API client's token.

    It is not a Django user: the API passes the client itself to the services
    (``Access.actor``), a principal with its own role and scope that
    ``portfolio.authorization`` checks by the same rules as a person.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, client: ApiClient):
        self.client = client
        self.username = client.actor_label

    def __str__(self) -> str:
        return self.username

    def get_username(self) -> str:
        return self.username


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Token credentials issued by ``create_api_client`` or the admin."""

    keyword = "Token"
    keywords = (b"token", b"bearer")
    # Schemes that another authentication class of the API reads.
    others = (b"basic",)

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        scheme = header[0].lower()
        if scheme in self.others:
            return None
        if scheme not in self.keywords:
            raise exceptions.AuthenticationFailed(_scheme_refusal(header))
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Authorization 头格式应为“Token <令牌>”或“Bearer <令牌>”。")
            )
        try:
            token = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("令牌含有无效字符。")) from exc
        client = api_client_for_token(token)
        if client is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        now = timezone.now()
        refusal = refusal_reason(client, now)
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        api_client_touch(client, now)
        return ApiClientPrincipal(client), client

    def authenticate_header(self, request):
        return self.keyword


def _scheme_refusal(header: list[bytes]) -> str:
    """Why an ``Authorization`` header with an unknown scheme is refused."""
    if len(header) == 1:
        # A bare token: never echo it back.
        return str(_("Authorization 头缺少类型：应为“Token <令牌>”或“Bearer <令牌>”。"))
    scheme = header[0][:20].decode("ascii", errors="replace")
    return str(
        _("不支持的认证类型“%(scheme)s”：应为“Token <令牌>”或“Bearer <令牌>”。")
    ) % {"scheme": scheme}
