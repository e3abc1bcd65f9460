"""The events of the ledger and who is told of each: one table, like the state machine's.

A service emits an event inside its transaction (``tasks.events.emit(name, **objects)``, one
line per event; ``DispatchConfig.ready`` connects ``on_event`` here). ``on_event`` looks the
event up in ``EVENTS``, finds its recipients by the rules in ``told``, renders the message from
``dispatch/templates/notifications/<event>.txt`` (first line the subject, then the body) and
``announce``s it: one inbox message per recipient, stored in the same transaction, and one
``DeliveryLog`` per external channel of the recipient's unit (``ChannelSetting``), sent by
Celery tasks through the outbox after commit (``dispatch/channels.py``), as the jobs' messages are. A channel that
fails retries on its own and never holds back the inbox message.

Exactly once: the inbox message's key is ``(job, period, user)`` = (the event's name, the
object's id, the recipient), unique in the database; a channel's is ``(channel, job, period,
target)``. A retried request, a second run of a job or a redelivered task tells no one twice.

Fan-out costs a fixed number of queries whatever the number of recipients (bulk inserts).
"""

import functools
from dataclasses import dataclass

from django.db.models import Q
from django.template import Context, Engine
from django.urls import reverse

from dispatch import notify
from dispatch.models import NotificationKind
from tasks.choices import Role
from tasks.models.people import Membership

# Who is told: the rules of the table's ``told`` column.
LIAISONS = "unit liaisons"  # the liaisons of the object's unit
LEADERS = "unit leaders"  # the unit leaders of the object's unit
OFFICE = "office"  # the provincial office's staff
REQUESTER = "requester"  # who asked (the liaison who requested an extension)
AUTHOR = "author"  # who wrote the instruction replied to

K = NotificationKind


@dataclass(frozen=True)
class Event:
    label: str
    kind: str
    told: tuple[str, ...]
    link: str  # the page where the recipient acts: "assignment", "queue", "supervision", "bulletin"

    @property
    def to_the_group(self) -> bool:
        """Told to the whole unit (liaisons and leaders): may go to its group robot and phones too.
        A message for the leaders alone (a summons, a case, an escalation) never does."""
        return LIAISONS in self.told and LEADERS in self.told


# The table: event -> who is told, about what, and where they act. The template is
# ``notifications/<event>.txt``. docs/dispatch.md#events lists the same.
EVENTS: dict[str, Event] = {
    "signoff.requested": Event("申请销号", K.SIGNOFF, (LEADERS,), "assignment"),
    "signoff.unit_approved": Event("单位审核通过", K.SIGNOFF, (LIAISONS, OFFICE), "assignment"),
    "signoff.unit_rejected": Event("单位审核退回", K.SIGNOFF, (LIAISONS,), "assignment"),
    "signoff.approved": Event("已销号", K.SIGNOFF, (LIAISONS, LEADERS), "assignment"),
    "signoff.rejected": Event("督察办审核退回", K.SIGNOFF, (LIAISONS, LEADERS), "assignment"),
    "review.scheduled": Event("安排回头看", K.REVIEW, (LIAISONS, LEADERS), "assignment"),
    "review.recorded": Event("回头看结论", K.REVIEW, (LIAISONS, LEADERS), "assignment"),
    # An extension goes to the unit's leader first, then to the office (tasks.policy.EXTENSION_STAGE).
    "extension.requested": Event("申请延期", K.EXTENSION, (LEADERS,), "queue"),
    "extension.unit_approved": Event("延期单位审核", K.EXTENSION, (OFFICE, REQUESTER), "queue"),
    "extension.decided": Event("延期审批", K.EXTENSION, (REQUESTER, LEADERS), "assignment"),
    "supervision.listed": Event("挂牌督办", K.SUPERVISION, (LIAISONS, LEADERS), "assignment"),
    "supervision.due_soon": Event("督办期限临近", K.SUPERVISION, (LIAISONS, LEADERS), "assignment"),
    "supervision.overdue": Event("督办期限已过", K.SUPERVISION, (LIAISONS, LEADERS, OFFICE), "assignment"),
    "supervision.lifted": Event("摘牌", K.SUPERVISION, (LIAISONS, LEADERS), "assignment"),
    "summons.recorded": Event("约谈", K.ACCOUNTABILITY, (LEADERS,), "supervision"),
    "case.referred": Event("责任追究移交", K.ACCOUNTABILITY, (LEADERS,), "supervision"),
    "case.updated": Event("责任追究办理", K.ACCOUNTABILITY, (LEADERS,), "supervision"),
    "bulletin.published": Event("月通报发布", K.BULLETIN, (LIAISONS, LEADERS), "bulletin"),
    "urge.sent": Event("催办", K.URGE, (LIAISONS, LEADERS), "desk"),
    "chaser.to_leaders": Event("催报未回应", K.URGE, (LEADERS,), "ledger"),
    "chaser.to_office": Event("催报仍未回应", K.URGE, (OFFICE,), "ledger"),
    # 领导批示: each unit concerned is told with a link to its own row (``tell_rows``), and must 签收.
    "instruction.issued": Event("领导批示", K.INSTRUCTION, (LIAISONS, LEADERS), "assignment"),
    "instruction.replied": Event("批示回复", K.INSTRUCTION, (AUTHOR,), "assignment"),
}

