"""`make serve` over HTTP: gunicorn, a Celery worker and beat on PostgreSQL and Redis, with the production
profile (deploy/production.env), answering the login page and a static file with the security headers,
then stopped cleanly by SIGTERM.

Runs `python -m rectify.serve`, the command `make serve` runs (checked with `make -n`), on a free port
against the test database and the test's Redis. It needs both services: without them it is skipped on
a bare machine and fails where they are required (`RECTIFY_REQUIRE_SERVICES=1`, set by `.ci/run`, or
CI=true). Only the processes it started are signalled (serve in its own session; serve signals its
children's own sessions).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from rectify.celery import app
from tests.conftest import IN_CI

# Transactional: the served processes read the database over their own connections, so the plan must
# be committed. In a test's transaction, a plan restored after another file's flush (the same process,
# under pytest-xdist) was invisible to them, and their first write of the Organisation waited on it.
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # a guard against a hung start on a loaded machine, not a timing assertion
REQUIRED = IN_CI or os.environ.get("RECTIFY_REQUIRE_SERVICES") == "1"
DISPATCH_CRONS = [
    "DISPATCH_WEEKLY_CRON",
    "DISPATCH_CHASER_CRON",
    "DISPATCH_WARNINGS_CRON",
    "DISPATCH_BULLETIN_CRON",
]


def needs_services():
    problems = []
    if connection.vendor != "postgresql":
        problems.append("DATABASE_URL is not PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CELERY_BROKER_URL is not Redis")
    else:
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001 - any failure means the service is missing
            problems.append(f"Redis does not answer: {exc}")
    if problems:
        message = "make serve needs PostgreSQL and Redis: " + "; ".join(problems)
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, https: bool = True):
    """GET without following redirects; ``https`` as the TLS proxy of the profile says it."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"} if https else {})
    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_make_serve_runs_the_command_this_test_runs():
    dry = subprocess.run(
        ["make", "-n", "serve", "ENV_FILE=deploy/production.env", "PORT=8999"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert dry.returncode == 0, dry.stderr
    assert "DEBUG=false" in dry.stdout and "-m rectify.serve --env-file deploy/production.env" in dry.stdout
    assert "--port 8999" in dry.stdout


def test_serve_answers_over_http_with_the_security_headers_and_stops_cleanly(plan, tmp_path):
    needs_services()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rectify.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_KEY": settings.AUDIT_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),  # the test database
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CACHE_URL": settings.CELERY_BROKER_URL,
        "RECTIFY_VAR_DIR": str(tmp_path / "var"),
        "WEB_CONCURRENCY": "1",
        "CELERY_WORKER_CONCURRENCY": "1",
        "DEBUG": "false",
        # Beat runs, but the jobs that write the ledger's messages never fall due during the test
        # (February 29th, 03:00): only the outbox sweep ticks, over an empty outbox.
        **dict.fromkeys(DISPATCH_CRONS, "0 3 29 2 *"),
    }
    env.pop("RECTIFY_TODAY", None)
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "rectify.serve", "--env-file", "deploy/production.env"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        serve = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        login = None
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                login = get(f"http://127.0.0.1:{port}/login/")
                if login.status == 200 and " ready." in log.read_text():
                    break
            except OSError:
                pass
            time.sleep(1)
        output = log.read_text()
        assert serve.poll() is None, output
        assert login is not None and login.status == 200, output
        assert " ready." in output, output  # the worker is connected to Redis
        assert "beat: Starting" in output, output
        body = login.read().decode()
        assert "登录" in body

        headers = login.headers
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert "no-store" in headers["Cache-Control"]
        assert "Secure" in headers["Set-Cookie"] and "csrftoken" in headers["Set-Cookie"]

        css = get(f"http://127.0.0.1:{port}/static/web/site.css")  # WhiteNoise, DEBUG false
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert ".w-100" in css.read().decode()
        assert "public" in css.headers["Cache-Control"]

        api = get(f"http://127.0.0.1:{port}/api/tasks/")
        assert api.status == 401 and "no-store" in api.headers["Cache-Control"]
        plain = get(f"http://127.0.0.1:{port}/login/", https=False)
        assert plain.status == 301 and plain.headers["Location"].startswith("https://")
    finally:
        children = [
            int(line.split("pid ")[1].rstrip(")"))
            for line in log.read_text().splitlines()
            if "serve: started" in line
        ]
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGTERM)
        try:
            code = serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            for pid in children:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise
        finally:
            app.control.purge()  # no tick beat sent as it stopped is left for a later test's worker
    output = log.read_text()
    assert code == 0, output
    assert "serve: stopped (0)" in output and "did not stop" not in output
    assert len(children) == 3 and not any(alive(pid) for pid in children)
