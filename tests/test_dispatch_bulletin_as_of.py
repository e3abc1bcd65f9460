"""A bulletin describes the ledger as it stood at the month's end, however late it is made."""

import datetime

import pytest

from dispatch.bulletin import make_bulletin
from dispatch.figures import bulletin_data
from dispatch.models import Bulletin
from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus
from tasks.models import Assignment, Extension, Review, SignOffRequest
from tasks.services import history, ledger
from tests.test_dispatch_bulletin import dated, on, sign_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def later_events(liaison, unit_leader, outsider, outsider_leader, office):
    """October as it ended, then November changing it, with the October bulletin made on time and afterwards.

    晋中市 X: due 10-15, open in October, signed off 11-08. Y: due 10-20, signed off 10-10
    (on time), relapsed 11-10. 临汾市 Z: due 10-10, extended to 12-31 on 11-05. W: due
    10-12, extended to 2018-03-31 on 10-05 (an extension approved within the month counts).
    """
    Assignment.objects.update(due_date=datetime.date(2018, 6, 30), extended_due_date=None)
    x, y = dated("晋中市", 2)
    z, w = dated("临汾市", 2)
    for assignment, due in ((x, "2017-10-15"), (y, "2017-10-20"), (z, "2017-10-10"), (w, "2017-10-12")):
        Assignment.objects.filter(pk=assignment.pk).update(due_date=datetime.date.fromisoformat(due))

    with on("2017-10-05"):
        extension = ledger.request_extension(
            w.pk,
            actor=outsider,
            new_due_date=datetime.date(2018, 3, 31),
            reason="汛期河道施工受限，需顺延工期",
        )
        ledger.decide_extension(extension.pk, actor=outsider_leader, approve=True)
        ledger.decide_extension(extension.pk, actor=office, approve=True, note="同意")
    sign_off(y, liaison, unit_leader, office, "2017-10-10")
    with on("2017-11-01", 9):
        on_time = bulletin_data("2017-10")

    with on("2017-11-02"):
        review = ledger.schedule_review(y.pk, actor=office, scheduled_for=datetime.date(2017, 11, 10))
    with on("2017-11-05"):
        extension = ledger.request_extension(
            z.pk,
            actor=outsider,
            new_due_date=datetime.date(2017, 12, 31),
            reason="工程量大，年内难以全部完成",
        )
        ledger.decide_extension(extension.pk, actor=outsider_leader, approve=True)
        ledger.decide_extension(extension.pk, actor=office, approve=True, note="同意")
    sign_off(x, liaison, unit_leader, office, "2017-11-08")
    with on("2017-11-10"):
        ledger.record_review(
            review.pk,
            actor=office,
            outcome=ReviewOutcome.RELAPSED,
            findings="问题反弹",
            requirements="限期整改到位，报送整改情况",
            new_due_date=datetime.date(2017, 11, 20),  # past again by the month's end
        )
    with on("2017-11-20"):
        late, _, _ = make_bulletin("2017-10")
    return {"on_time": on_time, "late": late.data, "x": x, "y": y, "z": z, "w": w}


def test_a_bulletin_made_after_its_month_says_what_one_made_on_time_said(later_events):
    assert later_events["late"] == later_events["on_time"]


def test_a_sign_off_and_a_relapse_in_the_next_month_do_not_count(later_events):
    data, x, y, z = (later_events[k] for k in ("late", "x", "y", "z"))
    total = Assignment.objects.count()

    # Y was signed off when October ended (its relapse came in November); X and Z were overdue.
    assert data["totals"] == {
        "total": total,
        "signed_off": 1,
        "overdue": 2,
        "reopened": 0,
        "on_track": total - 3,
    }
    assert {(o["task_number"], o["unit"], o["effective_due"]) for o in data["overdue"]} == {
        (x.task.number, "晋中市", "2017-10-15"),
        (z.task.number, "临汾市", "2017-10-10"),
    }
    assert [e["task_number"] for e in data["newly_signed_off"]] == [y.task.number]
    assert data["newly_reopened"] == []


