"""Who may do what to which assignment, endpoint by endpoint.

The scene belongs to 晋中市 (alice liaison, bob unit leader). charlie and dave are
临汾市's liaison and unit leader: for them 晋中市's rows do not exist (404, whatever
the endpoint). leo (leader) reads everything and writes nothing (403). Nobody
anonymous gets past 401. A refused request changes nothing.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import Assignment, AuditEntry, Evidence, ProgressReport
from tasks.services import ledger
from tests.conftest import PEOPLE
from tests.helpers import row

pytestmark = [pytest.mark.django_db, pytest.mark.today()]


@pytest.fixture(scope="module")
def scene(module_people, django_db_blocker):
    """Task 17 signed off with a pending review; task 3 with a pending extension;
    task 37 awaiting the first check; task 42 awaiting the second. Built once for the module
    (``module_db``, with its people): every test sees it as built."""
    with django_db_blocker.unblock():
        people = get_user_model().objects.in_bulk(["alice", "bob", "olga"], field_name="username")
        return build_scene(people["alice"], people["bob"], people["olga"])


def build_scene(liaison, unit_leader, office):
    def evidence_pdf():
        return SimpleUploadedFile("佐证.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")

    signed = row(17)
    ledger.submit_report(
        signed.pk, actor=liaison, week="2017-W40", text="完成", percent=100, files=[evidence_pdf()]
    )
    ledger.request_signoff(signed.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(signed.pk, actor=unit_leader)
    ledger.approve(signed.pk, actor=office)
    review = ledger.schedule_review(signed.pk, actor=office, scheduled_for=datetime.date(2018, 3, 1))
    extension = ledger.request_extension(
        row(3).pk,
        actor=liaison,
        new_due_date=row(3).effective_due_date + datetime.timedelta(days=180),
        reason="跨年施工，冬季无法浇筑混凝土",
    )
    for number in (37, 42):
        a = row(number)
        ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="推进", percent=100)
        ledger.request_signoff(a.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(row(42).pk, actor=unit_leader)
    return {
        "signed": signed.pk,
        "review": review.pk,
        "extending": row(3).pk,
        "extension": extension.pk,
        "first_check": row(37).pk,
        "second_check": row(42).pk,
        "evidence": Evidence.objects.filter(assignment=signed).first().pk,
    }


READS = {
    "detail": lambda s: f"/api/assignments/{s['signed']}/",
    "history": lambda s: f"/api/assignments/{s['signed']}/history/",
    "evidence": lambda s: f"/api/evidence/{s['evidence']}/",
}

WRITES = {
    "reports": (
        lambda s: f"/api/assignments/{s['signed']}/reports/",
        {"week": "2017-W41", "text": "x", "percent": 5},
    ),
    "signoff": (lambda s: f"/api/assignments/{s['first_check']}/signoff/", {"summary": "x"}),
    "approve": (lambda s: f"/api/assignments/{s['first_check']}/approve/", {"opinion": "同意"}),
    "reject": (lambda s: f"/api/assignments/{s['second_check']}/reject/", {"reason": "不同意"}),
    "schedule_review": (
        lambda s: f"/api/assignments/{s['signed']}/reviews/",
        {"scheduled_for": "2018-05-01"},
    ),
    "review_outcome": (
        lambda s: f"/api/assignments/{s['signed']}/reviews/{s['review']}/",
        {"outcome": "holds"},
    ),
    "request_extension": (
        lambda s: f"/api/assignments/{s['first_check']}/extensions/",
        {"new_due_date": "2018-06-30", "reason": "跨年施工，冬季无法浇筑混凝土"},
    ),
    "decide_extension": (
        lambda s: f"/api/assignments/{s['extending']}/extensions/{s['extension']}/decide/",
        {"approve": True},
    ),
}


def ledger_state():
    """Everything a refused write must leave as it was."""
    return (
        list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "status", "version", "extended_due_date", "next_review_date"
            )
        ),
        ProgressReport.objects.count(),
        Evidence.objects.count(),
        AuditEntry.objects.count(),
    )


def assert_chinese(response):
    assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"]), response.json()


@pytest.fixture
def users(scene, db):
    """The scene's people, read afresh for each test."""
    return get_user_model().objects.in_bulk(list(PEOPLE), field_name="username")


