"""Listed supervision, summons, accountability referrals and leader-led items through the API."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.models import AccountabilityCase, ListedSupervision, Summons
from tasks.models import Assignment, AuditEntry, Task
from tests.helpers import row

# The plan's autumn: deadlines like 2017-11-30 are ahead, summons on 2017-11-01 behind.
TODAY = datetime.date(2017, 11, 20)

pytestmark = [pytest.mark.django_db, pytest.mark.today(TODAY)]


def test_the_office_lists_an_assignment_and_only_its_unit_sees_it(api, office, liaison, outsider, leader):
    jinzhong = row(3, "晋中市")
    response = api(office).post(
        "/api/supervisions/",
        {"assignment": jinzhong.pk, "reason": "进度明显滞后", "deadline": "2017-11-30"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["unit"] == "晋中市" and response.json()["active"] is True
    assert [s["assignment"] for s in api(liaison).get("/api/supervisions/").json()["results"]] == [
        jinzhong.pk
    ]
    assert api(outsider).get("/api/supervisions/").json()["count"] == 0
    assert api(leader).get("/api/supervisions/").json()["count"] == 1
    listing = ListedSupervision.objects.get()
    assert api(outsider).get(f"/api/supervisions/{listing.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["liaison", "unit_leader", "leader"])
def test_only_the_office_may_list_summon_or_refer(api, request, who):
    user = request.getfixturevalue(who)
    jinzhong = row(3, "晋中市")
    calls = [
        ("/api/supervisions/", {"assignment": jinzhong.pk, "reason": "滞后", "deadline": "2017-11-30"}),
        ("/api/summons/", {"unit": "晋中市", "held_on": "2017-11-01", "attendees": "某某", "reason": "滞后"}),
        (
            "/api/cases/",
            {"unit": "晋中市", "persons": "某某", "summary": "失职", "referred_on": "2017-11-01"},
        ),
        ("/api/leader-items/", {"task": jinzhong.task_id, "leader_name": "某某"}),
    ]
    for url, body in calls:
        response = api(user).post(url, body, format="json")
        assert response.status_code == 403, url
        assert "督察办" in response.json()["detail"]
    assert not ListedSupervision.objects.exists() and not Summons.objects.exists()
    assert not AccountabilityCase.objects.exists()


def test_anonymous_callers_get_401(api, plan):
    for url in ["/api/supervisions/", "/api/summons/", "/api/cases/", "/api/leader-items/"]:
        assert api().get(url).status_code == 401


def test_an_assignment_is_listed_once_until_lifted(api, office):
    jinzhong = row(3, "晋中市")
    body = {"assignment": jinzhong.pk, "reason": "滞后", "deadline": "2017-11-30"}
    first = api(office).post("/api/supervisions/", body, format="json").json()
    again = api(office).post("/api/supervisions/", body, format="json")
    assert again.status_code == 400 and "已在挂牌督办中" in again.json()["detail"]
    lifted = api(office).post(f"/api/supervisions/{first['id']}/lift/", {"note": "已整改到位"}, format="json")
    assert lifted.status_code == 200 and lifted.json()["active"] is False
    assert api(office).post(f"/api/supervisions/{first['id']}/lift/", {}, format="json").status_code == 400
    assert api(office).post("/api/supervisions/", body, format="json").status_code == 201
    assert api(office).get("/api/supervisions/?active=true").json()["count"] == 1


def test_a_summons_naming_another_units_assignment_is_refused(api, office):
    linfen = row(9, "临汾市")
    response = api(office).post(
        "/api/summons/",
        {
            "unit": "晋中市",
            "held_on": "2017-11-01",
            "attendees": "王成 副市长",
            "reason": "进度滞后",
            "assignments": [linfen.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "不属于晋中市" in response.json()["detail"]
    assert not Summons.objects.exists()


def test_a_summons_is_recorded_with_its_assignments(api, office, liaison, outsider):
    jinzhong = row(3, "晋中市")
    response = api(office).post(
        "/api/summons/",
        {
            "unit": "晋中市",
            "held_on": "2017-11-01",
            "attendees": "王成 副市长",
            "reason": "进度滞后",
            "assignments": [jinzhong.pk],
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["assignments"] == [jinzhong.pk]
    assert api(liaison).get("/api/summons/").json()["count"] == 1
    assert api(outsider).get("/api/summons/").json()["count"] == 0


def test_a_case_moves_forward_only_and_needs_a_conclusion_to_close(api, office):
    created = api(office).post(
        "/api/cases/",
        {"unit": "晋中市", "persons": "某县环保局局长", "summary": "监管失职", "referred_on": "2017-11-10"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["status"] == "referred"
    url = f"/api/cases/{created.json()['id']}/status/"
    no_conclusion = api(office).post(url, {"status": "concluded"}, format="json")
    assert no_conclusion.status_code == 400 and "处理结果" in no_conclusion.json()["detail"]
    assert (
        api(office).post(url, {"status": "investigating"}, format="json").json()["status"] == "investigating"
    )
    closed = api(office).post(url, {"status": "concluded", "conclusion": "党内严重警告"}, format="json")
    assert closed.json()["status"] == "concluded"
    back = api(office).post(url, {"status": "investigating"}, format="json")
    assert back.status_code == 400
    assert AccountabilityCase.objects.get().status == "concluded"


def test_bad_input_is_refused_in_chinese(api, office):
    response = api(office).post(
        "/api/cases/", {"unit": "火星市", "persons": "", "summary": "x", "referred_on": "昨天"}, format="json"
    )
    assert response.status_code == 400
    assert "输入有误" in response.json()["detail"]
    assert set(response.json()["errors"]) >= {"unit", "referred_on"}


def test_every_change_is_audited(api, office):
    jinzhong = row(3, "晋中市")
    before = AuditEntry.objects.count()
    listing = (
        api(office)
        .post(
            "/api/supervisions/",
            {"assignment": jinzhong.pk, "reason": "滞后", "deadline": "2017-11-30"},
            format="json",
        )
        .json()
    )
    api(office).post(f"/api/supervisions/{listing['id']}/lift/", {"note": "到位"}, format="json")
    api(office).post(
        "/api/leader-items/",
        {"task": Task.objects.get(number=1).pk, "leader_name": "高建民", "leader_title": "常务副省长"},
        format="json",
    )
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [e.action for e in entries] == ["list_supervision", "lift_supervision", "add_leader_item"]
    assert entries[1].before["lifted_at"] is None and entries[1].after["lifted_at"]
    assert all(e.actor == office for e in entries)


def test_the_supervision_list_has_a_fixed_query_count(api, office):
    client = api(office)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/supervisions/").status_code == 200
        return len(ctx.captured_queries)

    ListedSupervision.objects.create(
        assignment=row(3, "晋中市"), reason="x", deadline="2017-11-30", listed_by=office
    )
    one = count()
    for assignment in Assignment.objects.filter(task__number=1)[:8]:
        ListedSupervision.objects.create(
            assignment=assignment, reason="x", deadline="2017-11-30", listed_by=office
        )
    assert count() == one == 2  # count, page (assignment, task and unit joined)


def test_a_summons_or_referral_in_the_future_and_a_deadline_in_the_past_are_refused(api, office):
    jinzhong = row(3, "晋中市")
    tomorrow, yesterday = (
        (TODAY + datetime.timedelta(days=1)).isoformat(),
        (TODAY - datetime.timedelta(days=1)).isoformat(),
    )
    before = AuditEntry.objects.count()

    cases = [
        (
            "/api/summons/",
            {"unit": "晋中市", "held_on": tomorrow, "attendees": "某某", "reason": "滞后"},
            "held_on",
            "约谈日期不能晚于今天",
        ),
        (
            "/api/cases/",
            {"unit": "晋中市", "persons": "某某", "summary": "失职", "referred_on": tomorrow},
            "referred_on",
            "移交日期不能晚于今天",
        ),
        (
            "/api/supervisions/",
            {"assignment": jinzhong.pk, "reason": "滞后", "deadline": yesterday},
            "deadline",
            "督办期限不能早于今天",
        ),
    ]
    for url, body, field, message in cases:
        response = api(office).post(url, body, format="json")
        assert response.status_code == 400 and response.json()["errors"] == {field: [message]}, url
    assert (
        Summons.objects.count(),
        AccountabilityCase.objects.count(),
        ListedSupervision.objects.count(),
    ) == (0, 0, 0)
    assert AuditEntry.objects.count() == before

    today_ = TODAY.isoformat()  # the day itself is allowed on both sides
    assert (
        api(office).post("/api/summons/", {**cases[0][1], "held_on": today_}, format="json").status_code
        == 201
    )
    assert (
        api(office).post("/api/supervisions/", {**cases[2][1], "deadline": today_}, format="json").status_code
        == 201
    )
