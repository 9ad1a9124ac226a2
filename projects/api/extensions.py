"""Extension point of the project and year-record resources: embeds.

Why: an app above ``projects`` (the dossier) shows its data inside each project
and year record, so that one call gives a reader everything, but ``projects``
may not import it (docs/architecture.md: nothing imports upward). So these
resources own a small registry and the higher app registers what it adds from
its ``AppConfig.ready()``. The serializers add the registered fields in
``get_fields()``, which is what drf-spectacular reads: the schema shows them.

An embed names its output fields with their serializer fields (the schema) and
says how to read them without a query per row:

- the project list is built by hand from ``values()`` rows (the API's hot
  path): the embed adds ``annotations`` to that one query (F expressions across
  reverse relations) and ``represent`` turns a row into its fields' values;
- year records are model instances: the fields read the instance themselves,
  and the embed adds ``prefetch`` lookups (one query per page, not per row).

An embed may bring list ``filters`` on what it shows; they join the resource's
filterset (and so its schema), so a filter lives with the data it filters.

An embed names where its data's last change is stamped (``modified``: paths to
``updated_at``-like fields). They join the resource's own (the filterset's
``modified_paths``), which make each object's ``modified_at`` and the
``updated_since`` filter: a client syncing with them sees an embed change too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.db.models.expressions import Combinable
from django_filters import Filter, FilterSet
from rest_framework.fields import Field

from projects.filtersets import ProjectFilterSet, YearRecordFilterSet

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Embed:
    """What one app adds to each object of a resource (see the module's doc).

    ``key`` names the embed: registering a key again replaces it, as
    ``ready()`` may run more than once (tests that reload the app registry).
    """

    key: str
    fields: Mapping[str, Field]
    represent: Callable[[Row], Mapping[str, Any]] | None = None
    annotations: Mapping[str, Combinable] = field(default_factory=dict)
    prefetch: Callable[[], Sequence[str | Prefetch]] | None = None
    filters: Mapping[str, Filter] = field(default_factory=dict)
    modified: Sequence[str] = ()


class Embeds:
    """The embeds of one resource, in the order they were registered."""

    def __init__(self, resource: str, filterset: type[FilterSet], *, rows: bool):
        self.resource = resource
        self.filterset = filterset
        # Built from values() rows: every embed must say how to read a row.
        self.rows = rows
        self._embeds: dict[str, Embed] = {}
        # Bumped by each registration: queries compiled with the embeds'
        # annotations (``portfolio.compiled``) are keyed by it.
        self.version = 0

    def register(self, embed: Embed) -> None:
        if self.rows and embed.represent is None:
            raise ImproperlyConfigured(
                f"{embed.key}: {self.resource} rows need a represent function."
            )
        taken: dict[str, set[str]] = {
            "fields": set(),
            "annotations": set(),
            "filters": set(self.filterset.declared_filters),
        }
        for other in self._embeds.values():
            if other.key == embed.key:
                continue  # replaced below
            for kind, names in taken.items():
                names.update(getattr(other, kind))
        for kind, names in taken.items():
            clash = names & set(getattr(embed, kind))
            if clash:
                raise ImproperlyConfigured(
                    f"{embed.key}: {self.resource} {kind} taken: {sorted(clash)}"
                )
        self._unregister(embed.key)
        self._embeds[embed.key] = embed
        self.version += 1
        for name, filter_ in embed.filters.items():
            if filter_.field_name is None:
                filter_.field_name = name  # as django-filter does for declared ones
            self.filterset.base_filters[name] = filter_
        self.filterset.modified_paths = [
            *self.filterset.modified_paths,
            *(p for p in embed.modified if p not in self.filterset.modified_paths),
        ]

    def _unregister(self, key: str) -> None:
        old = self._embeds.pop(key, None)
        for name in old.filters if old is not None else ():
            self.filterset.base_filters.pop(name, None)
        if old is not None:
            self.filterset.modified_paths = [
                p for p in self.filterset.modified_paths if p not in old.modified
            ]

    def modified_paths(self) -> list[str]:
        """Where the resource's objects and their embeds stamp their changes."""
        return list(self.filterset.modified_paths)

    def fields(self) -> dict[str, Field]:
        """Fresh copies of the fields: a field is bound to one serializer."""
        return {
            name: copy.deepcopy(field_)
            for embed in self._embeds.values()
            for name, field_ in embed.fields.items()
        }

    def with_fields(
        self, fields: dict[str, Field], after: str | None = None
    ) -> dict[str, Field]:
        """``fields`` with the embeds' fields after the one named (or at the end)."""
        extra = self.fields()
        if clash := set(extra) & set(fields):
            raise ImproperlyConfigured(f"{self.resource} fields taken: {sorted(clash)}")
        if after is None:
            return {**fields, **extra}
        if after not in fields:
            raise ImproperlyConfigured(f"{self.resource} has no field {after!r}")
        result: dict[str, Field] = {}
        for name, field_ in fields.items():
            result[name] = field_
            if name == after:
                result.update(extra)
        return result

    def annotations(self) -> dict[str, Combinable]:
        return {
            name: expression
            for embed in self._embeds.values()
            for name, expression in embed.annotations.items()
        }

    def prefetch(self) -> list[str | Prefetch]:
        return [
            lookup
            for embed in self._embeds.values()
            if embed.prefetch is not None
            for lookup in embed.prefetch()
        ]

    def represent(self, row: Row) -> dict[str, Any]:
        """The embeds' output values of one row (``rows`` resources only)."""
        data: dict[str, Any] = {}
        for embed in self._embeds.values():
            if embed.represent is not None:
                data.update(embed.represent(row))
        return data


PROJECT_EMBEDS = Embeds("project", ProjectFilterSet, rows=True)
YEAR_RECORD_EMBEDS = Embeds("year record", YearRecordFilterSet, rows=False)
