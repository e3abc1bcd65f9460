"""Typed readers for settings taken from the environment.

Each helper refuses a value it cannot read instead of guessing, so a typo in a
deployment fails at start-up rather than silently running with a default.
"""

import datetime
import os
import re

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_date(name: str) -> datetime.date | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} must be a comma-separated list without empty items")
    return items


def env_rate(name: str, default: str) -> str:
    """A request rate as DRF's throttles read it: ``20/min``, ``5/s``, ``100/hour``, ``1000/day``."""
    value = env_str(name, default).strip()
    if not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 20/min, not {value!r}")
    return value


def env_database(name: str, default: str) -> dict:
    value = env_str(name, default)
    try:
        config = dj_database_url.parse(value, conn_max_age=60)
    except Exception as exc:  # noqa: BLE001 - dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(f"{name} is not a database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names an unknown database scheme")
    return config


def env_dates(name: str) -> list[datetime.date]:
    """A comma-separated list of dates written YYYY-MM-DD (empty when unset)."""
    days = []
    for item in env_list(name, []):
        try:
            days.append(datetime.date.fromisoformat(item))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list dates written YYYY-MM-DD, not {item!r}") from None
    return days
