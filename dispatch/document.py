"""The monthly bulletin as the office's document (通报): title, 文号, 正文, 印发范围 and date.

The document lives in ``Bulletin.data["document"]`` beside the figures:

- ``body``: the 正文 the office edited (``save_document``), or absent while the draft is the one
  generated from the figures (``draft_body``); ``distribution``: the 印发范围;
- set when the bulletin is published (``freeze``, called by ``publish_bulletin`` in its
  transaction): ``year`` and ``number`` (the 文号 ``晋督察办〔2017〕12号``: numbered per year of
  publication, the next after the year's last published bulletin), ``date`` (the publication
  day) and ``body`` (the text as published, generated or edited).

The draft names tasks from the figures the public may read (``figures.public_data``): the
published document is one document for the office, the units and the public page. It names
units, never people. ``make_bulletin --refresh`` recomputes a draft's figures and drops an
edited body with them (the text was written from the old figures).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accountability.models import ListedSupervision, Summons
from dispatch.figures import public_data
from dispatch.models import Bulletin, BulletinStatus
from dispatch.periods import parse_month
from tasks.models import Organisation
from tasks.services import audit, history
from tasks.services.checks import require
from tasks.services.errors import InvalidInput, InvalidTransition

MAX_BODY = 20000
MAX_DISTRIBUTION = 300
NAMED = 30  # the longest list of tasks the draft names in a sentence; the rest are counted
LAGGING = 5  # the units the draft names for lagging, at most


def title(month: str) -> str:
    start, _end = parse_month(month)
    return f"关于{start.year}年{start.month}月中央环保督察反馈问题整改进展情况的通报"


def number_text(document: dict) -> str:
    """The 文号, e.g. 晋督察办〔2017〕12号; "" before the bulletin is published."""
    if not document.get("number"):
        return ""
    return f"{settings.BULLETIN_NUMBER_PREFIX}〔{document['year']}〕{document['number']}号"


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _tasks(entries: list[dict], describe) -> str:
    named = "、".join(describe(e) for e in entries[:NAMED])
    return named + (f"等 {len(entries)} 项" if len(entries) > NAMED else "")


def _month_facts(month: str) -> dict:
    """What the figures do not hold: the month's listed supervisions and summons (two queries)."""
    start, end = parse_month(month)
    since, until = history.start_of(start), history.end_of(end)
    listed = list(
        ListedSupervision.objects.filter(listed_at__gte=since, listed_at__lt=until)
        .select_related("assignment__task", "assignment__unit")
        .order_by("listed_at", "pk")
    )
    summons = list(
        Summons.objects.filter(held_on__gte=start, held_on__lte=end)
        .select_related("unit")
        .order_by("held_on", "pk")
    )
    return {
        "listed": [
            {
                "task_number": s.assignment.task.number,
                "unit": s.assignment.unit.name,
                "deadline": s.deadline,
                "public": s.assignment.task.is_public,
            }
            for s in listed
        ],
        "summons": [{"unit": s.unit.name, "held_on": s.held_on} for s in summons],
    }


