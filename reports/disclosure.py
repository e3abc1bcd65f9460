"""每周公开: the weekly disclosure the office reviews and publishes, and what the public reads of it.

- ``open_draft(week, actor)``: the week's draft (made if there is none): per public task its roll-up
  status (``TaskQuerySet.with_status``), the units signed off and overdue (the one bucket rule,
  ``tasks.models.levels.bucket_on``, judged on the figures' date ``as_of``), each unit's public status
  and city, and a generated wording the office edits. A past week with frozen weekly snapshots
  (``reports.models.WeeklySnapshot``) is read from them, so its figures are the week's; the current
  week from the live ledger. ``as_of`` is the week's Sunday, or today for the current week.
- ``save_wording(disclosure, actor, changes)``: the office's edits of a draft (wording, and a percentage
  only if the office chooses to publish one), audited.
- ``publish(disclosure, actor)``: audited; from then on the disclosure and its items are frozen
  (``reports.models.Frozen``). ``correct(disclosure, actor, note)`` starts the next version of the
  week from the published one; publishing it supersedes the earlier version on the public pages.

The public reads only published disclosures (``current``, ``latest_per_week``, ``task_history``):
a liaison's self-reported percentage is never copied into a disclosure, so it cannot reach the
public unless the office typed it into ``DisclosureItem.percent`` and published it.
"""

import datetime

from django.db import transaction
from django.db.models import Max, Q

from reports.models import Disclosure, DisclosureItem, DisclosureStatus, WeeklySnapshot
from tasks import clock
from tasks.choices import Status, TaskStatus, UnitKind
from tasks.models import Assignment, Organisation, Task
from tasks.models.levels import bucket_on
from tasks.models.plan import unit_sort_key
from tasks.services import audit
from tasks.services.checks import NUL_MESSAGE, check_no_nul, require
from tasks.services.errors import InvalidInput, InvalidTransition
from tasks.weeks import BadWeek, clean_week, parse_week, today, week_of

# A unit's status as the public reads it: the internal stages of a sign-off are 整改中 until signed off.
PUBLIC_STATUS = {
    Status.NOT_STARTED: "未启动",
    Status.IN_PROGRESS: "整改中",
    Status.SIGNOFF_REQUESTED: "整改中",
    Status.UNIT_VERIFIED: "整改中",
    Status.SIGNED_OFF: "已销号",
    Status.REOPENED: "整改中",
}
ITEM_FIELDS = ["wording", "percent"]
WORDING_MAX = 1000


def city_of(kind: str, name: str, parent_name: str | None, cities: set) -> str:
    """The city a unit belongs to: a city itself, a county or city department its parent; "" otherwise."""
    if kind == UnitKind.CITY or name in cities:
        return name
    return parent_name if parent_name in cities else ""


def week_bounds(week: str) -> tuple[datetime.date, datetime.date]:
    monday = parse_week(week)
    return monday, monday + datetime.timedelta(days=6)


def check_week(week: str) -> str:
    """A week that has begun (ISO ``YYYY-Www``); a bad or future week is a 400."""
    try:
        week = clean_week(week)  # full-width digits and a lower-case w read as the plain week
    except BadWeek:
        raise InvalidInput(f"“{str(week)[:20]}”不是有效的周（如 2017-W36）", field="week") from None
    monday, _sunday = week_bounds(week)
    if monday > today():
        raise InvalidInput(f"{week} 尚未开始，不能公开", field="week")
    return week


def default_wording(status: str, total: int, done: int, overdue: int) -> str:
    if status == TaskStatus.SIGNED_OFF:
        return f"{total} 个责任单位均已完成整改并销号。"
    words = f"{total} 个责任单位中 {done} 个已完成整改并销号"
    if overdue:
        words += f"，{overdue} 个超过整改时限，省督察办已督促加快整改"
    return words + "。"


