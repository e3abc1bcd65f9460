from django.core.management.base import BaseCommand, CommandError

from tasks.importer import import_file
from tasks.plan_parser import PlanFormatError
from tasks.plan_sources import PlanFileError


class Command(BaseCommand):
    help = (
        "Import a rectification plan: a text laid out like fixtures/plans/shanxi-2017.txt (UTF-8, GBK/GB18030 "
        "or UTF-16), an Excel 清单 (.xlsx, sheet 整改任务清单) or a Word table (.docx). Idempotent and transactional."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="plan file: .txt, .xlsx or .docx")
        parser.add_argument(
            "--encoding", help="the text's encoding (utf-8, gbk, gb18030, utf-16); detected if omitted"
        )
        parser.add_argument(
            "--year", type=int, help="year of dates written without one (default: the plan's own)"
        )

    def handle(self, *args, path, encoding=None, year=None, **options):
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError(f"--year 应为 2000–2100 之间的年份，实为 {year}")
        try:
            result = import_file(path, encoding=encoding, year=year)
        except FileNotFoundError:
            raise CommandError(f"找不到方案文件：{path}") from None
        except IsADirectoryError:
            raise CommandError(f"{path} 是一个目录，请给出方案文件的路径") from None
        except PermissionError:
            raise CommandError(f"无权读取方案文件：{path}") from None
        except PlanFileError as exc:
            raise CommandError(f"无法读取方案文件，未导入任何内容。{exc}") from None
        except PlanFormatError as exc:
            raise CommandError(f"方案文件格式错误，未导入任何内容。{exc}") from None
        self.stdout.write(result.summary())
