"""The monthly bulletin (月通报): made as a draft from its figures, published by the office.

- ``make_bulletin(month)``: the month's draft, its figures from ``dispatch.figures.bulletin_data``
  and its page rendered from ``dispatch/bulletin.html``; the office is told it awaits
  publication. A month that has not ended yet (``tasks.weeks.today()``) is refused
  (``dispatch.periods.NotYet``). Once made, the figures are a record: a re-run leaves them
  (``refresh=True`` recomputes a draft, never a published bulletin). The month's end is frozen
  first if the beat has not (``tasks.services.history.freeze``), so the figures read the audit
  trail of that month only.
- ``start_draft(month, refresh=, actor=)``: the same draft made by a worker when the ledger is large
  (``draft_rows`` above ``EXPORT_BACKGROUND_ROWS``): a background job (``reports.exports``, the
  weekly workbook's mechanism and page) with its progress; ``build_draft`` is the worker's part,
  which also stores the draft's workbook as the job's file (the requester's last one kept).
- ``publish_bulletin(bulletin, actor)``: the office's audited act. It numbers the document (文号,
  ``dispatch.document.freeze``) and fixes its 正文. In the same transaction it
  writes the announcement to the outbox (``outbox.services.enqueue`` of the task
  ``dispatch.announce_bulletin``, by name: ``dispatch.tasks`` stays a leaf), relayed after commit.
- ``announce_bulletin(bulletin_id)``: office staff and leaders are told, once each; every unit's
  liaisons and leaders with their own unit's figures and rank (the event ``bulletin.published``,
  ``dispatch.events``).
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dispatch import document, events
from dispatch.figures import bulletin_data
from dispatch.models import Bulletin, BulletinStatus, NotificationKind
from dispatch.notify import Delivery, Message, deliver, office_recipients
from dispatch.periods import check_month_over
from outbox.services import enqueue
from reports import exports
from reports.bulletin_xlsx import build_bulletin_workbook
from reports.models import ExportJob, ExportKind, ExportStatus
from tasks import clock
from tasks.models import Assignment, AuditEntry
from tasks.services import audit, history
from tasks.services.checks import require
from tasks.services.errors import InvalidInput, InvalidTransition

BUILD_TASK = "dispatch.build_bulletin"  # the worker's task for ``start_draft`` (dispatch.tasks)


def _published(month: str) -> InvalidTransition:
    """The refusal to remake a published month's bulletin (in the request, under the row's lock, or
    before queueing a worker)."""
    return InvalidTransition(f"{month} 月通报已发布，不能重新生成")


def audit_code(bulletin: Bulletin) -> str:
    """The audit chain's head as the bulletin was published: the short code of its publish entry
    (``audit.short_code``), printed on the page and the workbook; "" for a draft."""
    entry = (
        AuditEntry.objects.filter(
            model=Bulletin._meta.label_lower, object_id=str(bulletin.pk), action="publish_bulletin"
        )
        .only("id", "hash")
        .order_by("-id")
        .first()
    )
    return audit.short_code(entry)


def render_html(month: str, data: dict) -> str:
    return render_to_string("dispatch/bulletin.html", {"month": month, "data": data})


def make_bulletin(
    month: str, *, refresh: bool = False, actor=None, progress=None
) -> tuple[Bulletin, bool, Delivery]:
    """Make the month's draft bulletin if there is none and tell the office it awaits publication.

    Returns (bulletin, created or refreshed, messages delivered). A published bulletin never changes.
    ``dispatch.periods.BadMonth`` for a month that is not one, ``NotYet`` for a month that has not ended.
    ``actor``: the office member who asked for it in the pages (the monthly job has none): the policy's
    ``publish_bulletin`` is required and the draft's making is audited (``draft_bulletin``).
    ``progress``: called with the assignments counted so far (``bulletin_data``).
    """
    if actor is not None:
        require(actor, "publish_bulletin")
    _start, end = check_month_over(month)
    history.freeze(history.end_of(end))  # the month's end, once: the figures start from it
    status = Bulletin.objects.filter(month=month).values_list("status", flat=True).first()
    if actor is not None and status == BulletinStatus.PUBLISHED:
        raise _published(month)
    # The figures are read before the row is locked: a long read holds no lock, and a worker's
    # progress (written as it goes) is seen by the page. The lock then re-checks the status.
    data = None
    if status is None or (refresh and status == BulletinStatus.DRAFT):
        data = bulletin_data(month, progress=progress)
    with transaction.atomic():
        # The row locked without its figures: a county's draft holds megabytes of them.
        bulletin = (
            Bulletin.objects.select_for_update().only("id", "month", "status").filter(month=month).first()
        )
        changed = False
        if actor is not None and bulletin is not None and bulletin.status == BulletinStatus.PUBLISHED:
            raise _published(month)
        if bulletin is None or (data is not None and bulletin.status == BulletinStatus.DRAFT):
            before = None if bulletin is None else {"totals": _totals(bulletin)}
            data = data if data is not None else bulletin_data(month, progress=progress)
            html = render_html(month, data)
            if bulletin is None:
                bulletin = Bulletin.objects.create(month=month, data=data, html=html)
            else:
                Bulletin.objects.filter(pk=bulletin.pk).update(data=data, html=html)
                bulletin.data, bulletin.html = data, html
            changed = True
            if actor is not None:
                audit.record(
                    actor=actor,
                    action="draft_bulletin",
                    instance=bulletin,
                    before=before,
                    after={"totals": data.get("totals")},
                    note=f"{month} 月通报草稿" + ("按最新数据重新生成" if before else "生成"),
                )
        t = (data if changed else {"totals": _totals(bulletin)}).get("totals") or {}
        body = (
            f"{month} 月通报草稿已生成：台账 {t.get('total')} 项，已销号 {t.get('signed_off')} 项，"
            f"逾期 {t.get('overdue')} 项，问题反弹 {t.get('reopened')} 项。请审核后发布。"
        )
        messages = [
            Message(user_id, f"{month} 月通报草稿待发布", body, link=reverse("bulletin", args=[month]))
            for user_id in office_recipients(leaders=False)
        ]
        delivery = deliver("bulletin_draft", month, NotificationKind.BULLETIN, messages)
    return bulletin, changed, delivery


def _totals(bulletin: Bulletin) -> dict | None:
    """A stored bulletin's totals, read alone (one query, not the whole figures)."""
    return Bulletin.objects.filter(pk=bulletin.pk).values_list("data__totals", flat=True).first()


