from django.core.management.base import BaseCommand, CommandError

from tasks.services.audit import verify_chain
from tasks.services.audit_checks import (
    checkpoint_dir,
    rebuild_differences,
    verify_checkpoints,
    verify_code,
    write_checkpoint,
)

SHOWN = 50  # differences named in the message; the rest are counted


class Command(BaseCommand):
    help = (
        "Check the audit trail: its keyed hash chain (names the first broken entry), the signed "
        "checkpoints under AUDIT_CHECKPOINT_DIR, and every assignment against the trail's replay "
        "(names each row that differs). --checkpoint writes the head as a new checkpoint when all is well."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="write a signed checkpoint of the head if the check passes",
        )
        parser.add_argument(
            "--code",
            action="append",
            default=[],
            help="a code printed on a bulletin or 销号单 (e.g. 1234-ab12cd34ef)",
        )

    def handle(self, *args, **options):
        failures = []
        count, broken, reason = verify_chain()
        if reason:
            where = (
                f"第一条损坏的记录：#{broken.pk}（{broken.at:%Y-%m-%d %H:%M:%S} {broken.action}）"
                if broken
                else ""
            )
            failures.append(f"操作记录链校验失败：{reason}。{where} 已校验 {count} 条完好记录。")
        files, problems = verify_checkpoints()
        failures += [f"检查点校验失败：{problem}" for problem in problems]
        for code in options["code"]:
            if why := verify_code(code):
                failures.append(f"校验码校验失败：{why}")
        differences, rows = [], set()
        for difference in rebuild_differences():
            rows.add(difference.assignment_id)
            if len(differences) < SHOWN:
                differences.append(f"台账与操作记录不符：{difference}")
        failures += differences
        if len(differences) == SHOWN:
            failures.append(f"（共 {len(rows)} 条台账与操作记录不符，仅列出前 {SHOWN} 处）")
        if failures:
            raise CommandError("\n".join(failures))

        self.stdout.write(f"操作记录链完好：共 {count} 条")
        self.stdout.write(
            f"检查点：{files} 个，均与记录链相符" if files else f"检查点：{checkpoint_dir()} 下尚无检查点"
        )
        for code in options["code"]:
            self.stdout.write(f"校验码 {code} 与记录链相符")
        self.stdout.write("台账与操作记录一致")
        if options["checkpoint"]:
            path = write_checkpoint()
            self.stdout.write(f"已写入检查点：{path}" if path else "记录链为空，未写检查点")
