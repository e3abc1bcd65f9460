"""Time of the 导入方案 preview: the office uploads the 60-task plan as a workbook (and a Word table).

    .venv/bin/python bench/plan_preview_bench.py              # median of 5 uploads each
    .venv/bin/python bench/plan_preview_bench.py --repeat 9

Runs in its own process over a scratch SQLite database holding the Shanxi plan (so every unit is
known); the workbook and the Word document are made from the parsed plan (tests/plan_files.py).
It prints the median of the whole request (upload, zip check, reading, parsing, rendering the
page with all 60 tasks and 182 measures), the reading and parsing alone, and the queries of one
request. No timing is asserted in the tests; the target is under a second on the development machine.
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


def child(repeat: int) -> dict:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tasks.choices import Role
    from tasks.importer import import_file, parse_file
    from tasks.services.accounts import create_user
    from tests.plan_files import make_docx, make_xlsx

    call_command("migrate", verbosity=0)
    import_file(ROOT / "fixtures" / "plans" / "shanxi-2017.txt")
    office = create_user("bench-office", role=Role.OFFICE, password="bench-only-password")
    client = Client()
    client.force_login(office)
    files = {"xlsx": make_xlsx(title="基准清单"), "docx": make_docx(title="基准清单")}
    results = {}
    for kind, data in files.items():
        name = f"清单.{kind}"
        parse_times, page_times = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            plan = parse_file(data, name)
            parse_times.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post("/plans/import/", {"file": SimpleUploadedFile(name, data)})
                page_times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{kind}: {response.status_code}")
        results[kind] = {
            "tasks": len(plan.tasks),
            "bytes": len(data),
            "parse_ms": statistics.median(parse_times) * 1000,
            "page_ms": statistics.median(page_times) * 1000,
            "queries": len(queries),
        }
    return results


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    env = dict(os.environ, DEBUG="true", ALLOWED_HOSTS="testserver")
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    with tempfile.TemporaryDirectory() as scratch:
        env["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
        env["RECTIFY_VAR_DIR"] = scratch
        env["MEDIA_ROOT"] = f"{scratch}/media"
        env.pop("CELERY_BROKER_URL", None)
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(args.repeat)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-4000:])
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    print("| file | tasks | size | read and parse (ms) | preview page (ms) | queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, r in runs.items():
        print(
            f"| .{kind} | {r['tasks']} | {r['bytes'] / 1024:.0f} KiB | {r['parse_ms']:.0f} | {r['page_ms']:.0f} | {r['queries']} |"
        )


if __name__ == "__main__":
    main()
