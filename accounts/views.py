"""The office's page 登录安全 (locked accounts and addresses, each with an unlock button) and everyone's
账户安全 (their own API tokens, each with a revoke button)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services, tokens
from tasks.services.checks import require
from tasks.services.errors import Forbidden, LedgerError


def _office_only(user):
    try:
        require(user, "read_lockouts")
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


@login_required
def security(request):
    _office_only(request.user)
    context = {
        "lockouts": services.lockouts(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@login_required
def unlock(request):
    _office_only(request.user)
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    try:
        services.unlock(actor=request.user, kind=kind, value=value)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已解除{services.KINDS[kind]}“{value}”的登录锁定")
    return redirect("security")


@login_required
def account_security(request):
    """账户安全: the signed-in user's API tokens (prefix, dates, state), each revocable."""
    own = tokens.visible_to(request.user).filter(user=request.user).order_by("-created_at", "-id")
    context = {"tokens": own, "lifetime_hours": settings.API_TOKEN_LIFETIME_HOURS}
    return render(request, "accounts/account_security.html", context)


@require_POST
@login_required
def revoke_token(request, pk):
    """The owner revokes one of their tokens from 账户安全 (anyone else's: not found)."""
    try:
        token = tokens.revoke(actor=request.user, token_id=pk)
    except LedgerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已撤销令牌 {token.prefix}…")
    return redirect("account-security")
