"""Freeze every assignment's state at past months' ends (back-fill), newest first."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone

from tasks.models import AuditEntry
from tasks.services import history


class Command(BaseCommand):
    help = (
        "冻结各月末的台账状态（月通报、往周周报从此重建，不再读取全部操作记录）。"
        "从最近结束的月份起向前逐月补齐，每一步只读一个月的操作记录；已冻结的月份保持不变。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", help="最早的月份（YYYY-MM），默认为第一条操作记录所在月份", default=None
        )

    def handle(self, *args, since=None, **options):
        if since:
            try:
                first = datetime.date.fromisoformat(f"{since}-01")
            except ValueError as exc:
                raise CommandError(f"月份格式应为 YYYY-MM：{since}") from exc
        else:
            earliest = AuditEntry.objects.filter(model="tasks.assignment").aggregate(at=Min("at"))["at"]
            if earliest is None:
                self.stdout.write("没有台账操作记录，无需冻结")
                return
            first = timezone.localdate(earliest)
        for moment in history.month_ends_back(first):
            frozen = history.freeze(moment)
            if frozen is not None:
                month = timezone.localdate(moment) - datetime.timedelta(days=1)
                self.stdout.write(f"{month:%Y-%m} 月末：{frozen.rows} 行")
