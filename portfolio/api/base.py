"""What every resource of the API shares: access, exports, ETags, If-Match.

ETags: an object's ETag is ``"<version>-<digest>"``: its version (what
``If-Match`` checks before a write) and a digest of the JSON sent (what
``If-None-Match`` compares, so that a 304 is only ever answered when nothing the
client would see has changed — embedded objects and derived fields included).
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponseNotModified
from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .access import Access, access_of
from .exceptions import PreconditionFailed
from .export import Column, export_response, serialized_rows
from .permissions import PortfolioPermission
from .renderers import EXPORT_RENDERERS

# Query parameters that are not filters: a list with only these skips building
# its filterset (which copies every filter's form field on each request).
UNFILTERED_PARAMS = frozenset({"page", "page_size", "format"})
# The actions that read a whole filtered list: the list and its own exports.
EXPORT_ACTIONS = {"export_csv": "csv", "export_xlsx": "xlsx"}
LIST_ACTIONS = frozenset({"list", *EXPORT_ACTIONS})


class PortfolioViewSet(viewsets.GenericViewSet):
    """Base viewset: access of the caller, list exports (CSV/XLSX)."""

    permission_classes = [PortfolioPermission]
    export_columns: list[Column] = []
    export_name = "export"
    # The path to the plan of a plan-scoped list's rows (``plan``,
    # ``project__plan``): without ``?plan=`` the list is the current plan's.
    plan_field: str | None = None

    @property
    def access(self) -> Access:
        return access_of(self.request)

    def filter_queryset(self, queryset):
        """Filters apply to lists only, and cost nothing when none is given."""
        if getattr(self, "action", None) not in LIST_ACTIONS:
            return queryset
        queryset = self._current_plan_only(queryset)
        if not set(self.request.query_params) - UNFILTERED_PARAMS:
            return queryset
        return super().filter_queryset(queryset)

    def _current_plan_only(self, queryset):
        """A plan-scoped list without ``?plan=`` shows the current plan."""
        if self.plan_field is None or self.request.query_params.get("plan"):
            return queryset
        from portfolio.selectors import plan_current

        plan = plan_current()
        if plan is None:
            return queryset
        return queryset.filter(**{self.plan_field: plan.pk})

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) in LIST_ACTIONS and self.export_columns:
            renderers += [renderer() for renderer in EXPORT_RENDERERS]
        return renderers

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        version = getattr(response, "etag_version", None)
        if version is None or response.status_code != 200:
            return response
        response.render()
        digest = hashlib.sha256(response.content).hexdigest()[:16]
        etag = f'"{version}-{digest}"'
        response["ETag"] = etag
        if request.method in ("GET", "HEAD") and _none_match(request, etag):
            return not_modified(response, etag)
        return response


def _none_match(request, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, or ``*``)."""
    header = request.headers.get("If-None-Match", "")
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


def not_modified(response, etag: str) -> HttpResponseNotModified:
    """304: the client's copy is current; no body, the same validators."""
    answer = HttpResponseNotModified()
    answer["ETag"] = etag
    if "Vary" in response:
        answer["Vary"] = response["Vary"]
    return answer


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
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format in ("csv", "xlsx"):
            # ?format=csv|xlsx (or Accept) on the list: the same as its exports.
            return self._export(renderer.format)
        queryset = self.filter_queryset(self.list_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    # Routed without a final slash by portfolio.api.routers.PortfolioRouter.
    @action(detail=False, methods=["get"], url_path="export.csv")
    def export_csv(self, request, *args, **kwargs):
        """``GET …/export.csv``: the whole filtered list as CSV."""
        return self._export("csv")

    @action(detail=False, methods=["get"], url_path="export.xlsx")
    def export_xlsx(self, request, *args, **kwargs):
        """``GET …/export.xlsx``: the whole filtered list as an Excel workbook."""
        return self._export("xlsx")

    def _export(self, fmt: str):
        queryset = self.filter_queryset(self.list_queryset())
        return export_response(
            fmt,
            self.export_name,
            self.export_columns,
            serialized_rows(
                self.decorate(queryset),
                lambda chunk: self.get_serializer(chunk, many=True).data,
            ),
        )


class RetrieveMixin:
    """One object, with its ``ETag`` when it has a version."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        return with_etag(response, instance)


def with_etag(response, instance):
    """Give ``response`` the ETag of ``instance`` (finished by the viewset's
    ``finalize_response``, which adds the digest of the rendered body)."""
    version = (
        instance.get("version")
        if isinstance(instance, dict)
        else getattr(instance, "version", None)
    )
    if version is not None:
        response.etag_version = version
        response["ETag"] = f'"{version}"'
    return response


def expected_version(request, current_version: int | None = None) -> int | None:
    """The version named by ``If-Match`` (None when absent or ``*``).

    The ETag as received (``"4-…"``) or the bare version (``"4"``): a write
    checks the object's own version, not the digest of what it embeds.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.split(",")[0].strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"').split("-")[0]
    try:
        return int(value)
    except ValueError as exc:
        raise PreconditionFailed(
            str(_("If-Match 的值“%(value)s”不是本对象的 ETag。")) % {"value": header},
            current_version=current_version,
        ) from exc
