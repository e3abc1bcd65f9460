"""The office's channel pages: each unit's channels (消息渠道) and the log of external deliveries."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from dispatch import channels as channel_services
from dispatch.models import ChannelSetting, DeliveryLog
from reports.tables import Table, TableColumn
from tasks.models import Unit
from tasks.policy import ROLES
from tasks.services.errors import LedgerError
from web.access import role_required
from web.exports import filter_caption, local, wants_xlsx, xlsx_response
from web.forms import ChannelForm, DeliveryFilterForm

PAGE_SIZE = 50


@role_required(ROLES["configure_channels"][0])
def channel_list(request):
    """Every unit and its channels (2 queries: units, settings)."""
    settings_by_unit = {s.unit_id: s for s in ChannelSetting.objects.all()}
    units = [(unit, settings_by_unit.get(unit.pk)) for unit in Unit.objects.order_by("kind", "name")]
    return render(request, "web/channels.html", {"units": units})


@require_http_methods(["GET", "POST"])
@role_required(ROLES["configure_channels"][0])
def channel_edit(request, pk):
    unit = get_object_or_404(Unit, pk=pk)
    setting = ChannelSetting.objects.filter(unit=unit).first() or ChannelSetting(unit=unit)
    status = 200
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            try:
                channel_services.configure(unit, actor=request.user, **form.values())
            except LedgerError as error:
                form.show_error(error)
                status = error.status_code
            else:
                messages.success(request, f"已保存{unit.name}的消息渠道")
                return redirect("channels")
        else:
            status = 400
    else:
        form = ChannelForm(
            initial={
                field: getattr(setting, field)
                for field in ("email", "webhook", "robot_kind", "robot_url", "sms", "phones")
            }
        )
    context = {"unit": unit, "form": form, "secret_set": bool(setting.robot_secret)}
    return render(request, "web/channel_edit.html", context, status=status)


@role_required(ROLES["read_deliveries"][0])
def deliveries(request):
    """投递记录: every external delivery, newest first, by status and channel (2 queries: count, page)."""
    form = DeliveryFilterForm(request.GET or None)
    rows = DeliveryLog.objects.select_related("unit").order_by("-created_at", "-id")
    valid = not form.is_bound or form.is_valid()
    if form.is_bound and valid:
        for field in ("status", "channel"):
            if form.cleaned_data[field]:
                rows = rows.filter(**{field: form.cleaned_data[field]})
    if wants_xlsx(request) and valid:
        return xlsx_response("投递记录", [delivery_table(rows, form if form.is_bound else None)])
    page = Paginator(rows if valid else rows.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(
        f"{k}={v}" for k, v in (form.cleaned_data.items() if form.is_bound and valid else []) if v
    )
    return render(
        request,
        "web/deliveries.html",
        {"page": page, "form": form, "query": query},
        status=200 if valid else 400,
    )


def delivery_table(rows, form) -> Table:
    columns = [
        TableColumn("生成时间", lambda d: local(d.created_at), 17, "center"),
        TableColumn("渠道", lambda d: d.get_channel_display(), 10, "center"),
        TableColumn("事项", lambda d: d.job, 18),
        TableColumn("对象", lambda d: d.period, 12),
        TableColumn("责任单位", lambda d: d.unit.name if d.unit else "", 14),
        TableColumn("收件地址", lambda d: d.address, 30),
        TableColumn("标题", lambda d: d.subject, 36),
        TableColumn("状态", lambda d: d.get_status_display(), 10, "center"),
        TableColumn("尝试次数", lambda d: d.attempts, 8, "int"),
        TableColumn("最近错误", lambda d: d.last_error, 30),
        TableColumn("送达时间", lambda d: local(d.sent_at), 17, "center"),
    ]
    return Table("投递记录", columns, rows.iterator(chunk_size=500), caption=filter_caption(form))
