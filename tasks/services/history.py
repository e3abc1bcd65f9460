"""An assignment's state at a past moment, rebuilt from the audit trail.

Every change to an assignment is audited (``tasks.services.audit.record``) with the
fields before and after it (``model="tasks.assignment"``, ``AUDITED_FIELDS`` of
``tasks.services.transitions``). So the value a field had at a moment is the
``before`` of the first entry written at or after that moment that holds the field;
a field no later entry holds is what it is now.

``states_as_of`` reads the fields that changed since each moment, and ``state_of`` puts them
back on the live row: the one rebuild of "the assignment as it stood then", used by the weekly
report for a past week without a snapshot (``reports.rows``) and by the monthly bulletin for the
state as the month ended (``dispatch.figures``).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tasks.choices import Status
from tasks.models import AuditEntry

# The assignment fields the weekly report reads back (the bulletin asks for more).
AS_OF_FIELDS = ("status", "due_date", "extended_due_date", "signed_off_at", "percent")


def start_of(day: datetime.date) -> datetime.datetime:
    """The first moment of ``day`` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` (the next day's 00:00, Asia/Shanghai)."""
    return start_of(day + datetime.timedelta(days=1))


def states_as_of(cutoffs, assignment_ids=None, fields=AS_OF_FIELDS) -> list[dict]:
    """Each assignment's ``fields`` as they were at each of ``cutoffs``, in one query.

    Returns one ``{assignment_id: {field: value}}`` per cutoff, in the cutoffs' order,
    holding only the fields that changed since (values as the audit trail stores them:
    JSON strings for dates and moments, see ``parse_day`` and ``parse_moment``).
    ``assignment_ids=None`` reads every assignment.
    """
    cutoffs = list(cutoffs)
    states: list[dict] = [{} for _ in cutoffs]
    if not cutoffs:
        return states
    entries = AuditEntry.objects.filter(
        model="tasks.assignment", at__gte=min(cutoffs), before__has_any_keys=list(fields)
    )
    if assignment_ids is not None:
        entries = entries.filter(assignment_id__in=list(assignment_ids))
    # Streamed (a server-side cursor on PostgreSQL): memory holds the states, never the entries.
    rows = entries.order_by("id").values_list("assignment_id", "at", "before").iterator(chunk_size=5000)
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


def state_as_of(cutoff: datetime.datetime, assignment_ids, fields=AS_OF_FIELDS) -> dict:
    """``states_as_of`` for one moment: ``{assignment_id: {field: value}}`` (one query)."""
    assignment_ids = list(assignment_ids)
    if not assignment_ids:
        return {}
    return states_as_of([cutoff], assignment_ids, fields)[0]


def parse_day(value) -> datetime.date | None:
    """A date field as the audit trail holds it (``"2017-12-31"`` or null)."""
    return parse_date(value) if value else None


def parse_moment(value) -> datetime.datetime | None:
    """A moment field as the audit trail holds it (ISO 8601 or null)."""
    return parse_datetime(value) if value else None


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
