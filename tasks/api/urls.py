from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tasks.api import ledger_views, views

router = DefaultRouter()
router.include_root_view = False  # the root is tasks.api.root.ApiRootView, listing every area
router.register("tasks", views.TaskViewSet, basename="task")
router.register("units", views.UnitViewSet, basename="unit")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("assignments", ledger_views.AssignmentViewSet, basename="assignment")

urlpatterns = [
    path("evidence/<id:pk>/", ledger_views.EvidenceDownloadView.as_view(), name="api-evidence"),
    path("", include(router.urls)),
]
