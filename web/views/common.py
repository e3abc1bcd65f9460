"""Small helpers the page views share."""

from django.utils.http import url_has_allowed_host_and_scheme

from tasks.models import Assignment
from tasks.weeks import today


def scoped(request):
    """The assignments the user may see with their warning level: where every page starts."""
    return Assignment.objects.visible_to(request.user).with_level(today())


def safe_next(request, default: str) -> str:
    """The ``next`` field of a form if it points back into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def chosen_plan(request, plans):
    """The plan of ``?plan=<id>`` among ``plans`` (several plans side by side), or None for all of them."""
    wanted = request.GET.get("plan")
    return next((plan for plan in plans if str(plan.pk) == wanted), None)
