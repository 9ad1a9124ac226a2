from rest_framework.routers import SimpleRouter

from .views import ProjectViewSet, YearRecordViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("year-records", YearRecordViewSet, basename="yearrecord")

urlpatterns = router.urls
