"""Credentials of external systems: issuing, revoking and checking API tokens.

A token is ``bzk_`` followed by 32 random bytes (URL-safe base64). Only its
SHA-256 is stored, so a database leak does not leak usable tokens; the first
characters are kept in clear to tell tokens apart in the admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .authorization import authorize
from .choices import ApiScope, AuditAction, Role
from .compiled import CompiledQuery, compiled_cache
from .models import ApiClient, Department
from .services import Actor, audit_log

TOKEN_PREFIX = "bzk_"
SHOWN_PREFIX_LENGTH = 12
# last_used_at is written at most once per this interval: a busy client must
# not turn every read into a write.
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scope: ApiScope,
    role: Role = Role.CLERK,
    departments: list[Department] | None = None,
    expires_at: dt.datetime | None = None,
    may_manage_projects: bool = False,
    actor: Actor | None,
) -> tuple[ApiClient, str]:
    """Issue credentials; returns the client and its token (shown only once).

    An administrator's act (in the admin, or ``create_api_client`` at the
    console). The token acts as a clerk unless ``role`` says otherwise: a
    supervisor's or an administrator's role is only ever given explicitly.
    """
    authorize(actor=actor, role=Role.ADMINISTRATOR, system_job=True)
    token = token_new()
    client = ApiClient(
        name=name,
        scope=scope,
        role=role,
        token_prefix=token[:SHOWN_PREFIX_LENGTH],
        token_hash=token_hash(token),
        expires_at=expires_at,
        may_manage_projects=may_manage_projects,
    )
    client.full_clean()
    client.save()
    departments = list(departments or [])
    client.departments.set(departments)
    audit_log(
        instance=client,
        action=AuditAction.CREATE,
        actor=actor,
        changes={
            "name": [None, name],
            "scope": [None, str(scope)],
            "role": [None, str(role)],
            "departments": [None, sorted(d.code for d in departments)],
            "expires_at": [None, expires_at.isoformat() if expires_at else None],
            "may_manage_projects": [None, may_manage_projects],
        },
    )
    return client, token


@transaction.atomic
def api_client_revoke(
    *, client: ApiClient, actor: Actor | None, reason: str = ""
) -> ApiClient:
    """Revoke credentials at once; idempotent (a revoked client stays revoked)."""
    authorize(actor=actor, role=Role.ADMINISTRATOR, system_job=True)
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.revoked_at is not None:
        return locked
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_log(
        instance=locked,
        action=AuditAction.UPDATE,
        actor=actor,
        changes={"revoked_at": [None, locked.revoked_at.isoformat()]},
        reason=reason,
    )
    return locked


# Where the token's hash goes in the compiled lookup: no SHA-256 looks like it.
HASH_MARKER = "\x00token-hash"
_token_queries = compiled_cache(size=4)


def _token_query() -> CompiledQuery:
    limited = Exists(
        ApiClient.departments.through.objects.filter(apiclient_id=OuterRef("pk"))
    )
    fields = [field.attname for field in ApiClient._meta.concrete_fields]
    return CompiledQuery(
        ApiClient.objects.annotate(limited=limited)
        .filter(token_hash=HASH_MARKER)
        .values(*fields, "limited"),
        token_hash=HASH_MARKER,
    )


def api_client_for_token(token: str) -> ApiClient | None:
    """The client holding ``token`` (revoked or expired ones included), or None.

    One query, compiled once per process (every API request runs it).
    """
    compiled = _token_queries(connection.vendor, _token_query)
    rows = compiled.rows(token_hash=token_hash(token))
    if not rows:
        return None
    row = rows[0]
    limited = row.pop("limited")
    client = ApiClient.from_db(compiled.db, list(row), list(row.values()))
    client.limited = limited
    if not limited:
        # The usual whole-portfolio client: no departments to load.
        client._prefetched_objects_cache = {"departments": Department.objects.none()}
    return client


def api_client_touch(client: ApiClient, now: dt.datetime) -> None:
    """Record that the client was used (at most once a minute)."""
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


def refusal_reason(client: ApiClient, now: dt.datetime) -> str | None:
    if client.revoked_at is not None:
        return str(_("该令牌已被吊销。"))
    if client.expires_at is not None and client.expires_at <= now:
        return str(_("该令牌已过期。"))
    return None
