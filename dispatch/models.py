"""The dispatch app's records: the messages it sends, the week it froze, the month it reported.

``Notification`` is one message to one user. ``(job, period, user)`` is unique: it is
the exactly-once key, so re-running a job for the same period creates nothing new.
(The week the weekly dispatch freezes is ``reports.models.WeeklySnapshot``.) ``Bulletin`` is the monthly bulletin (月通报): figures
in ``data`` (a JSON document whose schema ``reports.bulletin_xlsx`` and the public
page read), ``html`` rendered from them, a draft until the office publishes it.
"""

from django.conf import settings
from django.db import models

from tasks import clock


class NotificationKind(models.TextChoices):
    """What a notification is about (the job that sent it)."""

    WEEKLY_DISPATCH = "weekly_dispatch", "周调度"
    REPORT_CHASER = "report_chaser", "催报"
    DEADLINE_WARNING = "deadline_warning", "到期预警"
    BULLETIN = "bulletin", "月通报"
    SIGNOFF = "signoff", "销号审核"
    REVIEW = "review", "回头看"
    EXTENSION = "extension", "延期"
    SUPERVISION = "supervision", "挂牌督办"
    ACCOUNTABILITY = "accountability", "约谈问责"
    URGE = "urge", "催办"
    INSTRUCTION = "instruction", "领导批示"


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="收件人",
    )
    unit = models.ForeignKey(
        "tasks.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任单位",
    )
    kind = models.CharField("类型", max_length=30, choices=NotificationKind.choices)
    job = models.CharField("作业", max_length=50, help_text="产生该消息的作业，如 weekly_dispatch")
    period = models.CharField("周期", max_length=20, help_text="如 2017-W36、2017-10、2017-09-04")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    link = models.CharField(
        "办理页面", max_length=200, blank=True, help_text="收件人办理此事的页面，如 /assignments/17/"
    )
    created_at = models.DateTimeField("生成时间", default=clock.now, editable=False, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period", "user"], name="one_message_per_job_period_user")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period} → {self.user}"


class Bulletin(models.Model):
    month = models.CharField("月份", max_length=7, unique=True, help_text="如 2017-10")
    status = models.CharField(
        "状态", max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    data = models.JSONField("数据", default=dict)
    html = models.TextField("正文", blank=True)
    created_at = models.DateTimeField("生成时间", default=clock.now, editable=False, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "月通报"
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month} 月通报"

    @property
    def is_published(self) -> bool:
        return self.status == BulletinStatus.PUBLISHED


class DeadlineWarning(models.Model):
    """What the deadline job has already warned about: one row per assignment and deadline.

    The daily job warns about every deadline in its window that has no row here yet,
    so a missed day is caught up the next day and nothing is warned twice.
    ``key`` names the deadline: ``due:2017-12-31``, ``overdue:2017-12-31`` or
    ``milestone:3:2017-12-31`` (measure 3's milestone).
    """

    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.CASCADE, related_name="deadline_warnings", verbose_name="台账"
    )
    key = models.CharField("预警事项", max_length=40)
    warned_on = models.DateField("预警日期")
    created_at = models.DateTimeField("生成时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "到期预警记录"
        ordering = ["-warned_on", "assignment_id"]
        constraints = [models.UniqueConstraint(fields=["assignment", "key"], name="one_warning_per_deadline")]

    def __str__(self):
        return f"{self.assignment_id} · {self.key}"


class Channel(models.TextChoices):
    """How a message leaves the site besides the inbox (``dispatch/channels.py``)."""

    EMAIL = "email", "电子邮件"
    WEBHOOK = "webhook", "工作群机器人"
    SMS = "sms", "短信"


class RobotKind(models.TextChoices):
    DINGTALK = "dingtalk", "政务钉钉群机器人"
    WECOM = "wecom", "企业微信群机器人"


class ChannelSetting(models.Model):
    """Which channels a unit's messages take besides the inbox, set by the office (``/channels/``).

    A unit without a row gets the defaults: email on, robot and SMS off.
    """

    unit = models.OneToOneField(
        "tasks.Unit", on_delete=models.CASCADE, related_name="channel_setting", verbose_name="责任单位"
    )
    email = models.BooleanField("电子邮件", default=True, help_text="发往本单位联络员、负责人的邮箱")
    webhook = models.BooleanField("工作群机器人", default=False)
    robot_kind = models.CharField(
        "机器人类型", max_length=10, choices=RobotKind.choices, default=RobotKind.DINGTALK
    )
    robot_url = models.URLField("机器人地址（Webhook）", max_length=500, blank=True)
    robot_secret = models.CharField(
        "加签密钥",
        max_length=200,
        blank=True,
        help_text="政务钉钉机器人“加签”的密钥（SEC 开头）；企业微信不需要",
    )
    sms = models.BooleanField("短信", default=False)
    phones = models.CharField("接收短信的手机号", max_length=500, blank=True, help_text="多个号码用逗号分隔")
    updated_at = models.DateTimeField("修改时间", default=clock.now, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位消息渠道"
        ordering = ["unit_id"]

    def __str__(self):
        return f"{self.unit} 消息渠道"

    @property
    def phone_list(self) -> list[str]:
        return [p.strip() for p in self.phones.replace("，", ",").split(",") if p.strip()]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已送达"
    FAILED = "failed", "发送失败"


class DeliveryLog(models.Model):
    """One message on one external channel to one address: its attempts, last error and outcome.

    ``(channel, job, period, target)`` is unique, the exactly-once key of the channel: ``target``
    is ``user:<id>`` for an email, ``unit:<id>`` for a robot, ``sms:<phone>`` for a text.
    """

    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    job = models.CharField("事项", max_length=50)
    period = models.CharField("对象", max_length=20)
    target = models.CharField("去重键", max_length=60)
    address = models.CharField("收件地址", max_length=500, help_text="邮箱、机器人地址或手机号")
    unit = models.ForeignKey(
        "tasks.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="责任单位",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="收件人",
    )
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    link = models.CharField("办理页面", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("生成时间", default=clock.now, editable=False, blank=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "渠道投递记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "job", "period", "target"], name="one_delivery_per_channel_target"
            )
        ]
        indexes = [models.Index(fields=["job", "period", "status"], name="delivery_job_period")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.job} {self.period} → {self.address}"


class UrgeAnswer(models.TextChoices):
    REPORT = "report", "已报送进展"
    ACKNOWLEDGED = "acknowledged", "已签收"


class Urge(models.Model):
    """催办: the office urges one assignment (alone, with its unit's others, or a filtered ledger's rows).

    Open until the unit answers it: a progress report on the assignment or a 签收 on the desk.
    ``batch`` groups the urges of one act of the office (one message per unit).
    """

    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.CASCADE, related_name="urges", verbose_name="台账"
    )
    message = models.CharField("催办内容", max_length=200)
    batch = models.CharField("批次", max_length=32, db_index=True)
    urged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="催办人"
    )
    urged_at = models.DateTimeField("催办时间", default=clock.now, editable=False, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answer = models.CharField("答复方式", max_length=20, choices=UrgeAnswer.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "催办"
        ordering = ["-urged_at", "-id"]
        indexes = [models.Index(fields=["assignment", "answered_at"], name="urge_open")]

    def __str__(self):
        return f"催办 {self.assignment_id} · {self.urged_at:%Y-%m-%d}"


class Instruction(models.Model):
    """领导批示: a leader or the office writes an instruction on a task (every unit with a row of it
    is concerned) or on one assignment (its unit is). Each unit concerned acknowledges it
    (a ``Handover``) and may reply (``InstructionReply``)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="批示人"
    )
    text = models.TextField("批示内容", max_length=1000)
    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="instructions", verbose_name="整改任务"
    )
    assignment = models.ForeignKey(
        "tasks.Assignment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="instructions",
        verbose_name="台账",
        help_text="空：批示整项任务（各责任单位）",
    )
    created_at = models.DateTimeField("批示时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导批示"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"批示 {self.pk} · 任务 {self.task_id}"


class InstructionReply(models.Model):
    """A unit's reply to an instruction (its liaison or leader); the author is told."""

    instruction = models.ForeignKey(
        Instruction, on_delete=models.CASCADE, related_name="replies", verbose_name="领导批示"
    )
    unit = models.ForeignKey("tasks.Unit", on_delete=models.CASCADE, related_name="+", verbose_name="单位")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="回复人"
    )
    text = models.TextField("回复内容", max_length=1000)
    created_at = models.DateTimeField("回复时间", default=clock.now, editable=False, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "批示回复"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"回复 {self.instruction_id} · {self.unit_id}"


class HandoverKind(models.TextChoices):
    ASSIGNMENT = "assignment", "新交办台账"
    INSTRUCTION = "instruction", "领导批示"
    REOPENING = "reopening", "问题反弹"


class Handover(models.Model):
    """签收: something handed to a unit that it must acknowledge.

    A new assignment (a plan imported), an instruction, a reopening (a look-back review that found
    the problem back). ``object_id`` is the assignment's, the instruction's or the review's id; the
    row is unique per (kind, object, unit), so an event told twice hands nothing twice.
    ``assignment`` is the unit's row it concerns (where it acts). 催办 are acknowledged on
    ``Urge`` itself (``dispatch/urging.py``).
    """

    unit = models.ForeignKey("tasks.Unit", on_delete=models.CASCADE, related_name="+", verbose_name="单位")
    kind = models.CharField("类型", max_length=20, choices=HandoverKind.choices)
    object_id = models.BigIntegerField("对象编号")
    assignment = models.ForeignKey(
        "tasks.Assignment", on_delete=models.CASCADE, related_name="handovers", verbose_name="台账"
    )
    instruction = models.ForeignKey(
        Instruction,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="handovers",
        verbose_name="领导批示",
    )
    handed_at = models.DateTimeField("交办时间", default=clock.now, editable=False, blank=True)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="签收人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "签收"
        ordering = ["handed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id", "unit"], name="handover_once"),
        ]
        indexes = [models.Index(fields=["unit", "acknowledged_at"], name="handover_open")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id} · {self.unit_id}"
