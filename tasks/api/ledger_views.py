"""The ledger API: assignments, the actions on them, their history and evidence files.

Views stay thin: every queryset starts from ``Assignment.objects.visible_to`` (another
unit's row is a 404 before anything else is looked at), the body is type-checked by
an input serializer, and the change is made by a service in ``tasks.services.ledger``,
which locks the row, checks the state table and the caller's role, compares the
``If-Match`` version and writes the audit trail. A write answers with the assignment
as it now stands and its new ``ETag``.
"""

import re

from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tasks.api import ledger_rows
from tasks.api import ledger_serializers as s
from tasks.filtersets import AssignmentFilterSet, by_task
from tasks.models import Assignment, AuditEntry, Evidence, Extension, Organisation, ProgressReport, Review
from tasks.models.compiled import CompiledIds
from tasks.policy import WRITERS, role_of, unit_id_of
from tasks.services import formkeys, ledger
from tasks.services.errors import InvalidInput, NotFound
from tasks.weeks import today

IF_MATCH_RE = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='台账版本（详情的 ETag，如 "3" 或 3）；版本已变则 412，不做任何修改',
)


class LedgerWrite(BasePermission):
    """Reads for everyone signed in (scoped by unit); writes only for the ledger's working roles."""

    message = "领导及未分配角色的账号只能查看台账，不能修改"

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or role_of(request.user) in WRITERS


def expected_version(request) -> int | None:
    """The version in ``If-Match`` (``3``, ``"3"`` or ``W/"3"``); None when absent or ``*``."""
    raw = request.headers.get("If-Match", "").strip()
    if raw in ("", "*"):
        return None
    match = IF_MATCH_RE.match(raw)
    if match is None:
        raise InvalidInput(f'If-Match 应为台账版本号（如 "3"），收到“{raw[:40]}”', field="If-Match")
    return int(match[1])


def child_of(model, pk, assignment_id, missing: str) -> int:
    """The id of a review or extension if it belongs to the assignment in the URL; 404 otherwise."""
    found = model.objects.filter(pk=pk, assignment_id=assignment_id).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(missing)
    return found


def etag(assignment) -> str:
    return f'"{assignment.version}"'


