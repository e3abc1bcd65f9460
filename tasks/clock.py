"""The ledger's clock: the moment the services stamp on what they write, and the ledger's today.

``now()`` is the real time (``django.utils.timezone.now``), and ``tasks.weeks.today()`` the
local date, unless a block runs inside ``frozen_at(moment)``: then both stand at ``moment``.
A demo pins its date (``RECTIFY_TODAY`` with ``RECTIFY_CLOCK_ON_TODAY``, as ``make run`` does):
then ``now()`` is that date at the real time of day in Asia/Shanghai, so what a visitor does is stamped on the demo's day and moves on
with the wall clock's hours, and ``today()`` is the pinned date (``localdate(now())`` agrees). The demo (``demo/``) uses it to replay
late 2017 through the real services, so report weeks, request and check times, the audit
trail and the records' own timestamps all tell one story. It is an explicit clock, not a
patch: only code that asks this module (the services, the models' timestamp defaults and
``tasks.weeks.today``) sees it, and the setting is local to the running thread or task
(a ``ContextVar``), so a frozen block never leaks into another request.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the project's time zone (settings.TIME_ZONE)

_frozen: ContextVar[datetime.datetime | None] = ContextVar("rectify_clock", default=None)


def now() -> datetime.datetime:
    """The current moment (UTC, aware): the frozen one inside ``frozen_at``, the real one moved to
    the pinned ``RECTIFY_TODAY`` (same time of day in Asia/Shanghai) in a demo
    (``RECTIFY_CLOCK_ON_TODAY``), else the real one."""
    moment = _frozen.get()
    if moment is not None:
        return moment
    real = timezone.now()
    pinned = getattr(settings, "RECTIFY_TODAY", None)
    if pinned is None or not getattr(settings, "RECTIFY_CLOCK_ON_TODAY", False):
        return real
    local = real.astimezone(SHANGHAI)
    moved = datetime.datetime.combine(pinned, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI)
    return moved.astimezone(datetime.UTC)


def frozen() -> datetime.datetime | None:
    """The moment set by the enclosing ``frozen_at``, or None on the real clock."""
    return _frozen.get()


@contextmanager
def frozen_at(moment: datetime.datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (an aware datetime): ``now()`` and ``weeks.today()``.

    Held in UTC like the real ``timezone.now()``: the audit hash covers ``at.isoformat()``.
    Blocks nest; leaving one puts back the clock that was in force.
    """
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _frozen.set(moment.astimezone(datetime.UTC))
    try:
        yield
    finally:
        _frozen.reset(token)
