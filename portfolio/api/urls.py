from rest_framework.routers import SimpleRouter

from .views import (
    ClusterViewSet,
    DeletionViewSet,
    DepartmentViewSet,
    DistrictViewSet,
    SectorViewSet,
)

router = SimpleRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("sectors", SectorViewSet, basename="sector")
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("departments", DepartmentViewSet, basename="department")
router.register("deletions", DeletionViewSet, basename="deletion")

urlpatterns = router.urls
