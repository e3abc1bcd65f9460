from django.contrib import admin
from django.urls import include, path, register_converter
from django.utils.functional import lazy
from drf_spectacular.views import SpectacularSwaggerSplitView

from rectify.converters import IdConverter
from tasks.api.root import ApiRootView
from tasks.api.schema_view import SchemaView
from tasks.models import Organisation

# ``<id:pk>``, before the apps' URL modules (and the admin's) are read.
register_converter(IdConverter, "id")

admin.site.site_header = "整改台账 · 管理后台"
admin.site.site_title = "整改台账"
# The province's name is data (tasks.Organisation), read when a page is drawn.
admin.site.index_title = lazy(lambda: Organisation.current().site_title, str)()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", ApiRootView.as_view(), name="api-root"),
    path("api/", include("accounts.urls")),
    path("api/", include("tasks.api.urls")),
    path("api/", include("dispatch.urls")),
    path("api/", include("reports.urls")),
    path("api/", include("accountability.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),  # generated once per process
    # Signed-in callers only unless DEBUG (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the split
    # view serves its script from ?script= rather than inline (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("accounts.web_urls")),
    path("", include("web.urls")),
]

# Django's own error answers: JSON under /api/, the pages in templates/ elsewhere (rectify/errors.py).
handler400 = "rectify.errors.bad_request"
handler403 = "rectify.errors.permission_denied"
handler404 = "rectify.errors.not_found"
handler500 = "rectify.errors.server_error"
