"""Time and queries of one event fanned out to many recipients (dispatch/events.py).

    .venv/bin/python bench/fanout_bench.py                         # 10, 1,000 and 10,000 recipients
    .venv/bin/python bench/fanout_bench.py --sizes 10000 --database-url postgres://…/scratch

Each size runs in its own process over a scratch database (SQLite in a temporary folder, or
the PostgreSQL database given, which is migrated and must be empty): the plan, one unit with
N liaisons (each with an e-mail address) and a group robot, an assignment listed for
supervision. The event ``supervision.listed`` is then told once, as the service does in its
transaction (``on_event``), and timed: N inbox messages, N e-mail deliveries and one robot
delivery written, and their outbox messages: one per batch of 100 e-mails, one for the robot. The after-commit relay to the broker is not timed
(the transaction is rolled back). The table gives the time and the number of SQL queries; the query
count does not grow with N on PostgreSQL (asserted in tests/test_events.py at 10 and 200);
SQLite splits a large bulk insert into batches by its limit on query parameters.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(n: int) -> dict:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accountability.models import ListedSupervision
    from dispatch.events import EVENTS, on_event, render
    from dispatch.models import ChannelSetting, DeliveryLog, Notification
    from outbox.models import OutboxMessage
    from tasks.choices import Role
    from tasks.importer import import_file
    from tasks.models import Assignment
    from tasks.models.people import Membership
    from tasks.services.accounts import create_user

    call_command("migrate", verbosity=0)
    import_file(ROOT / "fixtures" / "plans" / "shanxi-2017.txt")
    office = create_user("bench-office", role=Role.OFFICE, password="bench-only-password")
    a = Assignment.objects.select_related("task", "unit").filter(unit__name="晋中市").order_by("pk").first()
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"bench{i:06d}", email=f"bench{i}@example.gov.cn") for i in range(n)], batch_size=2000
    )
    Membership.objects.bulk_create(
        [Membership(user=u, role=Role.LIAISON, unit=a.unit) for u in users], batch_size=2000
    )
    ChannelSetting.objects.create(unit=a.unit, webhook=True, robot_url="https://oapi.dingtalk.com/robot/send")
    listing = ListedSupervision.objects.create(
        assignment=a, reason="进度滞后", deadline=datetime.date(2017, 12, 31), listed_by=office
    )
    # Warm, as a running server is: the URLconf loaded, the template engine built, the template compiled.
    reverse("assignment", args=[a.pk])
    render(
        "supervision.listed",
        {"assignment": a, "listing": listing, "unit": a.unit, "event": EVENTS["supervision.listed"]},
    )
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            delivery = on_event("supervision.listed", assignment=a, listing=listing)
            took = time.perf_counter() - started
        counts = {
            "inbox": Notification.objects.count(),
            "deliveries": DeliveryLog.objects.count(),
            "outbox": OutboxMessage.objects.count(),
        }
        transaction.set_rollback(True)  # nothing relayed to a broker: the after-commit side is the workers'
    return {
        "recipients": n,
        "created": delivery.created,
        **counts,
        "ms": took * 1000,
        "queries": len(queries),
    }


def measure(n: int, database_url: str | None) -> dict:
    env = dict(os.environ, DEBUG="true", CELERY_BROKER_URL="memory://")
    env.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    env.setdefault("AUDIT_KEY", "bench-only-audit-key")
    with tempfile.TemporaryDirectory() as scratch:
        env["DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
        env["RECTIFY_VAR_DIR"] = scratch
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1_000, 10_000])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use instead of SQLite")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    print("| recipients | inbox messages | deliveries | outbox messages | ms | queries |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in args.sizes:
        if args.database_url and n != args.sizes[0]:
            raise SystemExit("with --database-url, run one size at a time (the database must be empty)")
        r = measure(n, args.database_url)
        print(
            f"| {r['recipients']:,} | {r['inbox']:,} | {r['deliveries']:,} | {r['outbox']:,} "
            f"| {r['ms']:.0f} | {r['queries']} |"
        )


if __name__ == "__main__":
    main()
