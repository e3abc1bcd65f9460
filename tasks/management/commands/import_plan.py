from django.core.management.base import BaseCommand, CommandError

from tasks.importer import import_file
from tasks.plan_parser import PlanFormatError


class Command(BaseCommand):
    help = "Import a rectification plan text (e.g. fixtures/plans/shanxi-2017.txt). Idempotent and transactional."

    def add_arguments(self, parser):
        parser.add_argument("path", help="plan text file, UTF-8")

    def handle(self, *args, path, **options):
        try:
            result = import_file(path)
        except FileNotFoundError:
            raise CommandError(f"找不到方案文件：{path}") from None
        except IsADirectoryError:
            raise CommandError(f"{path} 是一个目录，请给出方案文本文件的路径") from None
        except PermissionError:
            raise CommandError(f"无权读取方案文件：{path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"方案文件不是 UTF-8 文本：{path}") from None
        except PlanFormatError as exc:
            raise CommandError(f"方案文件格式错误，未导入任何内容。{exc}") from None
        self.stdout.write(result.summary())
