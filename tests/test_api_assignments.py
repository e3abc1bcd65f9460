"""Reading the ledger through the API: list, filters, detail, ETag, evidence downloads and history."""

import datetime
import re
from types import SimpleNamespace

import pytest

from tasks.api.ledger_serializers import AssignmentListSerializer
from tasks.api.ledger_views import with_detail
from tasks.choices import Status
from tasks.models import Assignment, AuditEntry, Unit
from tasks.services import ledger
from tasks.weeks import today
from tests.helpers import row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


def results(client, query=""):
    response = client.get(f"/api/assignments/?page_size=200{'&' + query if query else ''}")
    assert response.status_code == 200, response.content.decode()
    return response.json()


@pytest.fixture
def worked(liaison, unit_leader, office, evidence_pdf):
    """Some ledger life: task 17 signed off with a pending review, task 3 reported, task 5 with a pending extension."""
    signed = row(17)
    ledger.submit_report(
        signed.pk, actor=liaison, week="2017-W40", text="完成", percent=100, files=[evidence_pdf()]
    )
    ledger.request_signoff(signed.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(signed.pk, actor=unit_leader)
    ledger.approve(signed.pk, actor=office)
    ledger.schedule_review(signed.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1))  # due today
    ledger.submit_report(row(3).pk, actor=liaison, week="2017-W41", text="推进", percent=40)
    ledger.request_extension(
        row(5).pk,
        actor=liaison,
        new_due_date=row(5).effective_due_date + datetime.timedelta(days=180),
        reason="跨年施工，冬季无法浇筑混凝土",
    )
    return {"signed": signed, "reported": row(3), "extending": row(5)}


def test_the_office_lists_every_assignment_in_pages(api, office):
    body = api(office).get("/api/assignments/").json()
    total = Assignment.objects.count()
    assert body["count"] == total > 50
    assert len(body["results"]) == 50 and body["next"]
    first = body["results"][0]
    assert first["task"]["number"] == 1
    assert set(first) >= {
        "id",
        "task",
        "unit",
        "status",
        "status_label",
        "level",
        "level_label",
        "level_reason",
        "version",
        "due_date",
        "effective_due",
        "percent",
        "last_report_week",
        "allowed_actions",
    }


def test_a_list_row_says_what_the_caller_may_do_next(api, worked, liaison, unit_leader, office):
    rows = {r["id"]: r for r in results(api(liaison))["results"]}
    assert rows[worked["reported"].pk]["allowed_actions"] == ["report", "signoff", "request_extension"]
    assert rows[worked["signed"].pk]["allowed_actions"] == ["report"]
    # one extension request at a time, which the liaison may withdraw
    assert rows[worked["extending"].pk]["allowed_actions"] == ["report", "withdraw_extension"]
    # the extension request waits for the unit's leader, then the office
    rows = {r["id"]: r for r in results(api(unit_leader))["results"]}
    assert rows[worked["extending"].pk]["allowed_actions"] == ["decide_extension"]
    rows = {r["id"]: r for r in results(api(office))["results"]}
    assert rows[worked["signed"].pk]["allowed_actions"] == ["record_review"]
    assert rows[worked["extending"].pk]["allowed_actions"] == []
    assert rows[worked["reported"].pk]["allowed_actions"] == []


def test_it_filters_by_unit_name_and_id(api, office):
    unit = Unit.objects.get(name="晋中市")
    by_name = results(api(office), "unit=晋中市")
    by_id = results(api(office), f"unit={unit.pk}")
    assert by_name == by_id
    assert by_name["count"] == Assignment.objects.filter(unit=unit).count() > 1
    assert {r["unit"]["name"] for r in by_name["results"]} == {"晋中市"}


def test_it_filters_by_task_number_and_category(api, office):
    task3 = results(api(office), "task=3")
    assert sorted(r["unit"]["name"] for r in task3["results"]) == ["晋中市", "长治市"]
    category2 = results(api(office), "category=2")
    assert category2["count"] == Assignment.objects.filter(task__category__number=2).count() > 0
    assert {r["task"]["category"] for r in category2["results"]} == {2}


