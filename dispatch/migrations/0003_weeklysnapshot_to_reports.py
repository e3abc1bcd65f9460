# WeeklySnapshot moved to the reports app (reports/migrations/0002): removed from the
# dispatch app's state only; the table dispatch_weeklysnapshot and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0002_deadline_warnings'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='WeeklySnapshot')],
            database_operations=[],
        ),
    ]
