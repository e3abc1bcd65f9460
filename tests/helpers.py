"""Helpers the test modules share (fixtures are in ``conftest.py``).

- ``row(number, unit)``: the assignment of task ``number`` for ``unit``.
- ``client_for(user)``: a page client signed in as ``user`` (anonymous without one); the API's is the
  ``api`` fixture.
- ``LogicalQueries``: the statements of a block, counting a bulk insert that SQLite split into batches
  once (the ``django_assert_num_queries`` fixture counts with it).
- ``worker_thread()``: a real Celery worker in a thread (solo pool) on the project's app and broker,
  started with fresh broker connections and an empty queue, and stopped at once at the end.
- ``people(*usernames)``: those users, in that order (one query), for a module's scene built with
  the people of ``module_people``.
- ``run_python(*args, env=…)``: ``python *args`` in a new process in the project's folder with exactly
  that environment, for what a process reads once as it starts (the settings).
- ``on(day, hour)``: the clock (``timezone.now``) stopped at that hour of a day in Asia/Shanghai,
  by time-machine. The ledger's *today* is pinned with the ``today`` marker instead
  (``pytestmark = pytest.mark.today()``, see ``conftest.py``).
"""

import datetime
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import time_machine
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from kombu import pools
from kombu.asynchronous import set_event_loop

from rectify.celery import app
from tasks.models import Assignment

ROOT = Path(__file__).resolve().parent.parent
PINNED_DAY = datetime.date(2017, 12, 1)  # the demo's day: look-back reviews on 2018 dates are ahead of it
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def run_python(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """``python *args`` (``-c`` and code, or ``manage.py`` and a command) in a new process in the
    project's folder, with exactly ``env`` and its output captured as text. The settings are read
    once per process, so this is how a test sees what a process started with an environment reads:
    ``-c "import rectify.settings as s; …"`` reads them (and raises what they refuse) without the
    second or so that ``django.setup()`` adds."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def people(*usernames: str) -> list:
    """The users of those usernames, in that order, read in one query."""
    found = get_user_model().objects.in_bulk(usernames, field_name="username")
    return [found[name] for name in usernames]


def row(number=17, unit="晋中市") -> Assignment:
    return Assignment.objects.get(task__number=number, unit__name=unit)


def client_for(user=None) -> Client:
    """A page client signed in as ``user``: its session holds what ``django.contrib.auth.login`` leaves
    in it (the user's id, the backend ``force_login`` picks, the session hash), written with one
    statement. ``force_login`` also runs the sign-in's bookkeeping, which no page reads: a second
    session for the key's cycling, ``last_login`` and django-axes' access log and attempts (19
    statements, 3.2 ms, a few thousand times a run). Signing in itself is tested through the login
    form and the API (tests/test_auth_lockout.py, tests/test_roles.py, the browser tests)."""
    client = Client()
    if user is not None:
        from importlib import import_module

        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend

        backend = next(
            path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
        )
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
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


def fresh_connections():
    """Drop pooled broker connections and a stopped worker's event loop, so the next worker starts clean."""
    set_event_loop(None)
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def worker_thread():
    """A real worker in a thread (``start_worker``, solo pool) on the configured broker: memory:// on a
    bare machine, Redis in CI. The queue is purged before and after.

    Stopping it does not wait out the worker's loop: celery's ``synloop`` (the memory broker's) drains
    for up to 2 s at a time and runs one more drain after it has seen the request to stop, so a plain
    stop took about 4 s. A control message (``ping``, no reply asked) ends each drain at once."""
    fresh_connections()
    app.control.purge()
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"
    ) as worker:
        yield worker
        worker_state.should_terminate = 0  # what start_worker's own exit sets, before it joins the thread
        thread = next((t for t in threading.enumerate() if getattr(t, "_target", None) == worker.start), None)
        for _ in range(250):  # at most 5 s; start_worker then waits out its own timeout
            if thread is None or not thread.is_alive():
                break
            app.control.broadcast("ping", reply=False)
            thread.join(0.02)
    app.control.purge()
    fresh_connections()
