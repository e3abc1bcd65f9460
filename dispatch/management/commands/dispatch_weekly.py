from django.core.management.base import BaseCommand

from dispatch.management.commands._base import check_week, run_job, summary
from dispatch.services import dispatch_weekly
from tasks.weeks import today, week_of


class Command(BaseCommand):
    help = "Weekly dispatch (周调度) for a week: freeze the previous week, message each unit. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2017-W36 (default: this week)")

    def handle(self, *args, week=None, **options):
        week = check_week(week) if week else week_of(today())
        result = run_job(dispatch_weekly, week)
        self.stdout.write(summary(f"{week} 周调度", result))
        self.stdout.write(
            f"周快照（上一周）：新冻结 {result.snapshots_created} 条，已存在 {result.snapshots_existing} 条"
        )
