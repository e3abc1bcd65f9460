"""Errors raised by the ledger services; the API and the pages turn them into 4xx answers."""


class LedgerError(Exception):
    """Base: a request the ledger refuses. ``message`` is shown to the user (Chinese)."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(LedgerError):
    status_code = 400


class InvalidTransition(LedgerError):
    status_code = 400


class Forbidden(LedgerError):
    status_code = 403


class NotFound(LedgerError):
    status_code = 404


class Duplicate(LedgerError):
    """The same form (its one-time key) was submitted before: nothing is done twice."""

    status_code = 409


class StaleVersion(LedgerError):
    status_code = 412
