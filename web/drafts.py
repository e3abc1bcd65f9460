"""Nothing typed is lost when the session expires (登录过期).

A page form posted by someone no longer signed in (``web.access.role_required``) is not answered
with the login page's redirect to a POST-only address (which ended on a 405): ``save_and_login``
keeps the posted fields — text only, not files, not the CSRF token, the one-time key or the version
— in a short-lived server-side record (``tasks.models.SavedForm``, ``SAVED_FORM_MAX_AGE``, an hour),
puts its key in a signed cookie and sends the user to sign in with ``next`` = the page the form is
on. That page, once the user is back, calls ``restore``: the record is read once and deleted, and
the form is shown filled in with what was typed, with a message to check and send it again.
"""

import datetime
import uuid
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tasks import clock
from tasks.models import SavedForm

COOKIE = "rectify_saved_form"
SALT = "rectify.saved-form"
MAX_AGE = 3600  # seconds
SKIPPED = {"csrfmiddlewaretoken", "form_key", "version"}
RESTORED = "登录已过期：已恢复您刚才填写的内容（附件需重新选择），请核对后重新提交"


def form_page(request) -> tuple[str, str]:
    """The page a posted form lives on and the form's name there: an assignment action's page is the
    assignment; any other form is the page it was posted from (the Referer, when it is this site's)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if match is not None and match.url_name == "assignment-act":
        return reverse("assignment", args=[match.kwargs["pk"]]), match.kwargs["action"]
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return urlsplit(referer).path or reverse("home"), match.url_name if match else ""
    return reverse("home"), ""


def save_and_login(request):
    """Keep the posted text and send the user to sign in, then back to the form's page."""
    path, action = form_page(request)
    data = {name: values for name, values in request.POST.lists() if name not in SKIPPED}
    SavedForm.objects.filter(created_at__lt=clock.now() - datetime.timedelta(seconds=MAX_AGE)).delete()
    saved = SavedForm.objects.create(
        key=uuid.uuid4().hex, path=path.split("?", 1)[0], action=action, data=data
    )
    response = redirect_to_login(path)
    response.set_signed_cookie(
        COOKIE,
        saved.key,
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def restore(request, response_cookies: list) -> tuple[str, dict] | None:
    """The form saved for this page when the session expired, once: ``(action, {field: value})``.

    Appends ``COOKIE`` to ``response_cookies`` when the cookie should be removed from the browser."""
    key = request.get_signed_cookie(COOKIE, default=None, salt=SALT, max_age=MAX_AGE)
    if not key:
        return None
    saved = SavedForm.objects.filter(
        key=key, path=request.path, created_at__gte=clock.now() - datetime.timedelta(seconds=MAX_AGE)
    ).first()
    if saved is None:
        return None
    saved.delete()
    response_cookies.append(COOKIE)
    messages.info(request, RESTORED)
    data = {name: (values[-1] if len(values) == 1 else values) for name, values in saved.data.items()}
    return saved.action, data
