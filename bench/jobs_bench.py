"""Time, queries and peak memory of the dispatch jobs at the plan's size and at county scale, on PostgreSQL.

    .venv/bin/python bench/jobs_bench.py                 # 215 rows (the real plan), then county scale
    .venv/bin/python bench/jobs_bench.py --county 5000   # a smaller second size
    .venv/bin/python bench/jobs_bench.py --db bench_x --jobs "bulletin (2017-12)" --keep
    .venv/bin/python bench/jobs_bench.py --db bench_x --reuse   # county scale again, in the kept database
    .venv/bin/python bench/jobs_bench.py --db bench_x --reuse --keep --jobs dispatch   # iterate on one job

It creates its own database (``bench_e``, or ``--db``, on the server of ``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432``), migrates it and imports the real plan (215
assignments), measures each job, then fabricates county scale (units added until there are
``--county`` assignments, default 20,195; ``--reports`` progress reports per assignment, default
45, so 915k; ``--audit`` audit entries per assignment, default 92, so 1.86M, time-major, as a
year and a half of weekly reports leaves them) with server-side ``INSERT … SELECT`` over
``generate_series`` (the rows are cloned from a template row made through the ORM, so every
column is filled as the app fills it), measures again, and drops the database. ``--reuse`` measures county scale in a kept database after
deleting what the jobs wrote there (snapshots, month ends, messages, deliveries, outbox rows,
warnings), so a rerun does each job's whole work again rather than finding it done.

Each job runs in its own subprocess with the ledger's today pinned (``RECTIFY_TODAY``): time
(wall and CPU), the number of SQL statements (counted by an execute wrapper, their text not kept),
and the peak resident memory above the process's start (``ru_maxrss`` after Django and the job's modules are imported and the connection is open).
The jobs: Monday's dispatch (which first freezes the previous week for every row), Wednesday's
chaser, the daily deadline warnings, the freeze of last month's end (the beat's, on the 1st) and
the back-fill of every earlier month's end (``freeze_month_ends``, newest first), last month's
bulletin and the bulletin of a month a year and a half back (``make_bulletin(refresh=True)``).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_e"  # the default; ``--db`` (or ``BENCH_DB``) names another, so two runs never clash
TODAY = "2019-03-13"  # a Wednesday, a year and a half after the plan started (2017-W36)
JOBS = {
    "dispatch": "services.dispatch_weekly('2019-W11')",
    "chaser": "services.chase_reports('2019-W11')",
    "warnings": "services.warn_deadlines(datetime.date(2019, 3, 13))",
    # the beat's freeze on the 1st, then the back-fill of every earlier month (newest first)
    "month-end (2019-02)": "history.freeze(history.month_end(2019, 2))",
    "back-fill month ends": "call_command('freeze_month_ends', stdout=io.StringIO())",
    "bulletin (last month)": "bulletin.make_bulletin('2019-02', refresh=True)",
    "bulletin (2017-12)": "bulletin.make_bulletin('2017-12', refresh=True)",
}


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        raise SystemExit("jobs_bench needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    return url.rsplit("/", 1)[0]


def env_for(db_url: str) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=db_url, RECTIFY_TODAY=TODAY, DJANGO_SETTINGS_MODULE="rectify.settings")
    env.setdefault("DEBUG", "true")
    env.pop("CELERY_BROKER_URL", None)  # the jobs' outbox rows stay in the database
    return env


def admin(sql: str):
    import psycopg2

    connection = psycopg2.connect(server_url() + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def setup_django():
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_setup():
    """Migrate and import the plan (in this process's database)."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tasks.importer import import_file

    import_file(ROOT / "fixtures" / "plans" / "shanxi-2017.txt")


def child_migrate():
    """Bring a kept database up to the code's migrations (``--reuse``), drop what the jobs wrote (the
    frozen month ends and weeks, the messages, their deliveries and outbox rows, the warnings: each
    job does its whole work again, not a rerun that finds it done) and vacuum; print its size."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from dispatch.models import DeadlineWarning, DeliveryLog, Notification
    from outbox.models import OutboxMessage
    from reports.models import WeeklySnapshot
    from tasks.models import Assignment, MonthEnd, MonthEndState

    call_command("migrate", verbosity=0)
    written = (
        MonthEndState,
        MonthEnd,
        WeeklySnapshot,
        Notification,
        DeliveryLog,
        OutboxMessage,
        DeadlineWarning,
    )
    for model in written:
        model.objects.all().delete()
    with connection.cursor() as cursor:
        for model in written:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(json.dumps({"assignments": Assignment.objects.count()}))


def _clone(cursor, table: str, template_id: int, count: int, overrides: dict, joins: str = ""):
    """Insert ``count`` copies of row ``template_id`` of ``table``, columns in ``overrides`` computed
    from ``g`` (0 … count-1) and the joins; the id from the sequence."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    columns = [c for (c,) in cursor.fetchall() if c != "id"]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table} t CROSS JOIN generate_series(0, {count - 1}) g {joins} WHERE t.id = {template_id} "
        "ORDER BY g"
    )