def test_it_filters_by_status(api, office, worked):
    signed = results(api(office), "status=signed_off")
    assert [r["id"] for r in signed["results"]] == [worked["signed"].pk]
    started = results(api(office), "status=in_progress")
    assert {r["id"] for r in started["results"]} == {worked["reported"].pk}
    assert (
        results(api(office), "status=not_started")["count"]
        == Assignment.objects.filter(status=Status.NOT_STARTED).count()
    )


def test_it_filters_by_level_and_overdue(api, office, worked):
    everything = results(api(office))["count"]
    red = results(api(office), "level=red")
    yellow = results(api(office), "level=yellow")
    green = results(api(office), "level=green")
    signed = results(api(office), "level=signed_off")
    assert red["count"] + yellow["count"] + green["count"] + signed["count"] == everything
    assert {r["level"] for r in red["results"]} == {"red"}
    # Signed off is 已销号, not a colour, whatever its date.
    assert [r["id"] for r in signed["results"]] == [worked["signed"].pk]
    assert signed["results"][0]["level_label"] == "已销号"
    expected_overdue = Assignment.objects.overdue(today()).count()
    overdue = results(api(office), "overdue=true")
    assert overdue["count"] == expected_overdue > 0
    # Every overdue row is red, and says so; red also holds rows red for another reason.
    assert results(api(office), "overdue=true&level=red")["count"] == expected_overdue
    assert all(r["level_reason"].startswith("已逾期") for r in overdue["results"])
    assert results(api(office), "overdue=false")["count"] == everything - expected_overdue


def test_filters_combine(api, office):
    body = results(api(office), "unit=晋中市&category=1&level=red&overdue=true")
    expected = (
        Assignment.objects.overdue(today()).filter(unit__name="晋中市", task__category__number=1).count()
    )
    assert body["count"] == expected > 0
    red = Assignment.objects.with_level(today()).filter(
        unit__name="晋中市", task__category__number=1, level="red"
    )
    assert results(api(office), "unit=晋中市&category=1&level=red")["count"] == red.count() >= expected


@pytest.mark.parametrize(
    "query, words",
    [
        ("task=abc", "task"),
        ("category=一", "category"),
        ("status=done", "status"),
        ("level=purple", "level"),
        ("unit=火星市", "火星市"),
        ("overdue=maybe", "overdue"),
    ],
)
def test_it_explains_a_bad_filter_in_chinese(api, office, query, words):
    response = api(office).get(f"/api/assignments/?{query}")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert words in detail and re.search(r"[\u4e00-\u9fff]", detail)


def test_the_list_runs_the_same_queries_for_one_row_as_for_all(
    api, office, worked, django_assert_num_queries
):
    client = api(office)
    # 1 count, 2 the page's ids (sorted by the database), 3 the page's rows as values (task, category,
    # plan and unit joined, level, open extension and pending review as subqueries).
    # The client is force-authenticated.
    with django_assert_num_queries(3):
        one = results(client, "task=17")
    with django_assert_num_queries(3):
        everything = results(client)
    assert one["count"] == 1 and everything["count"] == Assignment.objects.count() > 100


@pytest.mark.parametrize("who", ["office", "liaison", "unit_leader", "leader"])
def test_the_lean_list_gives_the_list_serializers_json(api, worked, request, who):
    """The rows read as values are what ``AssignmentListSerializer`` makes of the model rows (the schema's shape)."""
    user = request.getfixturevalue(who)
    listed = results(api(user))["results"]
    rows = with_detail(
        Assignment.objects.visible_to(user)
        .with_level(today())
        .select_related("task__category", "task__plan", "unit")
    ).in_bulk([r["id"] for r in listed])
    context = {"request": SimpleNamespace(user=user)}
    expected = [AssignmentListSerializer(rows[r["id"]], context=context).data for r in listed]
    assert listed == expected and len(listed) > 0
    offered = {action for r in listed for action in r["allowed_actions"]}
    assert offered if who != "leader" else not offered  # the rows do offer actions (leaders only read)


