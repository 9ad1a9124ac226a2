"""Filters of the reference data lists and of the deletion feed, and the filter
classes every list of the API shares.

Query parameters are typed as the schema says (portfolio.api.schema reads the
``openapi`` attribute of a filter): codes and choices are arrays (``?x=a,b`` or
``?x=a&x=b``), years integers, booleans ``true``/``false`` only. A value that
is not of its type is a 400 naming the parameter, never silently ignored.
Range parameters end in ``_min`` and ``_max``; the few older names are kept as
deprecated aliases (``deprecated``), documented as such.
"""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import ClusterLevel, DepartmentKind, DistrictKind, SectorTier
from .models import Cluster, Department, District, Plan, Sector, Tombstone


class CommaListWidget(forms.SelectMultiple):
    """Reads ``?x=a,b`` and ``?x=a&x=b`` alike, as a list of values."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return [part.strip() for v in values if v for part in v.split(",") if part]


class CodesField(forms.Field):
    """One or more codes: ``?x=a``, ``?x=a,b`` or ``?x=a&x=b``.

    With ``model``, unknown codes are refused (400 naming the parameter), so a
    typo is not silently an empty list.
    """

    widget = CommaListWidget

    def __init__(self, *, model=None, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [code.strip() for item in value for code in item.split(",") if code]

    def validate(self, value):
        super().validate(value)
        if any("\x00" in code for code in value):
            # PostgreSQL text cannot hold NUL: refused here, not a 500 in the query.
            raise ValidationError(_("编码中不能含有空字符（NUL）。"), code="null")
        if self.model is None or not value:
            return
        known = set(
            self.model.objects.filter(code__in=value).values_list("code", flat=True)
        )
        unknown = [code for code in value if code not in known]
        if unknown:
            raise ValidationError(
                # As params, not formatted in: a "%" in a code must not be read
                # as a format directive when the message is rendered.
                _("未知的%(what)s编码：%(codes)s"),
                params={
                    "what": self.model._meta.verbose_name,
                    "codes": gettext("、").join(unknown),
                },
            )


STRINGS = {"type": "array", "items": {"type": "string"}}


def plan_filter(field_name: str = "plan__code") -> CodesFilter:
    """``?plan=CODE``: the list of that plan (several as ``a,b``); without it,
    the list of the current plan (``PortfolioViewSet.plan_field``)."""
    return CodesFilter(
        field_name=field_name,
        model=Plan,
        label=_("规划编码（默认当前规划）"),
    )


class CodesFilter(filters.Filter):
    """Objects whose ``field_name`` (a code) is one of the given codes."""

    field_class = CodesField
    openapi = STRINGS

    def __init__(self, *args, model=None, **kwargs):
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, model=model, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class ChoicesFilter(filters.MultipleChoiceFilter):
    """A choice filter that also takes ``a,b`` (like the code filters)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CommaListWidget)
        super().__init__(*args, **kwargs)


class IntegerFilter(filters.NumberFilter):
    """A whole number (a year): ``?year=2026``; ``2026.5`` or ``x`` is a 400."""

    field_class = forms.IntegerField
    openapi = {"type": "integer"}


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is refused, not ignored."""

    widget = forms.TextInput
    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(_("应为 true 或 false。"), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


def deprecated(filter_: filters.Filter, *, use: str) -> filters.Filter:
    """Mark ``filter_`` as an older name kept for compatibility (see ``use``)."""
    filter_.replaced_by = use
    return filter_


class ExpandingOrderingFilter(filters.OrderingFilter):
    """``?ordering=a,-b`` or ``?ordering=a&ordering=-b``: each name may stand for
    several fields; the keys apply in the order given; ties by pk."""

    # Every key counts, repeated or comma-separated (django-filter's own widget
    # keeps only the last repeated parameter).
    openapi_explode = True

    def __init__(self, *args, expand: dict[str, list[str]], **kwargs):
        kwargs.setdefault("widget", CommaListWidget)
        self.expand = expand
        kwargs["fields"] = {name: name for name in expand}
        kwargs.setdefault("field_labels", {name: name for name in expand})
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            descending = param.startswith("-")
            if not param.lstrip("-"):
                continue  # "?ordering=,," or "-": nothing to order by
            for field in self.expand[param.lstrip("-")]:
                ordering.append(f"-{field}" if descending else field)
        return qs.order_by(*ordering, "pk")


class DistrictFilterSet(filters.FilterSet):
    kind = ChoicesFilter(choices=DistrictKind.choices)

    class Meta:
        model = District
        fields = ["kind"]


class SectorFilterSet(filters.FilterSet):
    # Reference data: every plan's by default (a later plan's workbook names
    # the sectors already there); ``?plan=`` narrows to one plan's.
    plan = CodesFilter(field_name="plan__code", model=Plan, label=_("规划编码"))
    tier = ChoicesFilter(choices=SectorTier.choices)

    class Meta:
        model = Sector
        fields = ["plan", "tier"]


class ClusterFilterSet(filters.FilterSet):
    district = CodesFilter(
        field_name="districts__code", model=District, label=_("县区编码")
    )
    plan = CodesFilter(field_name="plan__code", model=Plan, label=_("规划编码"))
    level = ChoicesFilter(choices=ClusterLevel.choices)
    belt = filters.CharFilter(label=_("产业带"))

    class Meta:
        model = Cluster
        fields = ["plan", "district", "level", "belt"]


class DepartmentFilterSet(filters.FilterSet):
    kind = ChoicesFilter(choices=DepartmentKind.choices)
    district = CodesFilter(
        field_name="district__code", model=District, label=_("县区编码")
    )
    sector = CodesFilter(field_name="sectors__code", model=Sector, label=_("产业编码"))

    class Meta:
        model = Department
        fields = ["kind", "district", "sector"]


class UtcIsoDateTimeField(filters.fields.IsoDateTimeField):
    """An ISO 8601 moment with its zone (``+08:00`` or ``Z``), in UTC.

    A moment without a zone is refused: read as Beijing time or as UTC, one of
    the two readings would silently shift an integrator's cursor by 8 hours.
    PostgreSQL refuses offsets beyond ±15:59 that Python accepts (a 500 before),
    and a moment past year 9999 in UTC is invalid."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            parsed = parse_datetime(str(value).strip())
        except ValueError:
            parsed = None
        if parsed is not None and timezone.is_naive(parsed):
            raise ValidationError(
                _("时间须带时区，如 2026-11-28T08:00:00+08:00 或 …Z。"), code="naive"
            )
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError(_("时间超出范围。"), code="invalid") from exc


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DeletionFilterSet(filters.FilterSet):
    updated_since = IsoDateTimeFilter(
        field_name="deleted_at",
        lookup_expr="gte",
        label=_("此时间（ISO 8601，带时区）以来的删除；传入上次列表的 sync_token"),
    )
    since = deprecated(
        IsoDateTimeFilter(
            field_name="deleted_at",
            lookup_expr="gte",
            label=_("已弃用，同 updated_since"),
        ),
        use="updated_since",
    )
    model = filters.ChoiceFilter(
        choices=[
            ("projects.project", "projects.project"),
            ("projects.yearrecord", "projects.yearrecord"),
        ],
        label=_("对象类型"),
    )

    class Meta:
        model = Tombstone
        fields = ["updated_since", "since", "model"]
