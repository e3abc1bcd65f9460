from django.core.management.base import BaseCommand

from dispatch.bulletin import make_bulletin
from dispatch.management.commands._base import check_month, run_job
from dispatch.periods import previous_month
from tasks.weeks import today


class Command(BaseCommand):
    help = "Monthly bulletin (月通报) for a month, as a draft for the office to publish. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="e.g. 2017-10 (default: last month)")
        parser.add_argument("--refresh", action="store_true", help="recompute an existing draft")

    def handle(self, *args, month=None, refresh=False, **options):
        month = check_month(month) if month else previous_month(today())
        bulletin, changed, delivery = run_job(make_bulletin, month, refresh=refresh)
        if changed:
            state = "已生成草稿" if not refresh else "已重新计算草稿"
        else:
            state = "已存在（" + bulletin.get_status_display() + "），未改动"
        totals = bulletin.data.get("totals", {})
        self.stdout.write(
            f"{month} 月通报{state}：台账 {totals.get('total')} 项，已销号 {totals.get('signed_off')} 项，"
            f"逾期 {totals.get('overdue')} 项，问题反弹 {totals.get('reopened')} 项；"
            f"新建消息 {delivery.created} 条，已存在 {delivery.existing} 条（未重复发送）"
        )
