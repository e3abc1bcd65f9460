"""The app under load: gunicorn (4 sync workers) on PostgreSQL at two sizes, against a raw baseline.

    .venv/bin/python bench/load_bench.py              # both sizes, 8 s per cell
    .venv/bin/python bench/load_bench.py --quick      # both sizes, 3 s per cell
    .venv/bin/python bench/load_bench.py --sizes 20195 --seconds 5 --clients 1 8 --gc
    .venv/bin/python bench/load_bench.py --quick --only dashboard public public-task --think 2
    .venv/bin/python bench/load_bench.py --seconds 4 --think 2 --think-seconds 10   # the final runs

Needs PostgreSQL (``BENCH_DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/bench_d);
the bench creates that database, fills it and drops it at the end (``--keep`` keeps it).

Sizes: 215 is the real plan (the Shanxi 2017 plan's rows); 20,195 is county scale, a province
whose 11 cities hand their rows down to 333 counties and city departments (each holding all 60
tasks), a year and a half in (the clock is pinned to ``TODAY``). Every row that has started has
25–76 weekly progress reports (about 915k at county scale) and each report two audit entries
(about 1.86M). Rows, reports and audit entries are written with COPY from generators; they keep
the models' constraints (unique task and unit, percent 0–100, unique hashes) but not the audit
hash chain, which none of the measured endpoints reads. At each size the current week's 每周公开 is
then opened and published through ``reports.disclosure`` (every public task, with every unit's row
of it), so ``/public/`` and ``/public/tasks/<id>/`` read a real disclosure.

The server is gunicorn with 4 sync workers and ``bench/load_settings.py`` (the production
settings, DEBUG off, plus ``/bench/raw/assignments/``: one psycopg2 query for the same rows and
joins as ``/api/assignments/?page_size=50`` and ``json.dumps``, the floor the API is measured
against). Each URL is driven by 1, 8 and 32 client threads (``http.client``, one connection per
request, as sync workers close it) for ``--seconds``; the table gives the median and p99 latency
and the throughput, and the ratios the targets are stated in (same run, same machine):
the API against the raw baseline, and each endpoint's p99 at the most clients against its median
at one. ``--think SECONDS`` adds columns: the same clients, each waiting SECONDS after every answer
(people reading pages rather than robots; the closed loop stays the default and the first columns). ``--gc`` also serves the largest size with ``WEB_GC_TUNING=true`` (``rectify/gunicorn_conf.py``:
higher thresholds; every worker is warmed up and frozen either way) and prints both.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_d")
TODAY = "2019-01-28"  # a year and a half after LEVEL_START (2017-07-31)
SIZES = (215, 20195)
URLS = (
    ("raw", "/bench/raw/assignments/", None),
    ("api-assignments", "/api/assignments/?page_size=50", "token"),
    ("api-tasks", "/api/tasks/", "token"),
    ("ledger", "/ledger/", "session"),
    ("dashboard", "/dashboard/", "session"),
    ("public", "/public/", None),
    ("public-task", "/public/tasks/{task}/", None),  # a task's published weeks (the first public task)
    ("task-page", "/tasks/{task}/", "session"),  # the same task's units (344 at county scale), a page of 20
    ("assignment-page", "/assignments/{assignment}/", "session"),  # its row with the most reports
    ("reviews", "/reviews/", "session"),  # 回头看: every signed-off row waits for one (8k at county scale)
)
NULL = "\\N"  # COPY's NULL


def environment(gc_tuning: bool = False) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        DJANGO_SETTINGS_MODULE="load_settings",
        PYTHONPATH=f"{ROOT / 'bench'}{os.pathsep}{ROOT}",
        DEBUG="false",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        AUDIT_KEY="bench-only-audit-key-" + "y" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        RECTIFY_TODAY=TODAY,
        WEB_GC_TUNING="true" if gc_tuning else "false",  # rectify/gunicorn_conf.py
        PYTHONUNBUFFERED="1",
    )
    env.pop("RECTIFY_REQUIRE_SERVICES", None)
    return env


# --- the database ------------------------------------------------------------------------------------


def admin_sql(statement: str) -> None:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def database_name() -> str:
    return urlsplit(DATABASE_URL).path.lstrip("/")


def batched(lines, n=2000):
    """Lines joined in batches (``GeneratorFile`` reads them a batch at a time)."""
    batch = []
    for line in lines:
        batch.append(line)
        if len(batch) == n:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def copy(cursor, table: str, columns: str, lines) -> None:
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", ChunkFile(batched(lines)))


class ChunkFile:
    def __init__(self, chunks):
        self.chunks = iter(chunks)
        self.buffer = b""

    def read(self, size=65536):
        while len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk.encode()
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

    readline = read


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def fabricate_history(cursor, assignment_ids, office_id: int, seed: int) -> tuple[int, int]:
    """Statuses, reports and audit entries for ``assignment_ids`` (rows not yet started get none)."""
    rng = random.Random(seed)
    start = monday(datetime.date(2017, 7, 31))
    today = monday(datetime.date.fromisoformat(TODAY))
    weeks = [start + datetime.timedelta(days=7 * i) for i in range((today - start).days // 7)]
    cursor.execute("SELECT coalesce(max(id), 0) FROM tasks_auditentry")
    audit_id = cursor.fetchone()[0]
    # Faster COPY: no foreign-key triggers (the rows are consistent by construction) and the plain
    # indexes of the two big tables built once afterwards instead of row by row.
    cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('tasks_progressreport', 'tasks_auditentry') "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    states = []  # (id, status, percent, last week, signed off at, reports)
    audits = []

    def report_lines():
        nonlocal audit_id
        for pk in assignment_ids:
            roll = rng.random()
            if roll < 0.10:
                states.append((pk, "not_started", 0, None, None, 0))
                continue
            count = rng.randint(25, 76)
            chosen = sorted(rng.sample(weeks, min(count, len(weeks))))
            percent = 0
            for week in chosen:
                percent = min(100, percent + rng.randint(0, 5))
                created = datetime.datetime.combine(week + datetime.timedelta(days=4), datetime.time(9, 30))
                iso = week.isocalendar()
                yield (
                    f"{pk}\t{iso[0]}-W{iso[1]:02d}\t本周按计划推进整改，完成排查和台账更新。\t{percent}\t{{}}\t"
                    f"{office_id}\t{created.isoformat()}+08:00\tf\t\t\\N\t\\N\t\n"
                )
                for action in ("create_report", "report"):
                    audit_id += 1
                    audits.append((audit_id, created, action, pk))
            status = "signed_off" if roll > 0.6 else ("reopened" if roll > 0.55 else "in_progress")
            if status == "signed_off":
                percent = 100
            signed = f"{created.isoformat()}+08:00" if status == "signed_off" else None
            states.append((pk, status, percent, chosen[-1], signed, len(chosen)))

    copy(
        cursor,
        "tasks_progressreport",
        "assignment_id, week, text, percent, measure_notes, author_id, created_at, late, drop_reason, "
        "voided_at, voided_by_id, void_reason",
        report_lines(),
    )

    def audit_lines():
        for pk, created, action, assignment in audits:
            digest = hashlib.sha256(str(pk).encode()).hexdigest()
            previous = hashlib.sha256(str(pk - 1).encode()).hexdigest()
            yield (
                f"{pk}\t{created.isoformat()}+08:00\t{office_id}\t{action}\ttasks.assignment\t{assignment}\t"
                f'{assignment}\t{{"status": "in_progress"}}\t{{"status": "in_progress"}}\t\t'
                f"{previous}\t{digest}\t2\n"
            )

    copy(
        cursor,
        "tasks_auditentry",
        "id, at, actor_id, action, model, object_id, assignment_id, before, after, note, prev_hash, hash, scheme",
        audit_lines(),
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('tasks_auditentry', 'id'), %s)", [audit_id])
    for _name, definition in indexes:
        cursor.execute(definition)
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute(
        "CREATE TEMP TABLE bench_state "
        "(id bigint, status text, percent int, last date, signed timestamptz, reports int)"
    )
    copy(
        cursor,
        "bench_state",
        "id, status, percent, last, signed, reports",
        (
            f"{pk}\t{status}\t{percent}\t{last or NULL}\t{signed or NULL}\t{reports}\n"
            for pk, status, percent, last, signed, reports in states
        ),
    )
    cursor.execute(
        "UPDATE tasks_assignment a SET status = s.status, percent = s.percent, last_report_week_start = s.last, "
        "signed_off_at = s.signed, version = a.version + 1, "
        "report_count = s.reports, late_report_count = 0 "  # the row's counters; no report is 迟报
        "FROM bench_state s WHERE a.id = s.id"
    )
    cursor.execute("DROP TABLE bench_state")
    reports = len(audits) // 2
    return reports, len(audits)


def prepare(size: int) -> dict:
    """Run in a child process: migrate (first size), fill the database up to ``size`` rows, sign in."""
    os.chdir(ROOT)
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.tokens import issue
    from tasks.choices import Role
    from tasks.importer import import_file
    from tasks.models import Assignment, Organisation, Task, Unit
    from tasks.services.accounts import create_user

    started = time.perf_counter()
    call_command("migrate", verbosity=0)  # quick when already applied
    existing = set(Assignment.objects.values_list("pk", flat=True))  # rows with their history already
    if not Task.objects.exists():
        import_file(ROOT / "fixtures" / "plans" / "shanxi-2017.txt")
        create_user("bench-office", role=Role.OFFICE, password="bench-only-password-1")
    office = django.contrib.auth.get_user_model().objects.get(username="bench-office")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        missing = size - Assignment.objects.count()
        if missing > 0:
            tasks = list(Task.objects.order_by("number").values_list("pk", "due_date"))
            cities = {unit.name: unit.pk for unit in Unit.objects.filter(kind="city")}
            names = [name for name in Organisation.current().cities if name in cities]
            units = -(-missing // len(tasks))
            copy(
                raw,
                "tasks_unit",
                "name, kind, parent_id",
                (
                    f"{names[i % len(names)]}{'模拟县' if i % 3 else '模拟市直部门'}{i:04d}\t"
                    f"{'county' if i % 3 else 'city_department'}\t{cities[names[i % len(names)]]}\n"
                    for i in range(units)
                ),
            )
            unit_ids = list(
                Unit.objects.filter(name__contains="模拟").order_by("pk").values_list("pk", flat=True)
            )
            now = datetime.datetime.now().isoformat()
            rows = [(task, due, unit) for unit in unit_ids for task, due in tasks][:missing]
            copy(
                raw,
                "tasks_assignment",
                "task_id, unit_id, status, version, due_date, extended_due_date, phase, percent, "
                "last_report_week_start, signed_off_at, next_review_date, updated_at, retired_at, retired_reason",
                (
                    f"{task}\t{unit}\tnot_started\t1\t{due or NULL}\t\\N\t1\t0\t\\N\t\\N\t\\N\t{now}+08:00\t\\N\t\n"
                    for task, due, unit in rows
                ),
            )
        new = sorted(set(Assignment.objects.values_list("pk", flat=True)) - existing)
        reports, audits = fabricate_history(raw, new, office.pk, seed=size)
        raw.execute("VACUUM ANALYZE")  # as autovacuum would have (the UPDATE above leaves dead rows)
    disclosed = publish_disclosure(office)
    client = Client()
    client.force_login(office)
    _token, key = issue(office)
    counts = {"assignments": Assignment.objects.count()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tasks_progressreport")
        counts["reports"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM tasks_auditentry")
        counts["audit"] = cursor.fetchone()[0]
    return {
        "token": key,
        "session": client.cookies["sessionid"].value,
        "counts": counts,
        "seconds": round(time.perf_counter() - started, 1),
        "added": {"reports": reports, "audit": audits},
        "task": disclosed["task"],
        "assignment": Assignment.objects.filter(task_id=disclosed["task"])
        .annotate(n=Count("reports"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first(),
        "disclosure": disclosed,
    }


def publish_disclosure(office) -> dict:
    """The current week's 每周公开 published through the service (``reports.disclosure``), so that
    ``/public/`` and ``/public/tasks/<id>/`` read a real disclosure of this size. A disclosure of the
    week published at a smaller size is removed first (the bench's own database: a published one is
    frozen for the ORM, so plain SQL), and so is the audit entry of its publication."""
    from django.db import connection

    from reports import disclosure as disclosures
    from reports.models import DisclosureItem
    from tasks.weeks import today, week_of

    week = week_of(today())
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reports_disclosureitem WHERE disclosure_id IN "
            "(SELECT id FROM reports_disclosure WHERE week = %s)",
            [week],
        )
        cursor.execute("DELETE FROM reports_disclosure WHERE week = %s", [week])
    draft, _created = disclosures.open_draft(week, office)
    published = disclosures.publish(draft, office)
    items = DisclosureItem.objects.filter(disclosure=published)
    first = items.order_by("plan_id", "category_number", "task_number", "id").values_list(
        "task_id", flat=True
    )
    return {
        "week": week,
        "items": items.count(),
        "units": sum(items.values_list("units_total", flat=True)),
        "task": first.first(),
    }


# --- the server and the client -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, gc_tuning: bool) -> subprocess.Popen:
    command = [PYTHON, "-m", "gunicorn", "rectify.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "4", "--timeout", "120", "--log-level", "warning"]
    command += ["--config", "python:rectify.gunicorn_conf"]  # as make serve; WEB_GC_TUNING decides
    process = subprocess.Popen(command, cwd=ROOT, env=environment(gc_tuning), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def fetch(port: int, url: str, headers: dict) -> tuple[float, int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request("GET", url, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, len(body)
    finally:
        connection.close()


def drive(port: int, url: str, headers: dict, clients: int, seconds: float, think: float = 0.0) -> dict:
    """``clients`` threads fetching ``url`` for ``seconds``; latencies of the requests that finished.

    ``think`` 0 is a closed loop (each client back to back); otherwise each client waits ``think``
    seconds after each answer (a person reading the page), starting at a random moment within the first
    ``think`` seconds so the clients do not arrive together."""
    latencies, errors, sizes = [], [0], []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop():
        if think:
            time.sleep(random.uniform(0, think))
        while time.perf_counter() < deadline:
            took, status, size = fetch(port, url, headers)
            with lock:
                if status == 200:
                    latencies.append(took)
                    sizes.append(size)
                else:
                    errors[0] += 1
            if think:
                time.sleep(max(0.0, min(think, deadline - time.perf_counter())))

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {
        "n": n,
        "errors": errors[0],
        "median_ms": statistics.median(latencies) * 1000 if n else None,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else None,
        "rps": n / elapsed,
        "bytes": int(statistics.median(sizes)) if sizes else 0,
    }


def headers_for(kind, secrets: dict) -> dict:
    if kind == "token":
        return {"Authorization": f"Token {secrets['token']}"}
    if kind == "session":
        return {"Cookie": f"sessionid={secrets['session']}"}
    return {}


def measure(port, secrets, clients, seconds, urls, think: float = 0.0, think_seconds: float = 0.0) -> dict:
    """Per URL, per client count: the closed loop (key ``n``) and, with ``think``, the same clients
    waiting ``think`` seconds between requests (key ``(n, think)``), each such cell driven for
    ``think_seconds`` (``seconds`` if 0): thinking clients ask less often, so a cell needs longer
    for its p99 to be more than its slowest request or two."""
    results = {}
    for name, url, kind in urls:
        url = url.format(**secrets)
        headers = headers_for(kind, secrets)
        for _ in range(3):  # warm every worker's caches (and check the answer)
            took, status, _size = fetch(port, url, headers)
            if status != 200:
                raise SystemExit(f"{url} answered {status}")
        results[name] = {n: drive(port, url, headers, n, seconds) for n in clients}
        if think:
            results[name].update(
                {(n, think): drive(port, url, headers, n, think_seconds or seconds, think) for n in clients}
            )
        cells = "  ".join(f"{cell_name(n)} {cell(r)}" for n, r in results[name].items())
        print(f"    {name:16} {cells}", flush=True)
    return results


def cell_name(key) -> str:
    """A cell's name: ``8c`` for 8 clients back to back, ``8c+2s`` for 8 clients thinking 2 s."""
    return f"{key[0]}c+{key[1]:g}s" if isinstance(key, tuple) else f"{key}c"


