"""Optimistic and pessimistic concurrency on the ledger.

Every write takes the assignment version in ``If-Match``; a stale one gets 412 and
changes nothing. Two office users approving the same request at the same moment
end with one sign-off: the row lock serialises them and the loser finds a newer
version (412) or a state with nothing left to approve (400). That test needs row
locks, so it runs on PostgreSQL; SQLite skips it, and CI (PostgreSQL only) never does.
"""

import datetime
import threading

import pytest
from django.db import connection, connections

from tasks.choices import Status
from tasks.models import Assignment, AuditEntry, Extension, ProgressReport, Review, SignOffRequest
from tasks.services import ledger
from tasks.services.audit import verify_chain
from tests.conftest import IN_CI
from tests.helpers import row

pytestmark = pytest.mark.today()

STALE = "该事项已被他人更新"


def snapshot():
    return (
        list(
            Assignment.objects.order_by("pk").values_list(
                "pk", "status", "version", "extended_due_date", "next_review_date"
            )
        ),
        ProgressReport.objects.count(),
        SignOffRequest.objects.values_list("pk", "status").order_by("pk").first(),
        list(Review.objects.values_list("outcome", flat=True)),
        list(Extension.objects.values_list("status", flat=True)),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_the_detail_etag_is_the_version_a_write_expects(api, liaison):
    a = row()
    client = api(liaison)
    etag = client.get(f"/api/assignments/{a.pk}/")["ETag"]
    assert etag == '"1"'
    response = client.post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W40", "text": "x", "percent": "5"},
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 201 and response["ETag"] == '"2"' and response.json()["version"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["1", '"1"', 'W/"1"'])
def test_a_stale_version_in_any_spelling_gets_412_and_changes_nothing(api, liaison, header):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=5)  # now version 2
    before = snapshot()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W41", "text": "y", "percent": "9"},
        HTTP_IF_MATCH=header,
    )
    assert response.status_code == 412
    assert response.json()["detail"] == "该事项已被他人更新，请刷新后重试"
    assert snapshot() == before


