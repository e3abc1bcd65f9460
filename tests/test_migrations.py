"""The migrations describe the models: a model change without its migration fails here.

On SQLite the suite's tables are made from the models (tests/conftest.py), so this check is what
keeps the migrations, which ``make run`` and every deployment apply, in step with them.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings


@pytest.mark.django_db  # makemigrations reads the applied history (none on SQLite: no migration ran)
@override_settings(MIGRATION_MODULES={})  # the apps' own migrations, even where the suite skipped them
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail("models changed without a migration:\n" + out.getvalue())
