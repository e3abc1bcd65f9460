"""每周公开 for the office: open the week's draft, review its wording, publish it, correct a published week.

Reading is for the office and leaders (``OVERSIGHT``); every change asks the policy
(``review_disclosure``, ``publish_disclosure``) and goes through ``reports.disclosure``, audited.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from reports import disclosure as disclosures
from reports.models import Disclosure
from tasks.policy import OVERSIGHT, can
from tasks.services.checks import ascii_int
from tasks.services.errors import LedgerError
from tasks.weeks import today, week_of
from web.access import role_required

PAGE_SIZE = 20  # the list of disclosures, and a draft's items per page of the editor


def _allowed(request, action):
    decision = can(request.user, action)
    if not decision:
        raise PermissionDenied(decision.reason)


@role_required(OVERSIGHT)
def disclosure_list(request):
    return _list(request)


def _list(request, status=200):
    rows = Disclosure.objects.only("id", "week", "version", "status", "as_of", "published_at", "note")
    page = Paginator(rows.order_by("-week", "-version"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "week": week_of(today()),
        "may_review": bool(can(request.user, "review_disclosure")),
    }
    return render(request, "web/disclosures.html", context, status=status)


@require_POST
@role_required(OVERSIGHT)
def disclosure_open(request):
    _allowed(request, "review_disclosure")
    try:
        disclosure, created = disclosures.open_draft(request.POST.get("week") or "", request.user)
    except LedgerError as error:
        messages.error(request, error.message)
        return _list(request, status=error.status_code)
    if created:
        messages.success(request, f"{disclosure.week} 每周公开草稿已生成，请审核公开说明后发布")
    return redirect(reverse("disclosure", args=[disclosure.pk]))


def _page(request, disclosure, errors=None, posted=None, status=200):
    items = disclosure.items.order_by("plan_id", "category_number", "task_number", "id")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    may_edit = bool(can(request.user, "review_disclosure")) and not disclosure.is_published
    page.object_list = list(page.object_list)
    errors = errors or {}
    for item in page.object_list:
        item.error = errors.get(f"wording-{item.pk}") or errors.get(f"percent-{item.pk}")
        if posted and item.pk in posted:  # what the office typed, shown back with the refusal
            item.wording = posted[item.pk]["wording"]
            item.percent_text = posted[item.pk]["percent"]
    versions = list(
        Disclosure.objects.filter(week=disclosure.week)
        .only("id", "version", "status", "published_at", "note")
        .order_by("version")
    )
    context = {
        "disclosure": disclosure,
        "page": page,
        "may_edit": may_edit,
        "may_publish": may_edit and bool(can(request.user, "publish_disclosure")),
        "may_correct": disclosure.is_published
        and bool(can(request.user, "publish_disclosure"))
        and versions[-1].pk == disclosure.pk,
        "versions": versions,
        "errors": errors or {},
    }
    return render(request, "web/disclosure.html", context, status=status)


@role_required(OVERSIGHT)
def disclosure_page(request, pk):
    """GET: the draft (or a published version). POST: the office's wording for the page's items."""
    disclosure = get_object_or_404(Disclosure, pk=pk)
    if request.method != "POST":
        return _page(request, disclosure)
    _allowed(request, "review_disclosure")
    changes = {}
    for key in request.POST:
        if key.startswith("wording-"):
            item_id = ascii_int(key.removeprefix("wording-"))
            if item_id is None:
                messages.error(request, "条目编号无效")
                return _page(request, disclosure, status=400)
            changes[item_id] = {
                "wording": request.POST.get(key, ""),
                "percent": request.POST.get(f"percent-{item_id}", ""),
            }
    if not changes:
        messages.error(request, "没有要保存的公开说明")
        return _page(request, disclosure, status=400)
    try:
        changed = disclosures.save_wording(disclosure, request.user, changes)
    except LedgerError as error:
        messages.error(request, error.message)
        return _page(request, disclosure, errors={error.field: error.message}, posted=changes, status=400)
    messages.success(request, f"已保存 {changed} 项公开说明" if changed else "公开说明没有改动")
    page = request.GET.get("page")
    return redirect(reverse("disclosure", args=[pk]) + (f"?page={ascii_int(page) or 1}" if page else ""))


@require_POST
@role_required(OVERSIGHT)
def disclosure_publish(request, pk):
    _allowed(request, "publish_disclosure")
    disclosure = get_object_or_404(Disclosure, pk=pk)
    try:
        disclosures.publish(disclosure, request.user)
    except LedgerError as error:
        messages.error(request, error.message)
        return _page(request, disclosure, status=error.status_code)
    messages.success(request, f"{disclosure.week} 每周公开已发布，信息公开页面即日起显示本版本")
    return redirect(reverse("disclosure", args=[pk]))


@require_POST
@role_required(OVERSIGHT)
def disclosure_correct(request, pk):
    _allowed(request, "publish_disclosure")
    disclosure = get_object_or_404(Disclosure, pk=pk)
    try:
        new = disclosures.correct(disclosure, request.user, request.POST.get("note", ""))
    except LedgerError as error:
        messages.error(request, error.message)
        return _page(request, disclosure, status=error.status_code)
    messages.success(request, f"已生成更正稿（第{new.version}版），修改后发布即替换公开页面上的版本")
    return redirect(reverse("disclosure", args=[new.pk]))
