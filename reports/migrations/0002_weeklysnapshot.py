# WeeklySnapshot moved here from the dispatch app: added to the reports app's state only,
# on the table the dispatch app created (dispatch_weeklysnapshot), so no data moves.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
        ('dispatch', '0003_weeklysnapshot_to_reports'),
        ('tasks', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WeeklySnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('week', models.CharField(help_text='ISO 周，如 2017-W36', max_length=8, verbose_name='周')),
                        ('status', models.CharField(choices=[('not_started', '未启动'), ('in_progress', '推进中'), ('signoff_requested', '申请销号'), ('unit_verified', '单位审核通过'), ('signed_off', '已销号'), ('reopened', '已重新打开')], max_length=20, verbose_name='状态')),
                        ('level', models.CharField(choices=[('red', '红'), ('yellow', '黄'), ('green', '绿')], max_length=10, verbose_name='预警')),
                        ('percent', models.PositiveSmallIntegerField(verbose_name='完成比例')),
                        ('due_date', models.DateField(blank=True, null=True, verbose_name='原定时限')),
                        ('effective_due', models.DateField(blank=True, null=True, verbose_name='整改时限')),
                        ('last_report_week', models.CharField(blank=True, max_length=8, null=True, verbose_name='最近报送周')),
                        ('report_text', models.TextField(blank=True, verbose_name='本周进展')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='冻结时间')),
                        ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='snapshots', to='tasks.assignment', verbose_name='台账')),
                    ],
                    options={
                        'verbose_name': '周快照',
                        'verbose_name_plural': '周快照',
                        'db_table': 'dispatch_weeklysnapshot',
                        'ordering': ['-week', 'assignment_id'],
                        'constraints': [models.UniqueConstraint(fields=('week', 'assignment'), name='one_snapshot_per_week')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
