"""Forms for the ledger's actions. They only read the input; the services decide.

Each form names its fields after the ``field`` the services put on a ``LedgerError``,
so ``show_error`` can put the service's Chinese message next to the right input.
Numbers and dates keep their browser widgets but forms carry ``novalidate`` in the
templates: the server's messages are the ones the user sees.
"""

import re

from django import forms

from accountability.models import CaseStatus
from accountability.services import CASE_FLOW
from dispatch.models import Channel, DeliveryStatus, RobotKind
from tasks.choices import DeadlineKind, ReviewOutcome, UnitKind
from tasks.filtersets import QuickSelect
from tasks.models import Assignment, Official, Plan, Unit
from tasks.services import plan_edit
from tasks.services.checks import ascii_int
from tasks.services.errors import LedgerError
from tasks.weeks import BadWeek, clean_week, today, week_of

STALE_PAGE = "页面已过期，请刷新后重试"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files in one input; the services check type, size and content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ServiceErrorForm(forms.Form):
    """A form whose fields are named after the services' ``LedgerError.field``; ``aliases`` renames the rest."""

    aliases: dict[str, str] = {}

    def show_error(self, error: LedgerError) -> None:
        field = self.aliases.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, error.message)


class VersionedForm(ServiceErrorForm):
    """Carries the assignment version the user saw, so a stale page gets 412 instead of overwriting."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        # Several forms share a page: their ids must differ, or a label points at another form's input.
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        # The version (and the id of the request a decision is about) are hidden fields the user can
        # neither see nor fix: a bad one (a tampered or mangled page) is said at the top of the form
        # instead of next to an invisible input.
        hidden = [name for name, field in self.fields.items() if isinstance(field.widget, forms.HiddenInput)]
        if any([self._errors.pop(name, None) for name in hidden]):  # noqa: C419 - pop every one, not the first
            self.add_error(None, STALE_PAGE)
        return super().clean()


class WeeklyExcelForm(forms.Form):
    """The week of the weekly workbook a page downloads; a bad week is a form error, not an API page."""

    week = forms.CharField(
        label="报送周",
        help_text="ISO 周，如 2017-W36",
        widget=forms.TextInput(attrs={"size": 9, "class": "w-week"}),
        error_messages={"required": "请填写报送周，如 2017-W36"},
    )

    plan = forms.ModelChoiceField(
        label="整改方案",
        queryset=Plan.objects.all(),
        required=False,
        empty_label="全部方案",
        error_messages={"invalid_choice": "请从列表中选择整改方案"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "excel-%s")
        super().__init__(*args, **kwargs)

    def clean_week(self):
        try:
            return clean_week(self.cleaned_data["week"])
        except BadWeek as exc:
            raise forms.ValidationError(str(exc)) from None


class ReportForm(VersionedForm):
    id_prefix = "report"
    week = forms.CharField(label="报送周", max_length=8, help_text="ISO 周，如 2017-W36")
    text = forms.CharField(label="本周进展", widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.IntegerField(
        label="完成比例（%）", widget=forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"})
    )
    drop_reason = forms.CharField(
        label="进度回调说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="完成比例低于上次报送时必填，说明原因",
    )
    evidence = MultipleFileField(
        label="佐证材料", required=False, help_text="可多选；pdf、图片、Office 文档或 zip"
    )
    aliases = {"measure_notes": None}

    def __init__(self, *args, measures=(), **kwargs):
        kwargs.setdefault("initial", {}).setdefault("week", week_of(today()))
        super().__init__(*args, **kwargs)
        self.measure_fields = []
        for measure in measures:
            name = f"measure_{measure.number}"
            self.fields[name] = forms.CharField(
                label=f"措施{measure.number}进展",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=measure.text[:80] + ("…" if len(measure.text) > 80 else ""),
            )
            self.measure_fields.append(name)

    def measure_notes(self) -> dict:
        return {name.split("_", 1)[1]: self.cleaned_data.get(name, "") for name in self.measure_fields}

    def measure_bound_fields(self):
        return [self[name] for name in self.measure_fields]


class SignOffForm(VersionedForm):
    id_prefix = "signoff"
    draft = True  # a long form: keeps a local draft (static/web/draft.js)
    summary = forms.CharField(label="整改情况说明", widget=forms.Textarea(attrs={"rows": 4}))
    evidence = MultipleFileField(label="佐证材料", required=False, help_text="至少一份")


class ExtensionForm(VersionedForm):
    id_prefix = "extension"
    draft = True
    new_due_date = forms.DateField(label="申请延期至", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label="延期理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明不能按期完成的原因和下一步安排；先报本单位负责人审核，再报省督察办审批",
    )


class WithdrawSignoffForm(VersionedForm):
    id_prefix = "withdraw-signoff"
    reason = forms.CharField(label="撤回说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawExtensionForm(VersionedForm):
    """Withdraws the open extension request the page showed: its id travels with the form."""

    id_prefix = "withdraw-extension"
    extension = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="撤回说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VoidReportForm(VersionedForm):
    """作废 one report: its id travels with the form; the reason is required."""

    id_prefix = "void"
    report = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="作废理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写作废理由"},
    )

    def __init__(self, *args, **kwargs):
        report = (kwargs.get("initial") or {}).get("report")
        if report:  # one form per report on the page: the ids must differ
            kwargs.setdefault("auto_id", f"void{report}-%s")
        super().__init__(*args, **kwargs)


class CheckForm(VersionedForm):
    id_prefix = "check"
    decision = forms.ChoiceField(
        label="审核结论", choices=[("approve", "通过"), ("reject", "退回")], widget=forms.RadioSelect
    )
    opinion = forms.CharField(
        label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="退回时必填"
    )
    aliases = {"reason": "opinion"}


class ScheduleReviewForm(VersionedForm):
    id_prefix = "schedule"
    scheduled_for = forms.DateField(label="计划检查日期", widget=forms.DateInput(attrs={"type": "date"}))


class AdvanceReviewForm(VersionedForm):
    """提前回头看: the pending review the page showed (its id travels with the form), a new date, a reason."""

    id_prefix = "advance"
    review = forms.IntegerField(widget=forms.HiddenInput)
    scheduled_for = forms.DateField(label="提前至", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="提前理由", widget=forms.Textarea(attrs={"rows": 2}))


class ReviewOutcomeForm(VersionedForm):
    """The outcome of the pending review the page showed: its id travels with the form."""

    id_prefix = "outcome"
    review = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label="回头看结论",
        widget=forms.RadioSelect,
        choices=[
            (ReviewOutcome.HOLDS.value, ReviewOutcome.HOLDS.label),
            (ReviewOutcome.RELAPSED.value, ReviewOutcome.RELAPSED.label),
        ],
    )
    findings = forms.CharField(
        label="检查情况", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="问题反弹时必填"
    )
    requirements = forms.CharField(
        label="整改要求", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="问题反弹时必填"
    )
    new_due_date = forms.DateField(
        label="重新整改期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="问题反弹时必填",
        error_messages={"invalid": "重新整改期限格式不正确，应为 YYYY-MM-DD"},
    )
    evidence = MultipleFileField(
        label="反弹佐证（照片、文件）", required=False, help_text="可多选；pdf、图片、Office 文档或 zip"
    )


class ExtensionDecisionForm(VersionedForm):
    """The decision on the pending extension request the page showed: its id travels with the form."""

    id_prefix = "decision"
    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label="审批结论", choices=[("approve", "批准"), ("refuse", "不批准")], widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="审批意见", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="不批准时必填"
    )


# 督办问责: the office's forms for accountability/services.py. The services check the role, the texts
# and the states; these forms read dates, lengths, the unit and the task numbers that name its assignments.


def _required(label: str, verb: str = "填写") -> dict:
    return {"required": f"请{verb}{label}", "invalid": f"{label}格式不正确，应为 YYYY-MM-DD"}


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}), error_messages=_required(label)
    )


class SuperviseForm(VersionedForm):
    """挂牌督办, on the assignment page."""

    id_prefix = "supervise"
    reason = forms.CharField(
        label="挂牌理由", widget=forms.Textarea(attrs={"rows": 3}), error_messages=_required("挂牌理由")
    )
    deadline = _date_field("督办期限")


class LiftForm(VersionedForm):
    """摘牌, on the assignment page and on each row of the 督办问责 page."""

    id_prefix = "lift"
    note = forms.CharField(
        label="摘牌说明",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="整改到位情况或摘牌依据",
    )


# 更正 and 作废 of the office's records (accountability.services.correct_record / void_record).


class CorrectionForm(ServiceErrorForm):
    """The fields a correction may change (``accountability.services.CORRECTABLE``) and its reason."""

    kind = ""
    note = forms.CharField(
        label="更正理由", widget=forms.Textarea(attrs={"rows": 2}), error_messages=_required("更正理由")
    )

    def __init__(self, *args, record=None, **kwargs):
        kwargs.setdefault("auto_id", f"correct-{self.kind}{record.pk if record else ''}-%s")
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(record, name) for name in self.changes_fields()}
        super().__init__(*args, **kwargs)

    @classmethod
    def changes_fields(cls):
        return [name for name in cls.base_fields if name != "note"]

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changes_fields()}


class ListingCorrectionForm(CorrectionForm):
    kind = "listing"
    reason = forms.CharField(
        label="挂牌理由", widget=forms.Textarea(attrs={"rows": 2}), error_messages=_required("挂牌理由")
    )
    deadline = _date_field("督办期限")
    field_order = ["reason", "deadline", "note"]


class SummonsCorrectionForm(CorrectionForm):
    kind = "summons"
    held_on = _date_field("约谈日期")
    attendees = forms.CharField(label="被约谈人", max_length=300, error_messages=_required("被约谈人"))
    reason = forms.CharField(
        label="约谈事由", widget=forms.Textarea(attrs={"rows": 2}), error_messages=_required("约谈事由")
    )
    requirements = forms.CharField(label="整改要求", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["held_on", "attendees", "reason", "requirements", "note"]


class CaseCorrectionForm(CorrectionForm):
    kind = "case"
    persons = forms.CharField(label="涉及人员", max_length=300, error_messages=_required("涉及人员"))
    summary = forms.CharField(
        label="问题线索", widget=forms.Textarea(attrs={"rows": 2}), error_messages=_required("问题线索")
    )
    referred_to = forms.CharField(label="移交机关", max_length=100, error_messages=_required("移交机关"))
    referred_on = _date_field("移交日期")
    field_order = ["persons", "summary", "referred_to", "referred_on", "note"]


class VoidRecordForm(ServiceErrorForm):
    reason = forms.CharField(
        label="作废理由", widget=forms.Textarea(attrs={"rows": 2}), error_messages=_required("作废理由")
    )

    def __init__(self, *args, record_id="", kind="", **kwargs):
        kwargs.setdefault("auto_id", f"void-{kind}{record_id}-%s")
        super().__init__(*args, **kwargs)


CORRECTION_FORMS = {
    "listing": ListingCorrectionForm,
    "summons": SummonsCorrectionForm,
    "case": CaseCorrectionForm,
}


class UnitForm(ServiceErrorForm):
    """A form naming a unit: the choices come from a list the view fetched once for every form on the page."""

    id_prefix = "acct"

    def __init__(self, *args, units=(), **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)
        self.units = {str(unit.pk): unit for unit in units}
        self.fields["unit"].choices = [("", "请选择")] + [
            (key, unit.name) for key, unit in self.units.items()
        ]

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]

    def assignments_of(self, unit, numbers: list[int], field: str) -> list:
        """The unit's assignments of these task numbers; a number without one is an error on ``field``."""
        found = {
            a.task.number: a
            for a in Assignment.objects.filter(unit=unit, task__number__in=numbers).select_related("task")
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            self.add_error(field, f"{unit.name}没有任务{'、'.join(map(str, missing))}的台账")
            return []
        return [found[n] for n in numbers]


TASK_NUMBERS = re.compile(r"[\s,，、;；]+")


class SummonsForm(UnitForm):
    """约谈: the unit summoned, when, who, why, what is required, and optionally its assignments concerned."""

    id_prefix = "summons"
    draft = True
    unit = forms.ChoiceField(
        label="被约谈单位",
        widget=QuickSelect,  # every unit: hundreds of options at county scale
        error_messages={**_required("被约谈单位", "选择"), "invalid_choice": "请从列表中选择被约谈单位"},
    )
    held_on = _date_field("约谈日期")
    attendees = forms.CharField(
        label="被约谈人",
        max_length=300,
        help_text="姓名与职务，如实记录",
        error_messages=_required("被约谈人"),
    )
    reason = forms.CharField(
        label="约谈事由", widget=forms.Textarea(attrs={"rows": 3}), error_messages=_required("约谈事由")
    )
    requirements = forms.CharField(label="整改要求", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assignments = forms.CharField(
        label="涉及任务",
        required=False,
        max_length=200,
        help_text="该单位台账的任务序号，以逗号或空格分隔，如 3, 17；可不填",
    )

    def clean_assignments(self):
        text = self.cleaned_data["assignments"].strip()
        parts = [part for part in TASK_NUMBERS.split(text) if part]
        numbers = [ascii_int(part) for part in parts]
        if None in numbers:
            raise forms.ValidationError("任务序号应为数字，以逗号或空格分隔，如 3, 17")
        return list(dict.fromkeys(numbers))

    def clean(self):
        data = super().clean()
        if data.get("unit") is not None and data.get("assignments"):
            data["assignments"] = self.assignments_of(data["unit"], data["assignments"], "assignments")
        return data


class CaseForm(UnitForm):
    """责任追究移交: the unit, the persons, the facts, to whom and when, and optionally the assignment concerned."""

    id_prefix = "case"
    draft = True
    unit = forms.ChoiceField(
        label="涉及单位",
        widget=QuickSelect,
        error_messages={**_required("涉及单位", "选择"), "invalid_choice": "请从列表中选择涉及单位"},
    )
    persons = forms.CharField(
        label="涉及人员", max_length=300, help_text="姓名与职务", error_messages=_required("涉及人员")
    )
    summary = forms.CharField(
        label="问题线索", widget=forms.Textarea(attrs={"rows": 3}), error_messages=_required("问题线索")
    )
    referred_to = forms.CharField(
        label="移交机关", max_length=100, initial="省纪委监委", error_messages=_required("移交机关")
    )
    referred_on = _date_field("移交日期")
    assignment = forms.IntegerField(
        label="涉及任务",
        required=False,
        min_value=1,
        max_value=9999,
        help_text="该单位台账的任务序号；可不填",
        error_messages={
            "invalid": "任务序号应为数字",
            "min_value": "任务序号应为正整数",
            "max_value": "任务序号过大",
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("unit") is not None and data.get("assignment"):
            found = self.assignments_of(data["unit"], [data["assignment"]], "assignment")
            data["assignment"] = found[0] if found else None
        else:
            data["assignment"] = None
        return data


class CaseStatusForm(ServiceErrorForm):
    """A case's next status and conclusion; the service enforces referred -> investigating -> concluded."""

    status = forms.ChoiceField(
        label="办理状态",
        choices=CaseStatus.choices,
        error_messages={"required": "请选择办理状态", "invalid_choice": "请从列表中选择办理状态"},
    )
    conclusion = forms.CharField(
        label="处理结果", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="办结时必填"
    )

    def __init__(self, *args, case=None, **kwargs):
        kwargs.setdefault("auto_id", f"case{case.pk}-%s" if case else "case-status-%s")
        super().__init__(*args, **kwargs)
        if case is not None:  # only the statuses the case may move to
            self.fields["status"].choices = [
                (s.value, s.label) for s in CaseStatus if s in CASE_FLOW[case.status]
            ]


class LeaderItemForm(ServiceErrorForm):
    """领导领办, on the task page."""

    leader_name = forms.CharField(
        label="领办领导", max_length=50, help_text="姓名", error_messages=_required("领办领导")
    )
    leader_title = forms.CharField(label="职务", max_length=100, required=False)
    note = forms.CharField(label="领办要求", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "leader-%s")
        super().__init__(*args, **kwargs)


class TaskEditForm(ServiceErrorForm):
    """The office's correction of a task after import (``tasks.services.plan_edit.edit_task``)."""

    problem = forms.CharField(
        label="督察反馈问题", widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    goal = forms.CharField(label="整改目标", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)
    responsible_units = forms.ModelMultipleChoiceField(
        label="责任单位",
        queryset=Unit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="按住 Ctrl 多选。新增单位即为其建立台账；去掉的单位台账撤销，记录保留",
        error_messages={
            "required": "每项任务至少要有一个责任单位",
            "invalid_choice": "请从列表中选择责任单位",
        },
    )
    responsible_text = forms.CharField(label="责任单位（原文）", max_length=500, required=False)
    cooperating_units = forms.ModelMultipleChoiceField(
        label="配合单位",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "请从列表中选择配合单位"},
    )
    officials = forms.ModelMultipleChoiceField(
        label="责任人",
        queryset=Official.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "请从列表中选择责任人"},
    )
    new_officials = forms.CharField(
        label="新增责任人",
        required=False,
        max_length=500,
        help_text="方案中尚未列出的责任人姓名，用“、”分隔",
    )
    deadline_text = forms.CharField(label="整改时限", max_length=300)
    deadline_kind = forms.ChoiceField(label="时限类型", choices=DeadlineKind.choices)
    due_date = forms.DateField(
        label="完成期限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="限期完成的任务必填；修改后未销号的台账随之调整（已批准的延期不变）",
        error_messages={"invalid": "请按 年-月-日 填写日期"},
    )
    reason = forms.CharField(
        label="修改原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="记入审计留痕，如“根据省政府办公厅 2017 年 11 月通知调整责任单位”",
        error_messages={"required": "请写明修改原因"},
    )

    aliases = {"officials": "new_officials"}

    def __init__(self, *args, task=None, **kwargs):
        kwargs.setdefault("auto_id", "edit-%s")
        if task is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "problem": task.problem,
                "goal": task.goal,
                "responsible_units": plan_edit.responsible_units(task),
                "responsible_text": task.responsible_text,
                "cooperating_units": list(task.cooperating_units.all()),
                "officials": list(task.officials.all()),
                "deadline_text": task.deadline_text,
                "deadline_kind": task.deadline_kind,
                "due_date": task.due_date,
            }
        super().__init__(*args, **kwargs)
        units = Unit.objects.order_by("kind", "name")
        self.fields["responsible_units"].queryset = units
        self.fields["cooperating_units"].queryset = units
        self.fields["officials"].queryset = Official.objects.select_related("unit").order_by("name")

    def new_official_names(self) -> list[str]:
        text = self.cleaned_data.get("new_officials", "")
        return [name.strip() for name in re.split(r"[、，,；;\n]+", text) if name.strip()]


class UnitForm(ServiceErrorForm):
    """单位登记 (``tasks.services.units.add_unit``)."""

    name = forms.CharField(
        label="单位名称",
        max_length=100,
        help_text="写全称，如“太原市小店区”“省生态环境厅”",
        error_messages=_required("单位名称"),
    )
    kind = forms.ChoiceField(label="单位类型", choices=UnitKind.choices)
    parent = forms.ModelChoiceField(
        label="上级单位",
        widget=QuickSelect,
        queryset=Unit.objects.none(),
        required=False,
        empty_label="（直属本省）",
        help_text="县（市、区）和市直部门选所属的市",
        error_messages={"invalid_choice": "请从列表中选择上级单位"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "unit-%s")
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Unit.objects.filter(kind=UnitKind.CITY).order_by("name")


class PlanCloseForm(ServiceErrorForm):
    """归档 or 恢复 a plan (``tasks.services.plans``)."""

    reason = forms.CharField(
        label="说明",
        max_length=500,
        help_text="记入审计留痕，如“整改任务全部销号，经省委同意归档”",
        error_messages=_required("说明"),
    )


class ChannelForm(ServiceErrorForm):
    """A unit's channels (``dispatch.channels.configure`` checks them). An empty secret keeps the stored one."""

    email = forms.BooleanField(label="电子邮件", required=False, help_text="发往本单位联络员、负责人的邮箱")
    webhook = forms.BooleanField(label="工作群机器人", required=False)
    robot_kind = forms.ChoiceField(label="机器人类型", choices=RobotKind.choices)
    robot_url = forms.CharField(
        label="机器人地址（Webhook）",
        required=False,
        max_length=500,
        help_text="在群设置的“智能群助手/群机器人”中添加自定义机器人后复制的地址",
    )
    robot_secret = forms.CharField(
        label="加签密钥",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="政务钉钉机器人“加签”的密钥（SEC 开头）；留空则保留原密钥，企业微信不需要",
    )
    clear_secret = forms.BooleanField(label="清除已保存的加签密钥", required=False)
    sms = forms.BooleanField(label="短信", required=False)
    phones = forms.CharField(
        label="接收短信的手机号", required=False, max_length=500, help_text="多个号码用逗号分隔"
    )

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        clear = data.pop("clear_secret")
        data["robot_secret"] = "" if clear else (data["robot_secret"] or None)
        return data


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *DeliveryStatus.choices], required=False)
    channel = forms.ChoiceField(label="渠道", choices=[("", "全部"), *Channel.choices], required=False)


class UrgeForm(ServiceErrorForm):
    """催办: one assignment, one unit's open rows, or every row of a filtered ledger view (``query``)."""

    SCOPES = [("assignment", "本项台账"), ("unit", "本单位全部未销号台账"), ("ledger", "当前筛选结果")]

    scope = forms.ChoiceField(label="催办范围", choices=SCOPES)
    assignment = forms.IntegerField(label="台账", required=False, min_value=1)
    unit = forms.IntegerField(label="单位", required=False, min_value=1)
    query = forms.CharField(label="筛选条件", required=False, max_length=2000)
    message = forms.CharField(label="催办内容", max_length=2000, help_text="简要写明催办要求，200 字以内")
    aliases = {"assignments": "scope"}

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope in ("assignment", "unit") and not data.get(scope):
            self.add_error(scope, "请指定要催办的" + ("台账" if scope == "assignment" else "单位"))
        return data


class InstructionForm(ServiceErrorForm):
    """领导批示 on a task page (the whole task) or an assignment page (that row)."""

    task = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    assignment = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    text = forms.CharField(
        label="批示内容",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="1000 字以内，发送给相关责任单位的联络员和负责人，须签收",
        error_messages={**_required("批示内容"), "max_length": "批示内容请控制在 1000 字以内"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "instruct-%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if not data.get("task") and not data.get("assignment"):
            self.add_error(None, "请指定批示的任务或台账")
        return data


class InstructionReplyForm(ServiceErrorForm):
    """A unit's reply to an instruction."""

    text = forms.CharField(
        label="回复内容",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={**_required("回复内容"), "max_length": "回复内容请控制在 1000 字以内"},
    )


class BulletinDraftForm(ServiceErrorForm):
    """The month whose draft bulletin the office makes now (``dispatch.bulletin.make_bulletin``)."""

    month = forms.RegexField(
        label="通报月份",
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        max_length=7,
        error_messages={"invalid": "月份格式应为 YYYY-MM，例如 2017-11"},
        widget=forms.TextInput(attrs={"placeholder": "2017-11", "inputmode": "numeric"}),
    )
    refresh = forms.BooleanField(
        label="已有草稿时按最新台账数据重新生成（修改过的正文将按新数据重拟）",
        required=False,
    )


class BulletinDocumentForm(ServiceErrorForm):
    """The 通报's 正文 and 印发范围 as the office edits them before publishing (``dispatch.document``)."""

    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text="每行一段；以“一、”“二、”开头的行为标题。发布前可修改，发布后不再改动。",
        strip=False,
        required=False,
    )
    distribution = forms.CharField(label="印发范围", max_length=300, required=False)
