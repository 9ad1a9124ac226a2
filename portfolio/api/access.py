"""Who is calling and what they may reach: one answer per request.

People (session or basic auth) get the scope and roles they have in the admin;
the services check their role again. API clients get their departments' scope
and are passed to the services as a named system actor, so the API itself
enforces their scope (querysets) and their read/write permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio.authentication import ApiClientPrincipal
from portfolio.choices import ApiScope
from portfolio.credentials import api_client_scope
from portfolio.models import ApiClient
from portfolio.selectors import Scope, user_scope
from portfolio.services import Actor


@dataclass(frozen=True)
class Access:
    scope: Scope
    actor: Actor
    client: ApiClient | None = None

    @property
    def may_write(self) -> bool:
        """Read-only credentials never write; people are checked by the services."""
        return self.client is None or self.client.scope == ApiScope.WRITE


def access_of(request) -> Access:
    cached = getattr(request, "_portfolio_access", None)
    if cached is not None:
        return cached
    user = request.user
    if isinstance(user, ApiClientPrincipal):
        client = user.client
        access = Access(api_client_scope(client), client.actor_label, client)
    else:
        access = Access(user_scope(user), user)
    request._portfolio_access = access
    return access
