"""Template helpers: the user's role for the navigation, badges, and the inbox count."""

import re

from django import template
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import mark_safe

from dispatch.models import Notification
from tasks.choices import Level, Role, Status
from tasks.policy import role_of
from tasks.services import formkeys
from tasks.weeks import week_of

register = template.Library()


@register.simple_tag(takes_context=True)
def form_key(context):
    """The hidden one-time key of a page form (``tasks.services.formkeys``), for the signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return ""
    return format_html('<input type="hidden" name="form_key" value="{}">', formkeys.issue(user))


@register.filter
def role(user) -> str | None:
    return role_of(user)


@register.simple_tag
def role_label(user) -> str:
    value = role_of(user)
    return Role(value).label if value else "未分配角色"


@register.inclusion_tag("web/_level.html")
def level_badge(level):
    return {"level": level, "label": Level(level).label + "色预警" if level else ""}


@register.inclusion_tag("web/_status.html")
def status_badge(status):
    return {"status": status, "label": Status(status).label}


@register.simple_tag
def unread_count(user) -> int:
    """The user's unread notifications (one query)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@register.filter
def iso_week(day) -> str:
    """A date's ISO week, ``2017-W36``; empty for no date."""
    return week_of(day) if day else ""


# A path on this site written in a message, e.g. "/ledger/weekly.xlsx?week=2017-W48": starts a line
# (after linebreaks' <p> or <br>) or follows a space or a colon, and runs to the next space.
SITE_PATH = re.compile(r"(?:(?<=^)|(?<=[\s：:>]))(/[A-Za-z0-9_\-./?=&%;]+)", re.MULTILINE)


@register.filter
def message_body(text) -> str:
    """A notification's plain text as paragraphs, with the site's paths made into links (everything else escaped)."""
    html = linebreaks(escape(text or ""))
    return mark_safe(
        SITE_PATH.sub(lambda m: format_html('<a href="{}">{}</a>', mark_safe(m[1]), mark_safe(m[1])), html)
    )
