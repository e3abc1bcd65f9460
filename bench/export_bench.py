"""Time and peak memory of the weekly workbook export, beside a bare openpyxl loop in the same run.

    .venv/bin/python bench/export_bench.py            # 1k, 10k, 100k fabricated rows + the DB path at 10k
    .venv/bin/python bench/export_bench.py --sizes 1000 --db-sizes 10000 100000   # the DB path at 10k and 100k
    .venv/bin/python bench/export_bench.py --sizes 1000 --no-db --rounds 5

Each measurement runs in its own subprocess, so peak memory (ru_maxrss) belongs to
that run alone; the table shows the peak above the process's baseline after
imports. "report" is ``reports.weekly.write_rows`` fed fabricated ``LedgerRow``
objects (no database); "bare" is an openpyxl write-only loop appending the same
values to one sheet with no styles (the floor the issue names). The two are
interleaved (report, bare, report, bare, ... ``--rounds`` times each) and timed in
CPU seconds of their own process (``time.process_time``: what other processes on a
shared machine do counts less than in wall time); the table gives the median of each
and "ratio" = report / bare. "db" is the real
path, ``write_weekly_workbook`` over a scratch SQLite database holding the plan
and enough fabricated units to reach the size (rows read in chunks with their
prefetches), which is what the endpoint runs.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2017-W36"
TODAY = datetime.date(2017, 9, 6)

PROBLEM = (
    "部分项目在报批区域污染物削减方案过程中不严不实，抽查发现项目前置条件落实不到位，替代锅炉未按期停运淘汰。"
    * 2
)
GOAL = "制定切实可行的区域污染物削减方案并确保落实，按期完成替代锅炉的停运和淘汰。"
MEASURES = "\n".join(
    f"{n}. 强化责任落实，对照环评批复要求逐项检查污染防治设施建设情况，按时限完成整改并报送进展。" * 2
    for n in (1, 2, 3)
)
UNITS = [
    ("太原市", "city"),
    ("晋中市", "city"),
    ("长治市", "city"),
    ("临汾市", "city"),
    ("省环保厅", "department"),
]
STATUSES = ["not_started", "in_progress", "in_progress", "signoff_requested", "signed_off"]
LEVELS = ["green", "yellow", "red"]


def fabricated_rows(n: int):
    from reports.rows import LedgerRow

    for i in range(n):
        unit, kind = UNITS[i % len(UNITS)]
        status = STATUSES[i % len(STATUSES)]
        yield LedgerRow(
            assignment_id=i + 1,
            version=1 + i % 4,
            task_number=1 + i % 60,
            category_number=1 + i % 4,
            category="关于大气和水环境方面的问题",
            problem=PROBLEM,
            goal=GOAL,
            measures=MEASURES,
            unit=f"{unit}{i // 1000}",
            unit_kind=kind,
            officials="王成、胡玉亭",
            deadline_text="2017 年底前",
            due_date=datetime.date(2017, 12, 31),
            effective_due=datetime.date(2017, 12, 31),
            week_text=f"本周完成第 {i} 项排查，替代锅炉停运两台。",
            history=f"{WEEK}（40%）：本周完成排查。\n2017-W35（20%）：完成方案。",
            percent=i % 101,
            status=status,
            level=LEVELS[i % 3],
            signed_off_on=datetime.date(2017, 9, 5) if status == "signed_off" else None,
            last_report_week=WEEK if i % 2 else None,
            reported_this_week=bool(i % 2),
            as_of=TODAY,
        )


def run_report(n: int, out) -> int:
    from reports.weekly import write_rows

    return write_rows(out, week=WEEK, rows=fabricated_rows(n), scope="全部责任单位", today=TODAY).rows


def run_bare(n: int, out) -> int:
    """The same cell values through openpyxl's write-only mode, nothing else."""
    from openpyxl import Workbook

    from reports.weekly import LEDGER_HEADERS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("整改台账")
    sheet.append(LEDGER_HEADERS)
    for row in fabricated_rows(n):
        sheet.append(
            [
                row.task_number,
                row.category,
                row.problem,
                row.goal,
                row.measures,
                row.unit,
                row.officials,
                row.effective_due,
                row.week_text,
                row.history,
                row.percent,
                row.status_label,
                row.level_label,
                row.signed_off_on,
                row.assignment_id,
                row.version,
                WEEK,
            ]
        )
    workbook.save(out)
    return n


