"""Per row, its reports not voided and those marked 迟报 (``Assignment.report_count``), counted once
from the reports; from then on the services that submit and void reports keep them."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def count_reports(apps, schema_editor):
    Assignment = apps.get_model("tasks", "Assignment")
    ProgressReport = apps.get_model("tasks", "ProgressReport")
    alias = schema_editor.connection.alias

    def counted(condition):
        rows = (
            ProgressReport.objects.using(alias)
            .filter(condition, assignment=OuterRef("pk"), voided_at=None)
            .order_by()
            .values("assignment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

    Assignment.objects.using(alias).update(
        report_count=counted(Q()), late_report_count=counted(Q(late=True))
    )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0018_ledger_indexes")]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="report_count",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False, verbose_name="报送次数"),
        ),
        migrations.AddField(
            model_name="assignment",
            name="late_report_count",
            field=models.PositiveIntegerField(default=0, db_default=0, editable=False, verbose_name="迟报次数"),
        ),
        migrations.RunPython(count_reports, migrations.RunPython.noop),
    ]
