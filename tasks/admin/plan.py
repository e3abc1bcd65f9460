from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple

from tasks.admin.access import AuditedAdmin
from tasks.choices import TaskStatus
from tasks.models import Assignment, Category, Measure, Official, Organisation, Plan, Task, Unit
from tasks.services import plan_edit


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["title", "issuing_body", "issued_date", "source_file", "imported_at"]
    readonly_fields = ["source_sha256", "imported_at"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    """The province, its cities, the office's name and the site's title: one row, edited here."""

    list_display = ["province", "office_name", "site_title"]

    def has_add_permission(self, request):
        # The right first (no query for those who may not add), then the one row's existence.
        return super().has_add_permission(request) and not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]


class MeasureInline(admin.StackedInline):
    model = Measure
    extra = 0
    fields = ["number", "text", "milestones"]


class AssignmentInline(admin.TabularInline):
    """The task's ledger rows, read here: units, dates and states change only through the import and the services."""

    model = Assignment
    extra = 0
    fields = [
        "unit",
        "status",
        "due_date",
        "extended_due_date",
        "percent",
        "last_report_week_start",
        "signed_off_at",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskStatusFilter(admin.SimpleListFilter):
    """The task's status rolled up from its assignments (``Task.objects.with_status``)."""

    title = "整改状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return TaskStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() in TaskStatus.values else queryset


class TaskAdminForm(forms.ModelForm):
    """The task's form with its responsible units: each one a row of the ledger (assigned or retired on save)."""

    units = forms.ModelMultipleChoiceField(
        label="责任单位",
        queryset=Unit.objects.order_by("kind", "name"),
        widget=FilteredSelectMultiple("责任单位", is_stacked=False),
        help_text="新增单位即为其建立台账；去掉的单位台账撤销，记录保留",
        error_messages={"required": "每项任务至少要有一个责任单位"},
    )

    class Meta:
        model = Task
        fields = [  # the admin's fieldsets choose what is shown; these are what the form may save
            "plan",
            "number",
            "category",
            "problem",
            "goal",
            "responsible_text",
            "cooperating_text",
            "cooperating_units",
            "officials_text",
            "officials",
            "deadline_text",
            "due_date",
            "deadline_kind",
            "is_public",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["units"] = plan_edit.responsible_units(self.instance)


@admin.register(Task)
class TaskAdmin(AuditedAdmin):
    list_display = [
        "number",
        "short_problem",
        "category",
        "responsible_text",
        "deadline_text",
        "due_date",
        "deadline_kind",
        "status_label",
    ]
    list_display_links = ["number", "short_problem"]
    list_filter = [
        TaskStatusFilter,
        "category",
        "deadline_kind",
        "assignments__unit__kind",
        ("assignments__unit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "problem",
        "goal",
        "measures__text",
        "responsible_text",
        "officials_text",
        "cooperating_text",
    ]
    filter_horizontal = ["cooperating_units", "officials"]
    form = TaskAdminForm
    inlines = [MeasureInline, AssignmentInline]
    list_select_related = ["category"]
    fieldsets = [
        (None, {"fields": ["plan", "number", "category", "problem", "goal"]}),
        (
            "责任",
            {
                "fields": [
                    "units",
                    "responsible_text",
                    "cooperating_text",
                    "cooperating_units",
                    "officials_text",
                    "officials",
                ]
            },
        ),
        ("时限", {"fields": ["deadline_text", "due_date", "deadline_kind"]}),
        ("信息公开", {"fields": ["is_public"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    def save_related(self, request, form, formsets, change):
        """The ledger follows the responsible units and the due date saved here, as on the edit page."""
        super().save_related(request, form, formsets, change)
        result = plan_edit.sync_assignments(
            form.instance, form.cleaned_data["units"], actor=request.user, reason="管理后台修改任务"
        )
        if result.summary():
            self.message_user(request, result.summary())

    @admin.display(description="整改状态", ordering="status")
    def status_label(self, obj):
        return TaskStatus(obj.status).label

    @admin.display(description="督察反馈问题")
    def short_problem(self, obj):
        return obj.problem[:40] + ("…" if len(obj.problem) > 40 else "")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, True


@admin.register(Measure)
class MeasureAdmin(AuditedAdmin):
    list_display = ["task", "number", "short_text", "milestones"]
    list_filter = ["task__category"]
    search_fields = ["text"]
    list_select_related = ["task"]

    @admin.display(description="整改措施")
    def short_text(self, obj):
        return obj.text[:50]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Official)
class OfficialAdmin(AuditedAdmin):
    list_display = ["name", "unit"]
    list_filter = ["unit__kind", ("unit", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit"]
