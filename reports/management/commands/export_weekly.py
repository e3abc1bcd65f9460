import os
import tempfile

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reports.api import export_params
from reports.weekly import write_weekly_workbook
from tasks.services.errors import LedgerError


class Command(BaseCommand):
    help = (
        "Write the weekly ledger workbook (汇总, 整改台账, 逾期清单, 未报送单位) to a file. "
        "Without --user it holds every unit, as the office sees it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2017-W36")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")
        parser.add_argument("--unit", help="only this unit (id or name)")
        parser.add_argument("--user", help="export what this user may see (default: everything)")

    def handle(self, *args, week, out, unit=None, user=None, **options):
        User = get_user_model()
        if user:
            account = User.objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"用户“{user}”不存在")
        else:
            # Shell access is the administrator's: an unsaved superuser sees every unit.
            account = User(username="export_weekly", is_superuser=True)
        try:
            week, unit_obj, _plan = export_params(account, {"week": week, "unit": unit or ""})
        except LedgerError as exc:
            raise CommandError(exc.message) from None
        directory = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(directory):
            raise CommandError(f"目录“{directory}”不存在")
        # Write beside the target and rename, so a failed run never leaves half a workbook.
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".xlsx.part", delete=False) as part:
            try:
                report = write_weekly_workbook(part, week=week, user=account, unit=unit_obj)
            except BaseException:
                os.unlink(part.name)
                raise
        os.replace(part.name, out)
        self.stdout.write(
            f"已写入 {out}：{report.scope} {week}，台账 {report.rows} 行，逾期 {report.overdue} 行"
        )