def test_callers_in_turn_each_get_their_own_rows_and_actions(api, worked, office, liaison, outsider, leader):
    """The page's rows query is compiled once per connection and scope, and the actions kept per role
    and state (``tasks.models.compiled``, ``ledger_rows.ActionsOfState``): callers taking turns on
    one connection still get what the list serializer gives each of them, page after page."""
    for user in (office, liaison, outsider, leader, liaison, office):
        for page in ("page_size=50", "page_size=50&page=2", "page_size=7"):
            response = api(user).get(f"/api/assignments/?{page}")
            if response.status_code == 404:  # a unit's rows fit on one page
                continue
            listed = response.json()["results"]
            rows = with_detail(
                Assignment.objects.visible_to(user)
                .with_level(today())
                .select_related("task__category", "task__plan", "unit")
            ).in_bulk([r["id"] for r in listed])
            context = {"request": SimpleNamespace(user=user)}
            assert listed == [AssignmentListSerializer(rows[r["id"]], context=context).data for r in listed]
            assert {r["unit"]["id"] for r in listed} <= set(
                Assignment.objects.visible_to(user).values_list("unit_id", flat=True)
            )
            # the plain list (its ids' SQL compiled once) pages as the FilterSet's default sort does
            filtered = api(user).get(f"/api/assignments/?{page}&sort=task").json()
            assert filtered["results"] == listed and filtered["count"] == response.json()["count"]


def test_the_detail_has_the_whole_story_and_an_etag(api, worked, unit_leader):
    a = worked["signed"]
    response = api(unit_leader).get(f"/api/assignments/{a.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert (
        response["ETag"] == f'"{body["version"]}"'
        and body["version"] == Assignment.objects.get(pk=a.pk).version
    )
    assert body["task"]["number"] == 17 and body["task"]["deadline_text"]
    assert (
        body["status_label"] == "已销号" and body["level"] == "signed_off" and body["level_label"] == "已销号"
    )
    assert body["last_report"]["week"] == "2017-W40" and body["last_report"]["author"] == "alice"
    assert body["open_signoff"] is None and body["signoffs"][0]["status"] == "approved"
    assert body["pending_review"]["scheduled_for"] == "2017-12-01"
    assert len(body["evidence"]) == 2
    assert {e["report"] is not None for e in body["evidence"]} == {True, False}
    assert all(e["url"].endswith(f"/api/evidence/{e['id']}/") for e in body["evidence"])


def test_an_unknown_assignment_is_404_in_chinese(api, office):
    response = api(office).get("/api/assignments/999999/")
    assert response.status_code == 404
    assert response.json()["detail"] == "对象不存在或无权查看"


