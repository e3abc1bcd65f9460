"""Response time and query count of the busiest pages and endpoints as the ledger grows.

    .venv/bin/python bench/pages_bench.py                    # 215 (the plan), 2,000 and 20,000 assignments
    .venv/bin/python bench/pages_bench.py --sizes 215 5000 --repeat 3

Each size runs in its own process over a scratch SQLite database holding the plan and
enough fabricated units to reach the size, with a report on every other assignment
(``export_bench.setup_db``). Every URL is fetched once to warm up, then ``--repeat``
times through Django's test client as the office account (it sees every row); the table
gives the median time and the number of SQL queries of one request. The query count
should not move with the size: that is what the tests assert; the times show what the
database still has to do (counting, sorting, aggregating) as rows grow.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URLS = [
    "/api/assignments/?page_size=200",
    "/api/tasks/?page_size=60",
    "/ledger/",
    "/ledger/?status=in_progress&sort=-due",
    "/dashboard/",
    "/public/",
]


def child(n: int, repeat: int) -> dict:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from export_bench import setup_db

    office = setup_db(n)
    client = Client()
    client.force_login(office)
    from tasks.models import Assignment

    results = {"rows": Assignment.objects.count(), "urls": {}}
    for url in URLS:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
        results["urls"][url] = {"ms": statistics.median(times) * 1000, "queries": len(queries)}
    return results


def measure(n: int, repeat: int) -> dict:
    env = dict(os.environ, DEBUG="true", ALLOWED_HOSTS="testserver")
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    env.pop("RECTIFY_TODAY", None)
    with tempfile.TemporaryDirectory() as scratch:
        env["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
        env["RECTIFY_VAR_DIR"] = scratch
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(n), str(repeat)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent,
        )
    if result.returncode != 0:
        raise SystemExit(f"{n} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[215, 2_000, 20_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    runs = [measure(n, args.repeat) for n in args.sizes]
    header = "| page | " + " | ".join(f"{r['rows']:,} rows: ms / queries" for r in runs) + " |"
    print(header)
    print("| --- |" + " --- |" * len(runs))
    for url in URLS:
        cells = [f"{r['urls'][url]['ms']:.0f} / {r['urls'][url]['queries']}" for r in runs]
        print(f"| `{url}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
