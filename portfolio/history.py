"""The change log (变更记录) as people read it: labels, display values, names.

Every service writes ``AuditEntry.changes`` as ``{key: [before, after]}`` in the
words of the code: field names (``planned_investment``, ``department_id``),
choice codes (``under_construction``), primary keys and codes of related
objects. This module is the one place that turns them into what a clerk or a
supervisor reads: the field's label (its ``verbose_name``), the choice's label,
the related object's name. The admin's 变更记录 and the API's ``history`` both
use it; the API gives the codes beside the labels.

A key that is not a field of the changed model (the project's ``health``, a
notice's ``read``) is registered by the app that writes it
(``history_field_register``). A model may say how one of its own values reads
in its context (a year record's 在建 is 新开工 or 续建 by its year) with a
``history_display(key, value, entry)`` method; ``history_related`` names what
to load with it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditEntry

EMPTY = "—"


@dataclass(frozen=True)
class ChangeLine:
    """One changed field of a history row: its code and label, both values as
    stored (codes) and as shown (labels, names)."""

    field: str
    label: str
    before: Any
    after: Any
    before_display: str
    after_display: str

    def text(self) -> str:
        return _("%(label)s：%(before)s → %(after)s") % {
            "label": self.label,
            "before": self.before_display,
            "after": self.after_display,
        }


@dataclass(frozen=True)
class _Key:
    """How a key of ``changes`` reads: its label and how its values are shown."""

    label: Any
    choices: dict[str, Any] | None = None
    related: type[models.Model] | None = None
    by: str = ""  # "pk" or "code": how ``related`` objects are named in the values
    kind: str = ""  # "bool" or "datetime"


_REGISTERED: dict[tuple[str, str], _Key] = {}


def history_field_register(
    model: type[models.Model],
    key: str,
    *,
    label: Any,
    choices: Iterable[tuple[Any, Any]] | None = None,
    boolean: bool = False,
) -> None:
    """Name a key of ``model``'s history that is not one of its fields."""
    _REGISTERED[model._meta.label_lower, key] = _Key(
        label=label,
        choices={str(code): text for code, text in choices} if choices else None,
        kind="bool" if boolean else "",
    )


def _field(model: type[models.Model], key: str):
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        pass
    for field in model._meta.concrete_fields:
        if field.attname == key:
            return field
    return None


def _key(model: type[models.Model] | None, key: str) -> _Key:
    """The label and display rules of ``key`` in ``model``'s history."""
    if model is None:
        return _Key(label=key)
    registered = _REGISTERED.get((model._meta.label_lower, key))
    if registered is not None:
        return registered
    head, dot, rest = key.partition(".")
    if dot:  # a value of a related object, e.g. "dossier.total_investment"
        relation = _field(model, head)
        if relation is not None and relation.related_model is not None:
            return _key(relation.related_model, rest)
        return _Key(label=key)
    field = _field(model, key)
    if field is None:
        return _Key(label=key)
    if field.is_relation and field.related_model is not None:
        related = field.related_model
        if not field.concrete:  # a reverse relation: its objects' plural name
            return _Key(label=related._meta.verbose_name_plural)
        by = "pk" if key == field.attname != field.name else "code"
        return _Key(label=field.verbose_name, related=related, by=by)
    if field.choices:
        return _Key(
            label=field.verbose_name,
            choices={str(code): text for code, text in field.flatchoices},
        )
    if isinstance(field, models.BooleanField):
        return _Key(label=field.verbose_name, kind="bool")
    if isinstance(field, models.DateTimeField):
        return _Key(label=field.verbose_name, kind="datetime")
    return _Key(label=field.verbose_name)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _datetime_text(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


class _Names:
    """Names of related objects, fetched once per model for a page of entries."""

    def __init__(self) -> None:
        self.wanted: dict[tuple[type[models.Model], str], set[Any]] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], str, str], str] = {}

    def want(self, key: _Key, value: Any) -> None:
        if key.related is None or _blank(value):
            return
        if key.by == "code" and not _has_code(key.related):
            return
        for item in _items(value):
            if item is not None and not isinstance(item, dict | list):
                self.wanted[key.related, key.by].add(item)

    def fetch(self) -> None:
        for (model, by), values in self.wanted.items():
            if by == "pk":
                lookup = {"pk__in": [v for v in values if str(v).isdigit()]}
                attribute = "pk"
            else:
                lookup = {"code__in": [str(v) for v in values]}
                attribute = "code"
            for obj in model._default_manager.filter(**lookup):
                self.names[model, by, str(getattr(obj, attribute))] = str(obj)

    def name(self, key: _Key, value: Any) -> str:
        return self.names.get((key.related, key.by, str(value)), str(value))


