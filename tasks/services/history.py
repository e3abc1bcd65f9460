"""An assignment's state at a past moment, rebuilt from the audit trail and the frozen month ends.

Every change to an assignment is audited (``tasks.services.audit.record``) with the
fields before and after it (``model="tasks.assignment"``, ``AUDITED_FIELDS`` of
``tasks.services.transitions``). So the value a field had at a moment is the
``before`` of the first entry written at or after that moment that holds the field;
a field no later entry holds is what it is now.

Read that way, the rebuild of a moment reads every entry from the moment to today: it grows with
the time since. So each month's end is frozen once (``freeze``: every assignment's
``SNAPSHOT_FIELDS`` at the 1st's 00:00, Asia/Shanghai, in ``MonthEndState``; the beat does it on
the 1st and ``dispatch.bulletin`` before it makes a bulletin, the command ``freeze_month_ends``
back-fills past months newest first), and a moment is rebuilt from the earliest frozen month's
end at or after it, rolling back only the entries between the two (an indexed range on ``at``);
without one, from the live rows and every entry since. Both give the same state: what a month's
end freezes is the rebuild's own answer for that moment.

``states_as_of`` reads the fields as they were at each moment, and ``state_of`` puts them
back on the live row: the one rebuild of "the assignment as it stood then", used by the weekly
report for a past week without a snapshot (``reports.rows``) and by the monthly bulletin for the
state as the month ended (``dispatch.figures``).
"""

import datetime
import sys
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tasks import clock
from tasks.choices import Status
from tasks.models import Assignment, AuditEntry, MonthEnd, MonthEndState
from tasks.weeks import today

# The assignment fields the weekly report reads back (the bulletin asks for more).
AS_OF_FIELDS = ("status", "due_date", "extended_due_date", "signed_off_at", "percent")


