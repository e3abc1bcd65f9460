"""Shared fixtures.

The plan is imported once into the test database; every test that needs it asks
for the ``plan`` fixture (which writes it back after a transactional test flushed it; on SQLite the
database is copied back instead, ``_keep_sqlite_copy``).
Users follow the owner / colleague / outsider pattern: a liaison and a unit leader
of 晋中市, a liaison of 临汾市, an office account and a leader.

In CI (CI=true) the suite refuses to run without PostgreSQL and the Redis broker,
so a missing service fails the run instead of quietly falling back.
"""

import atexit
import gc
import itertools
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from rectify.gunicorn_conf import GC_THRESHOLD
from tasks.choices import Role
from tasks.services.accounts import create_user

ROOT = Path(__file__).resolve().parent.parent
PLAN_PATH = ROOT / "fixtures" / "plans" / "shanxi-2017.txt"
PASSWORD = "correct-horse-battery"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_sessionstart(session):
    if not IN_CI:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CELERY_BROKER_URL does not point at Redis")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the service is missing
            problems.append(f"Redis does not answer: {exc}")
    if not (shutil.which("chromium-headless-shell") or shutil.which("chromium")):
        problems.append("Chromium (chromium-headless-shell or chromium) is not installed")
    if not shutil.which("soffice"):
        problems.append("LibreOffice (soffice) is not installed")
    if problems:
        pytest.exit("CI needs its services: " + "; ".join(problems), returncode=3)


def pytest_configure(config):
    """The end of a test process, where nothing else overlaps it, without two slow walks of its
    heap (about 2 s of ``make test``'s wall time in all, measured with two processes):

    - pytest collects the garbage before it reports the exceptions raised in finalizers
      (``__del__``, a generator closed late): once here, not five times (0.8–1.1 s per process).
      One collection finds what a finalizer raised; what is left is garbage a finalizer made while
      it was being collected;
    - after that, as the interpreter shuts down (``atexit``), every object still alive is frozen,
      so the shutdown's own collection does not walk the whole heap once more (about 1 s per
      process, which the main process waited for); the memory goes back with the process."""
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:  # another pytest: its default stays
        pass
    else:
        config.stash[gc_collect_iterations_key] = 1
    atexit.register(gc.freeze)


# The order in which ``make test`` hands test files to its processes (pytest-xdist, ``--dist loadfile
# --no-loadscope-reorder``): the costliest first, so that the run does not end with one process
# still busy with a long file (the API fuzz) while the other waits. The files that read the built
# demo and the browser's files go to one process together (``_scope``). A test's cost is
# its time in the last run that ran it (kept in pytest's cache, .pytest_cache/, by the process that
# hands out the files); a test not run yet is guessed from what it drives, or from its ``cost`` marker.
_SECONDS_KEY = "rectify/test-seconds"
_SECONDS: dict = {}  # this run's time per test, summed over its set-up, call and tear-down


def _guessed_seconds(item) -> float:
    marker = item.get_closest_marker("cost")  # a long test the guesses below would take for a short one
    if marker is not None:
        return marker.args[0]
    if item.get_closest_marker("browser"):
        return 2.0
    if item.get_closest_marker("celery") or "live_server" in getattr(item, "fixturenames", ()):
        return 1.0
    return 0.1


_SCOPES: dict = {}


def _scope(rootpath, nodeid: str) -> str:
    """The unit of work a test belongs to: its file, except that the files reading the built demo
    (``demo_ledger``) and the browser's files are one unit, so one process builds the demo and starts
    Chromium (about a second each, the live server's start and stop included) for all of them."""
    path = nodeid.split("::", 1)[0]
    if path not in _SCOPES:
        source = rootpath / path
        shared = path.startswith("tests/browser/") or (
            source.is_file() and "demo_ledger" in source.read_text()
        )
        _SCOPES[path] = "the demo and the browser" if shared else path
    return _SCOPES[path]


