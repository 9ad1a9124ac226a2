"""Read-only indicators, keyed by code: /api/v1/indicators/{code}/."""

from __future__ import annotations

import django_filters
from rest_framework import viewsets

from ..choices import Direction, Measure
from ..models import Indicator
from ..selectors import indicators_queryset
from .serializers import IndicatorSerializer


class IndicatorFilter(django_filters.FilterSet):
    sector = django_filters.CharFilter(field_name="sector__code")
    department = django_filters.CharFilter(field_name="department__code")
    district = django_filters.CharFilter(field_name="district__code")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    measure = django_filters.ChoiceFilter(choices=Measure.choices)

    class Meta:
        model = Indicator
        fields = ["sector", "department", "district", "direction", "measure"]


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """The plan's indicators with their targets, reported values and progress."""

    serializer_class = IndicatorSerializer
    lookup_field = "code"
    filterset_class = IndicatorFilter

    def get_queryset(self):
        return indicators_queryset().order_by("plan", "order")