def _frozen_states(week: str, current: bool) -> dict:
    """(status, effective_due) per assignment id from a past week's snapshots; {} for the current week
    or a week never frozen (then the live ledger is read)."""
    if current:
        return {}
    rows = WeeklySnapshot.objects.filter(week=week).values_list("assignment_id", "status", "effective_due")
    return {pk: (status, due) for pk, status, due in rows}


def compute_items(week: str, as_of: datetime.date, current: bool) -> list[DisclosureItem]:
    """The week's items, unsaved: three queries (tasks, assignments, the week's snapshots)."""
    cities = set(Organisation.current().cities)
    tasks = list(
        Task.objects.filter(is_public=True)
        .with_status()
        .select_related("category", "plan")
        .only(
            "id",
            "number",
            "problem",
            "deadline_text",
            "plan_id",
            "plan__title",
            "category__number",
            "category__title",
        )
        .order_by("plan_id", "category__number", "number")
    )
    frozen = _frozen_states(week, current)
    rows = (
        Assignment.objects.filter(task__is_public=True)
        .select_related("unit__parent")
        .only(
            "id",
            "task_id",
            "status",
            "due_date",
            "extended_due_date",
            "unit__name",
            "unit__kind",
            "unit__parent__name",
        )
    )
    per_task: dict[int, list] = {}
    for a in rows:
        status, due = frozen.get(a.pk, (a.status, a.extended_due_date or a.due_date))
        parent = a.unit.parent.name if a.unit.parent_id else None
        per_task.setdefault(a.task_id, []).append(
            {
                "unit": a.unit.name,
                "kind": a.unit.kind,
                "city": city_of(a.unit.kind, a.unit.name, parent, cities),
                "status": PUBLIC_STATUS[status],
                "bucket": bucket_on(as_of, status=status, effective_due=due),
            }
        )
    items = []
    for task in tasks:
        units = sorted(per_task.get(task.pk, []), key=lambda u: unit_sort_key(u["unit"], u["kind"]))
        done = sum(1 for u in units if u["bucket"] == "signed_off")
        overdue = sum(1 for u in units if u["bucket"] == "overdue")
        if units and done == len(units):
            status = TaskStatus.SIGNED_OFF.value
        elif all(u["status"] == "未启动" for u in units):
            status = TaskStatus.NOT_STARTED.value
        else:
            status = TaskStatus.IN_PROGRESS.value
        items.append(
            DisclosureItem(
                task=task,
                plan_id=task.plan_id,
                plan_title=task.plan.title,
                category_number=task.category.number,
                category_title=task.category.title,
                task_number=task.number,
                problem=task.problem,
                deadline_text=task.deadline_text[:200],
                status=status,
                units_total=len(units),
                units_done=done,
                units_overdue=overdue,
                cities=" ".join(sorted({u["city"] for u in units if u["city"]})),
                units=[{"unit": u["unit"], "city": u["city"], "status": u["status"]} for u in units],
                wording=default_wording(status, len(units), done, overdue),
            )
        )
    return items


def open_draft(week: str, actor) -> tuple[Disclosure, bool]:
    """The week's draft, made from the ledger if the week has none yet; (disclosure, created).

    A week already published is refused: its correction is ``correct``.
    """
    require(actor, "review_disclosure")
    week = check_week(week)
    with transaction.atomic():
        existing = Disclosure.objects.select_for_update().filter(week=week).order_by("-version").first()
        if existing is not None and not existing.is_published:
            return existing, False
        if existing is not None:
            raise InvalidTransition(f"{week} 的每周公开已发布；如需更正，请在已发布的版本上发起更正")
        _monday, sunday = week_bounds(week)
        current = week == week_of(today())
        as_of = today() if current else sunday
        disclosure = Disclosure.objects.create(week=week, version=1, as_of=as_of)
        items = compute_items(week, as_of, current)
        for item in items:
            item.disclosure = disclosure
        DisclosureItem.objects.bulk_create(items)
        audit.record(
            actor=actor,
            action="open_disclosure",
            instance=disclosure,
            before=None,
            after={**audit.snapshot(disclosure, ["week", "version", "as_of"]), "items": len(items)},
            note=f"{week} 每周公开草稿（{len(items)} 项任务）",
        )
    return disclosure, True


