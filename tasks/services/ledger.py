"""Services that carry an assignment through the ledger.

Views and API endpoints validate their input and call these; each runs in one
transaction, goes through ``transition()`` for status changes, and writes the
audit trail. A refused request raises a ``LedgerError`` and changes nothing.
"""

import datetime

from django.conf import settings
from django.db import transaction

from tasks import clock, events
from tasks.choices import DeadlineKind, ExtensionStatus, ReviewOutcome, SignOffStatus, Status
from tasks.models import Extension, ProgressReport, Review, SignOffRequest
from tasks.services import audit, evidence
from tasks.services.checks import (
    not_before_today,
    optional_text,
    require,
    required_date,
    required_text,
)
from tasks.services.errors import InvalidInput, InvalidTransition
from tasks.services.transitions import check_allowed, lock, transition
from tasks.weeks import BadWeek, clean_week, parse_week, today, week_start

REVIEW_AFTER_DAYS = (
    90  # an ongoing (长期坚持) item is looked at again this long after sign-off or a review that holds
)
EARLIEST_WEEK = datetime.date(2017, 7, 31)  # the plan's feedback date; no report before it


def _check_week(week: str) -> tuple[str, datetime.date]:
    """The week as the ledger writes it (``tasks.weeks.clean_week``) and its Monday."""
    try:
        week = clean_week(week)
    except BadWeek as exc:
        raise InvalidInput(str(exc), field="week") from None
    start = parse_week(week)
    if start < EARLIEST_WEEK - datetime.timedelta(days=7):
        raise InvalidInput(f"报送周 {week} 早于督察反馈（2017 年 7 月 30 日）", field="week")
    if start > today() + datetime.timedelta(days=7):
        raise InvalidInput(f"报送周 {week} 尚未到来", field="week")
    return week, start


def is_late(start: datetime.date) -> bool:
    """迟报: a report for a week before last week (the ledger's today, ``tasks.clock``) is accepted but marked."""
    return start < week_start(today()) - datetime.timedelta(days=7)


def _check_percent(percent) -> int:
    try:
        value = int(percent)
    except (TypeError, ValueError):
        raise InvalidInput("完成比例必须是 0 到 100 之间的整数", field="percent") from None
    if str(value) != str(percent).strip() and not isinstance(percent, int):
        raise InvalidInput("完成比例必须是 0 到 100 之间的整数", field="percent")
    if not 0 <= value <= 100:
        raise InvalidInput(f"完成比例 {value} 超出范围，应在 0 到 100 之间", field="percent")
    return value


def _check_measure_notes(notes, task) -> dict:
    if not notes:
        return {}
    if not isinstance(notes, dict):
        raise InvalidInput("措施进展格式不正确，应为 {措施序号: 进展}", field="measure_notes")
    numbers = set(task.measures.values_list("number", flat=True))
    clean = {}
    for key, value in notes.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            raise InvalidInput(f"措施序号“{key}”不正确", field="measure_notes") from None
        if number not in numbers:
            raise InvalidInput(f"任务{task.number}没有第 {number} 项措施", field="measure_notes")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"第 {number} 项措施的进展应为文字", field="measure_notes")
        text = optional_text(value, "measure_notes", f"第 {number} 项措施的进展")
        if text:
            clean[str(number)] = text
    return clean


def submit_report(
    assignment_id,
    *,
    actor,
    week,
    text,
    percent,
    measure_notes=None,
    files=(),
    drop_reason="",
    expected_version=None,
):
    """A liaison's weekly progress report; the first one starts the assignment.

    A percentage below the assignment's (the last report's, or 0 after a reopening) needs
    ``drop_reason`` (进度回调说明).
    """
    require(actor, "report")
    week, start = _check_week(week)
    percent = _check_percent(percent)
    text = required_text(text, "text", "本周进展")
    drop_reason = optional_text(drop_reason, "drop_reason", "进度回调说明")
    evidence.check_files(files)
    with transaction.atomic():
        assignment = lock(assignment_id, actor=actor, expected_version=expected_version)
        if percent < assignment.percent and not drop_reason:
            raise InvalidInput(
                f"完成比例由上次报送的 {assignment.percent}% 降为 {percent}%，请填写进度回调说明",
                field="drop_reason",
            )
        notes = _check_measure_notes(measure_notes, assignment.task)
        late = is_late(start)
        changes = {
            "percent": percent,
            "report_count": assignment.report_count + 1,  # the row's counters (``Assignment.report_count``)
            "late_report_count": assignment.late_report_count + int(late),
        }
        if assignment.last_report_week_start is None or start > assignment.last_report_week_start:
            changes["last_report_week_start"] = start
        assignment = transition(assignment.pk, "report", actor=actor, changes=changes, locked=assignment)
        report = ProgressReport.objects.create(
            assignment=assignment,
            week=week,
            text=text,
            percent=percent,
            measure_notes=notes,
            author=actor,
            late=late,
            drop_reason=drop_reason,
        )
        evidence.store(files, assignment=assignment, actor=actor, report=report)
        audit.record(
            actor=actor,
            action="create_report",
            instance=report,
            before=None,
            after=audit.snapshot(report),
            assignment=assignment,
        )
        events.emit("report.submitted", assignment=assignment, report=report)
    return report


