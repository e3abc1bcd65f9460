from django.core.management.base import BaseCommand, CommandError

from demo.accountability import load as load_accountability_demo
from demo.disclosure import load as load_disclosure_demo
from demo.dispatch import load as load_dispatch_demo
from demo.ledger import DEMO_PASSWORD, load_demo
from dispatch.notify import inbox_only
from tasks.models import Task


class Command(BaseCommand):
    help = "Create the demo accounts and a demo ledger mid-flight (late 2017). Needs the plan imported first. Idempotent."

    def handle(self, *args, **options):
        if not Task.objects.exists():
            raise CommandError("请先导入方案：python manage.py import_plan fixtures/plans/shanxi-2017.txt")
        with inbox_only():  # the story's events reach the inbox; no email, robot or text leaves
            result = load_demo(stdout=self.stdout)
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, role, unit, state in result.accounts:
            self.stdout.write(f"  {username:<16} {role}{'  ' + unit if unit else ''}（{state}）")
        self.stdout.write(result.ledger)
        if not result.changed:
            self.stdout.write("演示数据均已就绪，本次未作任何改动。")
        self.stdout.write(load_dispatch_demo())
        self.stdout.write(load_disclosure_demo())  # after the weekly dispatch froze the weeks
        with inbox_only():
            self.stdout.write(load_accountability_demo())
