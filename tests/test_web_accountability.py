"""督办问责 in the pages: the office lists, lifts, summons, refers and records leader-led items through the
audited services; leaders read; a unit sees only its own records; bad input changes nothing."""

import datetime

import pytest
from django.test import override_settings

from accountability import services
from accountability.models import AccountabilityCase, CaseStatus, LeaderLedItem, ListedSupervision, Summons
from tasks.models import Assignment, AuditEntry, Task, Unit
from tasks.weeks import today
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def unit(name):
    return Unit.objects.get(name=name)


def listed(office, assignment, deadline=None, reason="进度明显滞后"):
    return services.list_assignment(
        assignment, actor=office, reason=reason, deadline=deadline or today() + datetime.timedelta(days=10)
    )


def summoned(office, name="晋中市", reason="整改推进不力"):
    return services.record_summons(
        actor=office,
        unit=unit(name),
        held_on=datetime.date(2017, 11, 20),
        attendees="王某（副市长）",
        reason=reason,
    )


def referred(office, name="晋中市", persons="李某（局长）"):
    return services.refer_case(
        actor=office,
        unit=unit(name),
        persons=persons,
        summary="敷衍整改",
        referred_on=datetime.date(2017, 11, 21),
    )


def changes():
    """What a refused write must leave as it was."""
    return (
        AuditEntry.objects.count(),
        ListedSupervision.objects.active().count(),
        Summons.objects.count(),
        list(AccountabilityCase.objects.values_list("status", "conclusion")),
        LeaderLedItem.objects.count(),
    )


# --- the office writes ----------------------------------------------------------------------------------


