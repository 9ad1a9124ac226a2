"""URLs of the notices resource (``/api/v1/notices/``)."""

from portfolio.api.routers import PortfolioRouter
from projects.alerts.api.views import NoticeViewSet

router = PortfolioRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = router.urls