@pytest.hookimpl(trylast=True)  # after pytest-django's own reordering (plain tests before transactional ones)
def pytest_collection_modifyitems(config, items):
    """In each test process of an xdist run, the units of work by cost, each unit's tests in
    pytest-django's order. Every process sorts the same collection by the same figures, as xdist
    requires."""
    if not hasattr(config, "workerinput"):
        return
    cache = getattr(config, "cache", None)
    known = cache.get(_SECONDS_KEY, {}) if cache is not None else {}
    units: dict = {}
    for item in items:
        units.setdefault(_scope(config.rootpath, item.nodeid), []).append(item)
    cost = {
        unit: sum(known.get(item.nodeid, _guessed_seconds(item)) for item in tests)
        for unit, tests in units.items()
    }
    items[:] = [item for unit in sorted(units, key=lambda unit: -cost[unit]) for item in units[unit]]


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the units of ``_scope``: a file, or the files sharing the demo."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SceneScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(config.rootpath, nodeid)

    return SceneScheduling(config, log)


def pytest_runtest_logreport(report):
    _SECONDS[report.nodeid] = _SECONDS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session):
    """The process that hands out the files (or a run without xdist) keeps this run's times."""
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _SECONDS:
        return
    kept = {
        nodeid: seconds
        for nodeid, seconds in cache.get(_SECONDS_KEY, {}).items()
        if (session.config.rootpath / nodeid.split("::", 1)[0]).exists()
    }
    kept.update((nodeid, round(seconds, 3)) for nodeid, seconds in _SECONDS.items())
    cache.set(_SECONDS_KEY, kept)


@pytest.fixture(scope="session")
def django_db_use_migrations():
    """On PostgreSQL (CI) the test database is built by running every migration, as a deployment is.
    On SQLite (a bare machine) its tables are made from the models at once: replaying the 68
    migrations took about 7 s in each test process, most of it Django re-rendering the model
    states. tests/test_migrations.py checks that the migrations and the models agree, and
    ``make run`` migrates its SQLite database for real."""
    return connection.vendor != "sqlite"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_plan()
        from tasks.models import Organisation

        Organisation.current()  # read once for the process, as a server does on its first page
        _keep_sqlite_copy()
    _DATABASE_READY.append(True)
    # As a web worker does once it has started (rectify/gunicorn_conf.py): what the set-up loaded is
    # moved out of the collector's sight and the youngest generation is collected less often. About
    # 8 % of a test module's CPU time went to collections walking Django, the app and the plan.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    yield
    with django_db_blocker.unblock():
        _close_other_sessions()


_DATABASE_READY: list = []  # not empty once the test database of the process is made (django_db_setup)


def _flushes(item) -> bool:
    """Whether the test ran on a transactional database, which pytest-django flushes after it."""
    marker = item.get_closest_marker("django_db")
    return "transactional_db" in getattr(item, "fixturenames", ()) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a flush the plan is written back at once, committed, as the first set-up left it: else
    every later test of the process found no plan and wrote it back again in its own transaction
    (about 90 ms each), only to roll it back."""
    yield
    if _flushes(item) and _DATABASE_READY and nextitem is not None:  # the last test: the database is gone
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _ensure_plan()


# SQLite (a bare machine): the process's test database as the set-up left it (the plan, content types,
# permissions), copied page by page into memory with SQLite's backup API. A transactional test's tear-down copies
# it back instead of Django's flush (a DELETE per table, then the content types and permissions made
# again) and the plan written back after it: the same state, in a tenth of the time (the tear-downs
# of ten transactional tests took 1.09 s in all, now 0.17 s). PostgreSQL (CI) keeps the flush.
_SQLITE_COPY: list = []


def _keep_sqlite_copy():
    import sqlite3

    from django.test import TransactionTestCase

    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(copy)
    _SQLITE_COPY.append(copy)
    flush = TransactionTestCase._fixture_teardown

    def restore(self):
        if list(self._databases_names(include_mirrors=False)) != ["default"]:
            return flush(self)
        connection.ensure_connection()
        _SQLITE_COPY[0].backup(connection.connection)
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()  # as the flush's post_migrate does

    TransactionTestCase._fixture_teardown = restore


def _close_other_sessions():
    """Threads that served tests (live server, Celery worker, concurrent writers) may still hold a
    PostgreSQL session; end them so the test database can be dropped."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# The rows the first import wrote, by model (in dependency order), restored after a transactional
