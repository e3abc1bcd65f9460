"""Template helpers: the user's role for the navigation, badges, and the inbox count."""

from django import template

from tasks.choices import Level, Role, Status
from tasks.models.people import role_of
from tasks.weeks import week_of
from web.dispatch_models import notification_model

register = template.Library()


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
    return notification_model().objects.filter(user=user, read_at__isnull=True).count()


@register.filter
def iso_week(day) -> str:
    """A date's ISO week, ``2017-W36``; empty for no date."""
    return week_of(day) if day else ""
