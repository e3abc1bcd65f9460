# The records' timestamps come from the ledger's clock (tasks.clock.now) instead of auto_now(_add),
# so the demo can replay 2017 without patching timezone.now. Defaults live in Python, not in the
# database: state only (SQLite would otherwise rebuild the tables for nothing).

import tasks.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='assignment',
                    name='updated_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='更新时间'),
                ),
                migrations.AlterField(
                    model_name='evidence',
                    name='uploaded_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='上传时间'),
                ),
                migrations.AlterField(
                    model_name='extension',
                    name='requested_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='申请时间'),
                ),
                migrations.AlterField(
                    model_name='plan',
                    name='imported_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='导入时间'),
                ),
                migrations.AlterField(
                    model_name='progressreport',
                    name='created_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='报送时间'),
                ),
                migrations.AlterField(
                    model_name='review',
                    name='scheduled_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='安排时间'),
                ),
                migrations.AlterField(
                    model_name='signoffrequest',
                    name='requested_at',
                    field=models.DateTimeField(blank=True, default=tasks.clock.now, editable=False, verbose_name='申请时间'),
                ),
            ],
            database_operations=[],
        ),
    ]