def test_evidence_is_served_to_those_who_see_the_assignment(
    api, liaison, unit_leader, leader, outsider, evidence_pdf
):
    a = row(17)
    ledger.submit_report(
        a.pk,
        actor=liaison,
        week="2017-W40",
        text="x",
        percent=5,
        files=[evidence_pdf("整改 报告.pdf", b"%PDF-1.4 the real content")],
    )
    evidence_id = a.evidence.get().pk
    for user in (liaison, unit_leader, leader):
        response = api(user).get(f"/api/evidence/{evidence_id}/", HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the real content"
        assert (
            response["Content-Disposition"]
            == "attachment; filename*=utf-8''%E6%95%B4%E6%94%B9%20%E6%8A%A5%E5%91%8A.pdf"
        )
    refused = api(outsider).get(f"/api/evidence/{evidence_id}/")
    assert refused.status_code == 404 and refused.json()["detail"] == "对象不存在或无权查看"
    assert api().get(f"/api/evidence/{evidence_id}/").status_code == 401


def test_a_file_name_cannot_break_out_of_the_header(api, liaison, evidence_pdf):
    a = row(17)
    ledger.submit_report(
        a.pk,
        actor=liaison,
        week="2017-W40",
        text="x",
        percent=5,
        files=[evidence_pdf('a"; filename="evil.exe.pdf')],
    )
    response = api(liaison).get(f"/api/evidence/{a.evidence.get().pk}/")
    assert response["Content-Disposition"] == r'attachment; filename="a\"; filename=\"evil.exe.pdf"'


def test_the_history_lists_the_audit_entries_of_that_assignment_only(api, worked, unit_leader):
    a = worked["signed"]
    body = api(unit_leader).get(f"/api/assignments/{a.pk}/history/?page_size=200").json()
    entries = AuditEntry.objects.filter(assignment=a).order_by("id")
    assert [e["id"] for e in body["results"]] == [e.pk for e in entries]
    first = body["results"][0]
    assert (first["action"], first["action_label"], first["actor"]) == ("report", "报送进展（状态）", "alice")
    assert (first["before"]["status"], first["after"]["status"]) == ("not_started", "in_progress")
    assert first["at"] and first["hash"] == entries[0].hash
    assert {e["action"] for e in body["results"]} >= {
        "create_report",
        "create_signoff",
        "check_signoff",
        "approve",
        "schedule_review",
    }
    assert "request_extension" not in {e["action"] for e in body["results"]}  # task 5's, not this one's


def test_the_history_runs_the_same_queries_for_few_and_many_entries(
    api, worked, office, django_assert_num_queries
):
    client = api(office)
    # 1 the assignment is visible, 2 count, 3 the page of entries with their actors.
    with django_assert_num_queries(3):
        few = client.get(f"/api/assignments/{worked['reported'].pk}/history/").json()
    with django_assert_num_queries(3):
        many = client.get(f"/api/assignments/{worked['signed'].pk}/history/").json()
    assert few["count"] == 2 and many["count"] > 8


def test_the_detail_runs_the_same_queries_for_a_short_and_a_long_story(
    api, worked, liaison, unit_leader, office, evidence_pdf, django_assert_num_queries
):
    long = row(26)
    for week in ("2017-W40", "2017-W41", "2017-W42", "2017-W43"):
        ledger.submit_report(
            long.pk, actor=liaison, week=week, text="推进", percent=50, files=[evidence_pdf()]
        )
    for _ in range(2):
        ledger.request_signoff(long.pk, actor=liaison, summary="到位", files=[evidence_pdf(), evidence_pdf()])
        ledger.reject(long.pk, actor=unit_leader, reason="不全")
    ledger.request_signoff(long.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(long.pk, actor=unit_leader)
    ledger.approve(long.pk, actor=office)
    for day in (1, 2):  # two reviews, the first holding
        review = ledger.schedule_review(long.pk, actor=office, scheduled_for=datetime.date(2017, 12, day))
        if day == 1:
            ledger.record_review(review.pk, actor=office, outcome="holds")
    client = api(office)
    # 1 the row (task, category, unit joined), 2 measures, 3 reports (authors joined), 4 their evidence,
    # 5 sign-off requests (requester and checkers joined), 6 their evidence, 7 reviews, 8 extensions,
    # 9 the reviews' evidence (a relapse's), 10 all evidence of the row (uploaders joined).
    with django_assert_num_queries(10):
        short = client.get(f"/api/assignments/{worked['signed'].pk}/").json()
    with django_assert_num_queries(10):
        told = client.get(f"/api/assignments/{long.pk}/").json()
    assert (len(short["reports"]), len(short["signoffs"]), len(short["evidence"])) == (1, 1, 2)
    assert (len(told["reports"]), len(told["signoffs"]), len(told["evidence"])) == (4, 3, 9)
    assert (len(short["reviews"]), len(told["reviews"])) == (1, 2)
