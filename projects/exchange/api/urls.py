from rest_framework.routers import SimpleRouter

from .views import Oc4idsViewSet

router = SimpleRouter()
router.register("oc4ids", Oc4idsViewSet, basename="oc4ids")

urlpatterns = router.urls