@pytest.fixture
def stages(liaison, unit_leader, office, evidence_pdf):
    """Assignments of 晋中市 at each stage where a write could go stale."""

    def report(a):
        ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=50)

    started = row(17)
    report(started)
    first = row(37)
    report(first)
    ledger.request_signoff(first.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    signed = row(42)
    report(signed)
    ledger.request_signoff(signed.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(signed.pk, actor=unit_leader)
    ledger.approve(signed.pk, actor=office)
    reviewed = row(31)
    report(reviewed)
    ledger.request_signoff(reviewed.pk, actor=liaison, summary="到位", files=[evidence_pdf()])
    ledger.approve(reviewed.pk, actor=unit_leader)
    ledger.approve(reviewed.pk, actor=office)
    review = ledger.schedule_review(
        reviewed.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1)
    )  # due today
    extending = row(3)
    extension = ledger.request_extension(
        extending.pk,
        actor=liaison,
        new_due_date=extending.effective_due_date + datetime.timedelta(days=90),
        reason="冬季停工，需待来年开春后继续施工",
    )
    return {
        "started": row(17),
        "first": row(37),
        "signed": row(42),
        "reviewed": row(31),
        "review": review,
        "extending": row(3),
        "extension": extension,
    }


WRITES = [
    ("alice", "started", "reports", {"week": "2017-W41", "text": "y", "percent": 60}),
    ("alice", "started", "signoff", {"summary": "到位"}),
    ("bob", "first", "approve", {"opinion": "同意"}),
    ("bob", "first", "reject", {"reason": "不全"}),
    ("olga", "signed", "reviews", {"scheduled_for": "2018-06-01"}),
    (
        "olga",
        "reviewed",
        "reviews/{review}",
        {"outcome": "relapsed", "findings": "反弹", "requirements": "限期整改", "new_due_date": "2018-03-31"},
    ),
    (
        "alice",
        "started",
        "extensions",
        {"new_due_date": "2018-06-30", "reason": "跨年施工，冬季无法浇筑混凝土"},
    ),
    ("bob", "extending", "extensions/{extension}/decide", {"approve": True}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("who, which, action, data", WRITES)
def test_every_write_refuses_a_stale_version(
    api, stages, liaison, unit_leader, office, evidence_pdf, who, which, action, data
):
    user = {"alice": liaison, "bob": unit_leader, "olga": office}[who]
    a = stages[which]
    path = (
        f"/api/assignments/{a.pk}/"
        + action.format(review=stages["review"].pk, extension=stages["extension"].pk)
        + "/"
    )
    body = {**data, "evidence": [evidence_pdf()]} if action == "signoff" else data
    before = snapshot()
    response = api(user).post(
        path, body, format="multipart" if action == "signoff" else "json", HTTP_IF_MATCH=f'"{a.version - 1}"'
    )
    assert response.status_code == 412, response.content.decode()
    assert STALE in response.json()["detail"]
    assert snapshot() == before
    # The same write with the current version goes through: the 412 was about the version only.
    body = {**data, "evidence": [evidence_pdf()]} if action == "signoff" else data
    fresh = api(user).post(
        path, body, format="multipart" if action == "signoff" else "json", HTTP_IF_MATCH=f'"{a.version}"'
    )
    assert fresh.status_code in (200, 201), fresh.content.decode()


def _require_row_locks():
    if connection.vendor == "sqlite":
        if IN_CI:
            pytest.fail("CI must run the concurrency test on PostgreSQL")
        pytest.skip("SQLite cannot lock rows; run with DATABASE_URL pointing at PostgreSQL")


def _race(clients, path, headers):
    """POST ``path`` from every client at the same moment; each thread on its own connection."""
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def run(i, client):
        try:
            barrier.wait(timeout=10)
            response = client.post(path, {"opinion": "同意"}, format="json", **headers)
            results[i] = (response.status_code, response.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(r is not None for r in results), results
    return results


@pytest.fixture
def awaiting_second_check(transactional_db, plan, make_user, evidence_pdf):
    from tasks.choices import Role

    alice = make_user("alice", Role.LIAISON, "晋中市")
    bob = make_user("bob", Role.UNIT_LEADER, "晋中市")
    a = row()
    ledger.submit_report(a.pk, actor=alice, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=alice, summary="到位", files=[evidence_pdf()])
    ledger.approve(a.pk, actor=bob)
    return row()


@pytest.mark.parametrize("with_if_match, loser", [(True, 412), (False, 400)])
def test_two_concurrent_approvals_end_with_exactly_one_sign_off(
    api, make_user, awaiting_second_check, with_if_match, loser
):
    _require_row_locks()
    from tasks.choices import Role

    a = awaiting_second_check
    version = a.version
    olga, oscar = make_user("olga", Role.OFFICE), make_user("oscar", Role.OFFICE)
    checks_before = AuditEntry.objects.filter(assignment=a, action="check_signoff").count()
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if with_if_match else {}

    results = _race([api(olga), api(oscar)], f"/api/assignments/{a.pk}/approve/", headers)

    statuses = sorted(status for status, _ in results)
    assert statuses == sorted([200, loser]), results
    losing = next(body for status, body in results if status == loser)
    assert losing["detail"] == (
        "该事项已被他人更新，请刷新后重试" if with_if_match else "当前状态“已销号”不能执行“审核通过”"
    )
    a.refresh_from_db()
    assert a.status == Status.SIGNED_OFF and a.version == version + 1
    assert AuditEntry.objects.filter(assignment=a, action="check_signoff").count() == checks_before + 1
    assert AuditEntry.objects.filter(assignment=a, action="approve", after__status="signed_off").count() == 1
    assert SignOffRequest.objects.get(assignment=a).status == "approved"
    assert verify_chain()[2] == ""