def _has_code(model: type[models.Model]) -> bool:
    return any(field.name == "code" for field in model._meta.concrete_fields)


def _display(key: _Key, value: Any, names: _Names) -> str:
    if _blank(value):
        return EMPTY
    if isinstance(value, list | tuple):
        return _("、").join(_display(key, item, names) for item in value) or EMPTY
    if key.related is not None:
        return names.name(key, value)
    if key.choices is not None:
        return str(key.choices.get(str(value), value))
    if key.kind == "bool" or isinstance(value, bool):
        return _("是") if value in (True, "true", "True") else _("否")
    if key.kind == "datetime":
        return _datetime_text(value)
    return str(value)


def _instances(entries: Sequence[AuditEntry]) -> dict[tuple[int, str], models.Model]:
    """The changed objects whose model reads its own values (``history_display``)."""
    ids: dict[int, set[str]] = defaultdict(set)
    for entry in entries:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        if model is not None and hasattr(model, "history_display"):
            ids[entry.content_type_id].add(entry.object_id)
    found: dict[tuple[int, str], models.Model] = {}
    for content_type_id, object_ids in ids.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        queryset = model._default_manager.filter(
            pk__in=[i for i in object_ids if i.isdigit()]
        ).select_related(*getattr(model, "history_related", ()))
        for obj in queryset:
            found[content_type_id, str(obj.pk)] = obj
    return found


def change_lines(entries: Sequence[AuditEntry]) -> dict[int, list[ChangeLine]]:
    """``{entry id: [ChangeLine, …]}`` for a page of history rows.

    A constant number of queries whatever the number of rows: one per related
    model named in the values, one per model that reads its own values.
    """
    names = _Names()
    keyed: list[tuple[AuditEntry, list[tuple[str, _Key, Any, Any]]]] = []
    for entry in entries:
        model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
        rows = []
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for name, pair in changes.items():
            before, after = pair if isinstance(pair, list | tuple) else (None, pair)
            key = _key(model, name)
            names.want(key, before)
            names.want(key, after)
            rows.append((name, key, before, after))
        keyed.append((entry, rows))
    names.fetch()
    instances = _instances(entries)
    result: dict[int, list[ChangeLine]] = {}
    for entry, rows in keyed:
        instance = instances.get((entry.content_type_id, entry.object_id))
        lines = []
        for name, key, before, after in rows:
            shown = [
                _own_display(instance, name, value, entry)
                or _display(key, value, names)
                for value in (before, after)
            ]
            lines.append(
                ChangeLine(name, str(key.label), before, after, shown[0], shown[1])
            )
        result[entry.pk] = lines
    return result


def _own_display(instance, name: str, value: Any, entry: AuditEntry) -> str | None:
    """The model's own words for a value (blank included: no phase is 未填报)."""
    if instance is None:
        return None
    return instance.history_display(name, "" if value is None else value, entry)


def field_label(model: type[models.Model], key: str) -> str:
    """The label of one key of ``model``'s history (for messages and tests)."""
    return str(_key(model, key).label)


def object_type_label(entry: AuditEntry) -> str:
    """What kind of object the row is about, in words (“年度记录”)."""
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    return str(model._meta.verbose_name) if model is not None else EMPTY
