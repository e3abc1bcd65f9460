"""The whole ledger path through the API, as the three people who walk it.

alice (liaison of 晋中市) reports and asks for sign-off, bob (晋中市's unit leader) makes
the first check, olga (office) the second; both checks can send it back, a look-back
review can reopen it, and an extension moves the effective deadline but never the
original one. Each user signs in with a token, as a script would.
"""

import datetime
import json

import pytest

from tasks.choices import Status
from tasks.models import AuditEntry
from tasks.weeks import today
from tests.conftest import PASSWORD
from tests.helpers import row

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api):
    """An APIClient carrying the user's token from /api/auth/token/."""

    def client_for(user):
        client = api()
        token = client.post(
            "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
        )
        assert token.status_code == 200
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        return client

    return client_for


def url(assignment, action=""):
    return f"/api/assignments/{assignment.pk}/" + (f"{action}/" if action else "")


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_an_assignment_goes_from_not_started_to_signed_off_through_both_rejections_and_a_relapse(
    signed_in, liaison, unit_leader, office, evidence_pdf, settings
):
    a = row(17)
    alice, bob, olga = signed_in(liaison), signed_in(unit_leader), signed_in(office)

    start = alice.get(url(a))
    assert start["ETag"] == '"1"'
    body = ok(start)
    assert (body["status"], body["status_label"], body["version"]) == ("not_started", "未启动", 1)
    assert body["task"]["number"] == 17 and body["unit"]["name"] == "晋中市"
    assert "report" in body["allowed_actions"] and "signoff" not in body["allowed_actions"]

    measure = body["measures"][0]["number"]
    body = ok(
        alice.post(
            url(a, "reports"),
            {
                "week": "2017-W40",
                "text": "完成排查，制定方案",
                "percent": "30",
                "measure_notes": json.dumps({str(measure): "已完成排查"}),
                "evidence": [evidence_pdf("排查表.pdf")],
            },
            HTTP_IF_MATCH='"1"',
        ),
        201,
    )
    assert (body["status"], body["version"], body["percent"], body["last_report_week"]) == (
        "in_progress",
        2,
        30,
        "2017-W40",
    )
    report = body["last_report"]
    assert (report["author"], report["text"], report["measure_notes"]) == (
        "alice",
        "完成排查，制定方案",
        {str(measure): "已完成排查"},
    )
    assert [e["name"] for e in report["evidence"]] == ["排查表.pdf"]
    assert body["evidence"][0]["url"].endswith(f"/api/evidence/{report['evidence'][0]['id']}/")

    # First request: bob sends it back at the first check.
    body = ok(
        alice.post(url(a, "signoff"), {"summary": "已整改完毕", "evidence": [evidence_pdf("验收.pdf")]}), 201
    )
    assert body["status"] == "signoff_requested" and body["open_signoff"]["requested_by"] == "alice"
    assert ok(bob.get(url(a)))["allowed_actions"] == ["approve", "reject"]
    body = ok(bob.post(url(a, "reject"), {"reason": "佐证材料不全"}, format="json"))
    assert body["status"] == "in_progress" and body["open_signoff"] is None
    first = body["signoffs"][0]
    assert (first["status"], first["unit_checked_by"], first["rejection_reason"]) == (
        "rejected",
        "bob",
        "佐证材料不全",
    )

    # Second request: bob passes it, olga sends it back at the second check.
    ok(alice.post(url(a, "signoff"), {"summary": "补充了材料", "evidence": [evidence_pdf()]}), 201)
    body = ok(bob.post(url(a, "approve"), {"opinion": "同意"}, format="json"))
    assert body["status"] == "unit_verified" and body["open_signoff"]["unit_checked_by"] == "bob"
    assert ok(bob.get(url(a)))["allowed_actions"] == []  # the second check is not the unit leader's
    body = ok(olga.post(url(a, "reject"), {"reason": "现场核查未达标"}, format="json"))
    assert body["status"] == "in_progress"
    assert (body["signoffs"][0]["office_checked_by"], body["signoffs"][0]["office_opinion"]) == (
        "olga",
        "现场核查未达标",
    )

    # Third request passes both checks.
    ok(alice.post(url(a, "signoff"), {"summary": "整改到位", "evidence": [evidence_pdf()]}), 201)
    ok(bob.post(url(a, "approve"), {"opinion": "同意"}, format="json"))
    body = ok(olga.post(url(a, "approve"), {"opinion": "同意销号"}, format="json"))
    assert body["status"] == "signed_off" and body["signed_off_at"]
    assert [s["status"] for s in body["signoffs"]] == ["approved", "rejected", "rejected"]
    assert "schedule_review" in body["allowed_actions"]

    # A look-back review finds the problem back: the assignment reopens.
    settings.RECTIFY_TODAY = datetime.date(2017, 12, 1)  # scheduled in December for March: never in the past
    body = ok(olga.post(url(a, "reviews"), {"scheduled_for": "2018-03-01"}, format="json"), 201)
    settings.RECTIFY_TODAY = None
    review = body["pending_review"]
    assert review["scheduled_for"] == "2018-03-01" and body["next_review_date"] == "2018-03-01"
    body = ok(
        olga.post(
            url(a, f"reviews/{review['id']}"),
            {
                "outcome": "relapsed",
                "findings": "问题反弹",
                "requirements": "限期整改到位",
                "new_due_date": (today() + datetime.timedelta(days=90)).isoformat(),
            },
            format="json",
        )
    )
    assert (body["status"], body["status_label"]) == ("reopened", "问题反弹、重新整改")
    assert body["reviews"][0]["outcome"] == "relapsed" and body["pending_review"] is None

    # Re-report, re-request, both checks again.
    ok(alice.post(url(a, "reports"), {"week": "2018-W10", "text": "重新整改", "percent": "90"}), 201)
    ok(alice.post(url(a, "signoff"), {"summary": "再次整改到位", "evidence": [evidence_pdf()]}), 201)
    ok(bob.post(url(a, "approve"), {}, format="json"))
    body = ok(olga.post(url(a, "approve"), {}, format="json"))
    assert body["status"] == "signed_off"
    a.refresh_from_db()
    assert a.status == Status.SIGNED_OFF and a.version == body["version"]

    history = ok(olga.get(url(a, "history") + "?page_size=200"))
    status_changes = [
        (e["action"], e["actor"], e["after"]["status"])
        for e in history["results"]
        if e["model"] == "tasks.assignment" and e["after"] and "status" in e["after"]
    ]
    assert status_changes == [
        ("report", "alice", "in_progress"),
        ("request_signoff", "alice", "signoff_requested"),
        ("reject", "bob", "in_progress"),
        ("request_signoff", "alice", "signoff_requested"),
        ("approve", "bob", "unit_verified"),
        ("reject", "olga", "in_progress"),
        ("request_signoff", "alice", "signoff_requested"),
        ("approve", "bob", "unit_verified"),
        ("approve", "olga", "signed_off"),
        ("relapse", "olga", "reopened"),
        ("report", "alice", "in_progress"),
        ("request_signoff", "alice", "signoff_requested"),
        ("approve", "bob", "unit_verified"),
        ("approve", "olga", "signed_off"),
    ]
    assert history["count"] == AuditEntry.objects.filter(assignment=a).count()


