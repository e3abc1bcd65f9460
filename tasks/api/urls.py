from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tasks.api import views

router = DefaultRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("units", views.UnitViewSet, basename="unit")
router.register("officials", views.OfficialViewSet, basename="official")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]