@pytest.mark.parametrize("endpoint", READS)
@pytest.mark.parametrize(
    "who, expected",
    [
        ("alice", 200),
        ("bob", 200),
        ("olga", 200),
        ("leo", 200),
        ("charlie", 404),
        ("dave", 404),
        (None, 401),
    ],
)
def test_reads(api, scene, users, endpoint, who, expected):
    response = api(users.get(who)).get(READS[endpoint](scene))
    assert response.status_code == expected
    if expected != 200:
        assert_chinese(response)


@pytest.mark.parametrize("endpoint", WRITES)
@pytest.mark.parametrize("who, expected", [("leo", 403), ("charlie", 404), ("dave", 404), (None, 401)])
def test_writes_refused_before_anything_else(api, scene, users, endpoint, who, expected):
    path, body = WRITES[endpoint]
    before = ledger_state()
    response = api(users.get(who)).post(path(scene), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == expected
    assert_chinese(response)
    assert ledger_state() == before


@pytest.mark.parametrize("endpoint", WRITES)
def test_the_leader_gets_403_with_a_reason(api, scene, leader, endpoint):
    path, body = WRITES[endpoint]
    response = api(leader).post(path(scene), body, format="json")
    assert response.json()["detail"] == "领导及未分配角色的账号只能查看台账，不能修改"


@pytest.mark.parametrize(
    "who, endpoint, message",
    [
        ("bob", "reports", "应由本单位联络员办理"),
        ("olga", "reports", "应由本单位联络员办理"),
        ("alice", "approve", "应由本单位负责人办理"),
        ("olga", "approve", "应由本单位负责人办理"),  # the first check is the unit's
        ("alice", "reject", "应由省督察办办理"),
        ("bob", "reject", "应由省督察办办理"),  # the second check is the office's
        ("alice", "schedule_review", "由省督察办办理"),
        ("bob", "review_outcome", "由省督察办办理"),
        ("olga", "request_extension", "由本单位联络员提出"),
        ("bob", "request_extension", "由本单位联络员提出"),
        ("alice", "decide_extension", "由本单位负责人审核、省督察办审批"),
        ("olga", "decide_extension", "须先由本单位负责人审核"),  # the unit's leader decides first
    ],
)
def test_the_wrong_role_for_the_state_gets_403(api, scene, users, who, endpoint, message):
    path, body = WRITES[endpoint]
    before = ledger_state()
    response = api(users[who]).post(path(scene), body, format="json")
    assert response.status_code == 403
    assert message in response.json()["detail"]
    assert ledger_state() == before


@pytest.mark.parametrize(
    "who, units",
    [
        ("alice", {"晋中市"}),
        ("bob", {"晋中市"}),
        ("charlie", {"临汾市"}),
        ("dave", {"临汾市"}),
    ],
)
def test_unit_roles_list_only_their_own_units_rows(api, users, who, units):
    body = api(users[who]).get("/api/assignments/?page_size=200").json()
    assert {r["unit"]["name"] for r in body["results"]} == units
    assert body["count"] == Assignment.objects.filter(unit__name__in=units).count() > 0


def test_filtering_for_another_unit_finds_nothing(api, outsider):
    body = api(outsider).get("/api/assignments/?unit=晋中市").json()
    assert body["count"] == 0


@pytest.mark.parametrize("who", ["olga", "leo"])
def test_office_and_leaders_list_every_row(api, users, who):
    assert api(users[who]).get("/api/assignments/").json()["count"] == Assignment.objects.count()


def test_anonymous_callers_get_401_on_the_list(api, plan):
    response = api().get("/api/assignments/")
    assert response.status_code == 401 and "登录" in response.json()["detail"]


def test_an_account_without_a_role_sees_nothing_and_writes_nothing(api, scene):
    nobody = get_user_model().objects.create_user("nora", password="x")
    assert api(nobody).get("/api/assignments/").json()["count"] == 0
    assert api(nobody).get(READS["detail"](scene)).status_code == 404
    path, body = WRITES["reports"]
    assert api(nobody).post(path(scene), body, format="json").status_code == 403
