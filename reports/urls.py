from django.urls import path

from reports import api, public_api

urlpatterns = [
    path("reports/weekly.xlsx", api.WeeklyReportView.as_view(), name="reports-weekly"),
    path("reports/weekly/import/", api.WeeklyImportView.as_view(), name="reports-weekly-import"),
    path("public/disclosure/", public_api.PublicDisclosureView.as_view(), name="public-disclosure"),
    path("public/tasks/<id:pk>/", public_api.PublicTaskView.as_view(), name="public-task-history"),
]
