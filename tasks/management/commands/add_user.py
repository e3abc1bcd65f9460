from django.core.management.base import BaseCommand, CommandError

from tasks.choices import Role
from tasks.services.accounts import create_user
from tasks.services.errors import LedgerError


class Command(BaseCommand):
    help = "Create or update a user with a ledger role, e.g. add_user li --role liaison --unit 晋中市 --password …"

    def add_arguments(self, parser):
        parser.add_argument("username")
        # No argparse choices: create_user refuses an unknown role with a Chinese message.
        parser.add_argument("--role", required=True, help="|".join(Role.values))
        parser.add_argument("--unit", help="unit name (liaison and unit_leader only)")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="display name")

    def handle(self, *args, username, role, unit, password, email, name, **options):
        try:
            user = create_user(username, role=role, unit=unit, password=password, email=email, full_name=name)
        except LedgerError as exc:
            raise CommandError(exc.message) from None
        where = f"（{unit}）" if unit else ""
        self.stdout.write(f"用户 {user.username} 已就绪：{Role(role).label}{where}")
