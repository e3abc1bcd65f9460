"""``GET /api/``: every area of the API, for a signed-in caller to find their way."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# (key, URL name, kwargs): the list endpoints and the single endpoints that stand alone.
AREAS = [
    ("assignments", "assignment-list", None),
    ("tasks", "task-list", None),
    ("units", "unit-list", None),
    ("officials", "official-list", None),
    ("evidence", "api-evidence", {"pk": 0}),
    ("supervisions", "supervision-list", None),
    ("summons", "summons-list", None),
    ("cases", "case-list", None),
    ("leader-items", "leader-item-list", None),
    ("notifications", "notification-list", None),
    ("bulletins", "bulletin-list", None),
    ("handovers", "handover-list", None),
    ("instructions", "instruction-list", None),
    ("reports-weekly", "reports-weekly", None),
    ("reports-weekly-import", "reports-weekly-import", None),
    ("public-disclosure", "public-disclosure", None),
    ("auth-token", "api-token", None),
    ("auth-tokens", "api-token-item-list", None),
    ("auth-logout", "api-logout", None),
    ("schema", "schema", None),
    ("docs", "api-docs", None),
]


class ApiRootView(APIView):
    """The API's areas by name, as absolute URLs (``evidence`` with ``{id}`` for an evidence file's id)."""

    @extend_schema(responses={200: dict})
    def get(self, request, format=None):
        links = {}
        for key, name, kwargs in AREAS:
            url = reverse(name, kwargs=kwargs, request=request)
            links[key] = url.replace("/0/", "/{id}/") if kwargs else url
        return Response(links)
