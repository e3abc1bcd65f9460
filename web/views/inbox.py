"""The inbox: the user's own notifications from dispatches, chasers, warnings and bulletins."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dispatch.filtersets import NotificationFilterSet
from dispatch.models import Notification
from reports.tables import Table, TableColumn
from tasks import clock
from tasks.policy import OVERSIGHT, role_of
from web.exports import filter_caption, local, wants_xlsx, xlsx_response
from web.views.common import safe_next

PAGE_SIZE = 30


def notifications():
    return Notification.objects


@login_required
def inbox(request):
    mine = notifications().filter(user=request.user).order_by("-created_at", "-id")
    filters = NotificationFilterSet(request.GET or None, mine, request=request)
    valid = not filters.is_bound or filters.is_valid()
    if wants_xlsx(request) and valid:
        return xlsx_response("收件箱", [inbox_table(filters.qs, filters.form if filters.is_bound else None)])
    page = Paginator(filters.qs if valid else mine.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unread_only": valid and filters.is_bound and filters.form.cleaned_data.get("unread") is True,
        "errors": [] if valid else [message for messages in filters.errors.values() for message in messages],
        "bulletin_workbooks": role_of(request.user) in OVERSIGHT,
    }
    return render(request, "web/inbox.html", context, status=200 if valid else 400)


def inbox_table(rows, form) -> Table:
    columns = [
        TableColumn("时间", lambda n: local(n.created_at), 17, "center"),
        TableColumn("类型", lambda n: n.get_kind_display(), 12, "center"),
        TableColumn("标题", lambda n: n.subject, 36),
        TableColumn("正文", lambda n: n.body, 60),
        TableColumn("办理页面", lambda n: n.link, 22),
        TableColumn("阅读时间", lambda n: local(n.read_at), 17, "center"),
    ]
    return Table("收件箱", columns, rows.iterator(chunk_size=500), caption=filter_caption(form))


@require_POST
@login_required
def mark_read(request, pk):
    """Mark one of the user's own notifications read; anyone else's is a 404."""
    note = get_object_or_404(notifications(), pk=pk, user=request.user)
    notifications().filter(pk=note.pk, read_at__isnull=True).update(read_at=clock.now())
    return redirect(safe_next(request, "inbox"))


@require_POST
@login_required
def mark_all_read(request):
    notifications().filter(user=request.user, read_at__isnull=True).update(read_at=clock.now())
    return redirect("inbox")
