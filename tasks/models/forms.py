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


class SavedForm(models.Model):
    """What a page form held when it was posted after its session had expired: kept for an hour so
    that, once signed in again, the user finds the form filled in (``web/drafts.py``). Files are not kept."""

    key = models.CharField("标识", max_length=32, unique=True)
    path = models.CharField("表单页面", max_length=300)
    action = models.CharField("表单", max_length=50)
    data = models.JSONField("填写内容", default=dict)
    created_at = models.DateTimeField("保存时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录过期时保存的表单"
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.path} · {self.action}"
