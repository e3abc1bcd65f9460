"""Ledger events: a service says what happened, the app above decides who is told.

``emit(name, **refs)`` is called by a service inside its transaction, once the change is made
(``emit("signoff.rejected", assignment=row, signoff=request)``). It calls every handler
``connect``ed by a higher app (``dispatch`` connects its fan-out in ``DispatchConfig.ready``),
synchronously, in the same transaction: the inbox messages are committed with the change or
not at all, and never wait for a broker. The event names and who hears of each are the table
in ``dispatch/events.py``; this module knows neither, and imports nothing.
"""

from collections.abc import Callable

_handlers: list[Callable] = []


def connect(handler: Callable) -> None:
    """Register ``handler(name, **refs)`` for every event (once: a second registration is ignored)."""
    if handler not in _handlers:
        _handlers.append(handler)


def emit(name: str, **refs) -> None:
    """Tell the registered handlers that ``name`` happened to the objects in ``refs``."""
    for handler in _handlers:
        handler(name, **refs)