def _locked_draft(disclosure: Disclosure) -> Disclosure:
    locked = Disclosure.objects.select_for_update().filter(pk=disclosure.pk).first()
    if locked is None:
        raise InvalidInput("每周公开不存在")
    if locked.is_published:
        raise InvalidTransition("该版本已发布，不能修改；如需更正，请发起更正")
    return locked


def clean_percent(value, field: str):
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 100:
        raise InvalidInput("公开的完成比例应为 0–100 的整数，或留空不公开", field=field)
    return int(text)


def save_wording(disclosure: Disclosure, actor, changes: dict[int, dict]) -> int:
    """The office's edits of a draft's items: ``{item id: {"wording": …, "percent": …}}``. Audited; how many changed."""
    require(actor, "review_disclosure")
    with transaction.atomic():
        locked = _locked_draft(disclosure)
        items = {i.pk: i for i in locked.items.select_for_update().filter(pk__in=list(changes))}
        if set(changes) - set(items):
            raise InvalidInput("条目不属于该每周公开", field="items")
        changed = 0
        for pk, values in changes.items():
            item = items[pk]
            wording = check_no_nul((values.get("wording") or "").strip(), f"wording-{pk}", "公开说明")
            if len(wording) > WORDING_MAX:
                raise InvalidInput(f"公开说明不能超过 {WORDING_MAX} 字", field=f"wording-{pk}")
            percent = clean_percent(values.get("percent"), f"percent-{pk}")
            if (item.wording, item.percent) == (wording, percent):
                continue
            before = audit.snapshot(item, ITEM_FIELDS)
            item.wording, item.percent = wording, percent
            item.save(update_fields=ITEM_FIELDS)
            audit.record(
                actor=actor,
                action="edit_disclosure",
                instance=item,
                before=before,
                after=audit.snapshot(item, ITEM_FIELDS),
                note=f"{locked} 任务{item.task_number}",
            )
            changed += 1
    return changed


def publish(disclosure: Disclosure, actor) -> Disclosure:
    """The office publishes a draft: audited, then frozen; it supersedes earlier versions of its week."""
    require(actor, "publish_disclosure")
    with transaction.atomic():
        locked = _locked_draft(disclosure)
        before = audit.snapshot(locked, ["status", "published_at", "published_by"])
        locked.status = DisclosureStatus.PUBLISHED
        locked.published_at, locked.published_by = clock.now(), actor
        locked.save(update_fields=["status", "published_at", "published_by"])
        audit.record(
            actor=actor,
            action="publish_disclosure",
            instance=locked,
            before=before,
            after=audit.snapshot(locked, ["status", "published_at", "published_by"]),
            note=f"{locked} 每周公开发布" + (f"（更正：{locked.note}）" if locked.note else ""),
        )
    return locked


def correct(disclosure: Disclosure, actor, note: str) -> Disclosure:
    """A correction of a published week: the next version, a draft copied from the latest published one."""
    require(actor, "publish_disclosure")
    note = check_no_nul((note or "").strip(), "note", "更正说明")
    if not note:
        raise InvalidInput("请填写更正说明", field="note")
    if len(note) > 200:
        raise InvalidInput("更正说明不能超过 200 字", field="note")
    with transaction.atomic():
        versions = Disclosure.objects.select_for_update().filter(week=disclosure.week).order_by("-version")
        latest = versions.first()
        if latest is None or not disclosure.is_published:
            raise InvalidTransition("只能更正已发布的每周公开")
        if not latest.is_published:
            raise InvalidTransition(f"{disclosure.week} 已有待发布的更正稿（第{latest.version}版）")
        source = versions.published().first()
        new = Disclosure.objects.create(
            week=source.week, version=latest.version + 1, as_of=source.as_of, note=note
        )
        copies = list(source.items.all())
        for item in copies:
            item.pk, item.disclosure = None, new
        DisclosureItem.objects.bulk_create(copies)
        audit.record(
            actor=actor,
            action="correct_disclosure",
            instance=new,
            before={"version": source.version},
            after=audit.snapshot(new, ["week", "version", "note"]),
            note=f"{new} 更正稿：{note}",
        )
    return new


