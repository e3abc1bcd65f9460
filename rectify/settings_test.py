"""Settings for the test suite: the real settings with test-only defaults.

CI sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis); a bare
machine runs on SQLite and the in-memory broker.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("AUDIT_KEY", "tests-only-audit-key")

from rectify.settings import *  # noqa: F403
from rectify.settings import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
ALLOWED_HOSTS = ["*"]
AUDIT_CHECKPOINT_DIR = VAR_DIR / "test-audit-checkpoints"
# /static/ from the apps' folders: the suite never runs collectstatic. Looked up per request
# (autorefresh, as under DEBUG) rather than indexed when the middleware starts: every test client
# starts its own middleware, and indexing the apps' 186 files cost about 25 ms per client.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as the development database is, not Django's default shared-cache in-memory test
    # database: there a table is locked per connection and a statement meeting another thread's
    # lock fails at once ("database table is locked") instead of waiting out OPTIONS["timeout"],
    # so a worker thread writing a job's progress while the test reads it failed at random.
    # pytest-xdist gives each process its own file (test_rectify_gw0.sqlite3, …). WAL lets a
    # reader go on beside the writer, as PostgreSQL does; the file need not survive a crash.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_rectify.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"  # noqa: F405

# Under pytest-xdist each process (gw0, gw1, …) runs its own Celery workers: on Redis their queues,
# results and control messages get keys of their own, so one process's worker never takes another's
# job (the database is per process already; pytest-django suffixes its name).
if os.environ.get("PYTEST_XDIST_WORKER") and CELERY_BROKER_URL.startswith("redis"):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{os.environ['PYTEST_XDIST_WORKER']}:"  # noqa: F405

# The in-memory broker (a bare machine) is polled: kombu's virtual transports look for a message
# every second by default, so each job a test sends through the worker waited up to a second to be
# picked up, and a stopping worker up to a second to notice. Redis (CI) answers at once.
if CELERY_BROKER_URL.startswith("memory://"):  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.01  # noqa: F405
