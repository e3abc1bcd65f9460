from django.urls import path

from reports import api

urlpatterns = [
    path("reports/weekly.xlsx", api.WeeklyReportView.as_view(), name="reports-weekly"),
    path("reports/weekly/import/", api.WeeklyImportView.as_view(), name="reports-weekly-import"),
]
