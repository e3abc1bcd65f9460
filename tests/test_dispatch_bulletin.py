"""The monthly bulletin's figures checked against a hand-built ledger (built once for the module); the
draft, publishing and its audit: test_dispatch_bulletin_publishing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.figures import bulletin_data, public_data
from dispatch.models import Bulletin, Notification
from tasks.choices import ReviewOutcome
from tasks.models import Assignment, Task
from tasks.services import ledger
from tests.helpers import on, people

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def dated(unit: str, n: int) -> list[Assignment]:
    return list(
        Assignment.objects.filter(unit__name=unit, task__deadline_kind="dated").order_by("task__number")[:n]
    )


def sign_off(assignment, liaison, unit_leader, office, day: str):
    with on(day, 9):
        ledger.submit_report(assignment.pk, actor=liaison, week="2017-W38", text="完成整改", percent=100)
        ledger.request_signoff(
            assignment.pk,
            actor=liaison,
            summary="已完成",
            files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")],
        )
        ledger.approve(assignment.pk, actor=unit_leader, opinion="属实")
    with on(day, 15):
        ledger.approve(assignment.pk, actor=office, opinion="同意销号")


@pytest.fixture(scope="module")
def october(module_db, module_people, django_db_blocker):
    """A ledger built by hand: every deadline far away except the five assignments below.

    晋中市 A: due 10-20, signed off 10-18 (on time); B: due 10-10, signed off 10-25 (late);
    C: due 10-15, open (overdue). 临汾市 D: due next year, signed off in September, relapsed
    10-12 (reopened); E: due 10-10, extended to 12-31, open (on track, not on time).
    Built once for the module (``module_db``): each test reads it in its own savepoint.
    """
    with django_db_blocker.unblock():
        return _october(*people("alice", "bob", "charlie", "dave", "olga"))


def _october(liaison, unit_leader, outsider, outsider_leader, office):
    Assignment.objects.update(due_date=datetime.date(2018, 6, 30), extended_due_date=None)
    a, b, c = dated("晋中市", 3)
    d, e = dated("临汾市", 2)
    for assignment, due in ((a, "2017-10-20"), (b, "2017-10-10"), (c, "2017-10-15"), (e, "2017-10-10")):
        Assignment.objects.filter(pk=assignment.pk).update(due_date=datetime.date.fromisoformat(due))

    sign_off(d, outsider, outsider_leader, office, "2017-09-20")
    with on("2017-10-01", 9):
        september, _, _ = make_bulletin("2017-09")
        publish_bulletin(september, office)
    with on("2017-10-05"):
        review = ledger.schedule_review(d.pk, actor=office, scheduled_for=datetime.date(2017, 10, 12))
        extension = ledger.request_extension(
            e.pk,
            actor=outsider,
            new_due_date=datetime.date(2017, 12, 31),
            reason="工程量大，年内难以全部完成",
        )
        ledger.decide_extension(extension.pk, actor=outsider_leader, approve=True)
        ledger.decide_extension(extension.pk, actor=office, approve=True, note="同意")
    with on("2017-10-12"):
        ledger.record_review(
            review.pk,
            actor=office,
            outcome=ReviewOutcome.RELAPSED,
            findings="问题反弹",
            requirements="限期整改到位，报送整改情况",
            new_due_date=datetime.date(2018, 6, 30),
        )
    sign_off(a, liaison, unit_leader, office, "2017-10-18")
    sign_off(b, liaison, unit_leader, office, "2017-10-25")
    with on("2017-11-01", 9):
        data = bulletin_data("2017-10")
    return {"data": data, "a": a, "b": b, "c": c, "d": d, "e": e, "september": september}


def entries(items):
    return [(i["task_number"], i["unit"], i["at"]) for i in items]


def test_the_months_figures_match_the_hand_built_ledger(october):
    data, a, b, c, d = (october[k] for k in ("data", "a", "b", "c", "d"))
    total = Assignment.objects.count()

    assert (data["month"], data["start"], data["end"]) == ("2017-10", "2017-10-01", "2017-10-31")
    assert data["totals"] == {
        "total": total,
        "signed_off": 2,
        "overdue": 1,
        "reopened": 1,
        "on_track": total - 4,
    }
    assert [(o["task_number"], o["unit"], o["due_date"]) for o in data["overdue"]] == [
        (c.task.number, "晋中市", "2017-10-15")
    ]
    assert entries(data["newly_signed_off"]) == [
        (a.task.number, "晋中市", "2017-10-18"),
        (b.task.number, "晋中市", "2017-10-25"),
    ]
    assert entries(data["newly_reopened"]) == [(d.task.number, "临汾市", "2017-10-12")]
    assert sum(c["total"] for c in data["by_category"]) == total
    assert sum(c["signed_off"] for c in data["by_category"]) == 2


def test_units_are_ranked_by_on_time_rate_against_original_due_dates(october):
    units = {u["unit"]: u for u in october["data"]["by_unit"]}

    jinzhong, linfen = units["晋中市"], units["临汾市"]
    assert (jinzhong["on_time_rate"], jinzhong["rank"]) == (round(1 / 3, 4), 1)  # A on time; B late; C open
    assert (linfen["on_time_rate"], linfen["rank"]) == (
        0.0,
        2,
    )  # E extended, but late against its original date
    assert (jinzhong["signed_off"], jinzhong["overdue"], linfen["reopened"], linfen["on_track"]) == (
        2,
        1,
        1,
        linfen["total"] - 1,
    )
    others = [u for name, u in units.items() if name not in ("晋中市", "临汾市")]
    assert others and all(
        u["on_time_rate"] is None and u["rank"] is None for u in others
    )  # nothing due yet: unranked
    assert [u["unit"] for u in october["data"]["by_unit"][:2]] == ["晋中市", "临汾市"]


@pytest.fixture
def zero_rates(october):
    """October's ledger plus a third unit with an assignment due 10-05 and still open: 0 % and one overdue row."""
    third = (
        Assignment.objects.filter(task__deadline_kind="dated")
        .exclude(unit__name__in=("晋中市", "临汾市"))
        .first()
    )
    Assignment.objects.filter(pk=third.pk).update(due_date=datetime.date(2017, 10, 5))
    with on("2017-11-01", 9):
        data = bulletin_data("2017-10")
    return third.unit.name, {u["unit"]: u for u in data["by_unit"]}, data