# --- what the public reads: published versions only --------------------------------------------------


def current() -> Disclosure | None:
    return Disclosure.objects.current()


def latest_versions():
    """Per week the latest published version's id (one subquery-able values queryset)."""
    return (
        Disclosure.objects.published()
        .values("week")
        .annotate(latest=Max("version"))
        .values_list("week", "latest")
    )


def task_history(task_id: int) -> list[DisclosureItem]:
    """A task's published items, week by week (latest week first), each week's latest version: two queries."""
    latest = dict(latest_versions())
    items = (
        DisclosureItem.objects.filter(task_id=task_id, disclosure__status=DisclosureStatus.PUBLISHED)
        .select_related("disclosure")
        .order_by("-disclosure__week", "-disclosure__version")
    )
    return [i for i in items if latest.get(i.disclosure.week) == i.disclosure.version]


def public_items(
    disclosure: Disclosure,
    *,
    q: str = "",
    city: str = "",
    category: int | None = None,
    plan: int | None = None,
):
    """A published disclosure's items the public asked for (task text, city, category, plan): a queryset."""
    items = DisclosureItem.objects.filter(disclosure=disclosure)
    if plan is not None:
        items = items.filter(plan_id=plan)
    if q:
        items = items.filter(Q(problem__icontains=q) | Q(wording__icontains=q))
    if city:
        items = items.filter(cities__contains=city)
    if category is not None:
        items = items.filter(category_number=category)
    return items.order_by("plan_id", "category_number", "task_number", "id")


def plans_of(disclosure: Disclosure) -> list[tuple[int, str]]:
    """The plans a disclosure covers, (id, title), for its filter (one query)."""
    return list(
        DisclosureItem.objects.filter(disclosure=disclosure, plan__isnull=False)
        .values_list("plan_id", "plan_title")
        .distinct()
        .order_by("plan_id", "plan_title")
    )


def categories_of(disclosure: Disclosure) -> list[tuple[int, str]]:
    """The categories a disclosure covers, (number, title), for its filter (one query)."""
    rows = (
        DisclosureItem.objects.filter(disclosure=disclosure)
        .values_list("category_number", "category_title")
        .distinct()
        .order_by("category_number", "category_title")
    )
    seen, out = set(), []
    for number, title in rows:
        if number not in seen:
            seen.add(number)
            out.append((number, title))
    return out


def public_filters(params) -> tuple[dict, dict]:
    """The public page's (and the public API's) filters read from ``params``: (filters, errors).

    ``q`` task text (up to 50 characters), ``city`` one of the province's cities, ``category`` a
    category number, ``plan`` a plan's id (several plans side by side). An unusable value is reported, never a 500.
    """
    errors, filters = {}, {"q": "", "city": "", "category": None, "plan": None}
    q = (params.get("q") or "").strip()
    if "\x00" in q:
        errors["q"] = f"检索词{NUL_MESSAGE}"
    elif len(q) > 50:
        errors["q"] = "检索词不能超过 50 字"
    else:
        filters["q"] = q
    city = (params.get("city") or "").strip()
    if city and city not in Organisation.current().cities:
        errors["city"] = f"没有“{city[:20]}”这个市"
    else:
        filters["city"] = city
    for name, message in (("category", "问题类别应为类别序号"), ("plan", "整改方案应为方案编号")):
        value = (params.get(name) or "").strip()
        if value:
            if value.isascii() and value.isdigit() and len(value) < 10:
                filters[name] = int(value)
            else:
                errors[name] = message
    return filters, errors