def void_report(report_id, *, actor, reason, expected_version=None) -> ProgressReport:
    """Void a mistaken report (作废): its author within its week, or the office, with a reason.

    The report is kept (``voided_at``, ``voided_by``, ``void_reason``) and no figure counts it. The
    row's ``last_report_week_start`` becomes the latest week still reported; if the voided report
    gave the row its percentage, the percentage falls back to the newest remaining report's (made
    since the last reopening), else to 0. Both changes are audited.
    """
    require(actor, "void_report")
    reason = required_text(reason, "reason", "作废理由")
    with transaction.atomic():
        report = ProgressReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise InvalidInput("进展报送不存在", field="report")
        assignment = lock(report.assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "void_report", assignment, item=report)
        before = audit.snapshot(report)
        counted = report.voided_at is None
        report.voided_at, report.voided_by, report.void_reason = clock.now(), actor, reason
        report.save(update_fields=["voided_at", "voided_by", "void_reason"])
        audit.record(
            actor=actor,
            action="void_report",
            instance=report,
            before=before,
            after=audit.snapshot(report),
            assignment=assignment,
            note=reason,
        )
        remaining = ProgressReport.objects.filter(assignment=assignment, voided_at=None)
        newest = remaining.order_by("-created_at", "-pk").first()
        was_newest = not remaining.filter(created_at__gt=report.created_at).exists()
        fields = ["percent", "last_report_week_start", "version"]
        before_row = audit.snapshot(assignment, fields)
        weeks = [parse_week(week) for week in remaining.values_list("week", flat=True).distinct()]
        assignment.last_report_week_start = max(weeks, default=None)
        if was_newest:
            reopened = (
                Review.objects.filter(assignment=assignment, outcome=ReviewOutcome.RELAPSED)
                .order_by("-decided_at")
                .values_list("decided_at", flat=True)
                .first()
            )
            usable = newest is not None and (reopened is None or newest.created_at > reopened)
            assignment.percent = newest.percent if usable else 0
        assignment.version += 1
        if counted:  # the row's counters (``Assignment.report_count``): not audited, derived
            assignment.report_count = max(assignment.report_count - 1, 0)
            assignment.late_report_count = max(assignment.late_report_count - int(report.late), 0)
        assignment.save(update_fields=[*fields, "updated_at", "report_count", "late_report_count"])
        audit.record(
            actor=actor,
            action="void_report",
            instance=assignment,
            before=before_row,
            after=audit.snapshot(assignment, fields),
            assignment=assignment,
            note=reason,
        )
    return report


def request_signoff(assignment_id, *, actor, summary, files=(), expected_version=None):
    require(actor, "request_signoff")
    summary = required_text(summary, "summary", "整改情况说明")
    if not files:
        raise InvalidInput("申请销号须附至少一份佐证材料", field="evidence")
    evidence.check_files(files)
    with transaction.atomic():
        assignment = transition(
            assignment_id, "request_signoff", actor=actor, expected_version=expected_version
        )
        request = SignOffRequest.objects.create(
            assignment=assignment, phase=assignment.phase, summary=summary, requested_by=actor
        )
        evidence.store(files, assignment=assignment, actor=actor, signoff=request)
        audit.record(
            actor=actor,
            action="create_signoff",
            instance=request,
            before=None,
            after=audit.snapshot(request),
            assignment=assignment,
        )
        events.emit("signoff.requested", assignment=assignment, signoff=request)
    return request


