"""Helpers the test modules share (fixtures are in ``conftest.py``).

- ``row(number, unit)``: the assignment of task ``number`` for ``unit``.
- ``client_for(user)``: a page client signed in as ``user`` (anonymous without one); the API's is the
  ``api`` fixture.
- ``LogicalQueries``: the statements of a block, counting a bulk insert that SQLite split into batches
  once (the ``django_assert_num_queries`` fixture counts with it).
- ``on(day, hour)``: the clock (``timezone.now``) stopped at that hour of a day in Asia/Shanghai,
  by time-machine. The ledger's *today* is pinned with the ``today`` marker instead
  (``pytestmark = pytest.mark.today()``, see ``conftest.py``).
"""

import datetime
import re
from contextlib import contextmanager

import time_machine
from django.apps import apps
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tasks.models import Assignment

PINNED_DAY = datetime.date(2017, 12, 1)  # the demo's day: look-back reviews on 2018 dates are ahead of it
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def row(number=17, unit="晋中市") -> Assignment:
    return Assignment.objects.get(task__number=number, unit__name=unit)


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@contextmanager
def on(day: str, hour: int = 10):
    moment = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        yield


# A bulk insert as Django sends it: ``INSERT [OR …] INTO "table" (columns) VALUES (%s, …), (%s, …) …``.
_INSERT = re.compile(r'^INSERT (?:OR \w+ )?INTO "(?P<table>[^"]+)" \((?P<columns>[^)]*)\) VALUES ')
_VALUES = re.compile(r"\((?:%s, )*%s\)(?:, \((?:%s, )*%s\))*")


class LogicalQueries(CaptureQueriesContext):
    """``CaptureQueriesContext`` whose ``len()`` counts one ``bulk_create`` as one statement.

    SQLite takes at most 999 parameters in a statement, so Django splits a bulk insert there into
    batches of ``connection.ops.bulk_batch_size(fields, rows)`` rows; PostgreSQL sends it whole. A run
    of inserts of the same shape (table, columns, conflict clause), each but the last carrying exactly
    that backend's batch size, is such a split and counts once. Nothing else is merged: an insert per
    row, or on PostgreSQL (whose batch is every row) any second insert, still counts every statement.
    ``captured_queries`` keeps every statement as sent.
    """

    def __enter__(self):
        self._sent: list[tuple[str, int]] = []  # (SQL, parameters) of each statement, in order
        self._wrapper = self.connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        self._sent.append((sql, -1 if many else len(params or ())))
        return execute(sql, params, many, context)

    def __len__(self):
        return super().__len__() - self.split_batches()

    def split_batches(self) -> int:
        """How many statements only continue a bulk insert that the backend split into batches."""
        runs: list[list[tuple[str, int]]] = []  # consecutive inserts of one shape: (SQL, rows) each
        previous = None
        for sql, params in self._sent:
            match = _INSERT.match(sql)
            shape = _VALUES.sub("…", sql) if match and params >= 0 else None
            if shape is None:
                previous = None
                continue
            if shape != previous:
                runs.append([])
            runs[-1].append((sql, params // (match["columns"].count(",") + 1)))
            previous = shape
        extra = 0
        for run in runs:
            if len(run) < 2:
                continue
            batch = self.connection.ops.bulk_batch_size(
                _insert_fields(run[0][0]), [None] * sum(r for _, r in run)
            )
            first = 0
            for i, (_sql, rows) in enumerate(run):
                if (
                    rows != batch or i == len(run) - 1
                ):  # a batch short of full (or the last) ends a bulk insert
                    extra += i - first
                    first = i + 1
        return extra


def _insert_fields(sql: str) -> list:
    """The model fields an INSERT names, as ``bulk_create`` hands them to ``bulk_batch_size``."""
    match = _INSERT.match(sql)
    model = next(m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == match["table"])
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [by_column[name.strip().strip('"')] for name in match["columns"].split(",")]
