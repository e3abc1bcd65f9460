"""The API's filter backend: a list's ``filterset_class`` (``tasks/filtersets.py`` and each app's
``filtersets.py``) narrows the list; a value it cannot use is a 400 with the FilterSet's Chinese
message, ``{"detail": "…", "errors": {parameter: ["…"]}}``.
"""

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") != "list":
            return queryset  # a detail or an action on one object is not narrowed by list parameters
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise filterset.invalid_input()
        return filterset.qs
