"""The filter of the listed supervisions (``GET /api/supervisions/``; see ``tasks/filtersets.py``)."""

from accountability.models import ListedSupervision
from tasks.filtersets import FilterSet, FlagFilter


class ListedSupervisionFilterSet(FilterSet):
    """The queryset is unit-scoped (``visible_to``)."""

    active = FlagFilter(
        field_name="lifted_at",
        lookup_expr="isnull",
        label="督办中",
        help_text="true 只列督办中（未解除）的，false 只列已解除的",
    )

    class Meta:
        model = ListedSupervision
        fields = []
