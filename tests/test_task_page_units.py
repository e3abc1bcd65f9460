"""The task page at county scale: a page of units at a time, each with its newest events, in a fixed
number of queries; the whole timeline stays one click away on the assignment's page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Assignment, Unit
from tasks.services import ledger
from tests.helpers import client_for, row
from web.views.ledger import TASK_TIMELINE_EVENTS, TASK_UNITS_PER_PAGE

pytestmark = pytest.mark.django_db


def hand_down(task_id: int, counties: int) -> list[Assignment]:
    """``counties`` counties of 晋中市 made responsible for the task too (a city handing its row down)."""
    city = Unit.objects.get(name="晋中市")
    units = Unit.objects.bulk_create(
        Unit(name=f"晋中市模拟县{i:03d}", kind="county", parent=city) for i in range(counties)
    )
    template = Assignment.objects.get(task_id=task_id, unit=city)
    return Assignment.objects.bulk_create(
        Assignment(task_id=task_id, unit=unit, due_date=template.due_date) for unit in units
    )


def page(user, task_id: int, number: int = 1):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(f"/tasks/{task_id}/?page={number}")
    assert response.status_code == 200
    return response, len(queries)


def test_a_task_of_many_units_is_paged_and_each_unit_shows_its_newest_events(office, liaison):
    mine = row(17, "晋中市")
    weeks = [f"2017-W{n}" for n in range(36, 36 + TASK_TIMELINE_EVENTS + 2)]
    for n, week in enumerate(weeks):
        ledger.submit_report(mine.pk, actor=liaison, week=week, text=f"第{n + 1}次进展", percent=10 * (n + 1))
    hand_down(mine.task_id, TASK_UNITS_PER_PAGE + 5)
    units = Assignment.objects.filter(task_id=mine.task_id).count()

    first, _ = page(office, mine.task_id)
    assert first.context["page"].paginator.count == units
    shown = first.context["rows"]
    assert len(shown) == TASK_UNITS_PER_PAGE
    assignment, events, total = next(r for r in shown if r[0].pk == mine.pk)
    # the newest events only, newest first, and a link to the rest with the count of every record
    assert [e.text for e in events] == [
        f"第{n}次进展" for n in range(len(weeks), len(weeks) - TASK_TIMELINE_EVENTS, -1)
    ]
    assert total == len(weeks)
    body = first.content.decode()
    assert f'href="/assignments/{mine.pk}/"' in body and f"共 {len(weeks)} 项" in body
    assert "第1次进展" not in body  # the oldest report is on the assignment's page only
    assert "第1次进展" in client_for(office).get(f"/assignments/{mine.pk}/").content.decode()

    second, _ = page(office, mine.task_id, 2)
    rest = [a.pk for a, _, _ in second.context["rows"]]
    assert len(rest) == units - TASK_UNITS_PER_PAGE
    assert not set(rest) & {a.pk for a, _, _ in shown}
    # a unit with fewer events than the page shows offers no "more" link
    assert all(total == 0 for _, _, total in second.context["rows"])

    # a liaison still sees only the unit's own row, unpaged
    own, _ = page(liaison, mine.task_id)
    assert [a.pk for a, _, _ in own.context["rows"]] == [mine.pk]


def test_the_task_page_runs_the_same_queries_for_two_units_and_for_a_hundred(office, liaison):
    few = row(3, "晋中市")  # task 3: 晋中市 and 长治市
    many = row(17, "晋中市")
    for a in (few, many):
        ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="推进", percent=20)
    hand_down(many.task_id, 100)
    _, two = page(office, few.task_id)
    response, hundred = page(office, many.task_id)
    assert len(response.context["rows"]) == TASK_UNITS_PER_PAGE
    assert two == hundred


@pytest.mark.today()
def test_each_unit_shows_the_newest_events_of_its_whole_timeline(liaison, unit_leader, office, evidence_pdf):
    """Every kind of history with its evidence (a report's, a sign-off request's, a relapse's): the
    task page's events of a row are the newest of the timeline its own page reads in full."""
    import datetime

    from tasks.choices import ReviewOutcome
    from tests.helpers import PINNED_DAY

    rows = Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False).order_by(
        "task__number"
    )
    signed, extending = rows[0], rows[1]
    ledger.submit_report(
        signed.pk, actor=liaison, week="2017-W46", text="推进", percent=50, files=[evidence_pdf()]
    )
    ledger.submit_report(signed.pk, actor=liaison, week="2017-W48", text="整改推进", percent=90)
    ledger.request_signoff(signed.pk, actor=liaison, summary="已完成整改", files=[evidence_pdf()])
    ledger.approve(signed.pk, actor=unit_leader)
    ledger.approve(signed.pk, actor=office)
    review = ledger.schedule_review(signed.pk, actor=office, scheduled_for=PINNED_DAY)
    ledger.record_review(
        review.pk,
        actor=office,
        outcome=ReviewOutcome.RELAPSED,
        findings="污水直排复现",
        requirements="立即封堵直排口",
        new_due_date=PINNED_DAY + datetime.timedelta(days=40),
        files=[evidence_pdf()],
    )
    ledger.submit_report(
        extending.pk, actor=liaison, week="2017-W47", text="施工", percent=30, files=[evidence_pdf()]
    )
    ledger.request_extension(
        extending.pk,
        actor=liaison,
        new_due_date=extending.effective_due_date + datetime.timedelta(days=90),
        reason="跨年施工，冬季无法浇筑混凝土，开春后复工",
    )

    def seen(e):
        return (e.at, e.kind, e.title, e.actor, e.text, e.details, [f.pk for f in e.evidence], e.voided)

    kinds = set()
    for a in (signed, extending):
        response, _ = page(office, a.task_id)
        [(_, events, more)] = [r for r in response.context["rows"] if r[0].pk == a.pk]
        full = client_for(office).get(f"/assignments/{a.pk}/").context["timeline"]
        assert [seen(e) for e in events] == [seen(e) for e in full[:TASK_TIMELINE_EVENTS]]
        assert more == (a.reports.count() + a.signoffs.count() + a.reviews.count() + a.extensions.count()) * (
            len(full) > TASK_TIMELINE_EVENTS
        )
        kinds |= {e.kind for e in events if e.evidence}
    assert kinds == {"review", "signoff", "report"}  # each kind's evidence reached its event
