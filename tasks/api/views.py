from django.contrib.auth import authenticate
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.api import filters
from tasks.api.serializers import OfficialSerializer, TaskSerializer, UnitSerializer
from tasks.choices import TaskStatus
from tasks.models import Assignment, Official, Task, Unit
from tasks.services.checks import check_no_nul
from tasks.weeks import today


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        username, password = data.get("username"), data.get("password")
        # JSON may carry numbers, lists or objects: only two non-empty strings are credentials.
        if not (isinstance(username, str) and username.strip() and isinstance(password, str) and password):
            return Response({"detail": "请提供用户名和密码"}, status=status.HTTP_400_BAD_REQUEST)
        username = check_no_nul(username.strip(), "username", "用户名")
        check_no_nul(password, "password", "密码")
        user = authenticate(request, username=username, password=password)
        if user is None or not user.is_active:
            return Response({"detail": "用户名或密码错误"}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


@extend_schema(
    parameters=[
        OpenApiParameter("category", int, description="问题类别序号 1–4"),
        OpenApiParameter("unit", str, description="责任单位 id 或名称"),
        OpenApiParameter("deadline_kind", str, enum=["immediate_ongoing", "dated", "phased"]),
        OpenApiParameter("overdue", bool, description="只列出有逾期台账的任务"),
        OpenApiParameter(
            "status", str, enum=TaskStatus.values, description="任务状态（由各责任单位台账汇总）"
        ),
        OpenApiParameter("q", str, description="全文检索"),
        OpenApiParameter("page_size", int, description="每页条数，最多 200"),
    ]
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """The plan's 60 tasks. Everyone signed in reads the plan; assignments are unit-scoped."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        visible = (
            Assignment.objects.visible_to(self.request.user).select_related("unit").order_by("unit__name")
        )
        queryset = (
            Task.objects.with_status()
            .select_related("category")
            .prefetch_related(
                "measures",
                "responsible_units",
                "cooperating_units",
                Prefetch("officials", queryset=Official.objects.select_related("unit")),
                Prefetch("assignments", queryset=visible, to_attr="visible_assignments"),
            )
            .order_by("plan_id", "number")
        )
        if self.action != "list":
            return queryset
        params = self.request.query_params
        category = filters.int_param(params, "category", "问题类别")
        if category is not None:
            queryset = queryset.filter(category__number=category)
        unit = filters.unit_param(params)
        if unit is not None:
            queryset = queryset.filter(assignments__unit=unit)
        kind = filters.deadline_kind_param(params)
        if kind:
            queryset = queryset.filter(deadline_kind=kind)
        if filters.bool_param(params, "overdue"):
            queryset = queryset.overdue(today())
        task_status = filters.task_status_param(params)
        if task_status:
            queryset = queryset.filter(status=task_status)
        q = filters.text_param(params, "q", "全文检索")
        if q:
            queryset = queryset.search(q)
        return queryset


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = UnitSerializer
    queryset = Unit.objects.order_by("kind", "name")


class OfficialViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfficialSerializer
    queryset = Official.objects.select_related("unit").order_by("unit__name", "name")
