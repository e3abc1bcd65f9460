"""The public API (信息公开): the office's published weekly disclosure, read without signing in.

``GET /api/public/disclosure/`` answers the current published disclosure (week, version, ``as_of``,
the figures' date) and its tasks (``disclosure`` null and no tasks before the first publication), paginated, filtered like the public page (``q``, ``city``,
``category``). ``GET /api/public/tasks/{id}/`` answers one task's published history, week by week.
Both read only published disclosures (``reports.disclosure``): nothing of the live ledger, and no
liaison's percentage unless the office published it (``percent``).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import disclosure as disclosures
from reports.models import Disclosure, DisclosureItem
from tasks.api.pagination import Pagination
from tasks.services.errors import InvalidInput, NotFound


class PublicDisclosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = ["week", "version", "as_of", "published_at", "note"]


class PublicItemSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(read_only=True)
    share_done = serializers.FloatField(read_only=True)

    class Meta:
        model = DisclosureItem
        fields = [
            "task",
            "plan_title",
            "category_number",
            "category_title",
            "task_number",
            "problem",
            "deadline_text",
            "status",
            "status_label",
            "units_total",
            "units_done",
            "units_overdue",
            "share_done",
            "units",
            "wording",
            "percent",
        ]


class PublicHistorySerializer(PublicItemSerializer):
    week = serializers.CharField(source="disclosure.week", read_only=True)
    version = serializers.IntegerField(source="disclosure.version", read_only=True)
    as_of = serializers.DateField(source="disclosure.as_of", read_only=True)

    class Meta(PublicItemSerializer.Meta):
        fields = ["week", "version", "as_of", *PublicItemSerializer.Meta.fields]


class Public(APIView):
    authentication_classes = []  # read by anyone; a stale token or session never refuses it
    permission_classes = [AllowAny]


class PublicDisclosureView(Public):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="检索督察反馈问题和公开说明"),
            OpenApiParameter("city", str, description="市，如“太原市”"),
            OpenApiParameter("category", int, description="问题类别序号"),
            OpenApiParameter("plan", int, description="整改方案编号（有多个方案时）"),
            OpenApiParameter("page", int),
        ],
        responses={200: dict},
    )
    def get(self, request):
        current = disclosures.current()
        if current is None:  # nothing published yet: nothing to read, which is not an error
            return Response({"disclosure": None, "count": 0, "next": None, "previous": None, "results": []})
        filters, errors = disclosures.public_filters(request.query_params)
        if errors:
            field, message = next(iter(errors.items()))
            raise InvalidInput(message, field=field)
        paginator = Pagination()
        page = paginator.paginate_queryset(disclosures.public_items(current, **filters), request, view=self)
        answer = paginator.get_paginated_response(PublicItemSerializer(page, many=True).data).data
        return Response({"disclosure": PublicDisclosureSerializer(current).data, **answer})


class PublicTaskView(Public):
    @extend_schema(responses={200: PublicHistorySerializer(many=True)})
    def get(self, request, pk):
        history = disclosures.task_history(pk)
        if not history:
            raise NotFound("该任务尚无公开信息")
        return Response(PublicHistorySerializer(history, many=True).data)
