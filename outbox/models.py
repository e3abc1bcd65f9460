"""One side effect to run after a committed change: a Celery task name and its arguments.

``sent_at`` is when the broker accepted it, ``done_at`` when a consumer finished it;
``attempts`` counts the hand-overs tried, ``last_error`` keeps the last refusal (of the
broker) or failure (of the consumer). ``key``, when given, is unique: a second
``enqueue`` with the same key adds nothing.
"""

from django.db import models


class OutboxMessage(models.Model):
    task = models.CharField("作业", max_length=100, help_text="Celery 任务名，如 dispatch.announce_bulletin")
    args = models.JSONField("参数", default=list, blank=True)
    kwargs = models.JSONField("命名参数", default=dict, blank=True)
    key = models.CharField("去重键", max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField("写入时间", auto_now_add=True)
    attempts = models.PositiveIntegerField("投递次数", default=0)
    sent_at = models.DateTimeField("交付队列时间", null=True, blank=True)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "待发任务"
        ordering = ["-id"]
        indexes = [models.Index(fields=["sent_at", "id"], name="outbox_unsent")]

    def __str__(self):
        return f"{self.task} #{self.pk}"

    @property
    def state(self) -> str:
        if self.done_at:
            return "已完成"
        if self.sent_at:
            return "执行失败" if self.last_error else "已交付队列"
        return "交付失败，待重试" if self.last_error else "待交付"