def _open_request(assignment) -> SignOffRequest:
    request = SignOffRequest.objects.select_for_update().open_for(assignment)
    if request is None:
        raise InvalidTransition("没有待审核的销号申请")
    return request


def approve(assignment_id, *, actor, opinion="", expected_version=None) -> SignOffRequest:
    """First check by the unit leader, second check by the office; whoever the state calls for."""
    opinion = optional_text(opinion, "opinion", "审核意见")
    with transaction.atomic():
        current = lock(assignment_id, actor=actor, expected_version=expected_version)
        check_allowed(current, "approve", actor)  # the table's answer before "no open request"
        request = _open_request(current)
        before = audit.snapshot(request)
        now = clock.now()
        if current.status == Status.SIGNOFF_REQUESTED:
            transition(current.pk, "approve", actor=actor, note=opinion)
            request.status = SignOffStatus.UNIT_VERIFIED
            request.unit_checked_by, request.unit_checked_at, request.unit_opinion = actor, now, opinion
        else:
            changes = {"signed_off_at": now}
            ongoing = _is_ongoing(current)
            if ongoing:
                # 长期坚持: the sign-off closes the request's phase and opens the next, watched by a review.
                request.phase = current.phase
                changes["phase"] = current.phase + 1
                changes["next_review_date"] = _review_date()
            assignment = transition(current.pk, "approve", actor=actor, note=opinion, changes=changes)
            request.status = SignOffStatus.APPROVED
            request.office_checked_by, request.office_checked_at, request.office_opinion = actor, now, opinion
            if ongoing:
                _schedule_next_review(
                    assignment, actor, f"长期坚持类任务第 {request.phase} 阶段销号后自动安排回头看"
                )
        request.save()
        audit.record(
            actor=actor,
            action="check_signoff",
            instance=request,
            before=before,
            after=audit.snapshot(request),
            assignment=current,
            note=opinion,
        )
        # In this transaction: the people concerned are told (dispatch) and, once signed off, a listed
        # row's listing is lifted (accountability); both listen to tasks.events.
        events.emit(
            _SIGNOFF_EVENT[request.status, "approve"], assignment=current, signoff=request, actor=actor
        )
    return request


# The event a check emits (dispatch/events.py): by the request's state after an approval, the stage before a rejection.
_SIGNOFF_EVENT = {
    (SignOffStatus.UNIT_VERIFIED, "approve"): "signoff.unit_approved",
    (SignOffStatus.APPROVED, "approve"): "signoff.approved",
    (Status.SIGNOFF_REQUESTED, "reject"): "signoff.unit_rejected",
    (Status.UNIT_VERIFIED, "reject"): "signoff.rejected",
}


def _is_ongoing(assignment) -> bool:
    return assignment.task.deadline_kind == DeadlineKind.IMMEDIATE_ONGOING


def _review_date() -> datetime.date:
    """The next look-back: ``REVIEW_AFTER_DAYS`` after today (``tasks.weeks.today``, which a demo may pin)."""
    return today() + datetime.timedelta(days=REVIEW_AFTER_DAYS)


def _schedule_next_review(assignment, actor, note: str) -> Review:
    """The review that watches an ongoing assignment's open phase, on its ``next_review_date`` (audited)."""
    review = Review.objects.create(
        assignment=assignment, scheduled_for=assignment.next_review_date, scheduled_by=actor
    )
    audit.record(
        actor=actor,
        action="schedule_review",
        instance=review,
        before=None,
        after=audit.snapshot(review),
        assignment=assignment,
        note=note,
    )
    return review


def reject(assignment_id, *, actor, reason, expected_version=None) -> SignOffRequest:
    reason = required_text(reason, "reason", "退回理由")
    with transaction.atomic():
        current = lock(assignment_id, actor=actor, expected_version=expected_version)
        check_allowed(current, "reject", actor)
        request = _open_request(current)
        before = audit.snapshot(request)
        stage = current.status
        transition(current.pk, "reject", actor=actor, note=reason)
        now = clock.now()
        if stage == Status.SIGNOFF_REQUESTED:
            request.unit_checked_by, request.unit_checked_at, request.unit_opinion = actor, now, reason
        else:
            request.office_checked_by, request.office_checked_at, request.office_opinion = actor, now, reason
        request.status = SignOffStatus.REJECTED
        request.rejection_reason = reason
        request.save()
        audit.record(
            actor=actor,
            action="check_signoff",
            instance=request,
            before=before,
            after=audit.snapshot(request),
            assignment=current,
            note=reason,
        )
        events.emit(_SIGNOFF_EVENT[stage, "reject"], assignment=current, signoff=request)
    return request


