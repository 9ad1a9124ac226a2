"""Reference data (districts, sectors, clusters, departments) and the deletion feed."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view

from portfolio.filtersets import (
    ClusterFilterSet,
    DeletionFilterSet,
    DepartmentFilterSet,
    DistrictFilterSet,
    SectorFilterSet,
)
from portfolio.models import Cluster, Department, District, Sector, Tombstone

from . import schema
from .base import ListMixin, PortfolioViewSet, RetrieveMixin
from .export import Column
from .pagination import SyncPagination
from .serializers import (
    ClusterSerializer,
    DeletionSerializer,
    DepartmentSerializer,
    DistrictSerializer,
    SectorSerializer,
)


def _reference_schema(tag: str, serializer, noun: str, name: str):
    return extend_schema_view(
        list=extend_schema(
            tags=[tag],
            summary=_("%(noun)s列表") % {"noun": noun},
            responses=schema.list_responses(serializer),
        ),
        retrieve=extend_schema(
            tags=[tag],
            summary=_("单个%(noun)s") % {"noun": noun},
            responses={200: serializer, **schema.READ_ERRORS},
        ),
        **schema.export_schemas(tag=tag, name=name, noun=noun),
    )


REFERENCE = "reference-data"


class ReferenceViewSet(ListMixin, RetrieveMixin, PortfolioViewSet):
    """The plan's reference data: public to every authenticated caller."""

    lookup_field = "code"


@_reference_schema(REFERENCE, DistrictSerializer, _("县区"), "districts")
class DistrictViewSet(ReferenceViewSet):
    queryset = District.objects.order_by("order", "code")
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilterSet
    export_name = "districts"
    export_columns = [
        Column(_("编码"), "code"),
        Column(_("名称"), "name"),
        Column(_("类型"), "kind_display"),
    ]


@_reference_schema(REFERENCE, SectorSerializer, _("产业"), "sectors")
class SectorViewSet(ReferenceViewSet):
    queryset = Sector.objects.filter(plan__is_current=True).order_by("order")
    serializer_class = SectorSerializer
    filterset_class = SectorFilterSet
    export_name = "sectors"
    export_columns = [
        Column(_("编码"), "code"),
        Column(_("产业名称"), "name"),
        Column(_("类别"), "tier_display"),
        Column(_("发展时序（星级）"), "priority", "number"),
        Column(_("发展定位"), "positioning"),
    ]


@_reference_schema(REFERENCE, ClusterSerializer, _("集聚区"), "clusters")
class ClusterViewSet(ReferenceViewSet):
    queryset = (
        Cluster.objects.filter(plan__is_current=True)
        .prefetch_related("districts")
        .order_by("number")
    )
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilterSet
    export_name = "clusters"
    export_columns = [
        Column(_("序号"), "number", "number"),
        Column(_("集聚区名称"), "name"),
        Column(_("产业带"), "belt"),
        Column(_("所在区域"), "districts", "list"),
        Column(_("规划业态"), "planned_formats"),
        Column(_("规划产值（亿元/年）"), "planned_output", "number"),
        Column(_("规划等级"), "level_display"),
        Column(_("编码"), "code"),
    ]

    def filter_queryset(self, queryset):
        # A cluster in two of the filtered districts must be listed once.
        queryset = super().filter_queryset(queryset)
        return (
            queryset.distinct() if "district" in self.request.query_params else queryset
        )


@_reference_schema(REFERENCE, DepartmentSerializer, _("责任单位"), "departments")
class DepartmentViewSet(ReferenceViewSet):
    queryset = (
        Department.objects.select_related("district")
        .prefetch_related("sectors")
        .order_by("kind", "code")
    )
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilterSet
    export_name = "departments"
    export_columns = [
        Column(_("编码"), "code"),
        Column(_("名称"), "name"),
        Column(_("类型"), "kind_display"),
        Column(_("所辖县区"), "district"),
        Column(_("主管产业"), "sectors", "list"),
    ]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return (
            queryset.distinct() if "sector" in self.request.query_params else queryset
        )


@extend_schema_view(
    list=extend_schema(
        tags=["sync"],
        summary=_("删除记录（增量同步用）"),
        description=_(
            "自 updated_since 以来被删除的项目和年度记录。传入上次同步保存的 "
            "sync_token（项目、年度记录列表每页都给出），与各列表的 updated_since "
            "配合，客户端即可只取变化部分而不遗漏删除。"
        ),
        responses=schema.list_responses(DeletionSerializer),
    ),
    **schema.export_schemas(tag="sync", name="deletions", noun=_("删除记录")),
)
class DeletionViewSet(ListMixin, PortfolioViewSet):
    serializer_class = DeletionSerializer
    pagination_class = SyncPagination
    filterset_class = DeletionFilterSet
    export_name = "deletions"
    export_columns = [
        Column(_("对象类型"), "model"),
        Column(_("对象ID"), "id"),
        Column(_("编码"), "code"),
        Column(_("删除时间"), "deleted_at"),
    ]

    def get_queryset(self):
        scope = self.access.scope
        queryset = Tombstone.objects.order_by("deleted_at", "id")
        if scope.everything:
            return queryset
        return queryset.filter(
            Q(district_id__in=scope.district_ids) | Q(sector_id__in=scope.sector_ids)
        )
