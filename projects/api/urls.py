from portfolio.api.routers import PortfolioRouter

from .views import ProjectViewSet, YearRecordViewSet

router = PortfolioRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("year-records", YearRecordViewSet, basename="yearrecord")

urlpatterns = router.urls
