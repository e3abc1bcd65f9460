"""Audit entries gain a hash scheme. Entries already in the chain keep their plain SHA-256
(scheme 1) and still verify; every entry written from now on is an HMAC with AUDIT_KEY (scheme 2)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_organisation"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "SHA-256（旧记录）"), (2, "HMAC-SHA256（密钥）")], default=1, verbose_name="摘要算法"
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "SHA-256（旧记录）"), (2, "HMAC-SHA256（密钥）")], default=2, verbose_name="摘要算法"
            ),
        ),
    ]