def test_the_on_time_rate_and_missed_reports_are_those_of_the_months_end(later_events):
    data, y = later_events["late"], later_events["y"]
    units = {u["unit"]: u for u in data["by_unit"]}
    missed = {m["unit"]: m["weeks"] for m in data["missed_reports"]}

    assert units["晋中市"]["on_time_rate"] == 0.5  # Y on time; X open at the month's end
    assert (units["晋中市"]["signed_off"], units["晋中市"]["reopened"]) == (1, 0)
    assert units["临汾市"]["on_time_rate"] == 0.0
    # 晋中市 still owed reports for X every week; Y was closed from its sign-off (10-10) on,
    # which a relapse in November does not undo.
    assert missed["晋中市"] == ["2017-W39", "2017-W40", "2017-W41", "2017-W42", "2017-W43"]
    assert Assignment.objects.get(pk=y.pk).status == "reopened"


def test_the_bulletin_runs_a_fixed_number_of_queries_whatever_the_ledger_holds(
    liaison, unit_leader, office, django_assert_num_queries
):
    # assignments, the frozen month ends, audit entries since the first week, approvals, relapses,
    # previous bulletin, reports, the units' on-time reporting, urges, acknowledgements (签收)
    with django_assert_num_queries(10):
        bulletin_data("2017-10")
    for n, assignment in enumerate(dated("晋中市", 3)):
        sign_off(assignment, liaison, unit_leader, office, f"2017-10-1{n}")
    with on("2017-11-01"):
        make_bulletin("2017-10")
    with django_assert_num_queries(10):
        bulletin_data("2017-11")  # more audit entries, a previous bulletin
    # From a frozen month's end: the assignments with their frozen state, then the entries between
    # the month's first Monday and that end (instead of every entry since) — one query more.
    with on("2017-12-01"):
        history.freeze(history.month_end(2017, 11))
    with django_assert_num_queries(11):
        bulletin_data("2017-10")
    with django_assert_num_queries(11):
        bulletin_data("2017-11")


def ledger_on(day: datetime.date) -> dict:
    """The ledger's counts on ``day`` from its dated records (approvals, relapses, approved extensions),
    without the audit trail: what a bulletin for the month ending that day must say."""
    until = datetime.datetime.combine(
        day + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=datetime.timezone(datetime.timedelta(hours=8)),
    )
    events = {}
    for a_id, at in SignOffRequest.objects.filter(
        status=SignOffStatus.APPROVED, office_checked_at__lt=until
    ).values_list("assignment_id", "office_checked_at"):
        events.setdefault(a_id, []).append((at, "signed_off"))
    for a_id, at in Review.objects.filter(outcome=ReviewOutcome.RELAPSED, decided_at__lt=until).values_list(
        "assignment_id", "decided_at"
    ):
        events.setdefault(a_id, []).append((at, "reopened"))
    extended = dict(
        Extension.objects.filter(status=ExtensionStatus.APPROVED, decided_at__lt=until)
        .order_by("decided_at")
        .values_list("assignment_id", "new_due_date")
    )
    counts = dict.fromkeys(("total", "signed_off", "overdue", "reopened"), 0)
    for a_id, due in Assignment.objects.values_list("pk", "due_date"):
        state = max(events.get(a_id, []), default=(None, None))[1]
        effective = extended.get(a_id, due)
        bucket = (
            "signed_off"
            if state == "signed_off"
            else "overdue"
            if effective and effective <= day
            else "reopened"
            if state == "reopened"
            else None
        )
        counts["total"] += 1
        if bucket:
            counts[bucket] += 1
    counts["on_track"] = counts["total"] - counts["signed_off"] - counts["overdue"] - counts["reopened"]
    return counts


def test_the_demo_bulletins_say_what_the_ledger_said_at_each_months_end(demo_ledger):
    september = Bulletin.objects.get(month="2017-09").data
    october = Bulletin.objects.get(month="2017-10").data

    assert september["totals"] == ledger_on(datetime.date(2017, 9, 30))
    # The first office sign-off came on 2017-10-06, the relapse in November.
    assert (september["totals"]["signed_off"], september["totals"]["reopened"]) == (0, 0)
    assert september["newly_signed_off"] == [] and september["newly_reopened"] == []
    assert october["totals"] == ledger_on(datetime.date(2017, 10, 31))
    assert october["totals"]["signed_off"] == len(october["newly_signed_off"]) > 0
    assert october["previous"] == {"month": "2017-09", "totals": september["totals"]}
