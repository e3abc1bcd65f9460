"""The office's own organisation: its province, the province's cities in their standard order, the
office's name and the site's title. One row, seeded for Shanxi from fixtures/organisation/shanxi.json
by migration 0003; the admin title and the page footer (``{% organisation %}``) read it, the plan readers
take the province and its cities from it."""

import json
from pathlib import Path

from django.db import models
from django.db.models.signals import post_delete, post_save

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "organisation" / "shanxi.json"
_current = None  # the row, cached for the process; a save or delete clears it


class Organisation(models.Model):
    province = models.CharField("省份", max_length=20, help_text="如“山西省”")
    cities = models.JSONField("各市（按标准顺序）", default=list, help_text='如 ["太原市", "大同市", …]')
    office_name = models.CharField("办公室名称", max_length=50, help_text="如“省督察办”")
    site_title = models.CharField("网站标题", max_length=200, help_text="显示在管理后台标题和页面底部")

    class Meta:
        verbose_name = verbose_name_plural = "本省组织"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="organisation_single_row")]

    def __str__(self):
        return f"{self.province} · {self.office_name}"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def seed_values(cls) -> dict:
        return json.loads(SEED.read_text(encoding="utf-8"))

    @classmethod
    def current(cls) -> "Organisation":
        """The one row (seeded from the fixture if it is missing), cached for the process."""
        global _current
        if _current is None:
            _current = cls.objects.filter(pk=1).first() or cls.objects.create(pk=1, **cls.seed_values())
        return _current


def _forget(**kwargs):
    global _current
    _current = None


post_save.connect(_forget, sender=Organisation, dispatch_uid="organisation_forget_on_save")
post_delete.connect(_forget, sender=Organisation, dispatch_uid="organisation_forget_on_delete")
