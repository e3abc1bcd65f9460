from rest_framework.routers import SimpleRouter

from dispatch import api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("bulletins", api.BulletinViewSet, basename="bulletin")
router.register("handovers", api.HandoverViewSet, basename="handover")
router.register("instructions", api.InstructionViewSet, basename="instruction")

urlpatterns = router.urls
