"""The admin's sign-off queue, its checks through the ledger services, and the printable 销号单."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tasks.choices import SignOffStatus, Status
from tasks.models import Assignment, AuditEntry, SignOffRequest
from tasks.services import ledger
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

QUEUE = reverse("admin:tasks_signoffrequest_queue")


def requested(liaison, number, unit="晋中市", summary="整改已完成"):
    """Carry an assignment to 申请销号 through the services; returns the open request."""
    a = row(number, unit)
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="完成整改", percent=100)
    return ledger.request_signoff(
        a.pk,
        actor=liaison,
        summary=summary,
        files=[
            SimpleUploadedFile(f"验收-{number}.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
        ],
    )


def unit_checked(liaison, leader, number, unit="晋中市"):
    signoff = requested(liaison, number, unit)
    ledger.approve(signoff.assignment_id, actor=leader, opinion="同意提请销号")
    return signoff


def check_url(signoff):
    return reverse("admin:tasks_signoffrequest_check", args=[signoff.pk])


def sheet_url(signoff):
    return reverse("admin:tasks_signoffrequest_sheet", args=[signoff.pk])


def decide(user, signoff, decision, opinion="", version=None):
    a = Assignment.objects.get(pk=signoff.assignment_id)
    data = {"decision": decision, "opinion": opinion, "version": a.version if version is None else version}
    return client_for(user).post(check_url(signoff), data)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def state(signoff):
    """What a refused check must leave untouched."""
    a = Assignment.objects.get(pk=signoff.assignment_id)
    s = SignOffRequest.objects.get(pk=signoff.pk)
    return (
        a.status,
        a.version,
        s.status,
        s.unit_checked_by_id,
        s.office_checked_by_id,
        AuditEntry.objects.count(),
    )


def test_a_unit_leader_checks_in_the_pages_not_the_admin(liaison, unit_leader):
    own = requested(liaison, 17)

    assert not unit_leader.is_staff
    assert client_for(unit_leader).get(QUEUE)["Location"].startswith(reverse("admin:login"))
    page = client_for(unit_leader).get(reverse("queue"))
    assert [a.pk for a in page.context["rows"]] == [own.assignment_id]


def test_the_office_is_offered_the_second_checks_and_sees_first_checks_read_only(
    liaison, unit_leader, outsider, office
):
    first = requested(outsider, 10, "临汾市")
    second = unit_checked(liaison, unit_leader, 17)

    response = client_for(office).get(QUEUE)

    assert [s.pk for s in response.context["mine"]] == [second.pk]
    assert [s.pk for s in response.context["others"]] == [first.pk]
    page = response.content.decode()
    assert "待我审核（1）" in page and "单位审核（第一道）" in page and "督察办审核（第二道）" in page


def test_the_offices_approval_signs_off_and_the_sheet_prints_the_record(liaison, unit_leader, office):
    signoff = unit_checked(liaison, unit_leader, 17)

    response = decide(office, signoff, "approve", "经现场核查，同意销号")

    assert texts(response) == ["任务17 · 晋中市已销号，可在队列下方打印销号单"]
    assert row(17).status == Status.SIGNED_OFF
    queue = client_for(office).get(QUEUE)
    assert [s.pk for s in queue.context["sheets"]] == [signoff.pk]
    assert sheet_url(signoff) in queue.content.decode()

    sheet = client_for(office).get(sheet_url(signoff))

    assert sheet.status_code == 200
    page = sheet.content.decode()
    a = row(17)
    final = (
        AuditEntry.objects.filter(model="tasks.signoffrequest", object_id=str(signoff.pk))
        .order_by("-id")
        .first()
    )
    for expected in [
        "整改任务销号单",
        "任务17",
        a.unit.name,
        "整改已完成",
        "验收-17.pdf",
        "同意提请销号",
        "经现场核查，同意销号",
        "bob",
        "olga",
        final.hash,
        "/static/web/sheet.css",  # its print layout (@media print), a static file for the CSP
    ]:
        assert expected in page, expected
    assert "@media print" in (Path(__file__).parent.parent / "static/web/sheet.css").read_text(
        encoding="utf-8"
    )
    for measure in a.task.measures.all():
        assert measure.text in page


def test_a_rejection_needs_a_reason_and_changes_nothing_without_one(liaison, unit_leader, office):
    signoff = unit_checked(liaison, unit_leader, 17)
    before = state(signoff)

    response = decide(office, signoff, "reject", "  ")

    assert response.status_code == 400
    assert texts(response) == ["请填写退回理由"]
    assert state(signoff) == before


def test_a_rejection_with_a_reason_returns_the_assignment_to_in_progress(liaison, unit_leader, office):
    signoff = unit_checked(liaison, unit_leader, 17)

    response = decide(office, signoff, "reject", "缺少第三方监测报告")

    assert texts(response) == ["已退回任务17 · 晋中市的销号申请，台账回到“整改中”"]
    signoff.refresh_from_db()
    assert (signoff.status, signoff.rejection_reason, signoff.office_checked_by) == (
        SignOffStatus.REJECTED,
        "缺少第三方监测报告",
        office,
    )
    assert row(17).status == Status.IN_PROGRESS


def test_the_office_cannot_make_the_first_check(liaison, office):
    signoff = requested(liaison, 17)
    before = state(signoff)

    response = decide(office, signoff, "approve")

    assert response.status_code == 403
    assert texts(response) == ["“单位审核通过”应由本单位负责人办理"]
    assert state(signoff) == before


def test_another_units_leader_cannot_check_or_open_the_request(liaison, outsider_leader):
    signoff = requested(liaison, 17)
    before = state(signoff)

    response = decide(outsider_leader, signoff, "approve")

    assert response["Location"].startswith(reverse("admin:login"))  # unit leaders are not let in
    assert state(signoff) == before
    assert client_for(outsider_leader).get(check_url(signoff))["Location"].startswith(reverse("admin:login"))


def test_a_check_made_on_a_stale_page_is_refused(liaison, unit_leader, office):
    signoff = requested(liaison, 17)
    stale = row(17).version
    ledger.approve(signoff.assignment_id, actor=unit_leader, opinion="同意")
    before = state(signoff)

    response = decide(office, signoff, "approve", version=stale)

    assert response.status_code == 412
    assert "该事项已被他人更新，请刷新后重试" in texts(response)[0]
    assert state(signoff) == before


def test_a_check_without_a_decision_is_refused(liaison, unit_leader, office):
    signoff = unit_checked(liaison, unit_leader, 17)
    before = state(signoff)

    response = decide(office, signoff, "")

    assert response.status_code == 400 and texts(response) == ["请选择“通过”或“退回”"]
    assert state(signoff) == before


def test_a_closed_request_cannot_be_checked_again(liaison, unit_leader, office):
    old = unit_checked(liaison, unit_leader, 17)
    ledger.reject(old.assignment_id, actor=office, reason="材料不全")
    ledger.submit_report(old.assignment_id, actor=liaison, week="2017-W41", text="补齐", percent=100)
    new = ledger.request_signoff(
        old.assignment_id,
        actor=liaison,
        summary="补齐后重新申请",
        files=[SimpleUploadedFile("b.pdf", b"%PDF-1.4 b", content_type="application/pdf")],
    )
    before = state(new)

    response = decide(office, old, "approve")  # the old, rejected request's page

    assert texts(response) == ["该销号申请已退回，无需再审核"]
    assert state(new) == before


@pytest.mark.parametrize(
    "decision, message",
    [
        ("approve", "审核意见不能包含空字符（\\x00）"),
        ("reject", "退回理由不能包含空字符（\\x00）"),
    ],
)
def test_an_opinion_with_a_nul_is_refused_and_changes_nothing(
    liaison, unit_leader, office, decision, message
):
    signoff = unit_checked(liaison, unit_leader, 17)
    before = state(signoff)

    response = decide(office, signoff, decision, "同意\x00")

    assert response.status_code == 400 and texts(response) == [message]
    assert state(signoff) == before


@pytest.mark.parametrize("version", ["²", "٣", "", "v2", "-1"])
def test_a_version_that_is_not_plain_digits_is_refused(liaison, unit_leader, office, version):
    signoff = unit_checked(liaison, unit_leader, 17)
    before = state(signoff)

    response = decide(office, signoff, "approve", version=version)

    assert response.status_code == 400 and texts(response) == ["页面已过期，请刷新后重试"]
    assert state(signoff) == before


@pytest.mark.parametrize("who", ["liaison", "leader", "unit_leader"])
def test_liaisons_and_leaders_cannot_use_the_admin(request, who, unit_leader, make_user):
    liaison = request.getfixturevalue("liaison")
    user = request.getfixturevalue(who)
    signoff = requested(liaison, 17)
    before = state(signoff)

    assert not user.is_staff
    assert client_for(user).get(QUEUE)["Location"].startswith(reverse("admin:login"))
    response = decide(user, signoff, "approve")

    assert response["Location"].startswith(reverse("admin:login"))
    assert state(signoff) == before


def test_ledger_records_are_read_only_in_the_admin_and_scoped_by_unit(liaison, unit_leader, outsider, office):
    own = requested(liaison, 17)
    other = requested(outsider, 10, "临汾市")
    a = row(17)

    office_client = client_for(office)
    assert office_client.get(reverse("admin:tasks_assignment_change", args=[a.pk])).status_code == 200
    assert (
        office_client.post(
            reverse("admin:tasks_assignment_change", args=[a.pk]), {"status": "signed_off"}
        ).status_code
        == 403
    )
    assert office_client.get(reverse("admin:tasks_assignment_add")).status_code == 403
    assert (
        office_client.post(
            reverse("admin:tasks_signoffrequest_delete", args=[own.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert row(17).status == Status.SIGNOFF_REQUESTED
    assert other.pk != own.pk


def test_the_sheet_exists_only_after_both_checks_and_for_those_who_may_see_it(
    liaison, unit_leader, office, outsider_leader
):
    signoff = unit_checked(liaison, unit_leader, 17)

    early = client_for(office).get(sheet_url(signoff))
    assert early["Location"] == QUEUE and texts(early) == ["该销号申请待督察办审核，两道审核完成后才有销号单"]

    ledger.approve(signoff.assignment_id, actor=office, opinion="同意")
    assert client_for(office).get(sheet_url(signoff)).status_code == 200
    assert client_for(unit_leader).get(reverse("signoff-sheet", args=[signoff.pk])).status_code == 200
    assert client_for(outsider_leader).get(reverse("signoff-sheet", args=[signoff.pk])).status_code == 404


def test_the_admin_index_leads_to_the_queue(office):
    page = client_for(office).get(reverse("admin:index")).content.decode()
    assert QUEUE in page and "销号审核队列" in page


@pytest.fixture
def ledger_at(liaison, unit_leader, outsider, outsider_leader, office):
    """Open and closed requests in both units; ``ledger_at(n)`` makes n of each kind."""
    numbers = {"晋中市": [3, 5, 17, 31, 34, 37], "临汾市": [5, 9, 10, 26, 31, 34]}

    def make(n):
        for unit, who, lead in (("晋中市", liaison, unit_leader), ("临汾市", outsider, outsider_leader)):
            first, second, done = numbers[unit][:n], numbers[unit][n : 2 * n], numbers[unit][2 * n : 3 * n]
            for number in first:
                requested(who, number, unit)
            for number in second + done:
                unit_checked(who, lead, number, unit)
            for number in done:
                ledger.approve(row(number, unit).pk, actor=office, opinion="同意")

    return make


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("who", ["office"])
def test_the_queue_runs_a_fixed_number_of_queries(request, ledger_at, who, n, django_assert_num_queries):
    ledger_at(n)
    client = client_for(request.getfixturevalue(who))
    # session, user, membership (role), open requests with evidence counts, recent 销号单,
    # and the user's and their groups' Django permissions (the admin's app list, once each)
    with django_assert_num_queries(7):
        response = client.get(QUEUE)
    rows = len(response.context["mine"]) + len(response.context["others"]) + len(response.context["sheets"])
    assert rows == (6 * n if who == "office" else 3 * n)
