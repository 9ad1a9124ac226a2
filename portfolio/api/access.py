"""Who is calling and what they may reach: one answer per request.

People (session or basic auth) get the scope and roles they have in the admin.
API clients get their departments' scope and are passed to the services as
themselves: a principal with a role, checked by the same rules as a person
(``portfolio.authorization``). The API narrows the querysets to the scope (an
object outside it is not found) and refuses writes with read-only credentials
before any object is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass

from portfolio.authentication import ApiClientPrincipal
from portfolio.choices import ApiScope
from portfolio.models import ApiClient
from portfolio.selectors import Scope, api_client_scope, user_scope
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
        access = Access(api_client_scope(client), client, client)
    else:
        access = Access(user_scope(user), user)
    request._portfolio_access = access
    return access
