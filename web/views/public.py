"""信息公开: what the public may read, without signing in.

Only the plan's own words (problem, goal, deadline, responsible units), each unit's
public status and percentage, and the published bulletins. No report texts,
opinions, evidence or names of people: the querysets below load only the fields
the page shows, so nothing internal can slip into the template.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from dispatch.bulletin import audit_code
from dispatch.figures import PUBLIC_FIELDS, restrict_to_plan
from dispatch.figures import public_bulletin as public_copy
from dispatch.models import Bulletin
from tasks.choices import Status, TaskStatus
from tasks.models import Assignment, Plan, Task
from web.views.common import chosen_plan

PUBLIC_STATUS = {
    Status.NOT_STARTED: "未启动",
    Status.IN_PROGRESS: "整改中",
    Status.SIGNOFF_REQUESTED: "整改中",
    Status.UNIT_VERIFIED: "整改中",
    Status.SIGNED_OFF: "已销号",
    Status.REOPENED: "整改中",
}


def public(request):
    plans = list(Plan.objects.only("id", "title"))
    plan = chosen_plan(request, plans)
    units = Assignment.objects.select_related("unit").only("id", "task_id", "status", "percent", "unit__name")
    shown = (
        Task.objects.filter(is_public=True)
        if plan is None
        else Task.objects.filter(is_public=True, plan=plan)
    )
    tasks = list(
        shown.with_status()  # the one roll-up rule (signed off only when every unit is)
        .select_related("category", "plan")
        .only(
            "id",
            "number",
            "problem",
            "goal",
            "deadline_text",
            "category__number",
            "category__title",
            "plan__title",
        )
        .prefetch_related(Prefetch("assignments", queryset=units.order_by("unit__name")))
        .order_by("plan_id", "category__number", "number")
    )
    signed = total = 0
    for task in tasks:
        task.public_rows = [(a.unit.name, PUBLIC_STATUS[a.status], a.percent) for a in task.assignments.all()]
        task.public_status = TaskStatus(task.status).label
        total += len(task.public_rows)
        signed += sum(1 for _, label, _ in task.public_rows if label == "已销号")
    bulletins = (
        Bulletin.objects.filter(status="published").only("id", "month", "published_at").order_by("-month")
    )
    context = {
        "plans": plans if len(plans) > 1 else [],
        "plan": plan,
        "tasks": tasks,
        "signed": signed,
        "total": total,
        "bulletins": list(bulletins),
        "tasks_signed": sum(1 for t in tasks if t.public_status == "已销号"),
    }
    return render(request, "web/public.html", context)


def public_bulletin(request, month):
    bulletin = get_object_or_404(Bulletin.objects.only(*PUBLIC_FIELDS), month=month, status="published")
    shown = public_copy(bulletin)
    data = shown.data
    plans = data.get("by_plan", []) if len(data.get("by_plan", [])) > 1 else []
    if plans and request.GET.get("plan"):  # one plan's figures (?plan=<id>)
        data = restrict_to_plan(data, request.GET["plan"])
        if data is None:
            raise Http404("该月通报没有这个整改方案")
    return render(
        request,
        "web/public_bulletin.html",
        {"bulletin": shown, "data": data, "plans": plans, "audit_code": audit_code(bulletin)},
    )