# test's flush: a bulk insert per table instead of the import's three thousand statements.
_PLAN_ROWS: list = []
_NOT_PLAN_APPS = {"contenttypes", "auth", "sessions", "admin", "axes"}  # rebuilt or empty after a flush


def _ensure_plan():
    from tasks.models import Task

    if Task.objects.exists():
        return
    if _PLAN_ROWS:
        _restore_plan()
        return
    from tasks.importer import import_file
    from tasks.models import Organisation

    Organisation.objects.get_or_create(pk=1, defaults=Organisation.seed_values())  # flushed with the plan
    import_file(PLAN_PATH)
    plan_models = [model for model in _stored_models() if model._meta.app_label not in _NOT_PLAN_APPS]
    _PLAN_ROWS.extend((model, rows) for model, rows in _read_tables(plan_models) if rows)


def _restore_plan():
    from django.db import transaction

    with transaction.atomic():
        # ignore_conflicts: a row the app makes on demand (the Organisation, by Organisation.current())
        # may already be back, written by a request or a worker after the flush
        _write_tables(_PLAN_ROWS, ignore_conflicts=True)


def _stored_models():
    """Every table's model, the many-to-many tables too (a task's units and officials)."""
    from django.apps import apps

    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    ]


def _read_tables(models) -> list:
    """Each model's rows, in id order, as the database holds them: its columns' values, read with one
    SELECT per table and no model or field conversion (written back as they are by ``_write_tables``)."""
    quote = connection.ops.quote_name
    tables = []
    with connection.cursor() as cursor:
        for model in models:
            columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
            cursor.execute(
                f"SELECT {columns} FROM {quote(model._meta.db_table)} ORDER BY {quote(model._meta.pk.column)}"
            )
            tables.append((model, cursor.fetchall()))
    return tables


def _write_tables(tables, ignore_conflicts=False):
    """Write rows read by ``_read_tables`` back with their ids, then move each id sequence past them:
    a multi-row INSERT per batch. The demo's 13 restores of test_demo.py and test_levels.py took
    2.28 s through the models and ``bulk_create``, 0.43 s so."""
    from django.core.management.color import no_style

    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    head = "INSERT OR IGNORE INTO" if ignore_conflicts and sqlite else "INSERT INTO"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts and not sqlite else ""
    with connection.cursor() as cursor:
        for model, rows in tables:
            if not rows:
                continue
            fields = model._meta.concrete_fields
            columns = ", ".join(quote(field.column) for field in fields)
            placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
            size = max(1, 900 // len(fields))  # SQLite's oldest limit on parameters per statement
            for start in range(0, len(rows), size):
                batch = rows[start : start + size]
                cursor.execute(
                    f"{head} {quote(model._meta.db_table)} ({columns}) VALUES "
                    + ", ".join([placeholders] * len(batch))
                    + tail,
                    [value for row in batch for value in row],
                )
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _rows in tables]):
            cursor.execute(statement)


@pytest.fixture
def plan(db):
    """The imported plan (60 tasks)."""
    from tasks.models import Plan

    _ensure_plan()
    return Plan.objects.get()


# The demo ledger (``manage.py load_demo``) as the first build left it: every row of
# every table it wrote, its output and its files. Building it takes seconds (every step goes through
# the audited services); tests that read the built demo restore it instead.
_DEMO_BUILDS: dict = {}
_NOT_DEMO_MODELS = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


