from portfolio.api.routers import PortfolioRouter

from .views import IndicatorViewSet

router = PortfolioRouter()
router.register("indicators", IndicatorViewSet, basename="indicator")

urlpatterns = router.urls