def child_fabricate(target: int, reports: int, audits: int):
    """County scale: units until ``target`` assignments, then reports and audit entries for each."""
    setup_django()
    from django.db import connection, transaction

    from tasks.choices import Role
    from tasks.models import Assignment, AuditEntry, ProgressReport, Task, Unit
    from tasks.services.accounts import create_user

    tasks = list(Task.objects.order_by("number"))
    missing = target - Assignment.objects.count()
    units = Unit.objects.bulk_create(
        [Unit(name=f"模拟县{i:04d}", kind="county") for i in range(-(-missing // len(tasks)))]
    )
    new = [Assignment(task=t, unit=u, due_date=t.due_date) for u in units for t in tasks][:missing]
    Assignment.objects.bulk_create(new, batch_size=5000)
    author = create_user("bench-liaison", role=Role.OFFICE, password="bench-only-password")
    first = Assignment.objects.order_by("pk").first()
    with transaction.atomic():
        template = ProgressReport.objects.create(
            assignment=first,
            week="2017-W36",
            text="本周完成排查，替代锅炉停运两台。",
            percent=10,
            author=author,
        )
    audit_template = AuditEntry.objects.order_by("-pk").first()  # the user's creation
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_ids AS SELECT id, (row_number() OVER (ORDER BY id) - 1) AS n "
            "FROM tasks_assignment"
        )
        cursor.execute("CREATE INDEX ON bench_ids (n)")
        count = Assignment.objects.count()
        # reports: week k of 45 (every 79 weeks / 45), time-major (ids grow with time)
        week_day = f"(DATE '2017-09-04' + (((g / {count}) * 79 / {reports}) * 7))"
        _clone(
            cursor,
            "tasks_progressreport",
            template.pk,
            count * reports,
            {
                "assignment_id": "b.id",
                "week": f"to_char({week_day}, 'IYYY-\"W\"IW')",
                "percent": f"LEAST(100, (g / {count}) * 2)",
                "created_at": f"({week_day} + INTERVAL '2 days')::timestamptz",
                "text": "'本周完成排查，替代锅炉停运两台，完成比例按计划推进。'",
            },
            f"JOIN bench_ids b ON b.n = g % {count}",
        )
        ProgressReport.objects.filter(pk=template.pk).delete()
        at = f"(TIMESTAMPTZ '2017-09-05 10:00+08' + ((g / {count}) * INTERVAL '1 minute' * 79 * 7 * 24 * 60 / {audits}))"
        state = "jsonb_build_object('percent', LEAST(100, (g / {n}) + {d}), 'last_report_week_start', "
        state += "to_char({at}::date, 'YYYY-MM-DD'), 'version', (g / {n}) + {d})"
        _clone(
            cursor,
            "tasks_auditentry",
            audit_template.pk,
            count * audits,
            {
                "at": at,
                "action": "'submit_report'",
                "model": "'tasks.assignment'",
                "object_id": "b.id::text",
                "assignment_id": "b.id",
                "actor_id": str(author.pk),
                "before": state.format(n=count, d=0, at=at),
                "after": state.format(n=count, d=1, at=at),
                "note": "''",
                "prev_hash": "md5(g::text) || md5((g + 7)::text)",
                "hash": "md5((g + 1)::text) || md5((g + 3)::text)",
            },
            f"JOIN bench_ids b ON b.n = g % {count}",
        )
        cursor.execute(
            "UPDATE tasks_assignment a SET percent = 90, version = %s, status = 'in_progress', "
            "last_report_week_start = DATE '2019-03-04'",
            [audits],
        )
        # the month ends frozen at the plan's size describe another ledger: county scale freezes its own
        cursor.execute("DELETE FROM tasks_monthendstate")
        cursor.execute("DELETE FROM tasks_monthend")
        cursor.execute("ANALYZE")
    print(
        json.dumps(
            {
                "assignments": count,
                "reports": ProgressReport.objects.count(),
                "audit": AuditEntry.objects.count(),
            }
        )
    )


def child_job(name: str) -> dict:
    setup_django()
    import datetime  # noqa: F401 - used by the job's expression
    import io  # noqa: F401 - used by the job's expression

    from django.conf import settings
    from django.core.management import call_command  # noqa: F401 - used by the job's expression
    from django.db import connection

    from dispatch import bulletin, services  # noqa: F401 - used by the job's expression
    from tasks.services import history  # noqa: F401 - used by the job's expression

    settings.DEBUG = False  # as in production: the connection keeps no log of the statements' text
    connection.ensure_connection()
    statements = [0]

    def count(execute, sql, params, many, context):  # counted, not kept: a draft's SQL holds megabytes
        statements[0] += 1
        return execute(sql, params, many, context)

    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with connection.execute_wrapper(count):
        started, cpu = time.perf_counter(), time.process_time()
        eval(JOBS[name])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "job": name,
        "seconds": seconds,
        "cpu": cpu,
        "queries": statements[0],
        "mib": (peak - start) / 1024,
    }


def run_child(args: list[str], env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_all(env: dict, label: str, jobs):
    for name in jobs:
        r = run_child(["job", name], env)
        print(
            f"{label:>8} {name:<22} {r['seconds']:>8.2f} {r['cpu']:>8.2f} {r['queries']:>8} {r['mib']:>9.1f}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--county", type=int, default=20_195)
    parser.add_argument("--reports", type=int, default=45)
    parser.add_argument("--audit", type=int, default=92)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", DB_NAME), help="the bench's database")
    parser.add_argument(
        "--jobs", nargs="+", choices=list(JOBS), default=list(JOBS), help="the jobs to measure"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (for --reuse)")
    parser.add_argument(
        "--reuse", action="store_true", help="measure county scale in the kept database (migrated first)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "setup":
            child_setup()
            print("{}")
        elif kind == "migrate":
            child_migrate()
        elif kind == "fabricate":
            child_fabricate(*map(int, rest))
        else:
            print(json.dumps(child_job(rest[0])))
        return

    env = env_for(f"{server_url()}/{args.db}")
    header = f"{'size':>8} {'job':<22} {'wall s':>8} {'cpu s':>8} {'queries':>8} {'MiB above':>9}"
    if args.reuse:
        sizes = run_child(["migrate"], env)
        print(header)
        measure_all(env, str(sizes["assignments"]), args.jobs)
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        return
    admin(f"DROP DATABASE IF EXISTS {args.db}")
    admin(f"CREATE DATABASE {args.db}")
    try:
        run_child(["setup"], env)
        print(header)
        measure_all(env, "215", args.jobs)
        started = time.perf_counter()
        sizes = run_child(["fabricate", str(args.county), str(args.reports), str(args.audit)], env)
        print(
            f"# fabricated {sizes['assignments']} assignments, {sizes['reports']} reports, "
            f"{sizes['audit']} audit entries in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        measure_all(env, str(sizes["assignments"]), args.jobs)
    finally:
        if not args.keep:
            admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")


if __name__ == "__main__":
    main()