@pytest.fixture
def demo_ledger(plan, settings, tmp_path_factory):
    """The demo built by ``load_demo`` on the plan (its output is returned): the first test of a process
    builds it and keeps a copy of every table and of its files; later tests get that
    copy written back in their own transaction, the same rows with the same ids, hashes and files."""
    from io import StringIO

    from django.core.management import call_command

    # One build for every ledger day: each step of the demo runs at its own week's clock, so the day
    # the ledger is read on changes nothing that is built (test_demo.py's pinned-date test; only
    # wall-clock stamps, salts and random names differ between two builds).
    key = "demo"
    folders = {"media": settings.MEDIA_ROOT, "checkpoints": settings.AUDIT_CHECKPOINT_DIR}
    if key not in _DEMO_BUILDS:
        out = StringIO()
        call_command("load_demo", stdout=out)
        kept = tmp_path_factory.mktemp("demo-build")
        for name, folder in folders.items():
            if Path(folder).exists():
                shutil.copytree(folder, kept / name)
        demo_models = [m for m in _stored_models() if m._meta.label_lower not in _NOT_DEMO_MODELS]
        _DEMO_BUILDS[key] = (out.getvalue(), _read_tables(demo_models), kept)
        return out.getvalue()
    output, tables, kept = _DEMO_BUILDS[key]
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:  # one transaction in a transactional test too
        for model, _rows in reversed(tables):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        _write_tables(tables)
    for name, folder in folders.items():
        if (kept / name).exists():
            shutil.copytree(kept / name, folder, dirs_exist_ok=True)
    return output


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """One transaction around a whole test module, for a scene its module-scoped fixtures build once
    (``django_db_blocker.unblock()`` while they write). Each test runs in a savepoint of it, as
    pytest-django's ``db`` nests, so it sees the scene as built and its own writes are rolled back
    after it; the scene is rolled back after the module's last test. The module's ``today`` marker
    pins the ledger's day while the scene is built, and the scene's files (evidence, checkpoints) are
    copied into each test's folders (``_media_root``). Not for transactional tests: their flush would
    end the module's transaction."""
    from django.db import transaction
    from django.test import override_settings

    from tests.helpers import PINNED_DAY

    folder = tmp_path_factory.mktemp("module-scene")
    changed = {"MEDIA_ROOT": folder / "media", "AUDIT_CHECKPOINT_DIR": folder / "audit-checkpoints"}
    marker = request.node.get_closest_marker("today")
    if marker is not None:
        changed["RECTIFY_TODAY"] = marker.args[0] if marker.args else PINNED_DAY
    _MODULE_FOLDERS[request.module.__name__] = changed
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        _ensure_plan()
    with override_settings(**changed):
        yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
    del _MODULE_FOLDERS[request.module.__name__]


_MODULE_FOLDERS: dict = {}  # a module's scene files, by module (``module_db``)


# The people of the fixtures below: username -> (role, unit).
PEOPLE = {
    "alice": (Role.LIAISON, "晋中市"),
    "bob": (Role.UNIT_LEADER, "晋中市"),
    "charlie": (Role.LIAISON, "临汾市"),
    "dave": (Role.UNIT_LEADER, "临汾市"),
    "olga": (Role.OFFICE, None),
    "leo": (Role.LEADER, None),
}
_MODULE_PEOPLE: set = set()  # modules whose people were made once (``module_people``)


def _create(username, role, unit=None, **kwargs):
    return create_user(
        username, role=role, unit=unit, password=PASSWORD, email=f"{username}@example.gov.cn", **kwargs
    )


@pytest.fixture(scope="module")
def module_people(request, module_db, django_db_blocker):
    """All six people made once for the module, in its transaction (``module_db``): each account made
    through the audited service costs about 50 statements, and a module of sixty short tests made two
    or three per test. A module opts in (``pytest.mark.usefixtures("module_people")``) when none of its
    tests needs a person to be missing or made in the test; ``make_user`` then reads the person made
    with the same role and unit instead of making it again."""
    with django_db_blocker.unblock():
        for username, (role, unit) in PEOPLE.items():
            _create(username, role, unit)
    _MODULE_PEOPLE.add(request.module.__name__)
    yield
    _MODULE_PEOPLE.discard(request.module.__name__)


@pytest.fixture
def make_user(request, plan):
    made_once = getattr(request.module, "__name__", None) in _MODULE_PEOPLE

    def make(username, role, unit=None, **kwargs):
        if made_once and not kwargs and PEOPLE.get(username) == (role, unit):
            from django.contrib.auth import get_user_model

            return get_user_model().objects.get(username=username)
        return _create(username, role, unit, **kwargs)

    return make


@pytest.fixture
def liaison(make_user):
    """alice: liaison of 晋中市."""
    return make_user("alice", Role.LIAISON, "晋中市")


@pytest.fixture
def unit_leader(make_user):
    """bob: unit leader of 晋中市."""
    return make_user("bob", Role.UNIT_LEADER, "晋中市")