def withdraw_signoff(assignment_id, *, actor, reason="", expected_version=None) -> SignOffRequest:
    """The liaison withdraws the open sign-off request (at either check): 已撤回, the row back to 整改中."""
    require(actor, "withdraw_signoff")
    reason = optional_text(reason, "reason", "撤回说明")
    with transaction.atomic():
        current = lock(assignment_id, actor=actor, expected_version=expected_version)
        check_allowed(current, "withdraw_signoff", actor)
        request = _open_request(current)
        before = audit.snapshot(request)
        transition(current.pk, "withdraw_signoff", actor=actor, note=reason)
        request.status, request.withdrawn_by, request.withdrawn_at = (
            SignOffStatus.WITHDRAWN,
            actor,
            clock.now(),
        )
        request.withdraw_reason = reason
        request.save()
        audit.record(
            actor=actor,
            action="withdraw_signoff",
            instance=request,
            before=before,
            after=audit.snapshot(request),
            assignment=current,
            note=reason,
        )
    return request


def withdraw_extension(extension_id, *, actor, reason="", expected_version=None) -> Extension:
    """The liaison withdraws an extension request still waiting for the unit's leader or the office."""
    require(actor, "withdraw_extension")
    reason = optional_text(reason, "reason", "撤回说明")
    with transaction.atomic():
        extension = Extension.objects.select_for_update().filter(pk=extension_id).first()
        if extension is None:
            raise InvalidInput("延期申请不存在", field="extension")
        assignment = lock(extension.assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "withdraw_extension", assignment, item=extension)
        before = audit.snapshot(extension)
        extension.status, extension.withdrawn_by, extension.withdrawn_at = (
            ExtensionStatus.WITHDRAWN,
            actor,
            clock.now(),
        )
        extension.withdraw_reason = reason
        extension.save()
        audit.record(
            actor=actor,
            action="withdraw_extension",
            instance=extension,
            before=before,
            after=audit.snapshot(extension),
            assignment=assignment,
            note=reason,
        )
    return extension


def schedule_review(assignment_id, *, actor, scheduled_for, expected_version=None) -> Review:
    require(actor, "schedule_review")
    not_before_today(
        required_date(scheduled_for, "scheduled_for", "计划检查日期"), "scheduled_for", "回头看日期"
    )
    with transaction.atomic():
        assignment = lock(assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "schedule_review", assignment)
        review = Review.objects.create(assignment=assignment, scheduled_for=scheduled_for, scheduled_by=actor)
        before = audit.snapshot(assignment, ["next_review_date"])
        assignment.next_review_date = scheduled_for
        assignment.save(update_fields=["next_review_date", "updated_at"])
        # The row's own change, so that the ledger can be rebuilt from the trail (verify_audit).
        audit.record(
            actor=actor,
            action="next_review_date",
            instance=assignment,
            before=before,
            after=audit.snapshot(assignment, ["next_review_date"]),
            assignment=assignment,
        )
        audit.record(
            actor=actor,
            action="schedule_review",
            instance=review,
            before=None,
            after=audit.snapshot(review),
            assignment=assignment,
        )
        events.emit("review.scheduled", assignment=assignment, review=review)
    return review


def advance_review(review_id, *, actor, scheduled_for, reason, expected_version=None) -> Review:
    """The office brings a pending look-back review forward (提前回头看): a date from today on, before
    the planned one, with a reason; the review's and the assignment's dates change, audited."""
    require(actor, "advance_review")
    scheduled_for = not_before_today(
        required_date(scheduled_for, "scheduled_for", "提前后的检查日期"), "scheduled_for", "提前后的检查日期"
    )
    reason = required_text(reason, "reason", "提前理由")
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise InvalidInput("回头看记录不存在", field="review")
        assignment = lock(review.assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "advance_review", assignment, item=review)
        if scheduled_for >= review.scheduled_for:
            raise InvalidInput(
                f"提前后的日期须早于原计划日期 {review.scheduled_for:%Y-%m-%d}", field="scheduled_for"
            )
        before = audit.snapshot(review)
        review.scheduled_for = scheduled_for
        review.save(update_fields=["scheduled_for"])
        audit.record(
            actor=actor,
            action="advance_review",
            instance=review,
            before=before,
            after=audit.snapshot(review),
            assignment=assignment,
            note=reason,
        )
        before_row = audit.snapshot(assignment, ["next_review_date", "version"])
        assignment.next_review_date = scheduled_for
        assignment.version += 1
        assignment.save(update_fields=["next_review_date", "version", "updated_at"])
        audit.record(
            actor=actor,
            action="next_review_date",
            instance=assignment,
            before=before_row,
            after=audit.snapshot(assignment, ["next_review_date", "version"]),
            assignment=assignment,
            note=reason,
        )
    return review