def test_at_the_same_rate_a_unit_with_an_overdue_row_ranks_below_one_without(zero_rates):
    name, units, data = zero_rates

    assert (units[name]["on_time_rate"], units[name]["overdue"]) == (0.0, 1)
    assert (units["临汾市"]["on_time_rate"], units["临汾市"]["overdue"]) == (0.0, 0)
    assert [(u["unit"], u["rank"]) for u in data["by_unit"][:3]] == [("晋中市", 1), ("临汾市", 2), (name, 3)]
    assert all(u["rank"] is None for u in data["by_unit"][3:])


def test_units_equal_on_rate_overdue_rows_and_sign_offs_share_a_rank():
    from dispatch.figures import rank_units

    units = [
        {"unit": name, "on_time_rate": rate, "overdue": overdue, "signed_off": signed}
        for name, rate, overdue, signed in (
            ("甲", 0.5, 1, 2),
            ("乙", 0.5, 1, 2),
            ("丙", 0.5, 0, 1),
            ("丁", None, 0, 0),
            ("戊", 0.5, 1, 3),
        )
    ]

    assert [(u["unit"], u["rank"]) for u in rank_units(units)] == [
        ("丙", 1),
        ("戊", 2),
        ("乙", 3),
        ("甲", 3),
        ("丁", None),
    ]  # equals by name


def announcement(data) -> str:
    from dispatch.bulletin import announce_bulletin

    bulletin = Bulletin.objects.create(month="2017-10", status="published", data=data)
    announce_bulletin(bulletin.pk)
    return Notification.objects.filter(job="bulletin").first().body


def test_the_announcement_names_the_first_only_for_a_rate_above_zero(zero_rates, leader):
    name, units, data = zero_rates
    with on("2017-11-01", 9):
        assert "按期完成率第一：晋中市。" in announcement(data)

    Bulletin.objects.all().delete()
    Notification.objects.all().delete()
    Assignment.objects.filter(unit__name="晋中市", due_date__lte=datetime.date(2017, 10, 31)).update(
        due_date=datetime.date(2018, 6, 30)
    )
    with on("2017-11-01", 9):
        data = bulletin_data("2017-10")
        body = announcement(data)
    assert data["by_unit"][0]["rank"] == 1 and data["by_unit"][0]["on_time_rate"] == 0.0
    assert "第一" not in body and "本月到期任务无单位按期完成。" in body


def test_the_bulletin_page_shows_a_dash_for_an_unranked_unit(zero_rates):
    from dispatch.bulletin import render_html

    name, units, data = zero_rates
    html = render_html("2017-10", data)
    assert "<tr><td>—</td>" in html and "None" not in html


def test_it_compares_with_the_previous_months_bulletin(october):
    data = october["data"]
    previous = october["september"].data["totals"]

    assert previous["signed_off"] == 1 and previous["overdue"] == 0  # D signed off in September
    assert data["previous"] == {"month": "2017-09", "totals": previous}
    assert data["change"] == {"total": 0, "signed_off": 1, "overdue": 1, "reopened": 1, "on_track": -3}


def test_units_that_missed_weekly_reports_are_listed_with_the_weeks(october):
    missed = {m["unit"]: m["weeks"] for m in october["data"]["missed_reports"]}

    assert missed["临汾市"] == [
        "2017-W39",
        "2017-W40",
        "2017-W41",
        "2017-W42",
        "2017-W43",
    ]  # weeks ending in October


def test_the_public_copy_leaves_out_the_tasks_kept_out_of_public_disclosure(october):
    data, a, b, c, d = (october[k] for k in ("data", "a", "b", "c", "d"))
    hidden = {a.task_id, c.task_id}
    assert b.task_id not in hidden and d.task_id not in hidden
    Task.objects.filter(pk__in=hidden).update(is_public=False)

    public = public_data(data)

    assert public["overdue"] == []  # C's task
    assert entries(public["newly_signed_off"]) == [(b.task.number, "晋中市", "2017-10-25")]  # not A's
    assert entries(public["newly_reopened"]) == [(d.task.number, "临汾市", "2017-10-12")]
    assert public["totals"] == data["totals"] and public["by_unit"] == data["by_unit"]  # counts name no task
    # The office's own copy keeps every task.
    assert len(data["overdue"]) == 1 and len(data["newly_signed_off"]) == 2


def test_the_public_copy_is_the_whole_bulletin_when_every_task_is_public(october):
    assert public_data(october["data"]) == october["data"]