def test_the_office_lists_an_assignment_from_its_page_and_the_ledger_shows_the_badge(office, liaison):
    a = row(3)
    deadline = today() + datetime.timedelta(days=14)
    response = client_for(office).post(
        f"/assignments/{a.pk}/supervise/",
        {"version": a.version, "reason": "连续三周未报送", "deadline": deadline.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == f"/assignments/{a.pk}/"
    listing = ListedSupervision.objects.active().get()
    assert (listing.assignment, listing.reason, listing.deadline, listing.listed_by) == (
        a,
        "连续三周未报送",
        deadline,
        office,
    )
    assert AuditEntry.objects.filter(assignment=a, action="list_supervision").exists()

    page = client_for(office).get(f"/assignments/{a.pk}/")
    assert "挂牌督办中" in page.content.decode() and "连续三周未报送" in page.content.decode()
    assert set(page.context["forms"]) == {"lift_supervision"}  # listed once: no second listing form

    for user in (office, liaison):
        ledger = client_for(user).get("/ledger/?sort=task")
        flags = {r.pk: r.listed for r in ledger.context["page"].object_list}
        assert flags[a.pk] is True and sum(flags.values()) == 1
        assert ledger.content.decode().count('class="listed"') == 1


def test_the_office_lifts_a_listing_from_the_assignment_page(office):
    a = row(3)
    listing = listed(office, a)
    response = client_for(office).post(
        f"/assignments/{a.pk}/lift_supervision/", {"version": a.version, "note": "已整改到位"}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.lifted_at is not None and listing.lift_note == "已整改到位" and listing.lifted_by == office
    assert AuditEntry.objects.filter(assignment=a, action="lift_supervision").exists()
    assert set(client_for(office).get(f"/assignments/{a.pk}/").context["forms"]) == {"supervise"}
    ledger = client_for(office).get("/ledger/")
    assert 'class="listed"' not in ledger.content.decode()


def test_the_office_lifts_a_listing_from_the_supervision_page_and_it_moves_to_the_history(office):
    listing = listed(office, row(3))
    client = client_for(office)
    response = client.post(f"/supervision/listings/{listing.pk}/lift/", {"note": "按期完成"})
    assert response.status_code == 302 and response["Location"] == "/supervision/#listings"
    page = client.get("/supervision/")
    assert page.context["active"] == [] and [item.pk for item in page.context["lifted"]] == [listing.pk]
    assert "按期完成" in page.content.decode() and "已摘牌：任务3 · 晋中市" in page.content.decode()
    again = client.post(f"/supervision/listings/{listing.pk}/lift/", {"note": ""})
    assert again.status_code == 400 and "该挂牌督办已摘牌" in again.content.decode()


def test_the_office_records_a_summons_with_the_units_assignments(office):
    response = client_for(office).post(
        "/supervision/summons/",
        {
            "unit": unit("晋中市").pk,
            "held_on": "2017-11-20",
            "attendees": "王某（副市长）",
            "reason": "整改推进不力",
            "requirements": "一个月内完成",
            "assignments": "3，17 3",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/supervision/#summons"
    summons = Summons.objects.get()
    assert (summons.unit.name, summons.held_on, summons.attendees, summons.requirements) == (
        "晋中市",
        datetime.date(2017, 11, 20),
        "王某（副市长）",
        "一个月内完成",
    )
    assert sorted(summons.assignments.values_list("task__number", flat=True)) == [3, 17]
    entry = AuditEntry.objects.get(action="record_summons")
    assert entry.actor == office and entry.after["assignments"] == sorted([row(3).pk, row(17).pk])


def test_the_office_refers_a_case_and_moves_it_to_its_conclusion(office):
    client = client_for(office)
    response = client.post(
        "/supervision/cases/",
        {
            "unit": unit("晋中市").pk,
            "persons": "李某（局长）",
            "summary": "敷衍整改",
            "referred_to": "省纪委监委",
            "referred_on": "2017-11-21",
            "assignment": "17",
        },
    )
    assert response.status_code == 302
    case = AccountabilityCase.objects.get()
    assert (case.assignment, case.persons, case.status) == (row(17), "李某（局长）", CaseStatus.REFERRED)
    assert AuditEntry.objects.filter(action="refer_case", assignment=row(17)).exists()

    page = client.get("/supervision/")
    assert [c for c, _ in page.context["cases"][0].status_form.fields["status"].choices] == [
        "investigating",
        "concluded",
    ]
    assert (
        client.post(f"/supervision/cases/{case.pk}/status/", {"status": "investigating"}).status_code == 302
    )
    response = client.post(
        f"/supervision/cases/{case.pk}/status/", {"status": "concluded", "conclusion": "党内严重警告"}
    )
    assert response.status_code == 302 and response["Location"] == f"/supervision/#case-{case.pk}"
    case.refresh_from_db()
    assert (case.status, case.conclusion) == (CaseStatus.CONCLUDED, "党内严重警告")
    assert AuditEntry.objects.filter(action="update_case").count() == 2
    page = client.get("/supervision/")
    assert not hasattr(page.context["cases"][0], "status_form")  # a concluded case is done
    assert "已办结" in page.content.decode() and "党内严重警告" in page.content.decode()


def test_the_office_adds_a_leader_led_item_on_the_task_page_and_everyone_sees_it(office, liaison):
    task = Task.objects.get(number=3)
    response = client_for(office).post(
        f"/tasks/{task.pk}/leader-items/",
        {"leader_name": "张 三", "leader_title": "副省长", "note": "每月调度一次"},
    )
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/#leader-items"
    item = LeaderLedItem.objects.get()
    assert (item.task, item.leader_name, item.leader_title) == (task, "张三", "副省长")
    assert AuditEntry.objects.filter(action="add_leader_item").exists()
    for user in (office, liaison):
        assert "领导领办：张三（副省长）" in client_for(user).get(f"/tasks/{task.pk}/").content.decode()
    assert client_for(liaison).get(f"/tasks/{task.pk}/").context["leader_form"] is None
    assert [i.leader_name for i in client_for(liaison).get("/supervision/").context["leader_items"]] == [
        "张三"
    ]


# --- nobody else writes ---------------------------------------------------------------------------------


def writes(office):
    """Every write of the pages, as (url, data), against 晋中市's records."""
    a = row(3)
    listing = listed(office, row(17))
    case = referred(office)
    return [
        (
            f"/assignments/{a.pk}/supervise/",
            {"version": a.version, "reason": "滞后", "deadline": "2030-01-01"},
        ),
        (f"/assignments/{row(17).pk}/lift_supervision/", {"note": "x"}),
        (f"/supervision/listings/{listing.pk}/lift/", {"note": "x"}),
        (
            "/supervision/summons/",
            {"unit": unit("晋中市").pk, "held_on": "2017-11-20", "attendees": "王某", "reason": "滞后"},
        ),
        (
            "/supervision/cases/",
            {
                "unit": unit("晋中市").pk,
                "persons": "李某",
                "summary": "失职",
                "referred_to": "省纪委监委",
                "referred_on": "2017-11-21",
            },
        ),
        (f"/supervision/cases/{case.pk}/status/", {"status": "investigating"}),
        (f"/tasks/{a.task_id}/leader-items/", {"leader_name": "张三"}),
    ]


@pytest.mark.parametrize("who", ["leader", "liaison", "unit_leader"])
def test_only_the_office_writes_others_get_403_and_nothing_changes(request, office, who):
    client = client_for(request.getfixturevalue(who))  # (creating an account is audited too)
    calls = writes(office)
    before = changes()
    for url, data in calls:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "省督察办" in response.content.decode(), url
    assert changes() == before


def test_a_leader_reads_the_page_without_forms_and_has_it_in_the_navigation(office, leader):
    listed(office, row(3))
    summoned(office)
    referred(office, "临汾市")
    page = client_for(leader).get("/supervision/")
    assert page.status_code == 200
    assert (len(page.context["active"]), len(page.context["summons"]), len(page.context["cases"])) == (
        1,
        1,
        1,
    )
    body = page.content.decode()
    assert "summons_form" not in page.context and '<form method="post" action="/supervision/' not in body
    assert "（只读）" in body and 'href="/supervision/" aria-current="page"' in body
    assert 'href="/supervision/"' in client_for(office).get("/ledger/").content.decode()


def test_the_public_sees_nothing_of_it(office):
    listed(office, row(3))
    response = client_for().get("/supervision/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client_for().post("/supervision/summons/", {}).status_code == 302
    assert 'href="/supervision/"' not in client_for().get("/public/").content.decode()


# --- a unit sees its own ----------------------------------------------------------------------------------


def test_a_liaison_sees_only_the_records_of_their_unit_and_gets_404_on_another(
    office, liaison, unit_leader, outsider
):
    mine = listed(office, row(3, "晋中市"))
    theirs = listed(office, row(9, "临汾市"))
    summoned(office, "晋中市", "晋中事由")
    summoned(office, "临汾市", "临汾事由")
    my_case = referred(office, "晋中市", "晋中某人")
    their_case = referred(office, "临汾市", "临汾某人")
    for user in (liaison, unit_leader):
        page = client_for(user).get("/supervision/")
        assert [item.pk for item in page.context["active"]] == [mine.pk]
        assert [s.unit.name for s in page.context["summons"]] == ["晋中市"]
        assert [c.pk for c in page.context["cases"]] == [my_case.pk]
        body = page.content.decode()
        assert "晋中事由" in body and "晋中某人" in body
        assert "临汾" not in body
        assert '<form method="post" action="/supervision/' not in body
        assert '<a href="/supervision/" aria-current="page">督办问责</a>' in body  # in their navigation too
    assert [item.pk for item in client_for(outsider).get("/supervision/").context["active"]] == [theirs.pk]

    before = changes()
    client = client_for(liaison)
    assert client.post(f"/supervision/listings/{theirs.pk}/lift/", {"note": "x"}).status_code == 404
    assert (
        client.post(f"/supervision/cases/{their_case.pk}/status/", {"status": "investigating"}).status_code
        == 404
    )
    assert (
        client.post(f"/assignments/{row(9, '临汾市').pk}/lift_supervision/", {"note": "x"}).status_code == 404
    )
    assert client.get(f"/assignments/{row(9, '临汾市').pk}/").status_code == 404
    assert client.post(f"/supervision/listings/{mine.pk}/lift/", {"note": "x"}).status_code == 403
    assert changes() == before


# --- bad input ----------------------------------------------------------------------------------------


def test_a_listing_without_reason_or_with_a_bad_date_is_refused_in_chinese(office):
    a = row(3)
    before = changes()
    response = client_for(office).post(
        f"/assignments/{a.pk}/supervise/", {"version": a.version, "reason": "  ", "deadline": "2017-13-40"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写挂牌理由" in body and "督办期限格式不正确，应为 YYYY-MM-DD" in body
    assert 'aria-invalid="true"' in body
    assert changes() == before


def test_listing_twice_or_a_signed_off_assignment_shows_the_services_message(office):
    a = row(3)
    listed(office, a)
    before = changes()
    response = client_for(office).post(
        f"/assignments/{a.pk}/supervise/",
        {"version": a.version, "reason": "再次挂牌", "deadline": "2030-01-01"},
    )
    assert response.status_code == 400 and "该台账已在挂牌督办中" in response.content.decode()
    signed = row(17)
    Assignment.objects.filter(pk=signed.pk).update(status="signed_off")
    response = client_for(office).post(
        f"/assignments/{signed.pk}/supervise/",
        {"version": signed.version, "reason": "x", "deadline": "2030-01-01"},
    )
    assert response.status_code == 400 and "已销号的台账不能挂牌督办" in response.content.decode()
    assert changes() == before


def test_a_summons_with_missing_fields_or_another_units_task_is_refused(office):
    before = changes()
    client = client_for(office)
    response = client.post(
        "/supervision/summons/", {"unit": "", "held_on": "昨天", "attendees": "", "reason": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    for message in ["请选择被约谈单位", "约谈日期格式不正确", "请填写被约谈人", "请填写约谈事由"]:
        assert message in body, message
    assert response.context["open_form"] == "summons"  # the form stays open with the errors beside its fields
    response = client.post(
        "/supervision/summons/",
        {
            "unit": unit("晋中市").pk,
            "held_on": "2017-11-20",
            "attendees": "王某",
            "reason": "滞后",
            "assignments": "3, 9, 99",
        },
    )
    assert response.status_code == 400 and "晋中市没有任务9、99的台账" in response.content.decode()
    response = client.post(
        "/supervision/summons/",
        {
            "unit": unit("晋中市").pk,
            "held_on": "2017-11-20",
            "attendees": "王" * 301,
            "reason": "滞后",
            "assignments": "三",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "任务序号应为数字" in body and "300" in body
    response = client.post(
        "/supervision/summons/",
        {"unit": "999999", "held_on": "2017-11-20", "attendees": "王某", "reason": "滞后"},
    )
    assert response.status_code == 400 and "请从列表中选择被约谈单位" in response.content.decode()
    assert changes() == before


def test_a_case_is_refused_for_bad_input_and_concluded_only_with_a_conclusion(office):
    case = referred(office)
    before = changes()
    client = client_for(office)
    response = client.post(
        "/supervision/cases/",
        {
            "unit": unit("晋中市").pk,
            "persons": "",
            "summary": "x",
            "referred_to": "",
            "referred_on": "",
            "assignment": "9",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    for message in ["请填写涉及人员", "请填写移交机关", "请填写移交日期", "晋中市没有任务9的台账"]:
        assert message in body, message
    response = client.post(
        f"/supervision/cases/{case.pk}/status/", {"status": "concluded", "conclusion": " "}
    )
    assert response.status_code == 400 and "办结须填写处理结果" in response.content.decode()
    assert response.context["cases"][0].status_form.errors  # shown beside the case's own form
    response = client.post(f"/supervision/cases/{case.pk}/status/", {"status": "referred"})
    assert response.status_code == 400 and "请从列表中选择办理状态" in response.content.decode()
    assert client.post("/supervision/cases/999999/status/", {"status": "investigating"}).status_code == 404
    assert changes() == before


def test_a_leader_led_item_is_refused_without_a_name_or_twice(office):
    task = Task.objects.get(number=3)
    services.add_leader_item(actor=office, task=task, leader_name="张三")
    before = changes()
    client = client_for(office)
    response = client.post(f"/tasks/{task.pk}/leader-items/", {"leader_name": ""})
    assert response.status_code == 400 and "请填写领办领导" in response.content.decode()
    response = client.post(f"/tasks/{task.pk}/leader-items/", {"leader_name": "张三"})
    assert response.status_code == 400 and "张三 已领办任务3" in response.content.decode()
    assert client.post("/tasks/999999/leader-items/", {"leader_name": "李四"}).status_code == 404
    assert changes() == before


# --- where people work --------------------------------------------------------------------------------


def test_the_page_counts_days_left_and_the_dashboard_counts_overdue_listings(office):
    day = today()
    listed(office, row(3), deadline=day + datetime.timedelta(days=5))
    with override_settings(
        RECTIFY_TODAY=day - datetime.timedelta(days=10)
    ):  # listed ten days ago: a deadline is never past when set
        listed(office, row(17), deadline=day - datetime.timedelta(days=2))
        lifted = listed(office, row(25), deadline=day - datetime.timedelta(days=9))
    services.lift_listing(lifted.pk, actor=office, note="到位")
    page = client_for(office).get("/supervision/")
    body = page.content.decode()
    assert [item.days_left for item in page.context["active"]] == [-2, 5]  # nearest deadline first
    assert "逾期 2 天" in body and "剩 5 天" in body and page.context["overdue_count"] == 1
    dashboard = client_for(office).get("/dashboard/")
    assert dashboard.context["listings"] == {"active": 2, "overdue": 1}


def fill(office, n):
    """n listings, summons (each naming two assignments), cases and leader-led items."""
    rows = list(Assignment.objects.filter(unit__name="晋中市").order_by("task__number"))
    for i in range(n):
        listing = listed(office, rows[i])
        if i % 2:
            services.lift_listing(listing.pk, actor=office, note="到位")
        services.record_summons(
            actor=office,
            unit=rows[i].unit,
            held_on=datetime.date(2017, 11, 1 + i),
            attendees="王某",
            reason="滞后",
            assignments=rows[i : i + 2],
        )
        case = services.refer_case(
            actor=office,
            unit=rows[i].unit,
            persons=f"某{i}",
            summary="失职",
            referred_on=datetime.date(2017, 11, 1 + i),
            assignment=rows[i],
        )
        if i % 2:
            services.update_case(case.pk, actor=office, status="concluded", conclusion="处分")
        services.add_leader_item(actor=office, task=rows[i].task, leader_name=f"领导{i}")


@pytest.mark.parametrize("n", [2, 6])
def test_the_supervision_page_runs_a_fixed_number_of_queries(
    office, liaison, leader, n, django_assert_num_queries
):
    fill(office, n)
    # session, user, membership; active listings and recently lifted ones (each with its assignment's task
    # and unit and the people joined); summons with unit and recorder, then their assignments with tasks
    # (one prefetch); cases with unit and assignment's task; leader-led items with task; the units for the
    # two forms (office only); the inbox count.
    for user, expected in ((office, 11), (leader, 10), (liaison, 10)):
        client = client_for(user)
        with django_assert_num_queries(expected):
            page = client.get("/supervision/")
        assert len(page.context["summons"]) == n


@pytest.mark.parametrize("n", [2, 6])
def test_the_ledger_badge_and_the_dashboard_figures_add_no_query_per_row(
    office, n, django_assert_num_queries
):
    fill(office, n)
    client = client_for(office)
    with django_assert_num_queries(10):  # as in test_web_queries: the badge is an EXISTS in the rows' query
        page = client.get("/ledger/?sort=task")
    assert len(page.context["page"].object_list) == 50
    page = client.get(f"/ledger/?unit={unit('晋中市').pk}")
    assert sum(r.listed for r in page.context["page"].object_list) == (n + 1) // 2
    # as in test_web_queries (plans, the per-unit and per-city figures, urges, 签收 per unit, the trend)
    with django_assert_num_queries(19):
        client.get("/dashboard/")
