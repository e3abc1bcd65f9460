# The records' timestamps come from the ledger's clock (tasks.clock.now) instead of auto_now(_add),
# so the demo can replay 2017 without patching timezone.now. Defaults live in Python, not in the
# database: state only (SQLite would otherwise rebuild the tables for nothing).

import tasks.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_weeklysnapshot'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='weeklysnapshot',
                    name='created_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='冻结时间'),
                ),
            ],
            database_operations=[],
        ),
    ]
