"""What every resource of the API shares: access, exports, ETags, If-Match."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.response import Response

from .access import Access, access_of
from .exceptions import PreconditionFailed
from .export import Column, export_response, serialized_rows
from .permissions import PortfolioPermission
from .renderers import EXPORT_RENDERERS

# Query parameters that are not filters: a list with only these skips building
# its filterset (which copies every filter's form field on each request).
UNFILTERED_PARAMS = frozenset({"page", "page_size", "format"})


class PortfolioViewSet(viewsets.GenericViewSet):
    """Base viewset: access of the caller, list exports (CSV/XLSX)."""

    permission_classes = [PortfolioPermission]
    export_columns: list[Column] = []
    export_name = "export"

    @property
    def access(self) -> Access:
        return access_of(self.request)

    def filter_queryset(self, queryset):
        """Filters apply to lists only, and cost nothing when none is given."""
        if getattr(self, "action", None) != "list":
            return queryset
        if not set(self.request.query_params) - UNFILTERED_PARAMS:
            return queryset
        return super().filter_queryset(queryset)

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list" and self.export_columns:
            renderers += [renderer() for renderer in EXPORT_RENDERERS]
        return renderers


class ListMixin:
    """A paginated list; with ``?format=csv|xlsx`` the whole filtered list.

    ``list_queryset`` is what is filtered and counted; ``decorate`` adds what
    only the rows shown need (annotations), after counting.
    """

    def list_queryset(self):
        return self.get_queryset()

    def decorate(self, queryset):
        return queryset

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.list_queryset())
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format in ("csv", "xlsx"):
            return export_response(
                renderer.format,
                self.export_name,
                self.export_columns,
                serialized_rows(
                    self.decorate(queryset),
                    lambda chunk: self.get_serializer(chunk, many=True).data,
                ),
            )
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)


class RetrieveMixin:
    """One object, with its ``ETag`` when it has a version."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        return with_etag(response, instance)


def with_etag(response, instance):
    version = (
        instance.get("version")
        if isinstance(instance, dict)
        else getattr(instance, "version", None)
    )
    if version is not None:
        response["ETag"] = f'"{version}"'
    return response


def expected_version(request, current_version: int | None = None) -> int | None:
    """The version named by ``If-Match`` (None when absent or ``*``)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.split(",")[0].strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    try:
        return int(value)
    except ValueError as exc:
        raise PreconditionFailed(
            str(_("If-Match 的值“%(value)s”不是本对象的 ETag。")) % {"value": header},
            current_version=current_version,
        ) from exc