# The object whose id keys an event (the message's ``period``), in the order looked for.
KEY_OBJECTS = (
    "signoff",
    "review",
    "extension",
    "listing",
    "summons",
    "case",
    "urge",
    "reply",
    "instruction",
    "assignment",
)


@functools.cache
def engine() -> Engine:
    """Plain text: the templates' output is not HTML-escaped (the inbox escapes when it shows it)."""
    return Engine(app_dirs=True, autoescape=False)


def render(name: str, context: dict) -> tuple[str, str]:
    """The event's subject (first line of its template) and body (the rest)."""
    text = engine().get_template(f"notifications/{name}.txt").render(Context(context))
    subject, _, body = text.strip().partition("\n")
    return subject.strip()[:200], body.strip()


def link_for(event: Event, objects: dict) -> str:
    assignment = objects.get("assignment")
    if event.link == "assignment" and assignment is not None:
        return reverse("assignment", args=[assignment.pk])
    if event.link == "desk":
        return reverse("desk")
    if event.link == "ledger":
        unit = objects.get("unit")
        return reverse("ledger") + (f"?unit={unit.pk}" if unit is not None else "")
    if event.link == "bulletin":
        return reverse("public-bulletin", args=[objects["month"]])
    return reverse("supervision" if event.link == "assignment" else event.link)  # an event on a unit


def key_for(name: str, objects: dict) -> str:
    if name == "case.updated":
        return f"{objects['case'].pk}-{objects['case'].status}"
    for field in KEY_OBJECTS:
        if objects.get(field) is not None:
            return str(objects[field].pk)
    raise TypeError(f"event {name} names no object")


def _roles(event: Event) -> tuple[set, set]:
    """(unit roles told, roles told everywhere) for the event's rules."""
    unit_roles = {Role.LIAISON} if LIAISONS in event.told else set()
    if LEADERS in event.told:
        unit_roles.add(Role.UNIT_LEADER)
    everywhere = {Role.OFFICE} if OFFICE in event.told else set()
    return unit_roles, everywhere


