from rest_framework.routers import SimpleRouter

from accountability import api

router = SimpleRouter()
router.register("supervisions", api.ListedSupervisionViewSet, basename="supervision")
router.register("summons", api.SummonsViewSet, basename="summons")
router.register("cases", api.CaseViewSet, basename="case")
router.register("leader-items", api.LeaderItemViewSet, basename="leader-item")

urlpatterns = router.urls
