"""Serializers of the ledger API: assignments as read, and the bodies of their actions.

Read serializers only read prefetched rows (see ``ledger_views.with_detail``), so a
page of assignments costs the same queries whatever its length. Input serializers
only check types (a string, a date, a JSON object); what the values mean is decided
by the services in ``tasks.services.ledger``, which answer in Chinese.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks.choices import Level
from tasks.models import Assignment, AuditEntry, Evidence, Extension, ProgressReport, Review, SignOffRequest
from tasks.models.ledger import review_evidence
from tasks.policy import allowed_actions, open_signoff, pending_extension, pending_review
from tasks.weeks import week_of

SUMMARY_CHARS = 60

# Actions whose endpoint has another name (``tasks.policy.ASSIGNMENT_ACTIONS``); the others keep theirs.
ENDPOINT_OF_ACTION = {"request_signoff": "signoff"}

AUDIT_ACTION_LABELS = {
    "report": "报送进展（状态）",
    "request_signoff": "申请销号（状态）",
    "approve": "审核通过（状态）",
    "reject": "审核退回（状态）",
    "relapse": "回头看发现问题反弹，重新整改",
    "create_report": "报送进展",
    "create_signoff": "提交销号申请",
    "check_signoff": "销号审核",
    "schedule_review": "安排回头看",
    "record_review": "回头看结论",
    "next_review_date": "调整下次回头看日期",
    "import_plan": "方案修订（系统）",
    "request_extension": "申请延期",
    "decide_extension": "延期审批",
    "extend_deadline": "延长完成期限",
    "list_supervision": "挂牌督办",
    "lift_supervision": "解除挂牌督办",
    "record_summons": "约谈",
    "refer_case": "移交责任追究",
    "update_case": "更新责任追究",
}


class Username(serializers.SlugRelatedField):
    """A user shown by username (null when nobody)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, **kwargs)


def summary(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def api_actions(assignment, user) -> list[str]:
    """What the caller may do next (``tasks.policy.allowed_actions``), named like the endpoints."""
    return [ENDPOINT_OF_ACTION.get(action, action) for action in allowed_actions(user, assignment)]


class EvidenceSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    uploaded_by = Username()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "report",
            "signoff",
            "uploaded_by",
            "uploaded_at",
            "url",
        ]

    def get_url(self, obj) -> str:
        path = reverse("api-evidence", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ReportSerializer(serializers.ModelSerializer):
    author = Username()
    voided_by = Username()
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "week",
            "text",
            "percent",
            "measure_notes",
            "author",
            "created_at",
            "late",
            "drop_reason",
            "voided_at",
            "voided_by",
            "void_reason",
            "evidence",
        ]


class SignOffSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    requested_by = Username()
    unit_checked_by = Username()
    office_checked_by = Username()
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = SignOffRequest
        fields = [
            "id",
            "phase",
            "summary",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "unit_checked_by",
            "unit_checked_at",
            "unit_opinion",
            "office_checked_by",
            "office_checked_at",
            "office_opinion",
            "rejection_reason",
            "evidence",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    outcome_label = serializers.CharField(source="get_outcome_display")
    scheduled_by = Username()
    decided_by = Username()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "scheduled_for",
            "scheduled_by",
            "scheduled_at",
            "outcome",
            "outcome_label",
            "findings",
            "requirements",
            "new_due_date",
            "decided_by",
            "decided_at",
            "evidence",
        ]

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, obj) -> list:
        return EvidenceSerializer(review_evidence(obj), many=True, context=self.context).data


class ExtensionSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    requested_by = Username()
    unit_decided_by = Username()
    decided_by = Username()

    class Meta:
        model = Extension
        fields = [
            "id",
            "new_due_date",
            "reason",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "unit_decided_by",
            "unit_decided_at",
            "unit_note",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class AssignmentListSerializer(serializers.ModelSerializer):
    """A ledger row; the queryset carries ``level`` and ``effective_due`` (``with_level``)."""

    task = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display")
    level = serializers.CharField()
    level_label = serializers.SerializerMethodField()
    level_reason = serializers.CharField(
        read_only=True, help_text="预警原因，如“已 3 周未报送”“里程碑 2017-10-31 已过，进度 30%（应达 60%）”"
    )
    effective_due = serializers.DateField(allow_null=True)  # none for 长期坚持 tasks
    last_report_week = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task",
            "unit",
            "status",
            "status_label",
            "level",
            "level_label",
            "level_reason",
            "version",
            "due_date",
            "extended_due_date",
            "effective_due",
            "phase",
            "percent",
            "last_report_week",
            "signed_off_at",
            "next_review_date",
            "allowed_actions",
        ]

    def get_task(self, obj) -> dict:
        task = obj.task
        return {
            "id": task.pk,
            "number": task.number,
            "category": task.category.number,
            "summary": summary(task.problem),
            "deadline_kind": task.deadline_kind,
        }

    def get_unit(self, obj) -> dict:
        return {"id": obj.unit.pk, "name": obj.unit.name, "kind": obj.unit.kind}

    def get_level_label(self, obj) -> str:
        return Level(obj.level).label

    def get_last_report_week(self, obj) -> str | None:
        return week_of(obj.last_report_week_start) if obj.last_report_week_start else None

    def get_allowed_actions(self, obj) -> list[str]:
        return api_actions(obj, self.context["request"].user)


