from django.core.management.base import BaseCommand

from dispatch.management.commands._base import check_week, run_job, summary
from dispatch.services import chase_reports
from tasks.weeks import today, week_of


class Command(BaseCommand):
    help = "Report chaser (催报) for a week: units with open assignments not yet reported. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week, e.g. 2017-W36 (default: this week)")

    def handle(self, *args, week=None, **options):
        week = check_week(week) if week else week_of(today())
        self.stdout.write(summary(f"{week} 催报", run_job(chase_reports, week)))
