"""签收: what is handed to a unit (new assignments, 批示, reopenings) and when it signed for it.

alice is 晋中市's liaison, bob its unit leader, charlie 临汾市's liaison; olga the office, leo a leader.
"""

import datetime

import pytest

from dispatch import handovers
from dispatch.models import Handover, HandoverKind
from tasks import events
from tasks.choices import ReviewOutcome
from tasks.models import Assignment, AuditEntry
from tasks.services import ledger
from tests.helpers import PINNED_DAY, client_for, on, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]

D = datetime.date


def two_rows():
    return list(Assignment.objects.filter(unit__name="晋中市").order_by("task__number")[:2])


def fresh(unit="晋中市"):
    """Forget the import's handovers of ``unit``'s rows, so a test counts only its own."""
    Handover.objects.filter(unit__name=unit).delete()


def test_the_import_hands_every_new_assignment_to_its_unit_once(plan):
    rows = Assignment.objects.filter(task__plan=plan)
    handed = Handover.objects.filter(kind=HandoverKind.ASSIGNMENT)
    assert handed.count() == rows.count() > 100
    assert set(handed.values_list("object_id", "unit_id")) == set(rows.values_list("pk", "unit_id"))
    a = row(17)
    events.emit("assignment.assigned", assignment=a)  # told twice: handed once
    assert handed.filter(assignment=a).count() == 1