def recipients(
    event: Event, unit_id: int | None, requester_id: int | None = None, *, unit_ids=(), author_id=None
) -> list[tuple]:
    """(user id, unit id, email) of everyone the event tells, each once (one query).

    ``unit_ids``: several units' liaisons and leaders at once (an instruction on a task)."""
    unit_roles, everywhere = _roles(event)
    who = Q(pk__in=[])
    if unit_roles and unit_id is not None:
        who |= Q(unit_id=unit_id, role__in=sorted(unit_roles))
    if unit_roles and unit_ids:
        who |= Q(unit_id__in=sorted(unit_ids), role__in=sorted(unit_roles))
    if AUTHOR in event.told and author_id is not None:
        who |= Q(user_id=author_id)
    if everywhere:
        who |= Q(role__in=sorted(everywhere))
    if REQUESTER in event.told and requester_id is not None:
        who |= Q(user_id=requester_id)
    return list(
        Membership.objects.filter(who, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", "unit_id", "user__email")
    )


def on_event(name: str, **objects) -> notify.Delivery:
    """The handler ``tasks.events.emit`` calls: tell the event's recipients, in the caller's transaction.

    An event outside the table (``report.submitted``, which answers an urge) tells no one here."""
    event = EVENTS.get(name)
    if event is None:
        return notify.Delivery()
    assignment = objects.get("assignment")
    unit = objects.get("unit") or (assignment.unit if assignment is not None else None)
    requester = objects.get("extension").requested_by_id if objects.get("extension") is not None else None
    author = objects.get("instruction").author_id if objects.get("instruction") is not None else None
    link = link_for(event, objects)
    subject, body = render(name, {**objects, "unit": unit, "event": event, "link": link})
    people = recipients(event, unit.pk if unit else None, requester, author_id=author)
    messages = [
        notify.Message(user, subject, body, unit_id=unit_of, link=link) for user, unit_of, _ in people
    ]
    emails = {user: email for user, _, email in people}
    return announce(name, key_for(name, objects), event.kind, messages, emails)


def tell(name: str, key: str, unit, context: dict) -> notify.Delivery:
    """An event about a unit that no single object names (a batch of urges, a chaser's escalation)."""
    event = EVENTS[name]
    link = link_for(event, {**context, "unit": unit})
    subject, body = render(name, {**context, "unit": unit, "event": event, "link": link})
    people = recipients(event, unit.pk)
    # Each message carries its recipient's own unit: the office's copy never reaches the unit's robot.
    messages = [
        notify.Message(user, subject, body, unit_id=unit_of, link=link) for user, unit_of, _ in people
    ]
    return announce(name, key, event.kind, messages, {user: email for user, _, email in people})


def tell_rows(name: str, key: str, rows, context: dict) -> notify.Delivery:
    """An event about several units' rows at once (an instruction on a task): each unit's people get
    one message linking to their own row. A fixed number of queries for any number of units."""
    event = EVENTS[name]
    by_unit = {row.unit_id: row for row in rows}
    people = recipients(event, None, unit_ids=by_unit)
    rendered, messages = {}, []
    for user, unit_of, _ in people:
        row = by_unit.get(unit_of)
        if row is None:
            continue
        if unit_of not in rendered:
            link = link_for(event, {"assignment": row})
            rendered[unit_of] = (
                *render(name, {**context, "assignment": row, "unit": row.unit, "event": event, "link": link}),
                link,
            )
        subject, body, link = rendered[unit_of]
        messages.append(notify.Message(user, subject, body, unit_id=unit_of, link=link))
    return announce(name, key, event.kind, messages, {user: email for user, _, email in people})


def announce_bulletin(bulletin) -> notify.Delivery:
    """月通报 published: every unit's liaisons and leaders, each unit with its own figures and rank."""
    name, event = "bulletin.published", EVENTS["bulletin.published"]
    figures = {u["unit"]: u for u in bulletin.data.get("by_unit", [])}
    ranked = sum(1 for u in figures.values() if u.get("rank"))
    link = link_for(event, {"month": bulletin.month})
    unit_roles, _ = _roles(event)
    members = (
        Membership.objects.filter(role__in=sorted(unit_roles), user__is_active=True, unit__isnull=False)
        .order_by("unit_id", "user_id")
        .values_list("user_id", "unit_id", "unit__name", "user__email")
    )
    rendered, messages, emails = {}, [], {}
    for user_id, unit_id, unit_name, email in members:
        if unit_name not in figures:
            continue  # a unit without assignments is not in the bulletin
        if unit_id not in rendered:
            mine = figures[unit_name]
            rate = mine.get("on_time_rate")
            rendered[unit_id] = render(
                name,
                {
                    "month": bulletin.month,
                    "unit": {"name": unit_name},
                    "figures": mine,
                    "rate": f"{rate * 100:.1f}%" if rate is not None else "",
                    "ranked": ranked,
                    "link": link,
                },
            )
        subject, body = rendered[unit_id]
        messages.append(notify.Message(user_id, subject, body, unit_id=unit_id, link=link))
        emails[user_id] = email
    return announce(name, bulletin.month, event.kind, messages, emails)


def announce(job: str, period: str, kind: str, messages: list, emails: dict[int, str]) -> notify.Delivery:
    """Store the inbox messages and write the external deliveries of their units' channels.

    ``emails``: each recipient's address (may be empty). A fixed number of queries: the inbox
    (3), the units' channel settings (1) and, when a channel is on, the deliveries and their
    outbox messages (``dispatch.channels.queue``).
    """
    group = EVENTS[job].to_the_group if job in EVENTS else False
    return notify.deliver(job, period, kind, messages, emails=emails, group=group)
