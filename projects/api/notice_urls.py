"""URLs of the notices resource (``/api/v1/notices/``)."""

from rest_framework.routers import SimpleRouter

from .notices import NoticeViewSet

router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = router.urls
