"""An assignment's history for the pages: reports, checks, reviews, extensions and 领导批示, newest first.

``with_history`` prefetches everything a timeline needs for any number of
assignments in a fixed number of queries; ``timeline`` then reads only the
prefetched rows.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus
from tasks.models.ledger import review_evidence
from tasks.weeks import week_title


def with_history(assignments):
    """The queryset with everything a timeline reads prefetched (``AssignmentQuerySet.with_history``;
    a page's rows showing their newest events only: ``tasks.models.recent.read_recent``)."""
    return assignments.with_history()


def _kind(assignment, name: str):
    """The row's prefetched ``name`` (reports, signoffs, …): the newest few when they were read by
    ``tasks.models.recent.read_recent``, else all of them."""
    recent = getattr(assignment, f"recent_{name}", None)
    return recent if recent is not None else getattr(assignment, name).all()


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


@dataclass
class Event:
    at: object
    kind: str  # report, signoff, check, review, extension: the CSS class and the icon
    title: str
    actor: str = ""
    text: str = ""
    details: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    report: object = None  # the progress report of a report event (the page offers to void it)
    voided: str = ""  # "已作废：理由（谁，何时）" for a voided report, shown struck through
    void_form: object = None  # the page's form to void this report, when the reader may


def _report_events(assignment):
    for report in _kind(assignment, "reports"):
        notes = [
            (f"措施{number}", note)
            for number, note in sorted(report.measure_notes.items(), key=lambda kv: int(kv[0]))
        ]
        if report.drop_reason:
            notes.insert(0, ("进度回调说明", report.drop_reason))
        voided = ""
        if report.voided_at:
            when = timezone.localtime(report.voided_at)
            voided = f"已作废：{report.void_reason}（{person(report.voided_by)}，{when:%Y-%m-%d %H:%M}）"
        yield Event(
            report.created_at,
            "report",
            f"报送进展 · {week_title(report.week)} · 完成 {report.percent}%"
            + ("（迟报）" if report.late else ""),
            person(report.author),
            report.text,
            notes,
            list(report.evidence.all()),
            report=report,
            voided=voided,
        )


def _signoff_events(assignment):
    for request in _kind(assignment, "signoffs"):
        yield Event(
            request.requested_at,
            "signoff",
            f"申请销号（第 {request.phase} 阶段）",
            person(request.requested_by),
            request.summary,
            evidence=list(request.evidence.all()),
        )
        if request.unit_checked_at:
            passed = request.status != SignOffStatus.REJECTED or request.office_checked_at is not None
            yield Event(
                request.unit_checked_at,
                "check",
                "单位审核通过" if passed else "单位审核退回",
                person(request.unit_checked_by),
                request.unit_opinion,
            )
        if request.withdrawn_at:
            yield Event(
                request.withdrawn_at,
                "signoff",
                "撤回销号申请",
                person(request.withdrawn_by),
                request.withdraw_reason,
            )
        if request.office_checked_at:
            passed = request.status == SignOffStatus.APPROVED
            yield Event(
                request.office_checked_at,
                "check",
                "督察办审核销号" if passed else "督察办审核退回",
                person(request.office_checked_by),
                request.office_opinion,
            )


def _review_events(assignment):
    for review in _kind(assignment, "reviews"):
        yield Event(
            review.scheduled_at,
            "review",
            f"安排回头看 · 计划 {review.scheduled_for:%Y-%m-%d}",
            person(review.scheduled_by),
        )
        if review.outcome != ReviewOutcome.PENDING:
            details = []
            if review.requirements:
                details.append(("整改要求", review.requirements))
            if review.new_due_date:
                details.append(("重新整改期限", f"{review.new_due_date:%Y-%m-%d}"))
            yield Event(
                review.decided_at,
                "review",
                f"回头看结论：{review.get_outcome_display()}"
                + ("，重新整改" if review.outcome == ReviewOutcome.RELAPSED else ""),
                person(review.decided_by),
                review.findings,
                details,
                review_evidence(review),
            )


def _extension_events(assignment):
    for extension in _kind(assignment, "extensions"):
        yield Event(
            extension.requested_at,
            "extension",
            f"申请延期至 {extension.new_due_date:%Y-%m-%d}",
            person(extension.requested_by),
            extension.reason,
        )
        if extension.withdrawn_at:
            yield Event(
                extension.withdrawn_at,
                "extension",
                "撤回延期申请",
                person(extension.withdrawn_by),
                extension.withdraw_reason,
            )
        if extension.unit_decided_at:
            yield Event(
                extension.unit_decided_at,
                "extension",
                "单位负责人同意延期申请"
                if extension.decided_at or extension.status != ExtensionStatus.REFUSED
                else "单位负责人未同意延期申请",
                person(extension.unit_decided_by),
                extension.unit_note,
            )
        if extension.decided_at:
            yield Event(
                extension.decided_at,
                "extension",
                f"延期申请{extension.get_status_display()}",
                person(extension.decided_by),
                extension.decision_note,
            )


def _instruction_events(instructions):
    """领导批示 on the row or its task (``dispatch.instructions.for_assignment``) and the unit's replies."""
    for item in instructions:
        scope = "本项台账" if item.assignment_id else "整项任务"
        yield Event(item.created_at, "instruction", f"领导批示（{scope}）", person(item.author), item.text)
        for answer in item.replies.all():
            yield Event(
                answer.created_at,
                "instruction",
                f"回复批示 · {answer.unit.name}",
                person(answer.author),
                answer.text,
            )


def timeline(assignment, instructions=()) -> list[Event]:
    """The row's history, newest first; ``instructions`` (prefetched with their replies) joins it."""
    events = [
        *_report_events(assignment),
        *_signoff_events(assignment),
        *_review_events(assignment),
        *_extension_events(assignment),
        *_instruction_events(instructions),
    ]
    return sorted(events, key=lambda e: e.at, reverse=True)