def cell(c: dict) -> str:
    if not c["n"]:
        return f"— ({c['errors']} errors)"
    return f"{c['median_ms']:.1f} / {c['p99_ms']:.1f}, {c['rps']:.0f}/s"


def table(size: int, results: dict, clients: list[int], label: str = "", think: float = 0.0) -> str:
    head = f"\n{size:,} assignments{label}: median / p99 ms, requests/s\n"
    names = [f"{n} client{'s' if n > 1 else ''}" for n in clients]
    if think:
        names += [f"{n} client{'s' if n > 1 else ''}, {think:g} s think" for n in clients]
    ratios = [f"p99@{clients[-1]} ÷ median@1"]
    if think:
        ratios.append(f"p99@{clients[-1]}, {think:g} s think ÷ median@1")
    header = f"| endpoint | {' | '.join(names + ratios)} |"
    lines = [head, header, "|" + " --- |" * (len(names) + len(ratios) + 1)]
    for name, cells in results.items():
        row = " | ".join(cell(c) for c in cells.values())
        first = cells[clients[0]]
        lasts = [cells[clients[-1]]] + ([cells[(clients[-1], think)]] if think else [])
        tails = " | ".join(
            f"{last['p99_ms'] / first['median_ms']:.1f}×" if last["n"] and first["n"] else "—"
            for last in lasts
        )
        lines.append(f"| {name} | {row} | {tails} |")
    if "raw" in results and "api-assignments" in results:
        raw, api = results["raw"], results["api-assignments"]
        lat = " ".join(f"{n}c {api[n]['median_ms'] / raw[n]['median_ms']:.2f}×" for n in clients)
        thr = " ".join(f"{n}c {api[n]['rps'] / raw[n]['rps']:.2f}" for n in clients)
        lines.append(f"\n/api/assignments/ ÷ raw: latency {lat}; throughput {thr}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="3 s per cell")
    parser.add_argument(
        "--only", nargs="+", help="endpoint names (raw, api-assignments, api-tasks, ledger, …)"
    )
    parser.add_argument(
        "--gc", action="store_true", help="also serve the largest size with WEB_GC_TUNING=true"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench database (and reuse it next time)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also drive each URL with every client waiting SECONDS between requests (extra columns)",
    )
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long each --think cell runs (default: --seconds)",
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare(args.prepare)))
        return 0
    seconds = 3.0 if args.quick else args.seconds
    urls = [u for u in URLS if not args.only or u[0] in args.only]
    if not args.keep:
        admin_sql(f'DROP DATABASE IF EXISTS "{database_name()}"')
    try:
        admin_sql(f'CREATE DATABASE "{database_name()}"')
    except Exception as error:  # kept from a previous --keep run
        if "already exists" not in str(error):
            raise
    report = []
    try:
        for size in sorted(args.sizes):
            print(f"preparing {size:,} assignments …", flush=True)
            done = subprocess.run(
                [PYTHON, __file__, "--prepare", str(size)],
                env=environment(),
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            if done.returncode:
                raise SystemExit(f"preparing {size} failed ({done.returncode})")
            secrets = json.loads(done.stdout.strip().splitlines()[-1])
            if secrets["counts"]["assignments"] != size:  # a kept database only grows
                raise SystemExit(
                    f"the bench database holds {secrets['counts']['assignments']:,} assignments, not {size:,}: "
                    "a kept database (--keep) is measured at its size or larger; drop it or measure that size"
                )
            print(f"  {secrets['counts']} in {secrets['seconds']} s", flush=True)
            runs = [(False, "")]  # as make serve runs by default: Python's GC defaults
            if args.gc and size == max(args.sizes):
                runs.append((True, " (WEB_GC_TUNING=true: thresholds)"))
            for gc_tuning, label in runs:
                port = free_port()
                server = serve(port, gc_tuning)
                try:
                    print(f"  serving{label} on :{port}", flush=True)
                    results = measure(
                        port, secrets, args.clients, seconds, urls, args.think, args.think_seconds
                    )
                finally:
                    stop(server)
                counts = secrets["counts"]
                text = table(size, results, args.clients, label, args.think)
                shown = secrets["disclosure"]
                text += (
                    f"\n({counts['reports']:,} progress reports, {counts['audit']:,} audit entries; "
                    f"每周公开 {shown['week']}: {shown['items']} tasks, {shown['units']:,} units; {seconds:g} s per cell)"
                )
                report.append(text)
                print(text, flush=True)
    finally:
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{database_name()}"')
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
