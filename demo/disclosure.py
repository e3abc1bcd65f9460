"""Demo 每周公开 for `make run`: the office publishes the weekly disclosure of 2017-W45 to W47, each on
the Monday after its week (the ledger's clock, ``tasks.clock.frozen_at``), so the demo's public page shows
the office's published figures and a task page a few weeks of history. Each week's figures are read from
its frozen weekly snapshots (the weekly dispatch froze them). Idempotent: a week already disclosed is left."""

import datetime

from django.contrib.auth import get_user_model

from reports import disclosure
from reports.models import Disclosure
from tasks.clock import SHANGHAI, frozen_at
from tasks.weeks import parse_week

WEEKS = ["2017-W45", "2017-W46", "2017-W47"]


def load() -> str:
    office = get_user_model().objects.filter(username="office").first()
    if office is None:
        return "演示每周公开：没有省督察办账号，未发布。"
    published = 0
    for week in WEEKS:
        if Disclosure.objects.filter(week=week).exists():
            continue
        monday_after = parse_week(week) + datetime.timedelta(days=7)
        moment = datetime.datetime.combine(monday_after, datetime.time(10), tzinfo=SHANGHAI)
        with frozen_at(moment):
            draft, _created = disclosure.open_draft(week, office)
            disclosure.publish(draft, office)
        published += 1
    return f"演示每周公开：{WEEKS[0]} 至 {WEEKS[-1]}，本次发布 {published} 份。"
