"""A month's end frozen (``history.freeze``) gives the state the whole audit trail gives, with bounded reads."""

import datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.bulletin import make_bulletin
from dispatch.figures import bulletin_data
from tasks.choices import ReviewOutcome
from tasks.models import Assignment, MonthEnd, MonthEndState, Unit
from tasks.services import history, ledger
from tests.helpers import on, people
from tests.test_dispatch_bulletin import dated, sign_off

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

OCTOBER, NOVEMBER = history.month_end(2017, 10), history.month_end(2017, 11)


def moment(day: str, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return history.start_of(datetime.date.fromisoformat(day)) + datetime.timedelta(hours=hour, minutes=minute)


# Moments before, at and after October's end, and the Mondays the bulletin reads.
CUTOFFS = [
    moment("2017-10-09"),
    moment("2017-10-10", 12),
    moment("2017-10-30"),
    moment("2017-10-31", 23, 59),
    OCTOBER,
    moment("2017-11-01", 0, 1),
    moment("2017-11-06"),
    moment("2017-11-15"),
    NOVEMBER,
]


@pytest.fixture(scope="module")
def changes(module_db, module_people, django_db_blocker):
    """Changes before, at and after October's end: Y signed off 10-10 then relapsed 11-10; X signed
    off exactly as October ended (11-01 00:00); Z extended 10-05 and again 11-05; W reported weekly.
    Built once for the module (``module_db``): each test reads or changes it in its own savepoint."""
    with django_db_blocker.unblock():
        return _changes(*people("alice", "bob", "charlie", "dave", "olga"))


def _changes(liaison, unit_leader, outsider, outsider_leader, office):
    Assignment.objects.update(due_date=datetime.date(2018, 6, 30), extended_due_date=None)
    x, y = dated("晋中市", 2)
    z, w = dated("临汾市", 2)
    Assignment.objects.filter(pk=z.pk).update(due_date=datetime.date(2017, 10, 10))

    def extend(day, new_due):
        with on(day):
            extension = ledger.request_extension(
                z.pk, actor=outsider, new_due_date=new_due, reason="工程量大，需顺延工期"
            )
            ledger.decide_extension(extension.pk, actor=outsider_leader, approve=True)
            ledger.decide_extension(extension.pk, actor=office, approve=True, note="同意")

    extend("2017-10-05", datetime.date(2017, 11, 30))
    sign_off(y, liaison, unit_leader, office, "2017-10-10")
    for week, day, percent in (("2017-W43", "2017-10-27", 30), ("2017-W44", "2017-11-01", 50)):
        with on(day, 0 if day == "2017-11-01" else 10):  # one report exactly at October's end
            ledger.submit_report(w.pk, actor=outsider, week=week, text="推进中", percent=percent)
    with on("2017-10-31", 9):
        ledger.submit_report(x.pk, actor=liaison, week="2017-W44", text="完成整改", percent=100)
        ledger.request_signoff(
            x.pk,
            actor=liaison,
            summary="已完成",
            files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")],
        )
        ledger.approve(x.pk, actor=unit_leader, opinion="属实")
    with on("2017-11-01", 0):
        ledger.approve(x.pk, actor=office, opinion="同意销号")
    with on("2017-11-02"):
        review = ledger.schedule_review(y.pk, actor=office, scheduled_for=datetime.date(2017, 11, 10))
    extend("2017-11-05", datetime.date(2017, 12, 31))
    with on("2017-11-10"):
        ledger.record_review(
            review.pk,
            actor=office,
            outcome=ReviewOutcome.RELAPSED,
            findings="问题反弹",
            requirements="限期整改到位",
            new_due_date=datetime.date(2017, 11, 20),
        )
    return [x, y, z, w]


def rebuilt(cutoffs) -> list[dict]:
    """Every assignment's state at each cutoff, as ``state_of`` puts it back on the live row."""
    live = {a.pk: a for a in Assignment.objects.all()}
    return [
        {pk: history.state_of(a, then.get(pk, {})) for pk, a in live.items()}
        for then in history.states_as_of(cutoffs, fields=history.SNAPSHOT_FIELDS)
    ]


def test_a_frozen_month_end_gives_the_state_the_whole_trail_gives(changes):
    with on("2017-12-05"):
        from_trail = [rebuilt([cutoff])[0] for cutoff in CUTOFFS]
        history.freeze(NOVEMBER)
        history.freeze(OCTOBER)
        from_month_ends = [rebuilt([cutoff])[0] for cutoff in CUTOFFS]
    assert MonthEnd.objects.count() == 2
    for cutoff, trail, frozen in zip(CUTOFFS, from_trail, from_month_ends):
        assert frozen == trail, cutoff
    x, y, z, _w = changes
    at_october = from_month_ends[CUTOFFS.index(OCTOBER)]
    # X was signed off at the very moment October ended: after it. Y still signed off; Z once extended.
    assert (at_october[x.pk].status, at_october[y.pk].status) == ("unit_verified", "signed_off")
    assert at_october[z.pk].effective_due == datetime.date(2017, 11, 30)
    assert from_month_ends[-1][y.pk].status == "reopened"


def test_the_bulletins_are_the_same_from_the_trail_and_from_the_month_ends(changes):
    with on("2017-12-05"):
        from_trail = [bulletin_data("2017-10"), bulletin_data("2017-11")]
        call_command("freeze_month_ends", stdout=StringIO())
        assert [bulletin_data("2017-10"), bulletin_data("2017-11")] == from_trail


def test_the_back_fill_reads_one_month_of_the_trail_per_step(changes):
    with on("2017-12-05"):
        direct = {}
        for month_end in (OCTOBER, NOVEMBER):  # each frozen alone, from the live rows and the whole trail
            history.freeze(month_end)
            direct[month_end] = rows_at(month_end)
            MonthEndState.objects.all().delete()
            MonthEnd.objects.all().delete()
        out = StringIO()
        with CaptureQueriesContext(connection) as queries:
            call_command("freeze_month_ends", stdout=out)
    rows = Assignment.with_retired.count()
    # from the last ended month back to the first audited change's (2017-10-05)
    assert out.getvalue().splitlines() == [f"2017-11 月末：{rows} 行", f"2017-10 月末：{rows} 行"]
    assert {m: rows_at(m) for m in (OCTOBER, NOVEMBER)} == direct
    # October from November's end: the entries read end where November's frozen state begins.
    trail_reads = [
        q["sql"] for q in queries if 'FROM "tasks_auditentry"' in q["sql"] and "before" in q["sql"]
    ]
    assert len(trail_reads) == 2
    assert '"at" <' not in trail_reads[0] and '"at" <' in trail_reads[1]


def rows_at(month_end) -> dict:
    return {
        row[0]: row[1:]
        for row in MonthEndState.objects.filter(moment=month_end).values_list(
            "assignment_id", *history.SNAPSHOT_FIELDS
        )
    }


def test_a_row_made_after_the_freeze_is_rebuilt_from_the_trail(changes, office):
    with on("2017-12-05"):
        history.freeze(OCTOBER)
    task = changes[0].task
    late = Assignment.objects.create(task=task, unit=Unit.objects.create(name="新增县", kind="county"))
    with on("2017-12-06"):
        states = rebuilt([moment("2017-10-20")])[0]
        MonthEnd.objects.all().delete()
        assert rebuilt([moment("2017-10-20")])[0] == states
    assert states[late.pk].status == "not_started"


def test_freezing_is_idempotent_and_never_for_a_month_still_running(changes):
    with on("2017-11-20"):
        assert history.freeze(NOVEMBER) is None
        first = history.freeze(OCTOBER)
        assert history.freeze(OCTOBER) == first
    assert (
        MonthEndState.objects.filter(moment=OCTOBER).count() == first.rows == Assignment.with_retired.count()
    )


def test_making_a_bulletin_freezes_its_months_end(changes):
    with on("2017-11-20"):
        make_bulletin("2017-10")
    assert list(MonthEnd.objects.values_list("moment", flat=True)) == [OCTOBER]


@pytest.mark.parametrize("extra_units", [0, 6])
def test_a_past_moment_from_a_month_end_takes_three_queries_at_any_size(
    changes, extra_units, django_assert_num_queries
):
    task = changes[0].task
    for n in range(extra_units):
        Assignment.objects.create(task=task, unit=Unit.objects.create(name=f"新增县{n}", kind="county"))
    with on("2017-12-05"):
        history.freeze(NOVEMBER)
    # the frozen month's end at or after the cutoffs, the assignments with their frozen state,
    # the entries between the earliest cutoff and it
    with django_assert_num_queries(3):
        states = history.states_as_of([moment("2017-11-06"), NOVEMBER], fields=history.SNAPSHOT_FIELDS)
    assert len(states[0]) == len(states[1]) == Assignment.with_retired.count()