def test_a_reopening_is_handed_to_the_unit(liaison, unit_leader, office, evidence_pdf):
    a = Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False).order_by("task__number")[
        0
    ]
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="整改推进", percent=90)
    ledger.request_signoff(a.pk, actor=liaison, summary="已完成整改", files=[evidence_pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    ledger.approve(a.pk, actor=office)
    review = ledger.schedule_review(a.pk, actor=office, scheduled_for=PINNED_DAY)
    ledger.record_review(
        review.pk,
        actor=office,
        outcome=ReviewOutcome.RELAPSED,
        findings="污水直排复现",
        requirements="立即封堵直排口",
        new_due_date=PINNED_DAY + datetime.timedelta(days=40),
    )
    [reopened] = Handover.objects.filter(kind=HandoverKind.REOPENING)
    assert (reopened.object_id, reopened.assignment, reopened.unit) == (review.pk, a, a.unit)
    assert reopened.acknowledged_at is None


def test_a_held_review_hands_nothing(liaison, unit_leader, office, evidence_pdf):
    a = Assignment.objects.filter(unit__name="晋中市", task__due_date__isnull=False).order_by("task__number")[
        0
    ]
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="整改推进", percent=90)
    ledger.request_signoff(a.pk, actor=liaison, summary="已完成整改", files=[evidence_pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    ledger.approve(a.pk, actor=office)
    review = ledger.schedule_review(a.pk, actor=office, scheduled_for=PINNED_DAY)
    ledger.record_review(review.pk, actor=office, outcome=ReviewOutcome.HOLDS, findings="成效巩固")
    assert not Handover.objects.filter(kind=HandoverKind.REOPENING).exists()


def test_a_unit_signs_on_the_desk_audited_once_and_only_its_own(
    liaison, unit_leader, outsider, office, leader
):
    fresh()
    a = row(17)
    with on("2017-11-27", 9):
        handovers.hand(HandoverKind.ASSIGNMENT, [a])
    item = Handover.objects.get(unit__name="晋中市")
    desk = client_for(liaison).get("/desk/").content.decode()
    assert "待签收" in desk and f"/handovers/{item.pk}/acknowledge/" in desk
    assert '待签收<span class="badge-count" aria-label="1 项待签收">1</span>' in desk  # the navigation

    for user, status in ((outsider, 404), (office, 403), (leader, 403)):
        assert client_for(user).post(f"/handovers/{item.pk}/acknowledge/").status_code == status
    with on("2017-11-28", 15):
        response = client_for(unit_leader).post(f"/handovers/{item.pk}/acknowledge/", {"next": "/desk/"})
    assert response.status_code == 302 and response.url == "/desk/"
    item.refresh_from_db()
    assert item.acknowledged_by == unit_leader
    assert handovers.hours_taken(item) == 30.0  # Monday 09:00 to Tuesday 15:00
    assert AuditEntry.objects.filter(action="acknowledge", object_id=str(item.pk)).count() == 1

    again = client_for(liaison).post(f"/handovers/{item.pk}/acknowledge/")
    assert again.status_code == 400 and "该事项已签收，无需重复签收" in again.content.decode()
    assert AuditEntry.objects.filter(action="acknowledge").count() == 1
    assert "没有待签收的事项" in client_for(liaison).get("/desk/").content.decode()


def test_the_api_lists_the_units_own_and_acknowledges(api, liaison, outsider):
    fresh()
    fresh("临汾市")
    mine, theirs = row(17), Assignment.objects.filter(unit__name="临汾市").first()
    handovers.hand(HandoverKind.ASSIGNMENT, [mine, theirs])
    listed = api(liaison).get("/api/handovers/?open=true").json()["results"]
    assert [h["assignment"] for h in listed] == [mine.pk]
    assert listed[0]["kind_label"] == "新交办台账" and listed[0]["overdue"] is False
    other = Handover.objects.get(assignment=theirs)
    assert api(liaison).post(f"/api/handovers/{other.pk}/acknowledge/").status_code == 404
    response = api(liaison).post(f"/api/handovers/{listed[0]['id']}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == "alice"
    assert api(liaison).get("/api/handovers/?open=true").json()["results"] == []
    assert api(liaison).post(f"/api/handovers/{listed[0]['id']}/acknowledge/").status_code == 400
    assert api(liaison).get("/api/handovers/?open=maybe").status_code == 400
    assert api(outsider).get("/api/handovers/").json()["count"] == 1


@pytest.mark.parametrize(
    ("day", "cutoff"),
    [
        (D(2017, 11, 30), D(2017, 11, 27)),  # Thursday: handed on Monday still within 3 working days
        (D(2017, 12, 1), D(2017, 11, 28)),  # Friday: Monday's is overdue
        (D(2017, 12, 4), D(2017, 11, 29)),  # Monday: the weekend does not count
        (D(2017, 12, 3), D(2017, 11, 28)),  # Sunday: as on Friday
    ],
)
def test_the_cutoff_counts_working_days_only(day, cutoff):
    assert handovers.cutoff(day) == cutoff


@pytest.mark.parametrize(
    ("day", "cutoff"),
    [
        # 2017's 国庆中秋: 10月1日–8日 off, Saturday 9月30日 worked instead (调休).
        (D(2017, 10, 9), D(2017, 9, 28)),  # first day back: Thursday's is overdue (Fri, Sat 30th, Mon)
        (D(2017, 10, 11), D(2017, 9, 30)),  # Friday 29th's is overdue; the Saturday worked counts
        (D(2017, 10, 12), D(2017, 10, 9)),  # what was handed during the holiday: due by Wednesday
        (D(2018, 2, 22), D(2018, 2, 12)),  # 春节 2018: 2月15日–21日 off
    ],
)
def test_the_cutoff_skips_public_holidays_and_counts_the_weekend_days_worked_instead(day, cutoff):
    assert handovers.cutoff(day) == cutoff


def test_working_days_follow_the_published_holidays_and_the_settings(settings):
    from tasks import workdays

    assert not workdays.is_working_day(D(2017, 10, 2))  # 国庆, a Monday
    assert workdays.is_working_day(D(2017, 9, 30))  # a Saturday worked (调休)
    assert not workdays.is_working_day(D(2017, 10, 7))  # a Saturday in the holiday
    assert workdays.working_days_after(D(2017, 9, 29), D(2017, 10, 9)) == 2  # the 30th and the 9th
    assert workdays.add_working_days(D(2017, 9, 29), 3) == D(2017, 10, 10)
    # 2017: 260 weekdays, 16 of them public holidays, 5 weekend days worked instead
    assert workdays.working_days_after(D(2016, 12, 31), D(2017, 12, 31)) == 260 - 16 + 5

    settings.PUBLIC_HOLIDAYS, settings.MAKEUP_WORKDAYS = [D(2027, 1, 1)], [D(2027, 1, 2)]
    assert not workdays.is_working_day(D(2027, 1, 1)) and workdays.is_working_day(D(2027, 1, 2))


def test_not_acknowledged_after_n_working_days_is_flagged_on_the_desk_and_the_dashboard(
    liaison, office, settings
):
    fresh()
    a, b = two_rows()
    with on("2017-11-24", 17):  # a Friday
        handovers.hand(HandoverKind.ASSIGNMENT, [a])
    with on("2017-11-27", 9):  # the Monday after
        handovers.hand(HandoverKind.ASSIGNMENT, [b])

    def flagged(day):
        settings.RECTIFY_TODAY = day
        desk = client_for(liaison).get("/desk/")
        overdue = {h.assignment_id for h in desk.context["handovers"] if h.overdue}
        dashboard = client_for(office).get("/dashboard/").context["acknowledgements"]
        mine = next(u for u in dashboard if u["unit"] == "晋中市")
        assert mine["overdue"] == len(overdue) and mine["open"] == 2
        assert ("逾期未签收" in desk.content.decode()) == bool(overdue)
        return overdue

    assert flagged(D(2017, 11, 29)) == set()  # Wednesday: Friday's has had Mon, Tue, Wed
    assert flagged(D(2017, 11, 30)) == {a.pk}  # Thursday: Friday's is overdue, Monday's not yet
    assert flagged(D(2017, 12, 1)) == {a.pk, b.pk}
    settings.ACK_DUE_WORKING_DAYS = 4  # Friday's has had 5 working days, Monday's 4
    assert flagged(D(2017, 12, 1)) == {a.pk}


def test_the_dashboard_shows_the_mean_time_to_acknowledge(liaison, office):
    fresh()
    a, b = two_rows()
    with on("2017-11-27", 9):
        handovers.hand(HandoverKind.ASSIGNMENT, [a, b])
    with on("2017-11-27", 11):
        handovers.acknowledge(Handover.objects.get(assignment=a).pk, actor=liaison)
    with on("2017-11-27", 15):
        handovers.acknowledge(Handover.objects.get(assignment=b).pk, actor=liaison)
    mine = next(u for u in handovers.by_unit(PINNED_DAY) if u["unit"] == "晋中市")
    assert (mine["open"], mine["done"], mine["mean_hours"]) == (0, 2, 4.0)
    page = client_for(office).get("/dashboard/").content.decode()
    assert "平均签收用时" in page and "4.0" in page


@pytest.mark.parametrize("size", [1, 12])
def test_the_desk_runs_the_same_queries_for_few_and_many_handovers(liaison, size, django_assert_num_queries):
    fresh()
    rows = list(Assignment.objects.filter(unit__name="晋中市").order_by("pk")[:size])
    handovers.hand(HandoverKind.ASSIGNMENT, rows)
    client = client_for(liaison)
    client.get("/desk/")
    # session, user, membership; the rows, their urges; the handovers (1), the instructions (1; their
    # replies one more when there are any: tests/test_instructions.py); the navigation's counts (1).
    with django_assert_num_queries(8):
        response = client.get("/desk/")
    assert len(response.context["handovers"]) == size


def test_the_monthly_bulletin_counts_each_units_acknowledgements(liaison, office):
    import io

    from docx import Document
    from openpyxl import load_workbook

    from dispatch.bulletin import announce_bulletin, make_bulletin
    from dispatch.models import Bulletin, Notification
    from reports.bulletin_docx import SIGNING_COLUMNS, signing_rows
    from reports.bulletin_xlsx import build_bulletin_workbook

    Handover.objects.all().delete()
    a, b, c = list(Assignment.objects.filter(unit__name="晋中市").order_by("task__number")[:3])
    with on("2017-10-09", 9):  # the Monday after the holiday
        handovers.hand(HandoverKind.ASSIGNMENT, [a, b, c])
    with on("2017-10-09", 15):
        handovers.acknowledge(Handover.objects.get(assignment=a).pk, actor=liaison)  # 6 hours
    with on("2017-10-10", 11):
        handovers.acknowledge(Handover.objects.get(assignment=b).pk, actor=liaison)  # 26 hours
    # c is never signed for: overdue at the month's end. One handed on the 31st is not overdue yet.
    d = Assignment.objects.filter(unit__name="晋中市").order_by("task__number")[3]
    with on("2017-10-31", 9):
        handovers.hand(HandoverKind.ASSIGNMENT, [d])
    with on("2017-11-01", 9):  # signed in November: counts in November's bulletin, not October's
        handovers.acknowledge(Handover.objects.get(assignment=d).pk, actor=liaison)
        bulletin, _, _ = make_bulletin("2017-10")

    mine = next(u for u in bulletin.data["by_unit"] if u["unit"] == "晋中市")
    assert (mine["handed"], mine["acknowledged"], mine["unacknowledged_overdue"], mine["ack_hours"]) == (
        4,
        2,
        1,
        16.0,
    )
    other = next(u for u in bulletin.data["by_unit"] if u["unit"] == "临汾市")
    assert (other["handed"], other["acknowledged"], other["ack_hours"]) == (0, 0, None)
    assert "<td>晋中市</td><td>0</td><td>4</td><td>2</td><td>1</td><td>16.0</td></tr>" in bulletin.html
    assert signing_rows(bulletin.data) == [["晋中市", "0", "4", "2", "1", "16.0"]]
    assert SIGNING_COLUMNS[4] == "逾期未签收"

    sheet = load_workbook(io.BytesIO(build_bulletin_workbook(bulletin)))["催办签收"]
    values = [[cell.value for cell in r] for r in sheet.iter_rows()]
    assert ["晋中市", 0, 4, 2, 1, 16.0] in values

    client = client_for(office)
    docx = client.get("/bulletins/2017-10/docx/")
    assert docx.status_code == 200
    last = Document(io.BytesIO(docx.content)).tables[-1]  # the 催办与签收 table
    text = [cell.text for cell in last.rows[-1].cells]
    assert text == ["晋中市", "0", "4", "2", "1", "16.0"]

    Bulletin.objects.filter(pk=bulletin.pk).update(status="published")
    announce_bulletin(bulletin.pk)
    body = Notification.objects.get(job="bulletin.published", user=liaison).body
    assert "签收：本月交办 4 项，签收 2 项，平均用时 16.0 小时；逾期未签收 1 项" in body