def record_review(
    review_id,
    *,
    actor,
    outcome,
    findings="",
    requirements="",
    new_due_date=None,
    files=(),
    expected_version=None,
) -> Review:
    """Record a review's outcome; a relapse (问题反弹) reopens the assignment.

    A relapse carries the findings, the office's 整改要求 (``requirements``) and a new deadline
    (``new_due_date``, from today on: the row's ``extended_due_date``; the plan's ``due_date``
    stays), resets the percentage to 0, and may carry photos and files as evidence of the relapse.
    """
    require(actor, "record_review")
    if outcome not in (ReviewOutcome.HOLDS, ReviewOutcome.RELAPSED):
        raise InvalidInput("回头看结论只能是 holds（巩固）或 relapsed（反弹）", field="outcome")
    findings = optional_text(findings, "findings", "检查情况")
    requirements = optional_text(requirements, "requirements", "整改要求")
    relapsed = outcome == ReviewOutcome.RELAPSED
    if relapsed:
        if not findings:
            raise InvalidInput("问题反弹须写明检查情况", field="findings")
        if not requirements:
            raise InvalidInput("问题反弹须提出整改要求", field="requirements")
        not_before_today(
            required_date(new_due_date, "new_due_date", "重新整改期限"), "new_due_date", "重新整改期限"
        )
        evidence.check_files(files)
    elif files or requirements or new_due_date:
        raise InvalidInput("整改要求、重新整改期限和佐证材料仅在问题反弹时填写", field="outcome")
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise InvalidInput("回头看记录不存在", field="review")
        assignment = lock(review.assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "record_review", assignment, item=review)
        before = audit.snapshot(review)
        now = clock.now()
        review.outcome, review.findings = outcome, findings
        review.requirements, review.new_due_date = requirements, new_due_date if relapsed else None
        review.decided_by, review.decided_at = actor, now
        review.save()
        if relapsed:
            changes = {"next_review_date": None, "percent": 0, "extended_due_date": new_due_date}
            transition(assignment.pk, "relapse", actor=actor, note=findings, changes=changes)
            evidence.store(files, assignment=assignment, actor=actor, review=review)
        else:
            # 长期坚持: the work goes on, so does the watch; any other row is done with reviews for now.
            before_row = audit.snapshot(assignment, ["next_review_date"])
            assignment.next_review_date = _review_date() if _is_ongoing(assignment) else None
            assignment.save(update_fields=["next_review_date", "updated_at"])
            after_row = audit.snapshot(assignment, ["next_review_date"])
            if after_row != before_row:
                audit.record(
                    actor=actor,
                    action="next_review_date",
                    instance=assignment,
                    before=before_row,
                    after=after_row,
                    assignment=assignment,
                )
        audit.record(
            actor=actor,
            action="record_review",
            instance=review,
            before=before,
            after=audit.snapshot(review),
            assignment=assignment,
            note=findings,
        )
        events.emit("review.recorded", assignment=assignment, review=review)
        if outcome == ReviewOutcome.HOLDS and _is_ongoing(assignment):
            _schedule_next_review(assignment, actor, "长期坚持类任务回头看巩固后自动安排下一次回头看")
    return review


def _check_extension_reason(reason) -> str:
    reason = required_text(reason, "reason", "延期理由")
    least = settings.EXTENSION_REASON_MIN_CHARS
    if len("".join(reason.split())) < least:
        raise InvalidInput(
            f"延期理由过于简略（至少 {least} 个字），请写明不能按期完成的原因和下一步安排", field="reason"
        )
    return reason


