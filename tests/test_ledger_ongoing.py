"""长期坚持 (immediate_ongoing) tasks: a sign-off closes a phase, never the watch.

Each office sign-off closes the phase its request was made in and opens the next; a look-back
review (回头看) follows 90 days later, and every review that finds the work holding schedules the
next one, 90 days after it. A relapse reopens the row and the next sign-off closes the next phase.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.choices import ReviewOutcome, SignOffStatus, Status
from tasks.clock import SHANGHAI, frozen_at
from tasks.models import AuditEntry, Review
from tasks.services import ledger
from tasks.services.audit import verify_chain
from tests.helpers import row

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date, hour=10):
    return frozen_at(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI))


def signed_off(number, day, liaison, unit_leader, office):
    """Report, request, both checks, the office's on ``day``; returns the approved request."""
    a = row(number)
    with at(day - datetime.timedelta(days=3)):
        ledger.submit_report(a.pk, actor=liaison, week="2017-W41", text="长效机制已建立", percent=100)
        ledger.request_signoff(
            a.pk,
            actor=liaison,
            summary="已建立长效机制",
            files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 ok", content_type="application/pdf")],
        )
        ledger.approve(a.pk, actor=unit_leader, opinion="同意")
    with at(day):
        return ledger.approve(a.pk, actor=office, opinion="同意销号")


def pending(assignment):
    return list(Review.objects.filter(assignment=assignment, outcome=ReviewOutcome.PENDING))


def actions(assignment):
    return list(
        AuditEntry.objects.filter(assignment=assignment).order_by("id").values_list("action", flat=True)
    )


def test_the_sign_off_of_an_ongoing_task_closes_its_phase_and_schedules_a_review(
    liaison, unit_leader, office, api
):
    assert row(51).task.deadline_kind == "immediate_ongoing"

    request = signed_off(51, D(2017, 10, 27), liaison, unit_leader, office)

    a = row(51)
    request.refresh_from_db()
    assert (request.status, request.phase) == (SignOffStatus.APPROVED, 1)
    assert (a.status, a.phase, a.next_review_date) == (Status.SIGNED_OFF, 2, D(2018, 1, 25))
    assert [r.scheduled_for for r in pending(a)] == [D(2018, 1, 25)]
    approval = AuditEntry.objects.filter(assignment=a, action="approve").order_by("id").last()
    assert (approval.before["phase"], approval.after["phase"]) == (1, 2)
    assert (approval.before["next_review_date"], approval.after["next_review_date"]) == (None, "2018-01-25")
    assert actions(a)[-2:] == ["schedule_review", "check_signoff"]
    # Still in the ledger, with its next step for the office.
    listed = api(office).get("/api/assignments/?task=51&unit=晋中市").json()["results"]
    assert [(r["status"], r["phase"], r["next_review_date"], r["allowed_actions"]) for r in listed] == [
        ("signed_off", 2, "2018-01-25", ["record_review"])
    ]


def test_a_review_that_holds_schedules_the_next_one_and_a_relapse_opens_a_new_phase(
    liaison, unit_leader, office
):
    signed_off(51, D(2017, 10, 27), liaison, unit_leader, office)
    a = row(51)

    with at(D(2018, 1, 25)):
        first = ledger.record_review(pending(a)[0].pk, actor=office, outcome="holds", findings="未见反弹")

    a = row(51)
    assert first.outcome == ReviewOutcome.HOLDS
    assert (a.status, a.phase, a.next_review_date) == (Status.SIGNED_OFF, 2, D(2018, 4, 25))
    assert [r.scheduled_for for r in pending(a)] == [D(2018, 4, 25)]
    assert actions(a)[-3:] == ["next_review_date", "record_review", "schedule_review"]
    moved = AuditEntry.objects.filter(assignment=a, action="next_review_date").get()
    assert (moved.before, moved.after, moved.actor) == (
        {"id": a.pk, "next_review_date": "2018-01-25"},
        {"id": a.pk, "next_review_date": "2018-04-25"},
        office,
    )

    with at(D(2018, 4, 25)):
        ledger.record_review(
            pending(a)[0].pk,
            actor=office,
            outcome="relapsed",
            findings="盗伐反弹",
            requirements="限期整改到位，报送整改情况",
            new_due_date=D(2018, 6, 30),
        )
        assert (row(51).status, row(51).next_review_date, pending(a)) == (Status.REOPENED, None, [])
    again = signed_off(51, D(2018, 5, 30), liaison, unit_leader, office)

    a = row(51)
    assert again.phase == 2
    assert (a.status, a.phase, a.next_review_date) == (Status.SIGNED_OFF, 3, D(2018, 8, 28))
    assert [r.scheduled_for for r in pending(a)] == [D(2018, 8, 28)]
    assert verify_chain()[1] is None


def test_the_next_review_counts_from_the_ledgers_today_not_the_wall_clock(
    liaison, unit_leader, office, settings
):
    signed_off(51, D(2017, 10, 27), liaison, unit_leader, office)
    settings.RECTIFY_TODAY = D(2018, 1, 25)  # a pinned day (the demo's); the real clock is years later

    ledger.record_review(pending(row(51))[0].pk, actor=office, outcome="holds", findings="未见反弹")

    a = row(51)
    assert a.next_review_date == D(2018, 4, 25) and [r.scheduled_for for r in pending(a)] == [D(2018, 4, 25)]


def test_a_dated_task_keeps_its_phase_and_a_review_that_holds_ends_the_reviews(liaison, unit_leader, office):
    assert row(17).task.deadline_kind == "dated"
    request = signed_off(17, D(2017, 10, 27), liaison, unit_leader, office)
    a = row(17)
    assert (request.phase, a.phase, a.next_review_date, pending(a)) == (1, 1, None, [])

    with at(D(2017, 11, 1)):
        review = ledger.schedule_review(a.pk, actor=office, scheduled_for=D(2018, 3, 1))
    with at(D(2018, 3, 1)):
        ledger.record_review(review.pk, actor=office, outcome="holds")

    a = row(17)
    assert (a.status, a.phase, a.next_review_date, pending(a)) == (Status.SIGNED_OFF, 1, None, [])
    assert actions(a)[-2:] == ["next_review_date", "record_review"]
