"""Incremental sync: tombstones, the rows' ``modified_at`` and the sync cursor.

A client keeps a copy of a list by asking, each time, for what changed since
its cursor (``updated_since``) and for what was deleted since (``/deletions/``).
Two things make that correct:

- ``modified_at`` of an object is the latest change of anything its JSON shows,
  embedded objects included (a project shows its year's record, its dossier,
  its light): ``modified_expression`` computes it from the ``updated_at`` of
  each source, and ``modified_since_q`` is the matching filter;
- the cursor (``sync_token``) is not the highest ``modified_at`` a client saw:
  a write stamped earlier may still be committing. It is the moment the page
  was read, moved back to the start of the oldest transaction still open on
  the database (PostgreSQL) and by a margin for clocks that differ between
  servers, so that nothing committed later can carry an older stamp.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import Tombstone

# However old the oldest open transaction, the cursor never goes back further
# than this: a session left "idle in transaction" must not make every client
# fetch everything again.
MAX_LOOKBACK = dt.timedelta(hours=1)


def tombstone_write(
    *,
    instance: models.Model,
    code: str = "",
    district_id: int | None = None,
    sector_id: int | None = None,
) -> Tombstone:
    """Record that ``instance`` is being deleted (inside the deleting transaction)."""
    return Tombstone.objects.create(
        model=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_code=code,
        district_id=district_id,
        sector_id=sector_id,
        deleted_at=timezone.now(),
    )


def _oldest_open_transaction() -> dt.datetime | None:
    """When the oldest transaction of another session on this database began."""
    if connection.vendor != "postgresql":
        return None  # SQLite: one writer at a time, the margin is enough
    with connection.cursor() as cursor:
        # Activity is read once per transaction and then kept: read it afresh.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def sync_token(now: dt.datetime | None = None) -> dt.datetime:
    """The cursor to hand out with a page read now (see the module's doc)."""
    now = now or timezone.now()
    start = now
    oldest = _oldest_open_transaction()
    if oldest is not None:
        start = max(min(start, oldest), now - MAX_LOOKBACK)
    return start - dt.timedelta(seconds=settings.API_SYNC_MARGIN_SECONDS)


def _split(model: type[models.Model], path: str):
    """``(relation, rest)`` when ``path`` starts with a reverse foreign key
    (several rows per object), else ``(None, path)``."""
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    if rest and field.one_to_many:
        return field, rest
    if field.many_to_many:
        raise ValueError(f"{path}: many-to-many sources are not supported")
    return None, path


def _related_rows(relation):
    """The related rows that belong to the outer object (``OuterRef``)."""
    return relation.related_model.objects.filter(
        **{relation.field.name: OuterRef("pk")}
    )


def _source(model: type[models.Model], path: str) -> Combinable:
    relation, rest = _split(model, path)
    if relation is None:
        return F(path)
    rows = _related_rows(relation).order_by().values(relation.field.name)
    return Subquery(rows.annotate(latest=Max(rest)).values("latest")[:1])


def modified_expression(model: type[models.Model], paths: Sequence[str]):
    """The latest of the datetimes at ``paths`` of ``model``.

    The first path is the object's own ``updated_at`` (never null); the others
    may cross relations (a to-many relation first: the latest of its rows) and
    may be null (no dossier yet), which then does not count.
    """
    own, *others = paths
    if not others:
        return F(own)
    return Greatest(
        F(own), *(Coalesce(_source(model, path), F(own)) for path in others)
    )


def modified_since_q(
    model: type[models.Model], paths: Sequence[str], moment: dt.datetime
) -> Q:
    """Rows whose ``modified_expression`` is ``moment`` or later, as a filter
    that the database can answer without computing it for every row."""
    condition = Q()
    for path in paths:
        relation, rest = _split(model, path)
        if relation is None:
            condition |= Q(**{f"{path}__gte": moment})
        else:
            rows = _related_rows(relation).filter(**{f"{rest}__gte": moment})
            condition |= Q(Exists(rows))
    return condition
