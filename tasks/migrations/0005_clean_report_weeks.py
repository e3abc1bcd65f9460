"""Reports stored with a week written in full-width characters (``２０１７-W48``, accepted before
``tasks.weeks.clean_week``) get the week as the ledger writes it, so the week's workbook finds them."""

import unicodedata

from django.db import migrations


def clean_weeks(apps, schema_editor):
    ProgressReport = apps.get_model("tasks", "ProgressReport")
    for report in ProgressReport.objects.exclude(week__regex=r"^[0-9]{4}-W[0-9]{2}$").only("id", "week"):
        week = unicodedata.normalize("NFKC", report.week).strip().upper()
        if week != report.week:
            ProgressReport.objects.filter(pk=report.pk).update(week=week)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0004_auditentry_scheme"),
    ]

    operations = [migrations.RunPython(clean_weeks, migrations.RunPython.noop)]
