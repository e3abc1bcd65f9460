"""Template helpers: the user's role for the navigation, badges, what the policy allows, the urges panel."""

import re

from django import template
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import mark_safe

from dispatch import handovers
from dispatch.models import Urge
from tasks.choices import LEVEL_TITLES, Level, Role, Status
from tasks.models.levels import rule_lines
from tasks.policy import can, role_of
from tasks.services import formkeys
from tasks.weeks import week_of, week_title
from web.exports import EXPORT_PARAM, EXPORT_VALUE

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


@register.simple_tag
def level_badge(level, reason=""):
    """A row's light, its reason (``Assignment.level_reason``) as the tooltip and, for screen readers, in words.

    Written here rather than in a template: a list page shows one per row."""
    if not level:
        return "\n"
    label = LEVEL_TITLES[Level(level)]
    return format_html(
        '<span class="level level-{}"{}><span class="dot" aria-hidden="true"></span>{}{}</span>\n',
        level,
        format_html(' title="{}"', reason) if reason else "",
        label,
        format_html('<span class="visually-hidden">：{}</span>', reason)
        if reason and reason != label
        else "",
    )


@register.filter
def level_title(level) -> str:
    """A level's full name (红色预警, 黄色预警, 绿色（正常推进）, 已销号)."""
    return LEVEL_TITLES[Level(level)] if level else ""


@register.inclusion_tag("web/_level_legend.html")
def level_legend():
    """The warning rule in words, shown on every page with lights."""
    return {"rules": rule_lines()}


@register.simple_tag
def status_badge(status):
    """A row's status as a badge (one per row of a list page, so written here rather than in a template)."""
    return format_html('<span class="status status-{}">{}</span>\n', status, Status(status).label)


@register.filter
def iso_week(day) -> str:
    """A date's ISO week, ``2017-W36``; empty for no date."""
    return week_of(day) if day else ""


@register.filter
def week_name(value) -> str:
    """A reporting week as people read it, ``第48周（11月27日—12月3日）``, from an ISO week or a date."""
    if not value:
        return ""
    return week_title(value if isinstance(value, str) else week_of(value))


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


@register.simple_tag
def may(user, action) -> bool:
    """May ``user`` take ``action`` at all (``tasks.policy.can`` without an object)?"""
    return bool(can(user, action))


@register.inclusion_tag("web/_instructions.html", takes_context=True)
def instructions_panel(context, assignment):
    """领导批示 and 签收 on an assignment's page: the row's open handovers (one query), the
    instructions the view loaded, the unit's reply form and the leaders' and office's form."""
    user = context["request"].user
    may_acknowledge = bool(can(user, "acknowledge", assignment))
    return {
        "assignment": assignment,
        "instructions": context.get("instructions", []),
        "open_handovers": handovers.open_of(assignment.pk) if may_acknowledge else [],
        "can_acknowledge": may_acknowledge,
        "can_reply": bool(can(user, "reply_instruction", assignment)),
        "can_instruct": bool(can(user, "instruct", assignment)),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/_urges.html", takes_context=True)
def urges_panel(context, assignment):
    """催办 on an assignment's page: its open urges, the unit's 签收, the office's form (one query)."""
    user = context["request"].user
    return {
        "assignment": assignment,
        "open_urges": list(Urge.objects.filter(assignment=assignment, answered_at=None).order_by("urged_at")),
        "can_acknowledge": bool(can(user, "acknowledge_urge", assignment)),
        "can_urge": bool(can(user, "urge")),
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("web/_export_link.html", takes_context=True)
def export_link(context, label="导出 Excel"):
    """A link downloading the page's tables with the filters and sort of its query string (``web.exports``)."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    query[EXPORT_PARAM] = EXPORT_VALUE
    return {"href": f"{request.path}?{query.urlencode()}", "label": label}
