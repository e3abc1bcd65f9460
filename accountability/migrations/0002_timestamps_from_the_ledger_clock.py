# The records' timestamps come from the ledger's clock (tasks.clock.now) instead of auto_now(_add),
# so the demo can replay 2017 without patching timezone.now. Defaults live in Python, not in the
# database: state only (SQLite would otherwise rebuild the tables for nothing).

import tasks.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accountability', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='accountabilitycase',
                    name='updated_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='更新时间'),
                ),
                migrations.AlterField(
                    model_name='leaderleditem',
                    name='created_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='记录时间'),
                ),
                migrations.AlterField(
                    model_name='listedsupervision',
                    name='listed_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='挂牌时间'),
                ),
                migrations.AlterField(
                    model_name='summons',
                    name='created_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='记录时间'),
                ),
            ],
            database_operations=[],
        ),
    ]