def draft_rows() -> int:
    """The rows a draft counts (one COUNT): above ``reports.exports.background_rows()`` a worker makes it."""
    return Assignment.objects.count()


def start_draft(month: str, *, refresh: bool, actor) -> tuple[ExportJob, bool]:
    """Queue the month's draft for a worker (``build_draft``) after the checks ``make_bulletin``
    makes (the policy, an ended month, not published): a refusal is the page's, nothing queued.
    Returns ``(job, created)``; the requester's open job for the same month if there is one."""
    require(actor, "publish_bulletin")
    check_month_over(month)
    if Bulletin.objects.filter(month=month, status=BulletinStatus.PUBLISHED).exists():
        raise _published(month)
    return exports.start(
        actor,
        ExportKind.BULLETIN,
        {"month": month, "refresh": bool(refresh)},
        key=f"{ExportKind.BULLETIN}:{month}",
        label=f"{month} 月通报草稿" + ("（按最新数据重新生成）" if refresh else ""),
        total=draft_rows,
        task=BUILD_TASK,
    )


def build_draft(job: ExportJob) -> dict:
    """The worker's part of ``start_draft``: make (or remake) the draft as the requester, writing
    its progress, and store the draft's workbook as the job's file; the finished job's fields."""
    month = job.params["month"]
    bulletin, _changed, _delivery = make_bulletin(
        month,
        refresh=job.params.get("refresh", False),
        actor=job.requester,
        progress=exports.progress_writer(job.pk),
    )
    rows = bulletin.data["totals"]["total"]
    job.file.save(
        f"bulletin-{job.pk}-{month}.xlsx", ContentFile(build_bulletin_workbook(bulletin, "")), save=False
    )
    return {
        "file": job.file.name,
        "filename": f"整改进展月通报-{month}.xlsx",
        "status": ExportStatus.DONE,
        "progress": rows,
        "total": rows,
        "finished_at": clock.now(),
    }


def publish_bulletin(bulletin: Bulletin, actor) -> Bulletin:
    """The office publishes a draft: audited; office and leaders are told through the outbox after commit."""
    require(actor, "publish_bulletin")
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().filter(pk=bulletin.pk).first()
        if locked is None:
            raise InvalidInput("月通报不存在")
        if locked.status == BulletinStatus.PUBLISHED:
            raise InvalidTransition("该月通报已发布")
        fields = ["status", "published_at", "published_by"]
        before = audit.snapshot(locked, fields)
        locked.status, locked.published_at, locked.published_by = (
            BulletinStatus.PUBLISHED,
            clock.now(),
            actor,
        )
        stored = document.freeze(locked, timezone.localdate(locked.published_at))
        locked.data = {**(locked.data or {}), "document": stored}
        locked.save(update_fields=[*fields, "data"])
        number = document.number_text(stored)
        audit.record(
            actor=actor,
            action="publish_bulletin",
            instance=locked,
            before=before,
            after={**audit.snapshot(locked, fields), "number": number},
            note=f"{locked.month} 月通报 {number}",
        )
        enqueue("dispatch.announce_bulletin", locked.pk, key=f"announce_bulletin:{locked.pk}")
    return locked


def announce_bulletin(bulletin_id: int) -> Delivery:
    """Tell office staff, leaders and every unit a bulletin is published. Nothing for a missing or draft bulletin."""
    bulletin = (
        Bulletin.objects.filter(pk=bulletin_id, status=BulletinStatus.PUBLISHED)
        .only("id", "month", "data")
        .first()
    )
    if bulletin is None:
        return Delivery()
    t = bulletin.data.get("totals", {})
    by_unit = bulletin.data.get("by_unit", [])
    first = [u["unit"] for u in by_unit if u.get("rank") == 1 and (u.get("on_time_rate") or 0) > 0]
    rated = any(u.get("on_time_rate") is not None for u in by_unit)
    body = "\n".join(
        [
            f"{bulletin.month} 月通报已发布。",
            f"台账 {t.get('total')} 项：已销号 {t.get('signed_off')} 项，按计划推进 {t.get('on_track')} 项，"
            f"逾期 {t.get('overdue')} 项，问题反弹 {t.get('reopened')} 项。",
            *(
                [f"按期完成率第一：{'、'.join(first)}。"]
                if first
                else ["本月到期任务无单位按期完成。"]
                if rated
                else []
            ),
            f"全文见信息公开页面 /public/bulletins/{bulletin.month}/。",
        ]
    )
    messages = [
        Message(
            user_id, f"{bulletin.month} 月通报已发布", body, link=reverse("bulletin", args=[bulletin.month])
        )
        for user_id in office_recipients(leaders=True)
    ]
    with transaction.atomic():
        delivery = deliver("bulletin", bulletin.month, NotificationKind.BULLETIN, messages)
        delivery += events.announce_bulletin(bulletin)
    return delivery
