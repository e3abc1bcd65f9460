"""Forms for the ledger's actions. They only read the input; the services decide.

Each form names its fields after the ``field`` the services put on a ``LedgerError``,
so ``show_error`` can put the service's Chinese message next to the right input.
Numbers and dates keep their browser widgets but forms carry ``novalidate`` in the
templates: the server's messages are the ones the user sees.
"""

from django import forms

from tasks.choices import ReviewOutcome
from tasks.services.errors import LedgerError
from tasks.weeks import BadWeek, parse_week, today, week_of

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


class VersionedForm(forms.Form):
    """Carries the assignment version the user saw, so a stale page gets 412 instead of overwriting."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    aliases: dict[str, str] = {}
    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        # Several forms share a page: their ids must differ, or a label points at another form's input.
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        # The version is a hidden field the user can neither see nor fix: a bad one (a tampered or
        # mangled page) is said at the top of the form instead of next to an invisible input.
        if self._errors.pop("version", None):
            self.add_error(None, STALE_PAGE)
        return super().clean()

    def show_error(self, error: LedgerError) -> None:
        field = self.aliases.get(error.field, error.field)
        self.add_error(field if field in self.fields else None, error.message)


class WeeklyExcelForm(forms.Form):
    """The week of the weekly workbook a page downloads; a bad week is a form error, not an API page."""

    week = forms.CharField(label="报送周", help_text="ISO 周，如 2017-W36",
                           widget=forms.TextInput(attrs={"size": 9, "style": "width: 7em"}),
                           error_messages={"required": "请填写报送周，如 2017-W36"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "excel-%s")
        super().__init__(*args, **kwargs)

    def clean_week(self):
        week = self.cleaned_data["week"].strip()
        try:
            parse_week(week)
        except BadWeek as exc:
            raise forms.ValidationError(str(exc)) from None
        return week


class ReportForm(VersionedForm):
    id_prefix = "report"
    week = forms.CharField(label="报送周", max_length=8, help_text="ISO 周，如 2017-W36")
    text = forms.CharField(label="本周进展", widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.IntegerField(
        label="完成比例（%）", widget=forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"})
    )
    evidence = MultipleFileField(label="佐证材料", required=False, help_text="可多选；pdf、图片、Office 文档或 zip")
    aliases = {"measure_notes": None}

    def __init__(self, *args, measures=(), **kwargs):
        kwargs.setdefault("initial", {}).setdefault("week", week_of(today()))
        super().__init__(*args, **kwargs)
        self.measure_fields = []
        for measure in measures:
            name = f"measure_{measure.number}"
            self.fields[name] = forms.CharField(
                label=f"措施{measure.number}进展", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                help_text=measure.text[:80] + ("…" if len(measure.text) > 80 else ""),
            )
            self.measure_fields.append(name)

    def measure_notes(self) -> dict:
        return {name.split("_", 1)[1]: self.cleaned_data.get(name, "") for name in self.measure_fields}

    def measure_bound_fields(self):
        return [self[name] for name in self.measure_fields]


class SignOffForm(VersionedForm):
    id_prefix = "signoff"
    summary = forms.CharField(label="整改情况说明", widget=forms.Textarea(attrs={"rows": 4}))
    evidence = MultipleFileField(label="佐证材料", required=False, help_text="至少一份")


class ExtensionForm(VersionedForm):
    id_prefix = "extension"
    new_due_date = forms.DateField(label="申请延期至", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="延期理由", widget=forms.Textarea(attrs={"rows": 3}))


class CheckForm(VersionedForm):
    id_prefix = "check"
    decision = forms.ChoiceField(label="审核结论", choices=[("approve", "通过"), ("reject", "退回")],
                                 widget=forms.RadioSelect)
    opinion = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="退回时必填")
    aliases = {"reason": "opinion"}


class ScheduleReviewForm(VersionedForm):
    id_prefix = "schedule"
    scheduled_for = forms.DateField(label="计划检查日期", widget=forms.DateInput(attrs={"type": "date"}))


class ReviewOutcomeForm(VersionedForm):
    id_prefix = "outcome"
    outcome = forms.ChoiceField(
        label="回头看结论", widget=forms.RadioSelect,
        choices=[(ReviewOutcome.HOLDS.value, ReviewOutcome.HOLDS.label), (ReviewOutcome.RELAPSED.value, ReviewOutcome.RELAPSED.label)],
    )
    findings = forms.CharField(label="检查情况", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                               help_text="问题反弹时必填")


class ExtensionDecisionForm(VersionedForm):
    id_prefix = "decision"
    decision = forms.ChoiceField(label="审批结论", choices=[("approve", "批准"), ("refuse", "不批准")],
                                 widget=forms.RadioSelect)
    note = forms.CharField(label="审批意见", required=False, widget=forms.Textarea(attrs={"rows": 2}))