def request_extension(assignment_id, *, actor, new_due_date, reason, expected_version=None) -> Extension:
    """A liaison asks for a later deadline: the unit's leader decides first, then the office.

    The date must be later than the current (effective) deadline and at most
    ``settings.EXTENSION_MAX_DAYS`` beyond it; the reason at least ``EXTENSION_REASON_MIN_CHARS`` characters.
    """
    require(actor, "request_extension")
    reason = _check_extension_reason(reason)
    if not isinstance(new_due_date, datetime.date):
        raise InvalidInput("请填写申请延期至的日期（YYYY-MM-DD）", field="new_due_date")
    with transaction.atomic():
        assignment = lock(assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "request_extension", assignment)
        current_due = assignment.effective_due_date
        if new_due_date <= current_due:
            raise InvalidInput(f"延期日期须晚于当前期限 {current_due:%Y-%m-%d}", field="new_due_date")
        latest = current_due + datetime.timedelta(days=settings.EXTENSION_MAX_DAYS)
        if new_due_date > latest:
            raise InvalidInput(
                f"延期日期不能晚于当前期限后 {settings.EXTENSION_MAX_DAYS} 天（{latest:%Y-%m-%d}）",
                field="new_due_date",
            )
        extension = Extension.objects.create(
            assignment=assignment, new_due_date=new_due_date, reason=reason, requested_by=actor
        )
        audit.record(
            actor=actor,
            action="request_extension",
            instance=extension,
            before=None,
            after=audit.snapshot(extension),
            assignment=assignment,
        )
        events.emit("extension.requested", assignment=assignment, extension=extension)
    return extension


def decide_extension(extension_id, *, actor, approve: bool, note="", expected_version=None) -> Extension:
    """The unit's leader, then the office, decide an extension request; refusing needs a reason.

    The unit leader's approval sends the request on to the office (待督察办审批); the office's
    approval sets the assignment's ``extended_due_date``. A refusal at either stage closes it.
    """
    require(actor, "decide_extension")
    note = optional_text(note, "note", "审批意见")
    if not approve and not note:
        raise InvalidInput("不批准延期须写明理由", field="note")
    with transaction.atomic():
        extension = Extension.objects.select_for_update().filter(pk=extension_id).first()
        if extension is None:
            raise InvalidInput("延期申请不存在", field="extension")
        assignment = lock(extension.assignment_id, actor=actor, expected_version=expected_version)
        require(actor, "decide_extension", assignment, item=extension)
        before = audit.snapshot(extension)
        now = clock.now()
        unit_stage = extension.status == ExtensionStatus.PENDING
        if unit_stage:
            extension.unit_decided_by, extension.unit_decided_at, extension.unit_note = actor, now, note
            extension.status = ExtensionStatus.UNIT_APPROVED if approve else ExtensionStatus.REFUSED
        else:
            extension.decided_by, extension.decided_at, extension.decision_note = actor, now, note
            extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        extension.save()
        audit.record(
            actor=actor,
            action="decide_extension",
            instance=extension,
            before=before,
            after=audit.snapshot(extension),
            assignment=assignment,
            note=note,
        )
        if extension.status == ExtensionStatus.APPROVED:
            before_a = audit.snapshot(assignment, ["extended_due_date", "version"])
            assignment.extended_due_date = extension.new_due_date
            assignment.version += 1
            assignment.save(update_fields=["extended_due_date", "version", "updated_at"])
            audit.record(
                actor=actor,
                action="extend_deadline",
                instance=assignment,
                before=before_a,
                after=audit.snapshot(assignment, ["extended_due_date", "version"]),
                assignment=assignment,
            )
        # The unit leader's approval sends it on to the office; any other decision closes the request.
        name = (
            "extension.unit_approved"
            if extension.status == ExtensionStatus.UNIT_APPROVED
            else "extension.decided"
        )
        events.emit(name, assignment=assignment, extension=extension)
    return extension


def extension_message(extension) -> str:
    """What the decision was, in the words the pages show after it."""
    if extension.status == ExtensionStatus.UNIT_APPROVED:
        return "单位负责人已同意延期申请，已报省督察办审批"
    if extension.status == ExtensionStatus.APPROVED:
        return f"省督察办已批准延期至 {extension.new_due_date:%Y-%m-%d}"
    who = "省督察办" if extension.decided_at else "单位负责人"
    return f"{who}未批准延期申请"
