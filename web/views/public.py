"""信息公开: what the public may read, without signing in.

The public reads the office's published weekly disclosure (每周公开, ``reports.disclosure``), never
the live ledger: each task's roll-up status, the share of units signed off, each unit's public status
and the office's wording, as the office published them. A liaison's self-reported percentage is never
shown unless the office published it. Every page names the figures' date (截至…). The published
monthly bulletins are listed and shown as before.
"""

import datetime
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from dispatch.bulletin import audit_code
from dispatch.figures import PUBLIC_FIELDS, restrict_to_plan
from dispatch.figures import public_bulletin as public_copy
from dispatch.models import Bulletin
from reports import disclosure as disclosures
from tasks.models import Organisation

PAGE_SIZE = 20


def public(request):
    current = disclosures.current()
    filters, errors = disclosures.public_filters(request.GET)
    page = categories = plans = None
    if current is not None:
        items = disclosures.public_items(current, **filters) if not errors else current.items.none()
        items = items.defer("units")  # every unit's row of a task (hundreds at county scale): not listed here
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
        categories = disclosures.categories_of(current)
        plans = disclosures.plans_of(current)
    query = urlencode({k: v for k, v in filters.items() if v not in ("", None)})
    bulletins = (
        Bulletin.objects.filter(status="published").only("id", "month", "published_at").order_by("-month")
    )
    context = {
        "disclosure": current,
        "page": page,
        "filters": filters,
        "errors": errors,
        "query": query,
        "categories": categories or [],
        "plans": plans if plans and len(plans) > 1 else [],
        "cities": Organisation.current().cities,
        "bulletins": list(bulletins),
    }
    return render(request, "web/public.html", context, status=400 if errors else 200)


def public_task(request, pk):
    """One task's published history, week by week: what the office published about it each week."""
    history = disclosures.task_history(pk)
    if not history:
        raise Http404("该任务尚无公开信息")
    return render(
        request,
        "web/public_task.html",
        {"latest": history[0], "history": history},
    )


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
        {
            "bulletin": shown,
            "data": data,
            "plans": plans,
            "audit_code": audit_code(bulletin),
            "as_of": datetime.date.fromisoformat(data["end"]) if data.get("end") else None,
        },
    )
