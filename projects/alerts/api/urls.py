"""URLs of the notices resource (``/api/v1/notices/``)."""

from rest_framework.routers import SimpleRouter

from projects.alerts.api.views import NoticeViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = router.urls
