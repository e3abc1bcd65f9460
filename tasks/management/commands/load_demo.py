from django.core.management.base import BaseCommand, CommandError

from dispatch.demo import load as load_dispatch_demo
from tasks.demo import DEMO_PASSWORD, load_demo
from tasks.models import Task


class Command(BaseCommand):
    help = "Create the demo accounts (and demo ledger activity). Needs the plan imported first."

    def handle(self, *args, **options):
        if not Task.objects.exists():
            raise CommandError("请先导入方案：python manage.py import_plan fixtures/plans/shanxi-2017.txt")
        accounts = load_demo(stdout=self.stdout)
        self.stdout.write("演示账号（密码均为 %s）：" % DEMO_PASSWORD)
        for username, role, unit in accounts:
            self.stdout.write(f"  {username:<16} {role}{'  ' + unit if unit else ''}")
        self.stdout.write(load_dispatch_demo())
