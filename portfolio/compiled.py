"""Read queries compiled once and run many times: the API's per-request lookups.

Why: for a one-row read (a project's detail, a token's client) building the
queryset and compiling it to SQL costs several times more Python than running
the SQL (docs/benchmarks.md). A ``CompiledQuery`` keeps the SQL and the
parameters of a queryset compiled with *marker* values, and runs it again with
other values in the markers' places; the rows go through Django's own
converters (JSON, decimals, dates), exactly as the queryset would return them.

The queryset stays the one source of truth: nothing here is hand-written SQL.
A caller keys its compiled queries by everything else that shapes the SQL
(``compiled_cache``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import BooleanField, Func, QuerySet


class CompiledQuery:
    """A ``values()`` queryset compiled once, run with other values of its markers.

    Each marker must appear exactly once among the compiled parameters (a
    value unlikely to occur otherwise, e.g. ``"\\x00code"``).
    """

    def __init__(self, queryset: QuerySet, **markers: Any):
        query = queryset.query
        self.db = queryset.db
        self.compiler = query.get_compiler(self.db)
        sql, params = self.compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        self.names = (
            list(query.selected)
            if getattr(query, "selected", None)
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        self.slots: dict[str, int] = {}
        for name, marker in markers.items():
            positions = [
                i
                for i, value in enumerate(self.params)
                if type(value) is type(marker) and value == marker
            ]
            if len(positions) != 1:
                raise ImproperlyConfigured(
                    f"marker {name!r} appears {len(positions)} times in the query"
                )
            self.slots[name] = positions[0]

    def rows(self, **values: Any) -> list[dict[str, Any]]:
        """The rows for these values of the markers, as ``values()`` dicts."""
        params = list(self.params)
        for name, value in values.items():
            params[self.slots[name]] = value
        with connections[self.db].cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        names = self.names
        return [
            dict(zip(names, row, strict=True))
            for row in self.compiler.results_iter(results=[fetched])
        ]


def compiled_cache(
    size: int = 64,
) -> Callable[[Hashable, Callable[[], CompiledQuery]], CompiledQuery]:
    """A small per-process cache of compiled queries: ``get(key, build)``.

    Bounded: when full it starts again (keys hold the day, so old ones go).
    """
    store: dict[Hashable, CompiledQuery] = {}

    def get(key: Hashable, build: Callable[[], CompiledQuery]) -> CompiledQuery:
        compiled = store.get(key)
        if compiled is None:
            if len(store) >= size:
                store.clear()
            compiled = store[key] = build()
        return compiled

    return get


class EqualsAny(Func):
    """``expression = ANY(%s)`` (PostgreSQL): a whole list in one parameter.

    ``field__in=[…]`` has one parameter per value, so its SQL changes with the
    list's length and cannot be compiled once; this one does not.
    """

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()
