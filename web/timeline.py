"""An assignment's history for the pages: reports, checks, reviews and extensions, newest first.

``with_history`` prefetches everything a timeline needs for any number of
assignments in a fixed number of queries; ``timeline`` then reads only the
prefetched rows.
"""

from dataclasses import dataclass, field

from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus
from tasks.weeks import week_title


def with_history(assignments):
    """The queryset with everything a timeline reads prefetched (``AssignmentQuerySet.with_history``)."""
    return assignments.with_history()


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


def _report_events(assignment):
    for report in assignment.reports.all():
        notes = [
            (f"措施{number}", note)
            for number, note in sorted(report.measure_notes.items(), key=lambda kv: int(kv[0]))
        ]
        yield Event(
            report.created_at,
            "report",
            f"报送进展 · {week_title(report.week)} · 完成 {report.percent}%",
            person(report.author),
            report.text,
            notes,
            list(report.evidence.all()),
        )


def _signoff_events(assignment):
    for request in assignment.signoffs.all():
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
    for review in assignment.reviews.all():
        yield Event(
            review.scheduled_at,
            "review",
            f"安排回头看 · 计划 {review.scheduled_for:%Y-%m-%d}",
            person(review.scheduled_by),
        )
        if review.outcome != ReviewOutcome.PENDING:
            yield Event(
                review.decided_at,
                "review",
                f"回头看结论：{review.get_outcome_display()}",
                person(review.decided_by),
                review.findings,
            )


def _extension_events(assignment):
    for extension in assignment.extensions.all():
        yield Event(
            extension.requested_at,
            "extension",
            f"申请延期至 {extension.new_due_date:%Y-%m-%d}",
            person(extension.requested_by),
            extension.reason,
        )
        if extension.status != ExtensionStatus.PENDING:
            yield Event(
                extension.decided_at,
                "extension",
                f"延期申请{extension.get_status_display()}",
                person(extension.decided_by),
                extension.decision_note,
            )


def timeline(assignment) -> list[Event]:
    events = [
        *_report_events(assignment),
        *_signoff_events(assignment),
        *_review_events(assignment),
        *_extension_events(assignment),
    ]
    return sorted(events, key=lambda e: e.at, reverse=True)