def setup_db(n: int):
    """A scratch SQLite database with the plan and assignments for enough fabricated units to reach n rows."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tasks.choices import Role
    from tasks.importer import import_file
    from tasks.models import Assignment, ProgressReport, Task, Unit
    from tasks.services.accounts import create_user

    import_file(ROOT / "fixtures" / "plans" / "shanxi-2017.txt")
    tasks = list(Task.objects.order_by("number"))
    missing = n - Assignment.objects.count()
    units_needed = -(-missing // len(tasks))
    Unit.objects.bulk_create([Unit(name=f"模拟单位{i:05d}", kind="other") for i in range(units_needed)])
    fake_units = list(Unit.objects.filter(name__startswith="模拟单位").order_by("name"))
    new = [Assignment(task=t, unit=u, due_date=t.due_date) for u in fake_units for t in tasks][:missing]
    Assignment.objects.bulk_create(new, batch_size=2000)
    office = create_user("bench-office", role=Role.OFFICE, password="bench-only-password")
    reports = [
        ProgressReport(
            assignment_id=pk, week=WEEK, text="本周完成排查，替代锅炉停运两台。", percent=40, author=office
        )
        for pk in Assignment.objects.values_list("pk", flat=True)[::2]
    ]
    ProgressReport.objects.bulk_create(reports, batch_size=2000)
    return office


def child(mode: str, n: int) -> dict:
    """One measurement, in this (fresh) process."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    import openpyxl  # noqa: F401 - imported before the baseline is taken

    import reports.weekly  # noqa: F401

    user = setup_db(n) if mode in ("db", "dbheap") else None
    if mode == "report":  # the units' order reads the organisation's settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if mode == "dbheap":
        # ru_maxrss is a high-water mark that building the scratch database has already raised;
        # the Python heap's own peak during the export tells whether memory grows with the rows.
        import tracemalloc

        tracemalloc.start()
    with tempfile.TemporaryFile() as out:
        started, cpu_started = time.perf_counter(), time.process_time()
        if mode == "report":
            rows = run_report(n, out)
        elif mode == "bare":
            rows = run_bare(n, out)
        else:  # db, dbheap
            from reports.weekly import write_weekly_workbook

            rows = write_weekly_workbook(out, week=WEEK, user=user, today=TODAY).rows
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        out.seek(0, os.SEEK_END)
        size = out.tell()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    heap_mib = None
    if mode == "dbheap":
        import tracemalloc

        heap_mib = tracemalloc.get_traced_memory()[1] / 2**20
    return {
        "mode": mode,
        "heap_peak_mib": heap_mib,
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mib": peak / 1024,
        "above_baseline_mib": (peak - baseline) / 1024,
        "bytes": size,
    }


def measure(mode: str, n: int) -> dict:
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    env.setdefault("AUDIT_KEY", "bench-only-not-a-secret")
    scratch = None
    if mode != "bare":
        scratch = tempfile.NamedTemporaryFile(suffix=".sqlite3", delete=False)  # noqa: SIM115 - removed after the run
        env["DATABASE_URL"] = f"sqlite:///{scratch.name}"
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(n)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if scratch is not None:
            os.unlink(scratch.name)
    if result.returncode != 0:
        raise SystemExit(f"{mode} {n} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--db-sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--no-db", action="store_true")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs of each (median)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return

    print(
        f"{'rows':>8} {'report cpu s':>12} {'bare cpu s':>10} {'ratio':>6} {'report wall s':>13} "
        f"{'report MiB':>11} {'bare MiB':>9} {'xlsx MiB':>9}"
    )
    for n in args.sizes:
        reports, bares = [], []
        for _ in range(args.rounds):  # interleaved, so a load that comes and goes hits both
            reports.append(measure("report", n))
            bares.append(measure("bare", n))
        report_cpu = statistics.median(r["cpu"] for r in reports)
        bare_cpu = statistics.median(b["cpu"] for b in bares)
        print(
            f"{n:>8} {report_cpu:>12.2f} {bare_cpu:>10.2f} {report_cpu / bare_cpu:>6.2f} "
            f"{statistics.median(r['seconds'] for r in reports):>13.2f} "
            f"{max(r['above_baseline_mib'] for r in reports):>11.1f} "
            f"{max(b['above_baseline_mib'] for b in bares):>9.1f} {reports[0]['bytes'] / 2**20:>9.1f}"
        )
    if not args.no_db:
        for size in args.db_sizes:
            db, heap = measure("db", size), measure("dbheap", size)
            print(
                f"\nreal database path (SQLite), {db['rows']} rows: {db['seconds']:.2f} s, "
                f"Python heap peak during the export {heap['heap_peak_mib']:.1f} MiB (tracemalloc), "
                f"{db['bytes'] / 2**20:.1f} MiB xlsx"
            )
    print("\nMiB: peak resident memory (ru_maxrss) above the process's baseline after imports.")


if __name__ == "__main__":
    main()
