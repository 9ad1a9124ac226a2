from .routers import PortfolioRouter
from .views import (
    ClusterViewSet,
    DeletionViewSet,
    DepartmentViewSet,
    DistrictViewSet,
    SectorViewSet,
)

router = PortfolioRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("sectors", SectorViewSet, basename="sector")
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("departments", DepartmentViewSet, basename="department")
router.register("deletions", DeletionViewSet, basename="deletion")

urlpatterns = router.urls
