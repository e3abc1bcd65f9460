from django.core.management.base import BaseCommand, CommandError

from tasks.services.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; names the first broken entry."

    def handle(self, *args, **options):
        count, broken, reason = verify_chain()
        if reason:
            where = (
                f"第一条损坏的记录：#{broken.pk}（{broken.at:%Y-%m-%d %H:%M:%S} {broken.action}）"
                if broken
                else ""
            )
            raise CommandError(f"操作记录链校验失败：{reason}。{where} 已校验 {count} 条完好记录。")
        self.stdout.write(f"操作记录链完好：共 {count} 条")
