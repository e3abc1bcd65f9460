"""The dashboard for the office and leaders: where the plan stands, in a fixed number of queries."""

from django.shortcuts import render

from accountability.models import ListedSupervision
from dispatch import handovers, urging
from dispatch.models import Bulletin
from tasks.choices import Level
from tasks.models import Assignment, Plan
from tasks.models.levels import milestones_by_task
from tasks.policy import OVERSIGHT
from tasks.weeks import today, week_of
from web import figures
from web.access import role_required
from web.exports import wants_xlsx, xlsx_response
from web.views.common import chosen_plan
from web.views.dashboard_export import dashboard_tables

BULLETINS = 6  # the latest months' bulletins, drafts too, with their workbooks


@role_required(OVERSIGHT)
def dashboard(request):
    day = today()
    assignments = Assignment.objects.visible_to(request.user)
    plans = list(Plan.objects.only("id", "title", "closed_at"))
    plan = chosen_plan(request, plans)
    if plan is not None:  # one plan's figures (?plan=<id>, from the plans page)
        assignments = assignments.filter(task__plan=plan)
    milestones = milestones_by_task(day)  # one query: each level figure reads it, not a subquery per row
    groups = figures.per_unit_level(assignments, day, milestones)  # one scan: per unit and level
    names = figures.unit_names()
    by_city_level = figures.city_levels(groups, names)  # the levels and the cities
    levels = figures.level_counts(by_city_level)
    per_unit = figures.per_unit(groups, names)  # the totals, by unit, missing and the unit table
    totals = figures.totals_of(per_unit)
    units = figures.unit_statistics(assignments, per_unit)
    scope = f"plan={plan.pk}&" if plan is not None else ""  # a tile's link keeps the plan on screen
    context = {
        "plans": plans if len(plans) > 1 else [],
        "plan": plan,
        "today": day,
        "week": week_of(day),
        "totals": totals,
        # each tile links to the ledger rows it counts (the ledger's bucket= and level= filters)
        "tiles": [
            ("", totals["total"], "台账总数", scope.rstrip("&")),
            (
                "green",
                totals["signed_off"],
                f"已销号（{totals['signed_off_pct']}%）",
                f"{scope}bucket=signed_off",
            ),
            ("", totals["on_track"], "按计划推进", f"{scope}bucket=on_track"),
            ("red", totals["overdue"], "逾期未销号", f"{scope}bucket=overdue"),
            ("yellow", totals["reopened"], "问题反弹", f"{scope}bucket=reopened"),
        ],
        "scope": scope,
        "by_category": figures.by_category(assignments, day),
        "by_unit": figures.by_unit_of(per_unit),
        "listings": figures.listing_counts(ListedSupervision.objects.visible_to(request.user), day),
        "levels": [(level, levels[level.value]) for level in Level if level != Level.SIGNED_OFF],
        "overdue": figures.overdue_rows(assignments, day),
        "missing": figures.missing_of(per_unit),
        "units": units,  # per unit: rows, on-time reporting, missed reports, urges, time to sign-off
        "trend": figures.ranking_trend(),
        "cities": figures.city_tiles(by_city_level, names),
        "chart": figures.signoff_chart(assignments, day),
        "urges": urging.by_unit(),
        "acknowledgements": handovers.by_unit(day),  # 签收 per unit: 1 query
        "ack_days": handovers.due_days(),
        "bulletins": list(
            Bulletin.objects.only("id", "month", "status", "published_at").order_by("-month")[:BULLETINS]
        ),
    }
    if wants_xlsx(request):  # the page's tables, as shown
        return xlsx_response("整改总览", dashboard_tables(context))
    return render(request, "web/dashboard.html", context)