def start_of(day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (the next day's 00:00, Asia/Shanghai)."""
    return start_of(day + datetime.timedelta(days=1))


# What a month's end freezes: every field the weekly report and the bulletin read back.
SNAPSHOT_FIELDS = (
    "status",
    "due_date",
    "extended_due_date",
    "signed_off_at",
    "percent",
    "last_report_week_start",
)
FREEZE_BATCH = 2000  # rows written per INSERT when a month's end is frozen


def month_end(year: int, month: int) -> datetime.datetime:
    """The moment a month ends: the 1st of the next month, 00:00 Asia/Shanghai."""
    return start_of(datetime.date(year + month // 12, month % 12 + 1, 1))


def last_month_end() -> datetime.datetime:
    """The end of the last month that has ended (the 1st of this month, 00:00, by the ledger's today)."""
    return start_of(today().replace(day=1))


def month_ends_back(since: datetime.date) -> list[datetime.datetime]:
    """The ends of the months from the last ended one back to ``since``'s month, newest first."""
    moments, day = [], today().replace(day=1)
    while day > since.replace(day=1):
        moments.append(start_of(day))
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return moments


def next_month_end(moment: datetime.datetime, strictly: bool = False) -> datetime.datetime | None:
    """The earliest frozen month's end at (or, ``strictly``, after) ``moment``; None if none (one query)."""
    later = MonthEnd.objects.filter(**{"moment__gt" if strictly else "moment__gte": moment})
    return later.order_by("moment").values_list("moment", flat=True).first()


def states_as_of(cutoffs, assignment_ids=None, fields=AS_OF_FIELDS) -> list[dict]:
    """Each assignment's ``fields`` as they were at each of ``cutoffs``.

    Returns one ``{assignment_id: {field: value}}`` per cutoff, in the cutoffs' order. An
    assignment's entry holds every field when the state comes from a frozen month's end, else
    the fields that changed since the cutoff; a field it does not hold is as it is now
    (``state_of``). Values from the trail are as it stores them (JSON strings for dates and
    moments), those of a month's end are Python's: ``parse_day`` and ``parse_moment`` read both.
    ``assignment_ids=None`` reads every assignment.

    One query for the frozen month ends, then two from the earliest one at or after every cutoff
    (the assignments with their frozen state, the entries between the earliest cutoff and that
    month's end), or, when the latest cutoff is after the last frozen month's end, one: the
    entries since the earliest cutoff. Callers' cutoffs lie within weeks of each other.
    """
    cutoffs = list(cutoffs)
    if not cutoffs:
        return []
    ids = list(assignment_ids) if assignment_ids is not None else None
    latest = max(cutoffs)
    moment = next_month_end(latest) if set(fields) <= set(SNAPSHOT_FIELDS) else None
    if moment is None:
        return _roll_back(cutoffs, _entries(ids, fields, min(cutoffs)), fields)
    return _from_month_end(cutoffs, moment, ids, fields)


def _entries(ids, fields, since, until=None, missing=()):
    """The assignments' entries holding one of ``fields`` from ``since`` (before ``until``, except
    for the ``missing`` assignments), streamed in the trail's order: an indexed range on ``at``."""
    span = Q(at__gte=since)
    if until is not None:
        before_until = Q(at__lt=until)
        span &= (before_until | Q(assignment_id__in=list(missing))) if missing else before_until
    entries = AuditEntry.objects.filter(span, model="tasks.assignment", before__has_any_keys=list(fields))
    if ids is not None:
        entries = entries.filter(assignment_id__in=ids)
    # Streamed (a server-side cursor on PostgreSQL): memory holds the states, never the entries.
    return entries.order_by("id").values_list("assignment_id", "at", "before").iterator(chunk_size=5000)


def _roll_back(cutoffs, rows, fields) -> list[dict]:
    """Per cutoff, each field's ``before`` in the first entry at or after it that holds the field."""
    states: list[dict] = [{} for _ in cutoffs]
    for assignment_id, at, before in rows:
        if not isinstance(before, dict):
            continue
        for cutoff, state in zip(cutoffs, states):
            if at < cutoff:
                continue
            held = state.setdefault(assignment_id, {})
            for name in fields:
                if name in before and name not in held:
                    held[name] = before[name]
    return states


class Then:
    """One assignment's ``fields`` at a moment, rebuilt from a frozen month's end: a mapping as
    ``states_as_of`` returns them (``in``, ``[]``, ``get``), in slots (a fifth of a dict's memory:
    the bulletin holds one per assignment and moment)."""

    __slots__ = (*SNAPSHOT_FIELDS, "_fields", "_held")

    def __init__(self, fields, values):
        self._fields, self._held = fields, 0
        for name, value in zip(fields, values):
            setattr(self, name, value)

    def __contains__(self, name):
        return name in self._fields

    def __getitem__(self, name):
        if name not in self._fields:
            raise KeyError(name)
        return getattr(self, name)

    def get(self, name, default=None):
        return getattr(self, name) if name in self._fields else default

    def copy(self) -> "Then":
        return Then(self._fields, [getattr(self, name) for name in self._fields])


def _shared(value):
    return sys.intern(value) if isinstance(value, str) else value


def _from_month_end(cutoffs, moment, ids, fields) -> list[dict]:
    """``cutoffs`` (at or before ``moment``) rebuilt from the state frozen at ``moment``.

    Two queries: every assignment with its frozen row (the live row for one made after the
    freeze), then the entries from the earliest cutoff to the moment (and after it, for the
    assignments without a frozen row), rolled back onto them. Every state holds every field;
    a row unchanged since a cutoff shares its frozen state with the others.
    """
    rows = Assignment.with_retired.annotate(
        frozen=FilteredRelation("month_ends", condition=Q(month_ends__moment=moment))
    )
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    fields = tuple(fields)
    columns = ["pk", "frozen__id", *(f"frozen__{f}" for f in fields), *fields]
    base, missing, width = {}, [], len(fields)
    for pk, frozen_id, *values in rows.order_by().values_list(*columns).iterator(chunk_size=5000):
        if frozen_id is None:
            missing.append(pk)
            base[pk] = Then(fields, values[width:])
        else:
            base[pk] = Then(fields, values[:width])
    bits = {name: 1 << i for i, name in enumerate(fields)}
    states = [dict(base) for _ in cutoffs]
    for assignment_id, at, before in _entries(ids, fields, min(cutoffs), moment, missing):
        if not isinstance(before, dict) or assignment_id not in base:
            continue
        # the trail's dates repeat across rows: each held once
        changed = [(name, _shared(before[name])) for name in fields if name in before]
        for cutoff, state in zip(cutoffs, states):
            if at < cutoff:
                continue
            then = state[assignment_id]
            if then is base[assignment_id]:
                then = state[assignment_id] = then.copy()
            for name, value in changed:  # the first entry at or after the cutoff holding the field
                if not then._held & bits[name]:
                    setattr(then, name, value)
                    then._held |= bits[name]
    return states


def freeze(moment: datetime.datetime) -> MonthEnd | None:
    """Freeze every assignment's ``SNAPSHOT_FIELDS`` as they stood at ``moment`` (a month's end
    that has passed) and return its ``MonthEnd``; None for a moment still to come. Idempotent: a
    moment once frozen is left as it is.

    Bounded: rebuilt from the next frozen month's end when there is one (back-filled newest first,
    each step reads one month of the trail), else from the live rows and the entries since. The
    assignments are read before the entries, so a change committed in between is rolled back by
    its own entry, never lost.
    """
    if moment > clock.now() or timezone.localdate(moment) > today():
        return None
    frozen = MonthEnd.objects.filter(moment=moment).first()
    if frozen is not None:
        return frozen
    fields = SNAPSHOT_FIELDS
    later = next_month_end(moment, strictly=True)
    if later is not None:
        (state,) = _from_month_end([moment], later, None, fields)
    else:
        live = Assignment.with_retired.order_by().values_list("pk", *fields).iterator(chunk_size=5000)
        state = {row[0]: dict(zip(fields, row[1:])) for row in live}
        (rolled,) = _roll_back([moment], _entries(None, fields, moment), fields)
        for pk, held in rolled.items():
            if pk in state:
                state[pk] = {**state[pk], **held}
    try:
        with transaction.atomic():
            # First: a second freeze of the same moment waits here on the unique moment, then fails.
            frozen = MonthEnd.objects.create(moment=moment, rows=len(state))
            batch = []
            for pk, values in state.items():
                batch.append(
                    MonthEndState(
                        moment=moment,
                        assignment_id=pk,
                        status=values["status"],
                        due_date=parse_day(values["due_date"]),
                        extended_due_date=parse_day(values["extended_due_date"]),
                        signed_off_at=_as_audited(parse_moment(values["signed_off_at"])),
                        percent=values["percent"],
                        last_report_week_start=parse_day(values["last_report_week_start"]),
                    )
                )
                if len(batch) == FREEZE_BATCH:
                    MonthEndState.objects.bulk_create(batch)
                    batch = []
            MonthEndState.objects.bulk_create(batch)
    except IntegrityError:  # frozen meanwhile by another worker (the beat and a bulletin): its rows stand
        return MonthEnd.objects.get(moment=moment)
    return frozen


def state_as_of(cutoff: datetime.datetime, assignment_ids, fields=AS_OF_FIELDS) -> dict:
    """``states_as_of`` for one moment: ``{assignment_id: {field: value}}`` (one query)."""
    assignment_ids = list(assignment_ids)
    if not assignment_ids:
        return {}
    return states_as_of([cutoff], assignment_ids, fields)[0]


def _as_audited(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A moment to the millisecond, as the audit trail keeps it (``DjangoJSONEncoder``), so a month's end
    and the trail give the same value whichever the rebuild starts from."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) if moment else None


def parse_day(value) -> datetime.date | None:
    """A date field as the audit trail holds it (``"2017-12-31"`` or null), or as a month's end does."""
    if isinstance(value, datetime.date) or not value:
        return value or None
    return parse_date(value)


def parse_moment(value) -> datetime.datetime | None:
    """A moment field as the audit trail holds it (ISO 8601 or null), or as a month's end does."""
    if isinstance(value, datetime.datetime) or not value:
        return value or None
    return parse_datetime(value)


@dataclass
class State:
    """An assignment as it stood at a moment: the live row with the fields that changed since put back."""

    status: str
    due_date: datetime.date | None
    effective_due: datetime.date | None  # the extended deadline, else the original one
    signed_off_at: datetime.datetime | None
    last_report_week_start: datetime.date | None
    percent: int

    @property
    def signed_off_on(self) -> datetime.date | None:
        """The local date of the sign-off, while signed off."""
        if self.signed_off_at and self.status == Status.SIGNED_OFF:
            return timezone.localdate(self.signed_off_at)
        return None


def state_of(assignment, then: dict) -> State:
    """``assignment``'s state with ``then`` (one assignment's entry of ``states_as_of``) applied.

    A field ``then`` does not hold had its present value.
    """

    def field(name, parse=None):
        if name not in then:
            return getattr(assignment, name)
        return parse(then[name]) if parse else then[name]

    due = field("due_date", parse_day)
    return State(
        status=field("status"),
        due_date=due,
        effective_due=field("extended_due_date", parse_day) or due,
        signed_off_at=field("signed_off_at", parse_moment),
        last_report_week_start=field("last_report_week_start", parse_day),
        percent=field("percent"),
    )
