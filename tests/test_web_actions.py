"""The pages' forms: each goes through the ledger services, shows their Chinese errors and changes nothing on error."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus, Status
from tasks.models import Assignment, AuditEntry, Evidence, ProgressReport
from tasks.services import ledger
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


def pdf(name="佐证.pdf", content=b"%PDF-1.4 x"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post(user, assignment, action, data, **extra):
    data = {"version": assignment.version, **data}
    return client_for(user).post(f"/assignments/{assignment.pk}/{action}/", data, **extra)


def test_it_files_a_report_with_measure_notes_and_evidence(liaison):
    a = row()
    client = client_for(liaison)
    response = client.post(
        f"/assignments/{a.pk}/report/",
        {
            "version": a.version,
            "week": "2017-W40",
            "text": "完成排查",
            "percent": "35",
            "measure_1": "已完成",
            "evidence": [pdf("a.pdf"), pdf("b.pdf")],
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/assignments/{a.pk}/"
    report = ProgressReport.objects.get(assignment=a)
    assert (report.week, report.text, report.percent, report.measure_notes) == (
        "2017-W40",
        "完成排查",
        35,
        {"1": "已完成"},
    )
    assert sorted(Evidence.objects.filter(report=report).values_list("original_name", flat=True)) == [
        "a.pdf",
        "b.pdf",
    ]
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and a.percent == 35
    assert AuditEntry.objects.filter(assignment=a, action="create_report").exists()
    page = client.get(response["Location"]).content.decode()
    assert "进展已报送" in page


def test_it_shows_the_chinese_error_for_a_bad_percentage_and_changes_nothing(liaison):
    a = row()
    audit_before = AuditEntry.objects.count()
    response = post(liaison, a, "report", {"week": "2017-W40", "text": "完成排查", "percent": "150"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "完成比例 150 超出范围，应在 0 到 100 之间" in body
    assert 'aria-invalid="true"' in body
    assert 'value="完成排查"' not in body and "完成排查</textarea>" in body  # the text the user typed is kept
    a.refresh_from_db()
    assert a.status == Status.NOT_STARTED and not a.reports.exists()
    assert AuditEntry.objects.count() == audit_before


def test_it_refuses_a_percentage_that_is_not_a_number(liaison):
    response = post(liaison, row(), "report", {"week": "2017-W40", "text": "x", "percent": "七十"})
    assert response.status_code == 400
    assert "输入整数" in response.content.decode()


def test_it_refuses_a_bad_week_and_a_disguised_file(liaison):
    a = row()
    response = post(liaison, a, "report", {"week": "2017-40", "text": "x", "percent": "5"})
    assert response.status_code == 400 and "格式不正确" in response.content.decode()
    fake = SimpleUploadedFile("图.png", b"not a png", content_type="image/png")
    response = post(liaison, a, "report", {"week": "2017-W40", "text": "x", "percent": "5", "evidence": fake})
    assert response.status_code == 400 and "内容与扩展名 .png 不符" in response.content.decode()
    assert not a.reports.exists()


def test_it_refuses_a_stale_form_with_412(liaison):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=5)
    response = client_for(liaison).post(
        f"/assignments/{a.pk}/report/",
        {"version": a.version, "week": "2017-W41", "text": "y", "percent": "6"},
    )
    assert response.status_code == 412
    assert "已被他人更新" in response.content.decode()
    assert a.reports.count() == 1


@pytest.mark.parametrize(
    "version, status, message",
    [
        ("abc", 400, "页面已过期，请刷新后重试"),
        ("1.5", 400, "页面已过期，请刷新后重试"),
        (
            "9" * 40,
            412,
            "该事项已被他人更新",
        ),  # a number, but not the row's: the service's stale-version answer
    ],
)
def test_it_explains_a_tampered_hidden_version_on_the_page(liaison, version, status, message):
    a = row()
    audit_before = AuditEntry.objects.count()
    response = client_for(liaison).post(
        f"/assignments/{a.pk}/report/", {"version": version, "week": "2017-W41", "text": "y", "percent": "6"}
    )
    assert response.status_code == status
    body = response.content.decode()
    assert message in body and "请刷新后重试" in body and '<div class="form-error" role="alert">' in body
    assert a.reports.count() == 0 and AuditEntry.objects.count() == audit_before


def test_it_runs_the_sign_off_through_both_checks(liaison, unit_leader, office):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    a.refresh_from_db()
    missing = post(liaison, a, "signoff", {"summary": "全部完成"})
    assert missing.status_code == 400 and "须附至少一份佐证材料" in missing.content.decode()
    assert post(liaison, a, "signoff", {"summary": "全部完成", "evidence": pdf()}).status_code == 302
    a.refresh_from_db()
    assert a.status == Status.SIGNOFF_REQUESTED

    queue = client_for(unit_leader).get("/queue/")
    assert [r.pk for r in queue.context["rows"]] == [a.pk]
    assert "全部完成" in queue.content.decode() and "佐证.pdf" in queue.content.decode()
    response = post(unit_leader, a, "check", {"decision": "approve", "opinion": "同意", "next": "/queue/"})
    assert response.status_code == 302 and response["Location"] == "/queue/"
    a.refresh_from_db()
    assert a.status == Status.UNIT_VERIFIED

    assert [r.pk for r in client_for(office).get("/queue/").context["rows"]] == [a.pk]
    assert post(office, a, "check", {"decision": "approve", "opinion": "准予销号"}).status_code == 302
    a.refresh_from_db()
    assert a.status == Status.SIGNED_OFF
    request = a.signoffs.get()
    assert request.status == SignOffStatus.APPROVED and request.office_opinion == "准予销号"


def test_it_needs_a_reason_to_reject_and_then_reopens_the_work(liaison, unit_leader):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    a.refresh_from_db()
    response = post(unit_leader, a, "check", {"decision": "reject", "opinion": ""})
    assert response.status_code == 400 and "请填写退回理由" in response.content.decode()
    assert post(unit_leader, a, "check", {"decision": "reject", "opinion": "材料不全"}).status_code == 302
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_it_refuses_a_liaison_who_tries_to_approve(liaison):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    a.refresh_from_db()
    response = post(liaison, a, "check", {"decision": "approve"})
    assert response.status_code == 403
    assert "应由本单位负责人办理" in response.content.decode()
    a.refresh_from_db()
    assert a.status == Status.SIGNOFF_REQUESTED


def test_it_answers_404_to_an_unknown_action(liaison):
    assert post(liaison, row(), "explode", {}).status_code == 404


def test_it_takes_an_extension_request_the_unit_leaders_and_the_offices_decision(
    liaison, unit_leader, office
):
    a = row()
    later = a.due_date + datetime.timedelta(days=90)
    reason = "雨季无法施工，需待雨季结束后继续"
    early = post(liaison, a, "extension", {"new_due_date": a.due_date.isoformat(), "reason": reason})
    assert early.status_code == 400 and "延期日期须晚于当前期限" in early.content.decode()
    short = post(liaison, a, "extension", {"new_due_date": later.isoformat(), "reason": "雨季"})
    assert short.status_code == 400 and "延期理由过于简略" in short.content.decode()
    sent = client_for(liaison).post(
        f"/assignments/{a.pk}/extension/", {"new_due_date": later.isoformat(), "reason": reason}, follow=True
    )
    assert "延期申请已提交，等待本单位负责人审核" in sent.content.decode()
    extension = a.extensions.get()
    # The unit's leader first: the office's queue does not hold it yet.
    assert client_for(office).get("/queue/").context["extensions"] == []
    queue = client_for(unit_leader).get("/queue/")
    assert [e.pk for e in queue.context["extensions"]] == [extension.pk]
    a.refresh_from_db()
    agreed = client_for(unit_leader).post(
        f"/assignments/{a.pk}/extension_decision/",
        {"extension": extension.pk, "decision": "approve", "version": a.version, "next": "/queue/"},
        follow=True,
    )
    assert "单位负责人已同意延期申请，已报省督察办审批" in agreed.content.decode()
    queue = client_for(office).get("/queue/")
    assert [e.pk for e in queue.context["extensions"]] == [extension.pk]
    a.refresh_from_db()
    nameless = post(office, a, "extension_decision", {"extension": extension.pk, "decision": "refuse"})
    assert nameless.status_code == 400 and "不批准延期须写明理由" in nameless.content.decode()
    response = client_for(office).post(
        f"/assignments/{a.pk}/extension_decision/",
        {
            "extension": extension.pk,
            "decision": "approve",
            "note": "同意",
            "version": a.version,
            "next": "/queue/",
        },
        follow=True,
    )
    assert f"省督察办已批准延期至 {later:%Y-%m-%d}" in response.content.decode()
    extension.refresh_from_db()
    a.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED and a.extended_due_date == later


def test_it_schedules_a_review_and_a_relapse_reopens(liaison, unit_leader, office):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    ledger.approve(a.pk, actor=office)
    a.refresh_from_db()
    assert [x.pk for x in client_for(office).get("/reviews/").context["unscheduled"]] == [a.pk]
    response = post(office, a, "schedule_review", {"scheduled_for": "2017-12-01", "next": "/reviews/"})
    assert response.status_code == 302 and response["Location"] == "/reviews/"
    review = a.reviews.get()
    assert list(client_for(office).get("/reviews/").context["pending"].object_list) == [review]
    a.refresh_from_db()
    no_findings = post(
        office, a, "review_outcome", {"review": review.pk, "outcome": "relapsed", "findings": ""}
    )
    assert no_findings.status_code == 400 and "问题反弹须写明检查情况" in no_findings.content.decode()
    relapsed = post(
        office,
        a,
        "review_outcome",
        {
            "review": review.pk,
            "outcome": "relapsed",
            "findings": "又有散煤",
            "requirements": "一个月内清零",
            "new_due_date": "2017-12-31",
        },
    )
    assert relapsed.status_code == 302
    review.refresh_from_db()
    a.refresh_from_db()
    assert review.outcome == ReviewOutcome.RELAPSED and a.status == Status.REOPENED


def test_it_offers_each_role_only_its_own_forms(liaison, unit_leader, office, leader):
    a = row()
    forms_for = {
        user.username: set(client_for(user).get(f"/assignments/{a.pk}/").context["forms"])
        for user in (liaison, unit_leader, office, leader)
    }
    # the office may put an open assignment under listed supervision (挂牌督办) from here
    assert forms_for == {"alice": {"report", "extension"}, "bob": set(), "olga": {"supervise"}, "leo": set()}
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    assert set(client_for(unit_leader).get(f"/assignments/{a.pk}/").context["forms"]) == {"check"}
    assert set(client_for(office).get(f"/assignments/{a.pk}/").context["forms"]) == {"supervise"}


def test_it_ignores_a_next_address_on_another_site(liaison):
    a = row()
    response = post(
        liaison,
        a,
        "report",
        {"week": "2017-W40", "text": "x", "percent": "5", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/assignments/{a.pk}/"


def hidden(page: str, name: str) -> str:
    """The value of the first hidden input called ``name`` on a page."""
    import re

    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def test_an_old_queue_page_cannot_decide_a_newer_extension_request(liaison, unit_leader, office):
    a = row()
    first = ledger.request_extension(
        a.pk,
        actor=liaison,
        new_due_date=datetime.date(2018, 3, 31),
        reason="雨季无法施工，需待雨季结束后继续",
    )
    ledger.decide_extension(first.pk, actor=unit_leader, approve=True)
    page = client_for(office).get("/queue/").content.decode()  # the office opens the queue ...
    old_form = {
        "extension": hidden(page, "extension"),
        "version": hidden(page, "version"),
        "decision": "approve",
        "note": "同意",
        "next": "/queue/",
    }
    assert old_form["extension"] == str(first.pk)
    ledger.decide_extension(
        first.pk, actor=office, approve=False, note="理由不足"
    )  # ... someone else refuses it
    newer = ledger.request_extension(
        a.pk, actor=liaison, new_due_date=datetime.date(2018, 6, 30), reason="雨季延长，需再次顺延工期"
    )
    audit_before = AuditEntry.objects.count()
    response = client_for(office).post(f"/assignments/{a.pk}/extension_decision/", old_form)
    assert response.status_code == 412
    assert "该延期申请已处理或已变更，请刷新后重试" in response.content.decode()
    newer.refresh_from_db()
    a.refresh_from_db()
    assert newer.status == ExtensionStatus.PENDING and a.extended_due_date is None
    assert AuditEntry.objects.count() == audit_before
    # the assignment page's form carries the pending request's id (for the unit's leader, who decides
    # it first), and deciding it works
    page = client_for(unit_leader).get(f"/assignments/{a.pk}/").content.decode()
    assert hidden(page, "extension") == str(newer.pk)
    refused = {"extension": newer.pk, "decision": "refuse", "note": "理由不充分"}
    assert post(unit_leader, a, "extension_decision", refused).status_code == 302
    newer.refresh_from_db()
    assert newer.status == ExtensionStatus.REFUSED


def test_an_extension_decision_needs_the_pending_id_and_a_current_version(liaison, office, outsider):
    a = row()
    extension = ledger.request_extension(
        a.pk,
        actor=liaison,
        new_due_date=datetime.date(2018, 3, 31),
        reason="雨季无法施工，需待雨季结束后继续",
    )
    other = Assignment.objects.filter(unit__name="临汾市", due_date__isnull=False).first()
    foreign = ledger.request_extension(
        other.pk,
        actor=outsider,
        new_due_date=datetime.date(2018, 3, 31),
        reason="雨季无法施工，需待雨季结束后继续",
    )
    missing = post(office, a, "extension_decision", {"decision": "approve"})
    assert missing.status_code == 400 and "页面已过期，请刷新后重试" in missing.content.decode()
    assert (
        post(office, a, "extension_decision", {"extension": foreign.pk, "decision": "approve"}).status_code
        == 404
    )
    stale = post(
        office,
        a,
        "extension_decision",
        {"extension": extension.pk, "decision": "approve", "version": a.version - 1},
    )
    assert stale.status_code == 412 and "该事项已被他人更新" in stale.content.decode()
    extension.refresh_from_db()
    foreign.refresh_from_db()
    assert extension.status == foreign.status == ExtensionStatus.PENDING


def signed_off(liaison, unit_leader, office):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    ledger.approve(a.pk, actor=office)
    a.refresh_from_db()
    return a


def test_an_old_reviews_page_cannot_record_an_outcome_for_a_newer_review(liaison, unit_leader, office):
    a = signed_off(liaison, unit_leader, office)
    first = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1))
    page = client_for(office).get("/reviews/").content.decode()
    old_form = {
        "review": hidden(page, "review"),
        "version": hidden(page, "version"),
        "outcome": "relapsed",
        "findings": "又有散煤",
        "requirements": "一个月内清零",
        "new_due_date": "2017-12-31",
    }
    assert old_form["review"] == str(first.pk)
    ledger.record_review(first.pk, actor=office, outcome="holds")
    a.refresh_from_db()
    newer = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2018, 6, 1))
    response = client_for(office).post(f"/assignments/{a.pk}/review_outcome/", old_form)
    assert response.status_code == 412
    assert "该回头看已处理或已变更，请刷新后重试" in response.content.decode()
    newer.refresh_from_db()
    a.refresh_from_db()
    assert newer.outcome == ReviewOutcome.PENDING and a.status == Status.SIGNED_OFF
    page = client_for(office).get(f"/assignments/{a.pk}/").content.decode()
    assert hidden(page, "review") == str(newer.pk)


def test_a_review_outcome_from_a_stale_page_gets_412(liaison, unit_leader, office):
    a = signed_off(liaison, unit_leader, office)
    review = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2018, 3, 1))
    stale = post(
        office, a, "review_outcome", {"review": review.pk, "outcome": "holds", "version": a.version - 1}
    )
    assert stale.status_code == 412 and "该事项已被他人更新" in stale.content.decode()
    assert post(office, a, "review_outcome", {"outcome": "holds"}).status_code == 400
    review.refresh_from_db()
    assert review.outcome == ReviewOutcome.PENDING


def test_the_checkers_see_a_warning_when_the_request_is_below_100_percent(liaison, unit_leader, office):
    below, full = row(), Assignment.objects.filter(unit__name="晋中市").exclude(task__number=17).first()
    ledger.submit_report(below.pk, actor=liaison, week="2017-W40", text="x", percent=98)
    ledger.submit_report(full.pk, actor=liaison, week="2017-W40", text="x", percent=100)
    for a in (below, full):
        ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    warning = "最近报送完成比例 98%，未达 100%"
    queue = client_for(unit_leader).get("/queue/").content.decode()
    assert queue.count(warning) == 1 and "最近报送完成比例 100%" not in queue
    assert warning in client_for(unit_leader).get(f"/assignments/{below.pk}/").content.decode()
    assert "未达 100%" not in client_for(unit_leader).get(f"/assignments/{full.pk}/").content.decode()
    ledger.approve(below.pk, actor=unit_leader)  # no rule change: the first check still passes it on
    assert warning in client_for(office).get("/queue/").content.decode()
    assert warning in client_for(office).get(f"/assignments/{below.pk}/").content.decode()
