"""The input checks every service shares: text, dates against the ledger's today, the office's right.

Each raises a ``LedgerError`` with a Chinese message naming the field, so the API and the pages
answer 400 / 403 and nothing changes.
"""

import datetime

from tasks.models.people import role_of
from tasks.services.errors import Forbidden, InvalidInput
from tasks.services.transitions import OFFICE
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


def require_office(actor, what: str) -> None:
    if role_of(actor) not in OFFICE:
        raise Forbidden(f"{what}由省督察办办理")