@pytest.fixture
def outsider(make_user):
    """charlie: liaison of 临汾市."""
    return make_user("charlie", Role.LIAISON, "临汾市")


@pytest.fixture
def outsider_leader(make_user):
    """dave: unit leader of 临汾市."""
    return make_user("dave", Role.UNIT_LEADER, "临汾市")


@pytest.fixture
def office(make_user):
    return make_user("olga", Role.OFFICE)


@pytest.fixture
def leader(make_user):
    return make_user("leo", Role.LEADER)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def django_assert_num_queries(pytestconfig):
    """pytest-django's fixture, counting a bulk insert that SQLite split into batches once
    (``helpers.LogicalQueries``): the count is the same on both backends, and one that grows with the
    rows still fails on either. With ``-v`` a wrong count prints every statement."""
    from tests.helpers import LogicalQueries

    @contextmanager
    def assert_num_queries(num, exact=True, connection=None, info=None):
        from django.db import connection as default

        with LogicalQueries(connection or default) as context:
            yield context
        done = len(context)
        if (num != done) if exact else (done > num):
            message = f"Expected to perform {num} queries {'' if exact else 'or less '}but {done} were done"
            if info:
                message += f"\n{info}"
            if pytestconfig.getoption("verbose") > 0:
                message += "\n\nQueries:\n========\n\n" + "\n\n".join(
                    q["sql"] for q in context.captured_queries
                )
            else:
                message += " (add -v option to show queries)"
            pytest.fail(message)

    return assert_num_queries


@pytest.fixture
def queries(django_assert_num_queries):
    """assertNumQueries that prints every statement when the count is wrong."""
    return django_assert_num_queries


def normalise_sql(sql: str) -> str:
    return re.sub(r"\s+", " ", sql)


@pytest.fixture(autouse=True)
def _ledger_today(request):
    """``@pytest.mark.today(day)`` (default ``helpers.PINNED_DAY``) pins the ledger's today (``RECTIFY_TODAY``)."""
    marker = request.node.get_closest_marker("today")
    if marker is not None:
        from tests.helpers import PINNED_DAY

        request.getfixturevalue("settings").RECTIFY_TODAY = marker.args[0] if marker.args else PINNED_DAY


_TEST_FOLDERS = itertools.count()


@pytest.fixture(autouse=True)
def _media_root(request, settings, tmp_path_factory):
    # The test's own folders, made only when a file is written there: most tests write none, and
    # ``tmp_path`` (a numbered folder made and listed for each test) cost about 0.9 ms per test.
    folder = tmp_path_factory.getbasetemp() / "test-files" / str(next(_TEST_FOLDERS))
    settings.MEDIA_ROOT = folder / "media"
    # Checkpoints of the audit chain name rows of this test's database only.
    settings.AUDIT_CHECKPOINT_DIR = folder / "audit-checkpoints"
    scene = _MODULE_FOLDERS.get(getattr(request.module, "__name__", None))
    if scene is not None:  # the files of the scene the module built once (``module_db``)
        for name in ("MEDIA_ROOT", "AUDIT_CHECKPOINT_DIR"):
            if Path(scene[name]).exists():
                shutil.copytree(scene[name], getattr(settings, name))


@pytest.fixture
def vendor():
    return connection.vendor


@pytest.fixture
def evidence_pdf():
    """A factory of small uploads that pass the evidence checks (a PDF by its first bytes)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name="佐证.pdf", content=b"%PDF-1.4 evidence"):
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def run_outbox():
    """Run every outbox message not done yet in this process, as a worker would, until none is left.

    Returns how many ran. A consumer's error propagates (the message stays not done, so a
    second call is the task's retry).
    """
    from outbox.models import OutboxMessage
    from rectify.celery import app

    # A worker imports every app's tasks module at start; so does this fixture, so that a test
    # file run on its own finds the tasks another file's imports would otherwise have registered.
    app.loader.import_default_modules()

    def run() -> int:
        ran = 0
        while message := OutboxMessage.objects.filter(done_at=None).order_by("id").first():
            app.tasks[message.task](*message.args, outbox_id=message.pk, **message.kwargs)
            ran += 1
        return ran

    return run
