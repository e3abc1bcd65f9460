"""Office actions on listed supervision, summons, accountability cases and leader-led items.

Each runs in one transaction and writes the audit trail; only the office may act.
"""

from django.db import transaction

from accountability.models import AccountabilityCase, CaseStatus, LeaderLedItem, ListedSupervision, Summons
from tasks import clock, events
from tasks.models import Assignment
from tasks.services import audit
from tasks.services.checks import (
    not_after_today,
    not_before_today,
    require,
    required_date,
    required_text,
)
from tasks.services.errors import Duplicate, InvalidInput, InvalidTransition, NotFound

# A case moves forward only: referred -> investigating -> concluded.
CASE_FLOW = {
    CaseStatus.REFERRED: {CaseStatus.INVESTIGATING, CaseStatus.CONCLUDED},
    CaseStatus.INVESTIGATING: {CaseStatus.CONCLUDED},
    CaseStatus.CONCLUDED: set(),
}


@transaction.atomic
def list_assignment(assignment: Assignment, *, actor, reason, deadline) -> ListedSupervision:
    """挂牌督办: put an open assignment under listed supervision until it is lifted."""
    require(actor, "list_supervision")
    reason = required_text(reason, "reason", "挂牌理由")
    deadline = not_before_today(required_date(deadline, "deadline", "督办期限"), "deadline", "督办期限")
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    require(actor, "list_supervision", assignment, listing=ListedSupervision.objects.active_for(assignment))
    listing = ListedSupervision.objects.create(
        assignment=assignment, reason=reason, deadline=deadline, listed_by=actor
    )
    audit.record(
        actor=actor,
        action="list_supervision",
        instance=listing,
        before=None,
        after=audit.snapshot(listing),
        assignment=assignment,
        note=reason,
    )
    events.emit("supervision.listed", assignment=assignment, listing=listing)
    return listing


@transaction.atomic
def lift_listing(listing_id, *, actor, note="") -> ListedSupervision:
    require(actor, "lift_supervision")
    listing = ListedSupervision.objects.select_for_update().filter(pk=listing_id).first()
    if listing is None:
        raise NotFound("挂牌督办记录不存在")
    require(actor, "lift_supervision", listing.assignment, listing=listing)
    return _lift(listing, actor, (note or "").strip())


SIGNED_OFF_NOTE = "台账已销号，自动摘牌"


def lift_on_signoff(name, *, assignment=None, actor=None, **objects) -> ListedSupervision | None:
    """A handler of ``tasks.events``: the event ``signoff.approved`` (signed off) lifts the row's listing,
    in the sign-off's transaction, audited as the office user's ``lift_supervision``."""
    if name != "signoff.approved":
        return None
    listing = ListedSupervision.objects.select_for_update().active().filter(assignment=assignment).first()
    if listing is None:
        return None
    return _lift(listing, actor, SIGNED_OFF_NOTE)


def _lift(listing, actor, note: str) -> ListedSupervision:
    before = audit.snapshot(listing)
    listing.lifted_at, listing.lifted_by, listing.lift_note = clock.now(), actor, note
    listing.save()
    audit.record(
        actor=actor,
        action="lift_supervision",
        instance=listing,
        before=before,
        after=audit.snapshot(listing),
        assignment=listing.assignment,
        note=listing.lift_note,
    )
    events.emit("supervision.lifted", assignment=listing.assignment, listing=listing)
    return listing


@transaction.atomic
def record_summons(*, actor, unit, held_on, attendees, reason, requirements="", assignments=()) -> Summons:
    """约谈: record a summons of a unit's officials, optionally naming the assignments concerned."""
    require(actor, "record_summons")
    held_on = not_after_today(required_date(held_on, "held_on", "约谈日期"), "held_on", "约谈日期")
    attendees = required_text(attendees, "attendees", "被约谈人")
    reason = required_text(reason, "reason", "约谈事由")
    foreign = [a for a in assignments if a.unit_id != unit.pk]
    if foreign:
        raise InvalidInput(f"台账 {foreign[0].pk} 不属于{unit.name}", field="assignments")
    same = Summons.objects.filter(
        unit=unit, held_on=held_on, attendees=attendees, reason=reason, voided_at=None
    ).select_for_update()
    if same.exists():
        raise Duplicate(
            f"{unit.name} {held_on:%Y-%m-%d} 已有相同的约谈记录（被约谈人、事由相同），请勿重复登记",
            field="attendees",
        )
    summons = Summons.objects.create(
        unit=unit,
        held_on=held_on,
        attendees=attendees,
        reason=reason,
        requirements=(requirements or "").strip(),
        created_by=actor,
    )
    summons.assignments.set(assignments)
    after = audit.snapshot(summons)
    after["assignments"] = sorted(a.pk for a in assignments)
    audit.record(
        actor=actor, action="record_summons", instance=summons, before=None, after=after, note=reason
    )
    events.emit("summons.recorded", unit=unit, summons=summons)
    return summons


@transaction.atomic
def refer_case(
    *, actor, unit, persons, summary, referred_on, referred_to="省纪委监委", assignment=None
) -> AccountabilityCase:
    """责任追究: refer a case to the discipline authorities."""
    require(actor, "refer_case")
    if assignment is not None and assignment.unit_id != unit.pk:
        raise InvalidInput(f"台账 {assignment.pk} 不属于{unit.name}", field="assignment")
    case = AccountabilityCase.objects.create(
        unit=unit,
        assignment=assignment,
        persons=required_text(persons, "persons", "涉及人员"),
        summary=required_text(summary, "summary", "问题线索"),
        referred_on=not_after_today(
            required_date(referred_on, "referred_on", "移交日期"), "referred_on", "移交日期"
        ),
        referred_to=required_text(referred_to, "referred_to", "移交机关"),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="refer_case",
        instance=case,
        before=None,
        after=audit.snapshot(case),
        assignment=assignment,
    )
    events.emit("case.referred", unit=unit, case=case)
    return case