class AssignmentDetailSerializer(AssignmentListSerializer):
    """One ledger row with everything that happened to it (prefetched by ``with_detail``)."""

    measures = serializers.SerializerMethodField()
    last_report = serializers.SerializerMethodField()
    open_signoff = serializers.SerializerMethodField()
    pending_review = serializers.SerializerMethodField()
    pending_extension = serializers.SerializerMethodField()
    reports = ReportSerializer(many=True, read_only=True)
    signoffs = SignOffSerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    extensions = ExtensionSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta(AssignmentListSerializer.Meta):
        fields = AssignmentListSerializer.Meta.fields + [
            "measures",
            "last_report",
            "open_signoff",
            "pending_review",
            "pending_extension",
            "reports",
            "signoffs",
            "reviews",
            "extensions",
            "evidence",
        ]

    def get_task(self, obj) -> dict:
        return {**super().get_task(obj), "problem": obj.task.problem, "deadline_text": obj.task.deadline_text}

    def get_measures(self, obj) -> list[dict]:
        return [{"number": m.number, "text": m.text} for m in obj.task.measures.all()]

    def _one(self, serializer_class, item):
        return serializer_class(item, context=self.context).data if item is not None else None

    def get_last_report(self, obj) -> dict | None:
        return self._one(ReportSerializer, next((r for r in obj.reports.all() if r.voided_at is None), None))

    def get_open_signoff(self, obj) -> dict | None:
        return self._one(SignOffSerializer, open_signoff(obj))

    def get_pending_review(self, obj) -> dict | None:
        return self._one(ReviewSerializer, pending_review(obj))

    def get_pending_extension(self, obj) -> dict | None:
        return self._one(ExtensionSerializer, pending_extension(obj))


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = Username()
    action_label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "action",
            "action_label",
            "model",
            "object_id",
            "before",
            "after",
            "note",
            "prev_hash",
            "hash",
        ]

    def get_action_label(self, obj) -> str:
        return AUDIT_ACTION_LABELS.get(obj.action, obj.action)


# Bodies of the actions. Text fields default to "" so the services' own Chinese message
# ("请填写……") answers a missing value; DRF only refuses values of the wrong type.


def text_field(**kwargs):
    return serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, **kwargs
    )


class ReportInput(serializers.Serializer):
    week = text_field(help_text="ISO 周，如 2017-W36")
    text = text_field(help_text="本周进展")
    percent = text_field(help_text="完成比例 0–100")
    measure_notes = serializers.JSONField(required=False, default=dict, help_text='{"措施序号": "进展"}')
    drop_reason = text_field(help_text="进度回调说明：完成比例低于上次报送时必填")
    evidence = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="佐证材料（multipart）"
    )


class SignOffInput(serializers.Serializer):
    summary = text_field(help_text="整改情况说明")
    evidence = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="至少一份佐证材料"
    )


class VoidInput(serializers.Serializer):
    reason = text_field(help_text="作废理由")


class WithdrawInput(serializers.Serializer):
    reason = text_field(help_text="撤回说明（选填）")


class ApproveInput(serializers.Serializer):
    opinion = text_field(help_text="审核意见")


class RejectInput(serializers.Serializer):
    reason = text_field(help_text="退回理由")


class ScheduleReviewInput(serializers.Serializer):
    scheduled_for = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="YYYY-MM-DD"
    )


class AdvanceReviewInput(serializers.Serializer):
    scheduled_for = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="提前后的检查日期 YYYY-MM-DD"
    )
    reason = text_field(help_text="提前理由")


class ReviewOutcomeInput(serializers.Serializer):
    outcome = text_field(help_text="holds 或 relapsed")
    findings = text_field(help_text="检查情况；反弹时必填")
    requirements = text_field(help_text="整改要求；反弹时必填")
    new_due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="重新整改期限 YYYY-MM-DD；反弹时必填"
    )
    evidence = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="反弹佐证（multipart）"
    )


class ExtensionInput(serializers.Serializer):
    new_due_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="YYYY-MM-DD"
    )
    reason = text_field(help_text="延期理由")


class ExtensionDecisionInput(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true 批准，false 不批准")
    note = text_field(help_text="审批意见")

    def validate(self, attrs):
        # A form post without the field would read as "false": a refusal nobody asked for.
        if "approve" not in self.initial_data:
            raise serializers.ValidationError({"approve": ["请说明是否批准（approve 取 true 或 false）"]})
        return attrs
