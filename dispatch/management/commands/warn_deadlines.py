from django.core.management.base import BaseCommand

from dispatch.management.commands._base import check_date, run_job, summary
from dispatch.services import warn_deadlines
from tasks.weeks import today


class Command(BaseCommand):
    help = "Deadline warnings (到期预警) for a date: deadlines and milestones within 7 days, and overdue. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="e.g. 2017-09-04 (default: today)")

    def handle(self, *args, date=None, **options):
        day = check_date(date) if date else today()
        result = run_job(warn_deadlines, day)
        self.stdout.write(summary(f"{day} 到期预警", result))
        self.stdout.write(f"新预警事项 {result.warnings_created} 项")