def with_detail(assignments):
    """Everything the detail shows, prefetched: the history (reports, sign-offs, reviews, extensions), measures and evidence."""
    evidence = Prefetch(
        "evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
    )
    return assignments.with_history().prefetch_related("task__measures", evidence)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The ledger: one row per task and responsible unit, scoped to what the caller may see."""

    permission_classes = [IsAuthenticated, LedgerWrite]
    filterset_class = AssignmentFilterSet
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model only, no database read
            return Assignment.objects.none()
        scoped = Assignment.objects.visible_to(self.request.user)
        if self.action == "list":
            # Narrowed and sorted by AssignmentFilterSet (which adds the level if it reads it), then
            # read lean (``list``).
            return by_task(scoped)
        return with_detail(
            by_task(scoped.with_level(today()).select_related("task__category", "task__plan", "unit"))
        )

    def get_serializer_class(self):
        return s.AssignmentListSerializer if self.action == "list" else s.AssignmentDetailSerializer

    def list(self, request, *args, **kwargs):
        """The database sorts and pages the ids; the page's rows are read as values (``ledger_rows``).

        Without any filter parameter (the plain list) the FilterSet would narrow nothing: the ids'
        count and page are then read by SQL compiled once per connection, for the caller's scope
        (role and unit, what ``scope_by_unit`` reads) and the units' standard order (the
        organisation's cities), as the page's rows are (``tasks.models.compiled``).
        """
        if any(name in request.query_params for name in self.filterset_class.base_filters):
            ids = self.filter_queryset(self.get_queryset()).values_list("pk", flat=True)
        else:
            user = request.user
            ids = CompiledIds(
                ("ledger_ids", role_of(user), unit_id_of(user), tuple(Organisation.current().cities)),
                lambda: by_task(Assignment.objects.visible_to(user)).values_list("pk", flat=True),
            )
        page = self.paginate_queryset(ids)
        return self.get_paginated_response(ledger_rows.list_rows(request.user, list(page), today()))

    def retrieve(self, request, *args, **kwargs):
        assignment = self.get_object()
        response = Response(self.get_serializer(assignment).data)
        response["ETag"] = etag(assignment)
        return response

    # Writes -----------------------------------------------------------------------------------

    def _visible(self) -> Assignment:
        """The assignment named in the URL if the caller may see it: a 404 comes before any other answer."""
        return get_object_or_404(
            Assignment.objects.visible_to(self.request.user).only("pk"), pk=self.kwargs["pk"]
        )

    def _act(self, request, input_class, perform, created=False):
        assignment = self._visible()
        version = expected_version(request)
        body = input_class(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():  # an Idempotency-Key is used up with the change, or not at all
            formkeys.consume_header(request.user, request.headers.get("Idempotency-Key"))
            perform(assignment.pk, body.validated_data, version)
        fresh = self.get_queryset().get(pk=assignment.pk)
        response = Response(
            s.AssignmentDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        response["ETag"] = etag(fresh)
        return response

    @extend_schema(
        request={"multipart/form-data": s.ReportInput, "application/json": s.ReportInput},
        parameters=[IF_MATCH],
        responses={201: s.AssignmentDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        """The liaison's weekly progress report (the first one starts the assignment)."""

        def perform(pk, data, version):
            ledger.submit_report(
                pk,
                actor=request.user,
                week=data["week"],
                text=data["text"],
                percent=data["percent"],
                measure_notes=data["measure_notes"],
                files=data.get("evidence", []),
                drop_reason=data["drop_reason"],
                expected_version=version,
            )

        return self._act(request, s.ReportInput, perform, created=True)

    @extend_schema(
        request={"multipart/form-data": s.SignOffInput},
        parameters=[IF_MATCH],
        responses={201: s.AssignmentDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def signoff(self, request, pk=None):
        """The liaison asks for sign-off (销号) with a summary and at least one evidence file."""

        def perform(pk, data, version):
            ledger.request_signoff(
                pk,
                actor=request.user,
                summary=data["summary"],
                files=data.get("evidence", []),
                expected_version=version,
            )

        return self._act(request, s.SignOffInput, perform, created=True)

    @extend_schema(request=s.VoidInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer)
    @action(detail=True, methods=["post"], url_path=r"reports/(?P<report_id>[0-9]+)/void")
    def void_report(self, request, pk=None, report_id=None):
        """Void a report (作废) with a reason: its author within its week, or the office. Kept, not counted."""

        def perform(pk, data, version):
            report = child_of(ProgressReport, report_id, pk, "该台账没有这条报送")
            ledger.void_report(report, actor=request.user, reason=data["reason"], expected_version=version)

        return self._act(request, s.VoidInput, perform)

    @extend_schema(request=s.WithdrawInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="signoff/withdraw")
    def withdraw_signoff(self, request, pk=None):
        """The liaison withdraws the open sign-off request (已撤回); the row goes back to 整改中."""

        def perform(pk, data, version):
            ledger.withdraw_signoff(pk, actor=request.user, reason=data["reason"], expected_version=version)

        return self._act(request, s.WithdrawInput, perform)

    @extend_schema(request=s.WithdrawInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer)
    @action(detail=True, methods=["post"], url_path=r"extensions/(?P<extension_id>[0-9]+)/withdraw")
    def withdraw_extension(self, request, pk=None, extension_id=None):
        """The liaison withdraws an extension request not yet decided (已撤回)."""

        def perform(pk, data, version):
            extension = child_of(Extension, extension_id, pk, "该台账没有这项延期申请")
            ledger.withdraw_extension(
                extension, actor=request.user, reason=data["reason"], expected_version=version
            )

        return self._act(request, s.WithdrawInput, perform)

    @extend_schema(request=s.ApproveInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The check the state calls for: the unit leader first, then the office (which signs off)."""

        def perform(pk, data, version):
            ledger.approve(pk, actor=request.user, opinion=data["opinion"], expected_version=version)

        return self._act(request, s.ApproveInput, perform)

    @extend_schema(request=s.RejectInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send the request back to 整改中 (in_progress) with a reason, at either check."""

        def perform(pk, data, version):
            ledger.reject(pk, actor=request.user, reason=data["reason"], expected_version=version)

        return self._act(request, s.RejectInput, perform)

    @extend_schema(
        request=s.ScheduleReviewInput, parameters=[IF_MATCH], responses={201: s.AssignmentDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request, pk=None):
        """The office schedules a look-back review (回头看) of a signed-off assignment."""

        def perform(pk, data, version):
            ledger.schedule_review(
                pk, actor=request.user, scheduled_for=data["scheduled_for"], expected_version=version
            )

        return self._act(request, s.ScheduleReviewInput, perform, created=True)

    @extend_schema(
        request={"multipart/form-data": s.ReviewOutcomeInput, "application/json": s.ReviewOutcomeInput},
        parameters=[IF_MATCH],
        responses=s.AssignmentDetailSerializer,
        operation_id="assignments_review_outcome",
    )
    @action(detail=True, methods=["post"], url_path=r"reviews/(?P<review_id>[0-9]+)")
    def review_outcome(self, request, pk=None, review_id=None):
        """The office records a review's outcome: ``holds``, or ``relapsed`` which reopens the assignment
        with 整改要求, a new deadline and optional evidence files (multipart ``evidence``)."""

        def perform(pk, data, version):
            review = child_of(Review, review_id, pk, "该台账没有这次回头看")
            ledger.record_review(
                review,
                actor=request.user,
                outcome=data["outcome"],
                findings=data["findings"],
                requirements=data["requirements"],
                new_due_date=data["new_due_date"],
                files=data.get("evidence", []),
                expected_version=version,
            )

        return self._act(request, s.ReviewOutcomeInput, perform)

    @extend_schema(
        request=s.AdvanceReviewInput,
        parameters=[IF_MATCH],
        responses=s.AssignmentDetailSerializer,
        operation_id="assignments_review_advance",
    )
    @action(detail=True, methods=["post"], url_path=r"reviews/(?P<review_id>[0-9]+)/advance")
    def advance_review(self, request, pk=None, review_id=None):
        """The office brings a pending review forward (提前回头看), with a reason; recorded in the trail."""

        def perform(pk, data, version):
            review = child_of(Review, review_id, pk, "该台账没有这次回头看")
            ledger.advance_review(
                review,
                actor=request.user,
                scheduled_for=data["scheduled_for"],
                reason=data["reason"],
                expected_version=version,
            )

        return self._act(request, s.AdvanceReviewInput, perform)

    @extend_schema(
        request=s.ExtensionInput, parameters=[IF_MATCH], responses={201: s.AssignmentDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def extensions(self, request, pk=None):
        """The liaison asks for a later deadline (延期申请); the original due date is kept."""

        def perform(pk, data, version):
            ledger.request_extension(
                pk,
                actor=request.user,
                new_due_date=data["new_due_date"],
                reason=data["reason"],
                expected_version=version,
            )

        return self._act(request, s.ExtensionInput, perform, created=True)

    @extend_schema(
        request=s.ExtensionDecisionInput, parameters=[IF_MATCH], responses=s.AssignmentDetailSerializer
    )
    @action(detail=True, methods=["post"], url_path=r"extensions/(?P<extension_id>[0-9]+)/decide")
    def decide_extension(self, request, pk=None, extension_id=None):
        """The unit's leader, then the office, approve or refuse an extension request (refusing needs ``note``)."""

        def perform(pk, data, version):
            extension = child_of(Extension, extension_id, pk, "该台账没有这项延期申请")
            ledger.decide_extension(
                extension,
                actor=request.user,
                approve=data["approve"],
                note=data["note"],
                expected_version=version,
            )

        return self._act(request, s.ExtensionDecisionInput, perform)

    @extend_schema(responses=s.AuditEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The audit entries of this assignment, oldest first: actor, time, action, before and after."""
        assignment = self._visible()
        entries = AuditEntry.objects.filter(assignment=assignment).select_related("actor").order_by("id")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(s.AuditEntrySerializer(page, many=True).data)


class EvidenceDownloadView(APIView):
    """An evidence file, streamed, only to users who may see its assignment (404 otherwise)."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        visible = Assignment.objects.visible_to(request.user).values("pk")
        item = get_object_or_404(Evidence.objects.filter(assignment__in=visible), pk=pk)
        try:
            handle = item.file.open("rb")
        except FileNotFoundError:
            raise NotFound("文件已不存在") from None
        # FileResponse writes the name as filename*=utf-8''… (RFC 6266) when it is not plain ASCII
        # and escapes quotes otherwise; control characters are dropped before it sees the name.
        name = "".join(ch for ch in item.original_name if ch.isprintable()) or f"evidence-{item.pk}"
        return FileResponse(handle, as_attachment=True, filename=name)

    def perform_content_negotiation(self, request, force=False):
        # A download may be asked for with any Accept header; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)
