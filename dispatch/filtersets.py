"""The inbox's filter, for ``GET /api/notifications/`` and the page ``/inbox/`` (see ``tasks/filtersets.py``)."""

from dispatch.models import Notification
from tasks.filtersets import FilterSet, FlagFilter


class NotificationFilterSet(FilterSet):
    """The queryset is the caller's own notifications."""

    unread = FlagFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label="只看未读",
        help_text="true 只列未读消息，false 只列已读消息",
    )

    class Meta:
        model = Notification
        fields = []
