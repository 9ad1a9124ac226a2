from portfolio.api.routers import PortfolioRouter

from .plans import AdjustmentViewSet, PlanViewSet
from .views import ProjectViewSet, YearRecordViewSet

router = PortfolioRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("year-records", YearRecordViewSet, basename="yearrecord")
router.register("plans", PlanViewSet, basename="plan")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")

urlpatterns = router.urls
