"""The input checks every service shares: text, numbers, dates against the ledger's today, the policy's answer.

Each raises a ``LedgerError`` with a Chinese message naming the field, so the API and the pages
answer 400 / 403 and nothing changes.
"""

import datetime

from tasks.policy import ROLE, STATE, UNSEEN, can
from tasks.services.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from tasks.weeks import today

NUL_MESSAGE = "不能包含空字符（\\x00）"


def check_no_nul(value, field: str, label: str = ""):
    """Refuse text holding a NUL character, which PostgreSQL cannot store or compare (400, not a 500).

    The one check for every text that reaches the database: API filters and search, sign-in,
    report texts and measure notes, check opinions, the accountability records and the admin's forms.
    """
    if isinstance(value, str) and "\x00" in value:
        raise InvalidInput(f"{label}{NUL_MESSAGE}", field=field)
    return value


def ascii_int(text) -> int | None:
    """The whole number ``text`` writes in ASCII digits (``"17"``), or None for anything else.

    The one digit check for text from outside (query parameters, form fields, posted versions,
    sheet cells): ``str.isdigit`` also accepts "²", which ``int()`` refuses (a 500), and "٣",
    which ``int()`` reads as 3.
    """
    if isinstance(text, str) and text.isascii() and text.isdigit():
        return int(text)
    return None


def optional_text(text, field: str, label: str) -> str:
    return check_no_nul((text or "").strip(), field, label)


def required_text(text, field: str, label: str) -> str:
    text = optional_text(text, field, label)
    if not text:
        raise InvalidInput(f"请填写{label}", field=field)
    return text


def required_date(value, field: str, label: str) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise InvalidInput(f"请填写{label}（YYYY-MM-DD）", field=field)
    return value


def not_before_today(value: datetime.date, field: str, label: str) -> datetime.date:
    """A date still to come (a deadline, a planned review): today at the earliest (``tasks.weeks.today``)."""
    if value < today():
        raise InvalidInput(f"{label}不能早于今天", field=field)
    return value


def not_after_today(value: datetime.date, field: str, label: str) -> datetime.date:
    """A date of something that happened (a summons, a referral): today at the latest."""
    if value > today():
        raise InvalidInput(f"{label}不能晚于今天", field=field)
    return value


ERROR_OF_REFUSAL = {ROLE: Forbidden, STATE: InvalidTransition, UNSEEN: NotFound}


def require(actor, action: str, assignment=None, **facts) -> None:
    """Refuse what ``tasks.policy.can`` refuses, with its reason: 403 (role), 400 (state), 404 (unit).

    The services call it before reading their input (without an assignment: the role only) and
    again on the locked row, so what they enforce is what the pages and the API offer.
    """
    decision = can(actor, action, assignment, **facts)
    if not decision:
        raise ERROR_OF_REFUSAL[decision.refusal](decision.reason)
