"""The ledger's clock: the moment the services stamp on what they write, and the ledger's today.

``now()`` is the real time (``django.utils.timezone.now``), and ``tasks.weeks.today()`` the
local date (or the ``RECTIFY_TODAY`` pin of a demo), unless a block runs inside
``frozen_at(moment)``: then both stand at ``moment``. The demo (``demo/``) uses it to replay
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

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the project's time zone (settings.TIME_ZONE)

_frozen: ContextVar[datetime.datetime | None] = ContextVar("rectify_clock", default=None)


def now() -> datetime.datetime:
    """The current moment (UTC, aware), or the frozen one inside ``frozen_at``."""
    moment = _frozen.get()
    return moment if moment is not None else timezone.now()


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
