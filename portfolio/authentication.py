"""``Authorization: Token <token>`` for external systems (DRF authentication)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .credentials import api_client_for_token, api_client_touch, refusal_reason
from .models import ApiClient


class ApiClientPrincipal:
    """``request.user`` for a request made with an API client's token.

    It is not a Django user: the services receive the client's label as a
    system actor, and the API applies the client's scope itself.
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

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Authorization 头格式应为“Token <令牌>”。")
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
