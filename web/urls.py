from django.contrib.auth import views as auth_views
from django.urls import path

from web.views import assignment, dashboard, desk, downloads, home, inbox, ledger, public, supervision

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("ledger/", ledger.ledger, name="ledger"),
    path("ledger/weekly.xlsx", downloads.weekly_excel, name="weekly-excel"),
    path("tasks/<int:pk>/", ledger.task_page, name="task"),
    path("tasks/<int:pk>/leader-items/", ledger.add_leader_item, name="task-leader-item"),
    path("assignments/<int:pk>/", assignment.assignment_page, name="assignment"),
    path("assignments/<int:pk>/<slug:action>/", assignment.act, name="assignment-act"),
    path("evidence/<int:pk>/", assignment.evidence_file, name="evidence"),
    path("desk/", desk.desk, name="desk"),
    path("queue/", desk.queue, name="queue"),
    path("reviews/", desk.reviews, name="reviews"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.mark_all_read, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", inbox.mark_read, name="inbox-read"),
    path("supervision/", supervision.supervision, name="supervision"),
    path("supervision/listings/<int:pk>/lift/", supervision.lift, name="supervision-lift"),
    path("supervision/summons/", supervision.record_summons, name="supervision-summons"),
    path("supervision/cases/", supervision.refer_case, name="supervision-case"),
    path("supervision/cases/<int:pk>/status/", supervision.case_status, name="supervision-case-status"),
    path("public/", public.public, name="public"),
    path("public/bulletins/<str:month>/", public.public_bulletin, name="public-bulletin"),
    path("public/bulletins/<str:month>/xlsx/", downloads.public_bulletin_xlsx, name="public-bulletin-xlsx"),
    path("bulletins/<str:month>/xlsx/", downloads.bulletin_xlsx, name="bulletin-xlsx"),
]