@pytest.mark.today(datetime.date(2018, 1, 15))
def test_an_approved_extension_moves_the_effective_deadline_and_keeps_the_original(
    signed_in, liaison, unit_leader, office
):
    a = row(3)
    alice, bob, olga = signed_in(liaison), signed_in(unit_leader), signed_in(office)
    before = ok(alice.get(url(a)))
    assert (before["due_date"], before["effective_due"], before["level"]) == (
        "2017-12-31",
        "2017-12-31",
        "red",
    )
    assert "request_extension" in before["allowed_actions"]
    later = "2018-06-30"

    body = ok(
        alice.post(
            url(a, "extensions"), {"new_due_date": later, "reason": "工程量大，需跨年施工"}, format="json"
        ),
        201,
    )
    extension = body["pending_extension"]
    assert (extension["new_due_date"], extension["requested_by"], extension["status"]) == (
        later,
        "alice",
        "pending",
    )
    assert body["effective_due"] == "2017-12-31" and "request_extension" not in body["allowed_actions"]
    # The unit's leader decides first; the office cannot yet.
    assert "decide_extension" not in ok(olga.get(url(a)))["allowed_actions"]
    assert "decide_extension" in ok(bob.get(url(a)))["allowed_actions"]
    early = olga.post(url(a, f"extensions/{extension['id']}/decide"), {"approve": True}, format="json")
    assert early.status_code == 403 and "须先由本单位负责人审核" in early.json()["detail"]
    body = ok(
        bob.post(
            url(a, f"extensions/{extension['id']}/decide"),
            {"approve": True, "note": "同意上报"},
            format="json",
        )
    )
    assert body["pending_extension"]["status"] == "unit_approved"
    assert body["pending_extension"]["status_label"] == "待督察办审批"
    assert body["effective_due"] == "2017-12-31"
    assert "decide_extension" in ok(olga.get(url(a)))["allowed_actions"]

    body = ok(
        olga.post(
            url(a, f"extensions/{extension['id']}/decide"), {"approve": True, "note": "同意"}, format="json"
        )
    )
    assert (body["due_date"], body["extended_due_date"], body["effective_due"]) == (
        "2017-12-31",
        later,
        later,
    )
    assert not body["level_reason"].startswith("已逾期") and body["version"] == before["version"] + 1
    assert body["extensions"][0]["status"] == "approved" and body["extensions"][0]["decided_by"] == "olga"
    overdue = ok(olga.get("/api/assignments/?overdue=true&unit=晋中市&task=3"))
    assert overdue["count"] == 0


def test_a_refused_extension_leaves_the_deadline_alone(signed_in, liaison, unit_leader, office):
    a = row(3)
    alice, bob, olga = signed_in(liaison), signed_in(unit_leader), signed_in(office)
    body = ok(
        alice.post(
            url(a, "extensions"),
            {"new_due_date": "2018-06-30", "reason": "省级配套资金未到位，工程无法按期开工"},
            format="json",
        ),
        201,
    )
    extension = body["pending_extension"]
    ok(bob.post(url(a, f"extensions/{extension['id']}/decide"), {"approve": True}, format="json"))
    nameless = olga.post(url(a, f"extensions/{extension['id']}/decide"), {"approve": "false"})
    assert nameless.status_code == 400 and nameless.json()["detail"] == "不批准延期须写明理由"

    body = ok(
        olga.post(url(a, f"extensions/{extension['id']}/decide"), {"approve": "false", "note": "理由不充分"})
    )
    assert (body["due_date"], body["extended_due_date"], body["effective_due"]) == (
        "2017-12-31",
        None,
        "2017-12-31",
    )
    assert (body["extensions"][0]["status"], body["extensions"][0]["decision_note"]) == (
        "refused",
        "理由不充分",
    )
    assert body["level"] == "red" and body["level_reason"].startswith("已逾期")
    assert body["pending_extension"] is None
    assert ok(olga.get("/api/assignments/?overdue=true&unit=晋中市&task=3"))["count"] == 1