def draft_body(bulletin: Bulletin) -> str:
    """The 正文 written from the month's figures: the draft the office edits before publishing."""
    data = public_data(bulletin.data or {})
    facts = _month_facts(bulletin.month)
    start, end = parse_month(bulletin.month)
    t = data.get("totals", {})
    by_unit = data.get("by_unit", [])
    paragraphs = [
        f"为推动中央环境保护督察反馈问题整改落实，现将{start.year}年{start.month}月全省整改进展情况通报如下。",
        "一、总体进展",
        f"截至{chinese_date(end)}，全省整改台账共 {t.get('total', 0)} 项，涉及 {len(by_unit)} 个责任单位："
        f"已销号 {t.get('signed_off', 0)} 项，按计划推进 {t.get('on_track', 0)} 项，逾期 {t.get('overdue', 0)} 项，"
        f"问题反弹 {t.get('reopened', 0)} 项。" + _change(data),
        "二、销号情况",
    ]
    signed = data.get("newly_signed_off", [])
    reopened = data.get("newly_reopened", [])
    paragraphs.append(
        f"本月经省督察办审核销号 {len(signed)} 项：{_tasks(signed, _task_unit)}。"
        if signed
        else "本月无新销号任务。"
    )
    if reopened:
        paragraphs.append(
            f"回头看发现问题反弹、重新整改 {len(reopened)} 项：{_tasks(reopened, _task_unit)}。"
        )
    paragraphs.append("三、逾期未完成情况")
    overdue = data.get("overdue", [])
    paragraphs.append(
        f"截至月底逾期未完成 {t.get('overdue', 0)} 项：{_tasks(overdue, _overdue)}。"
        if overdue
        else (
            "截至月底无逾期未完成任务。"
            if not t.get("overdue")
            else f"截至月底逾期未完成 {t['overdue']} 项。"
        )
    )
    paragraphs.append("四、各单位按期完成情况")
    rated = [u for u in by_unit if u.get("rank") is not None]
    if rated:
        if not any(u.get("on_time_rate") for u in rated):
            paragraphs.append("本月到期任务无单位按期完成。")
        paragraphs.append(
            "按到期任务按期完成率排名："
            + "；".join(f"第{u['rank']}名 {u['unit']}（{_percent(u.get('on_time_rate'))}）" for u in rated)
            + "。"
        )
    else:
        paragraphs.append("截至月底各单位尚无到期任务，本月不排名。")
    lagging = sorted(
        (u for u in rated if u.get("overdue")),
        key=lambda u: (-u["rank"], -u.get("overdue", 0)),
    )[:LAGGING]
    if lagging:
        paragraphs.append(
            "以下单位整改进展滞后，予以通报："
            + "、".join(
                f"{u['unit']}（逾期 {u['overdue']} 项，按期完成率 {_percent(u.get('on_time_rate'))}）"
                for u in lagging
            )
            + "。"
        )
    missed = data.get("missed_reports", [])
    if missed:
        paragraphs.append(
            "未按时报送整改进展的单位："
            + "、".join(f"{m['unit']}（{len(m.get('weeks', []))} 周）" for m in missed[:NAMED])
            + "。"
        )
    paragraphs.append("五、挂牌督办和约谈情况")
    listed = [s for s in facts["listed"] if s["public"]]
    hidden = len(facts["listed"]) - len(listed)
    paragraphs.append(
        (
            f"本月挂牌督办 {len(facts['listed'])} 项"
            + (
                "："
                + "、".join(
                    f"任务{s['task_number']}（{s['unit']}，督办期限{chinese_date(s['deadline'])}）"
                    for s in listed
                )
                if listed
                else ""
            )
            + (f"{'；另有' if listed else '，其中'} {hidden} 项不予公开" if hidden else "")
            + "。"
        )
        if facts["listed"]
        else "本月无新挂牌督办任务。"
    )
    summons = facts["summons"]
    paragraphs.append(
        f"本月约谈 {len(summons)} 次："
        + "、".join(f"{s['unit']}（{chinese_date(s['held_on'])}）" for s in summons)
        + "。"
        if summons
        else "本月未约谈责任单位。"
    )
    paragraphs += [
        "六、下一步工作要求",
        "各责任单位要对照整改方案和台账逐项抓好落实，按时报送整改进展。对逾期未完成的任务，要说明原因、"
        "明确完成时限，确需延期的按程序申请；对回头看发现反弹的问题，要重新制定措施，限期整改到位。"
        "省督察办将持续跟踪督办，对整改不力、弄虚作假的依规依纪严肃问责。",
    ]
    return "\n".join(paragraphs)


def _change(data: dict) -> str:
    change, previous = data.get("change"), data.get("previous")
    if not change or not previous:
        return ""

    def moved(key, label):
        n = change.get(key, 0)
        return f"{label}{'增加' if n > 0 else '减少'} {abs(n)} 项" if n else f"{label}持平"

    year, _, month = str(previous["month"]).partition("-")
    named = f"{year}年{int(month)}月" if month.isdigit() else previous["month"]
    return f"与{named}相比，{moved('signed_off', '已销号')}，{moved('overdue', '逾期')}。"