@transaction.atomic
def update_case(case_id, *, actor, status, conclusion="") -> AccountabilityCase:
    require(actor, "update_case")
    case = AccountabilityCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("责任追究记录不存在")
    if case.voided_at is not None:
        raise InvalidTransition("该责任追究记录已作废")
    if status not in CaseStatus.values:
        raise InvalidInput(f"办理状态只能是 {'、'.join(CaseStatus.values)}", field="status")
    if status not in CASE_FLOW[case.status]:
        raise InvalidTransition(f"“{case.get_status_display()}”不能改为“{CaseStatus(status).label}”")
    conclusion = (conclusion or "").strip()
    if status == CaseStatus.CONCLUDED and not conclusion:
        raise InvalidInput("办结须填写处理结果", field="conclusion")
    before = audit.snapshot(case)
    case.status, case.conclusion = status, conclusion or case.conclusion
    case.save()
    audit.record(
        actor=actor,
        action="update_case",
        instance=case,
        before=before,
        after=audit.snapshot(case),
        assignment=case.assignment,
    )
    events.emit("case.updated", unit=case.unit, case=case)
    return case


@transaction.atomic
def add_leader_item(*, actor, task, leader_name, leader_title="", note="") -> LeaderLedItem:
    """领导领办: record that a named leader leads a task in person."""
    require(actor, "add_leader_item")
    leader_name = required_text(leader_name, "leader_name", "领办领导").replace(" ", "")
    if LeaderLedItem.objects.filter(task=task, leader_name=leader_name).exists():
        raise InvalidInput(f"{leader_name} 已领办任务{task.number}", field="leader_name")
    item = LeaderLedItem.objects.create(
        task=task,
        leader_name=leader_name,
        leader_title=(leader_title or "").strip(),
        note=(note or "").strip(),
        created_by=actor,
    )
    audit.record(
        actor=actor, action="add_leader_item", instance=item, before=None, after=audit.snapshot(item)
    )
    return item


# --- Corrections: the office corrects or voids a record with a reason; nothing is deleted ----------

RECORDS = {"listing": ListedSupervision, "summons": Summons, "case": AccountabilityCase}
LABELS = {"listing": "挂牌督办记录", "summons": "约谈记录", "case": "责任追究记录"}
# What a correction may change, per record, and how each value is checked.
CORRECTABLE = {
    "listing": {"reason": ("挂牌理由", "text"), "deadline": ("督办期限", "date")},
    "summons": {
        "held_on": ("约谈日期", "past"),
        "attendees": ("被约谈人", "text"),
        "reason": ("约谈事由", "text"),
        "requirements": ("整改要求", "optional"),
    },
    "case": {
        "persons": ("涉及人员", "text"),
        "summary": ("问题线索", "text"),
        "referred_to": ("移交机关", "text"),
        "referred_on": ("移交日期", "past"),
    },
}


def _record(kind: str, record_id):
    model = RECORDS[kind]
    record = model.objects.select_for_update().filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"{LABELS[kind]}不存在")
    if record.voided_at is not None:
        raise InvalidTransition(f"该{LABELS[kind]}已作废")
    return record


def _assignment_of(record):
    return getattr(record, "assignment", None)


def _clean(kind: str, field: str, value):
    label, check = CORRECTABLE[kind][field]
    if check == "text":
        return required_text(value, field, label)
    if check == "optional":
        return (value or "").strip()
    value = required_date(value, field, label)
    return not_after_today(value, field, label) if check == "past" else value


@transaction.atomic
def correct_record(kind: str, record_id, *, actor, note, **changes):
    """更正: the office corrects a listing, summons or case record, with a reason (audited before/after)."""
    require(actor, "correct_record")
    note = required_text(note, "note", "更正理由")
    unknown = set(changes) - set(CORRECTABLE[kind])
    if unknown:
        raise InvalidInput(f"{LABELS[kind]}不能更正“{'、'.join(sorted(unknown))}”", field="note")
    clean = {field: _clean(kind, field, value) for field, value in changes.items()}
    record = _record(kind, record_id)
    before = audit.snapshot(record)
    changed = {field: value for field, value in clean.items() if getattr(record, field) != value}
    if not changed:
        raise InvalidInput("没有需要更正的内容", field="note")
    for field, value in changed.items():
        setattr(record, field, value)
    record.save()
    audit.record(
        actor=actor,
        action=f"correct_{kind}",
        instance=record,
        before=before,
        after=audit.snapshot(record),
        assignment=_assignment_of(record),
        note=note,
    )
    return record


@transaction.atomic
def void_record(kind: str, record_id, *, actor, reason):
    """作废: the office voids a record made by mistake, with a reason. It is kept (``voided_at``) and
    shown struck through; a voided listing is no longer active (it is lifted with the void)."""
    require(actor, "correct_record")
    reason = required_text(reason, "reason", "作废理由")
    record = _record(kind, record_id)
    before = audit.snapshot(record)
    now = clock.now()
    record.voided_at, record.voided_by, record.void_reason = now, actor, reason
    if kind == "listing" and record.lifted_at is None:
        record.lifted_at, record.lifted_by, record.lift_note = now, actor, f"挂牌作废：{reason}"
    record.save()
    audit.record(
        actor=actor,
        action=f"void_{kind}",
        instance=record,
        before=before,
        after=audit.snapshot(record),
        assignment=_assignment_of(record),
        note=reason,
    )
    return record
