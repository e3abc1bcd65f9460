"""Form keys already used: a page form's one-time key (``tasks.services.formkeys``) is recorded here
when its submission goes through, so a second post of the same page (Back + resubmit, a double
click) is recognised and refused."""

from django.conf import settings
from django.db import models

from tasks import clock


class UsedFormKey(models.Model):
    key = models.CharField("表单标识", max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="提交人"
    )
    used_at = models.DateTimeField("提交时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "已提交的表单"
        indexes = [models.Index(fields=["used_at"])]

    def __str__(self):
        return self.key