def _task_unit(entry: dict) -> str:
    return f"任务{entry['task_number']}（{entry['unit']}）"


def _overdue(entry: dict) -> str:
    due = entry.get("effective_due") or entry.get("due_date")
    return f"任务{entry['task_number']}（{entry['unit']}，期限 {due}）" if due else _task_unit(entry)


def document_of(bulletin: Bulletin) -> dict:
    """Everything the document shows: stored fields, else the draft's (the body costs two queries then)."""
    stored = (bulletin.data or {}).get("document") or {}
    org = Organisation.current()
    published_on = (
        datetime.date.fromisoformat(stored["date"])
        if stored.get("date")
        else (timezone.localdate(bulletin.published_at) if bulletin.published_at else None)
    )
    return {
        "title": title(bulletin.month),
        "number": number_text(stored),
        "body": stored.get("body") or draft_body(bulletin),
        "edited": bool(stored.get("body")) and bulletin.status == BulletinStatus.DRAFT,
        "distribution": stored.get("distribution") or settings.BULLETIN_DISTRIBUTION,
        "issuer": f"{org.province}{org.office_name.removeprefix('省')}",
        "date": chinese_date(published_on) if published_on else "",
        "published": bulletin.status == BulletinStatus.PUBLISHED,
    }


def _clean(body: str, distribution: str) -> tuple[str, str]:
    body = "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").split("\n")).strip()
    distribution = " ".join((distribution or "").split())
    if not body:
        raise InvalidInput("正文不能为空", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"正文不能超过 {MAX_BODY} 字", field="body")
    if not distribution:
        raise InvalidInput("印发范围不能为空", field="distribution")
    if len(distribution) > MAX_DISTRIBUTION:
        raise InvalidInput(f"印发范围不能超过 {MAX_DISTRIBUTION} 字", field="distribution")
    return body, distribution


def save_document(bulletin: Bulletin, actor, *, body: str, distribution: str) -> Bulletin:
    """The office edits a draft's 正文 and 印发范围: audited (``edit_bulletin``, the text before and after)."""
    require(actor, "publish_bulletin")
    body, distribution = _clean(body, distribution)
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().filter(pk=bulletin.pk).first()
        if locked is None:
            raise InvalidInput("月通报不存在")
        if locked.status == BulletinStatus.PUBLISHED:
            raise InvalidTransition("该月通报已发布，正文不能再修改")
        stored = dict((locked.data or {}).get("document") or {})
        before = {"body": stored.get("body"), "distribution": stored.get("distribution")}
        stored.update(body=body, distribution=distribution)
        locked.data = {**(locked.data or {}), "document": stored}
        locked.save(update_fields=["data"])
        audit.record(
            actor=actor,
            action="edit_bulletin",
            instance=locked,
            before=before,
            after={"body": body, "distribution": distribution},
            note=f"{locked.month} 月通报正文",
        )
    return locked


def freeze(locked: Bulletin, day: datetime.date) -> dict:
    """The document as published on ``day``: numbered for the year, its text fixed.

    Called by ``publish_bulletin`` with the bulletin locked; every bulletin row is locked here
    too, so two publications in the same year take two numbers, one after the other."""
    list(Bulletin.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    numbers = [
        (b.get("document") or {}).get("number") or 0
        for b in Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).values_list("data", flat=True)
        if ((b or {}).get("document") or {}).get("year") == day.year
    ]
    stored = dict((locked.data or {}).get("document") or {})
    stored.update(
        year=day.year,
        number=max(numbers, default=0) + 1,
        date=day.isoformat(),
        body=stored.get("body") or draft_body(locked),
        distribution=stored.get("distribution") or settings.BULLETIN_DISTRIBUTION,
    )
    return stored
