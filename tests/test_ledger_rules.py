"""The rules the office relies on (issue 10, item 3), through the services, the API and the pages.

The ledger's today is pinned on 2017-12-01 (a Friday of 2017-W48): last week is W47, so a report
for W46 or earlier is 迟报.
"""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accountability import services as accountability
from accountability.models import ListedSupervision
from dispatch.figures import bulletin_data
from tasks.models import Assignment, AuditEntry, Extension, ProgressReport, Review, SignOffRequest
from tasks.services import ledger
from tasks.services.errors import InvalidInput, LedgerError
from tasks.services.reporting import reporting_by_unit
from tests.helpers import client_for, on, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


def ledger_state(assignment):
    """What a refusal must leave as it was: the row and the counts of every ledger record."""
    return (
        Assignment.objects.filter(pk=assignment.pk)
        .values(
            "status", "version", "percent", "last_report_week_start", "extended_due_date", "next_review_date"
        )
        .get(),
        ProgressReport.objects.count(),
        SignOffRequest.objects.count(),
        Review.objects.count(),
        Extension.objects.count(),
        AuditEntry.objects.count(),
    )


# --- 迟报: a report for a week before last week ---------------------------------------------


@pytest.mark.parametrize("week, late", [("2017-W48", False), ("2017-W47", False), ("2017-W46", True)])
def test_a_report_for_a_week_before_last_week_is_accepted_and_marked_late(liaison, week, late):
    report = ledger.submit_report(row().pk, actor=liaison, week=week, text="推进", percent=10)
    assert ProgressReport.objects.get(pk=report.pk).late is late
    assert row().status == "in_progress"


def test_the_api_and_the_timeline_show_the_mark(liaison, api):
    ledger.submit_report(row().pk, actor=liaison, week="2017-W40", text="补报九月进展", percent=10)
    body = api(liaison).get(f"/api/assignments/{row().pk}/").json()
    assert body["reports"][0]["late"] is True
    page = client_for(liaison).get(f"/assignments/{row().pk}/").content.decode()
    assert "第40周（10月2日—10月8日） · 完成 10%（迟报）" in page


def test_the_on_time_reporting_rate_is_counted_per_unit_on_the_dashboard_and_in_the_bulletin(liaison, office):
    with on("2017-11-30"):
        ledger.submit_report(row(17).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
        ledger.submit_report(row(3).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
        ledger.submit_report(row(37).pk, actor=liaison, week="2017-W45", text="补报", percent=10)
        ledger.submit_report(row(31).pk, actor=liaison, week="2017-W44", text="补报", percent=10)
    with on("2017-12-01"):  # after November: not in its bulletin
        ledger.submit_report(row(34).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
    rates = reporting_by_unit(Assignment.objects.all())
    jinzhong = row().unit_id
    assert rates[jinzhong] == {"name": "晋中市", "reports": 5, "late": 2, "rate": 0.6}

    response = client_for(office).get("/dashboard/")
    rows = {r["name"]: r for r in response.context["units"]}
    assert (rows["晋中市"]["reports"], rows["晋中市"]["late"], rows["晋中市"]["rate"]) == (5, 2, 0.6)
    assert "按期报送率" in response.content.decode()

    # November's bulletin: the reports for W44–W47 (the weeks whose Sunday is in November) made by its end
    unit = next(u for u in bulletin_data("2017-11")["by_unit"] if u["unit"] == "晋中市")
    assert (unit["reports"], unit["late_reports"], unit["reporting_rate"]) == (4, 2, 0.5)
    other = next(u for u in bulletin_data("2017-11")["by_unit"] if u["unit"] == "临汾市")
    assert (other["reports"], other["reporting_rate"]) == (0, None)


# --- a percentage below the last report's needs an explanation ------------------------------


def test_a_lower_percentage_without_an_explanation_is_refused_and_with_one_accepted(liaison):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="推进", percent=45)
    before = ledger_state(a)
    with pytest.raises(InvalidInput, match="完成比例由上次报送的 45% 降为 5%，请填写进度回调说明"):
        ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="返工", percent=5)
    assert ledger_state(a) == before
    report = ledger.submit_report(
        a.pk, actor=liaison, week="2017-W48", text="返工", percent=5, drop_reason="验收发现问题，部分工程返工"
    )
    assert (report.drop_reason, row().percent) == ("验收发现问题，部分工程返工", 5)
    # the same or a higher percentage needs nothing
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="继续", percent=5)


def test_the_api_refuses_a_drop_without_an_explanation_in_chinese(liaison, api):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="推进", percent=45)
    client = api(liaison)
    before = ledger_state(a)
    response = client.post(
        f"/api/assignments/{a.pk}/reports/", {"week": "2017-W48", "text": "返工", "percent": "5"}
    )
    assert response.status_code == 400
    assert "请填写进度回调说明" in response.json()["detail"]
    assert ledger_state(a) == before
    response = client.post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W48", "text": "返工", "percent": "5", "drop_reason": "验收发现问题返工"},
    )
    assert response.status_code == 201
    assert response.json()["reports"][0]["drop_reason"] == "验收发现问题返工"


def test_the_page_shows_the_refusal_next_to_the_explanation_and_the_timeline_keeps_it(liaison):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="推进", percent=45)
    client = client_for(liaison)
    data = {"week": "2017-W48", "text": "返工", "percent": "5", "version": row().version}
    before = ledger_state(a)
    response = client.post(f"/assignments/{a.pk}/report/", data)
    assert response.status_code == 400
    assert "请填写进度回调说明" in response.context["forms"]["report"].errors["drop_reason"][0]
    assert ledger_state(a) == before
    response = client.post(f"/assignments/{a.pk}/report/", {**data, "drop_reason": "验收发现问题返工"})
    assert response.status_code == 302
    assert "进度回调说明：验收发现问题返工" in client.get(f"/assignments/{a.pk}/").content.decode()


# --- extensions: the unit's leader first, then the office ------------------------------------

REASON = "雨季无法施工，需待雨季结束后继续"


def test_an_extension_goes_to_the_unit_leader_then_the_office(liaison, unit_leader, office, outsider_leader):
    a = row()
    later = a.due_date + datetime.timedelta(days=90)
    extension = ledger.request_extension(a.pk, actor=liaison, new_due_date=later, reason=REASON)
    assert extension.status == "pending" and extension.get_status_display() == "待单位审核"
    for user, status in ((office, 403), (outsider_leader, 404)):  # not yet the office's; not dave's unit
        before = ledger_state(a)
        with pytest.raises(LedgerError) as refused:
            ledger.decide_extension(extension.pk, actor=user, approve=True)
        assert refused.value.status_code == status
        assert ledger_state(a) == before
    extension = ledger.decide_extension(extension.pk, actor=unit_leader, approve=True, note="同意上报")
    assert (extension.status, extension.unit_decided_by, extension.unit_note) == (
        "unit_approved",
        unit_leader,
        "同意上报",
    )
    assert row().extended_due_date is None and ledger.extension_message(extension) == (
        "单位负责人已同意延期申请，已报省督察办审批"
    )
    with pytest.raises(LedgerError) as again:  # the unit leader has decided; the office decides now
        ledger.decide_extension(extension.pk, actor=unit_leader, approve=True)
    assert again.value.status_code == 403 and "待省督察办审批" in again.value.message
    extension = ledger.decide_extension(extension.pk, actor=office, approve=True, note="同意")
    assert (extension.status, row().extended_due_date, row().due_date) == ("approved", later, a.due_date)
    assert ledger.extension_message(extension) == f"省督察办已批准延期至 {later:%Y-%m-%d}"
    actions = list(AuditEntry.objects.filter(model="tasks.extension").values_list("action", flat=True))
    assert actions == ["request_extension", "decide_extension", "decide_extension"]


@pytest.mark.parametrize("stage", ["unit", "office"])
def test_refusing_an_extension_needs_a_reason_and_the_message_names_the_decision(
    liaison, unit_leader, office, stage
):
    a = row()
    extension = ledger.request_extension(
        a.pk, actor=liaison, new_due_date=a.due_date + datetime.timedelta(days=30), reason=REASON
    )
    decider = unit_leader
    if stage == "office":
        ledger.decide_extension(extension.pk, actor=unit_leader, approve=True)
        decider = office
    before = ledger_state(a)
    with pytest.raises(InvalidInput, match="不批准延期须写明理由"):
        ledger.decide_extension(extension.pk, actor=decider, approve=False, note="  ")
    assert ledger_state(a) == before
    extension = ledger.decide_extension(extension.pk, actor=decider, approve=False, note="理由不充分")
    assert extension.status == "refused" and row().extended_due_date is None
    who = "省督察办" if stage == "office" else "单位负责人"
    assert ledger.extension_message(extension) == f"{who}未批准延期申请"


def test_the_span_and_the_reason_length_are_settings(liaison, settings):
    a = row()
    settings.EXTENSION_MAX_DAYS, settings.EXTENSION_REASON_MIN_CHARS = 30, 4
    with pytest.raises(InvalidInput, match=r"不能晚于当前期限后 30 天（2017-10-30）"):
        ledger.request_extension(a.pk, actor=liaison, new_due_date=datetime.date(2017, 10, 31), reason=REASON)
    extension = ledger.request_extension(
        a.pk, actor=liaison, new_due_date=datetime.date(2017, 10, 30), reason="雨季停工"
    )
    assert extension.new_due_date == datetime.date(2017, 10, 30)


def test_a_thirteen_year_extension_called_test_is_refused_by_the_api(liaison, api):
    a = row()
    before = ledger_state(a)
    for body, message in (
        ({"new_due_date": "2030-12-31", "reason": REASON}, "延期日期不能晚于当前期限后 365 天"),
        ({"new_due_date": "2018-03-31", "reason": "测试"}, "延期理由过于简略"),
    ):
        response = api(liaison).post(f"/api/assignments/{a.pk}/extensions/", body, format="json")
        assert response.status_code == 400 and message in response.json()["detail"]
    assert ledger_state(a) == before


# --- a look-back outcome on or after the review's date; bringing a review forward -------------


def signed_off(liaison, unit_leader, office, number=17):
    a = row(number)
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="完成", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    ledger.approve(a.pk, actor=office)
    return row(number)


def pdf(name="佐证.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 x", content_type="application/pdf")


def test_an_outcome_before_the_reviews_date_is_refused_until_the_office_brings_it_forward(
    liaison, unit_leader, office
):
    a = signed_off(liaison, unit_leader, office)
    review = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2018, 3, 1))
    before = ledger_state(a)
    with pytest.raises(LedgerError) as early:
        ledger.record_review(review.pk, actor=office, outcome="holds")
    assert early.value.status_code == 400
    assert (
        early.value.message == "回头看计划于 2018-03-01 进行，届时方可记录结论；如需提前检查，请先提前回头看"
    )
    assert ledger_state(a) == before
    for date, message in (
        (datetime.date(2017, 11, 30), "不能早于今天"),
        (datetime.date(2018, 3, 1), "须早于原计划日期 2018-03-01"),
    ):
        with pytest.raises(InvalidInput, match=message):
            ledger.advance_review(review.pk, actor=office, scheduled_for=date, reason="群众举报")
    with pytest.raises(InvalidInput, match="请填写提前理由"):
        ledger.advance_review(review.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1), reason="")
    with pytest.raises(LedgerError) as role:
        ledger.advance_review(review.pk, actor=liaison, scheduled_for=datetime.date(2017, 12, 1), reason="x")
    assert role.value.status_code == 403
    assert ledger_state(a) == before

    ledger.advance_review(
        review.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1), reason="群众举报"
    )
    review.refresh_from_db()
    assert review.scheduled_for == row().next_review_date == datetime.date(2017, 12, 1)
    entry = AuditEntry.objects.filter(action="advance_review").get()
    assert (entry.before["scheduled_for"], entry.after["scheduled_for"], entry.note) == (
        "2018-03-01",
        "2017-12-01",
        "群众举报",
    )
    ledger.record_review(
        review.pk,
        actor=office,
        outcome="relapsed",
        findings="又有散煤",
        requirements="一个月内清零",
        new_due_date=datetime.date(2017, 12, 31),
    )
    assert row().status == "reopened"
    call_command("verify_audit", stdout=io.StringIO())


def test_the_api_and_the_page_bring_a_review_forward(liaison, unit_leader, office, api):
    a = signed_off(liaison, unit_leader, office)
    review = ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2018, 3, 1))
    a = row()
    early = api(office).post(
        f"/api/assignments/{a.pk}/reviews/{review.pk}/", {"outcome": "holds"}, format="json"
    )
    assert early.status_code == 400 and "届时方可记录结论" in early.json()["detail"]
    assert "advance_review" in api(office).get(f"/api/assignments/{a.pk}/").json()["allowed_actions"]
    page = client_for(office).get(f"/assignments/{a.pk}/")
    assert "advance_review" in page.context["forms"] and "review_outcome" not in page.context["forms"]
    response = api(office).post(
        f"/api/assignments/{a.pk}/reviews/{review.pk}/advance/",
        {"scheduled_for": "2017-12-20", "reason": "群众举报反弹"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["pending_review"]["scheduled_for"] == "2017-12-20"
    response = client_for(office).post(
        f"/assignments/{a.pk}/advance_review/",
        {"review": review.pk, "scheduled_for": "2017-12-01", "reason": "提前检查", "version": row().version},
        follow=True,
    )
    assert "回头看已提前至 2017-12-01" in response.content.decode()
    assert "review_outcome" in response.context["forms"]


# --- signing off a listed row lifts its listing ---------------------------------------------


def test_signing_off_a_listed_row_lifts_its_listing_in_the_same_transaction(liaison, unit_leader, office):
    a = row()
    listing = accountability.list_assignment(
        a, actor=office, reason="进度滞后", deadline=datetime.date(2017, 12, 31)
    )
    signed_off(liaison, unit_leader, office)
    listing.refresh_from_db()
    assert (listing.lifted_by, listing.lift_note) == (office, "台账已销号，自动摘牌")
    assert listing.lifted_at is not None
    entry = AuditEntry.objects.filter(action="lift_supervision").get()
    assert (entry.actor, entry.assignment_id, entry.after["lift_note"]) == (
        office,
        a.pk,
        "台账已销号，自动摘牌",
    )
    # the check and the lift are one change: the lift entry follows the approval's
    last = list(AuditEntry.objects.filter(assignment=a).order_by("-id").values_list("action", flat=True)[:3])
    assert last == ["lift_supervision", "check_signoff", "approve"]
    page = client_for(office).get("/supervision/").content.decode()
    assert "最近摘牌的 1 项" in page and "台账已销号，自动摘牌" in page
    call_command("verify_audit", stdout=io.StringIO())


def test_a_failing_lift_rolls_the_sign_off_back(liaison, unit_leader, office, monkeypatch):
    a = row()
    accountability.list_assignment(a, actor=office, reason="进度滞后", deadline=datetime.date(2017, 12, 31))
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="完成", percent=100)
    ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(a.pk, actor=unit_leader)
    before = ledger_state(a)

    def broken(*args, **kwargs):
        raise RuntimeError("lift failed")

    monkeypatch.setattr("accountability.services._lift", broken)
    with pytest.raises(RuntimeError):
        ledger.approve(a.pk, actor=office)
    assert ledger_state(a) == before and row().status == "unit_verified"
    assert ListedSupervision.objects.active().filter(assignment=a).exists()


def test_signing_off_a_row_that_is_not_listed_lifts_nothing(liaison, unit_leader, office):
    signed_off(liaison, unit_leader, office)
    assert not AuditEntry.objects.filter(action="lift_supervision").exists()


# --- a reopening carries 整改要求, a new deadline and evidence, and resets the percentage ------


def png(name="现场照片.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 16, content_type="image/png")


def due_review(liaison, unit_leader, office):
    a = signed_off(liaison, unit_leader, office)
    return a, ledger.schedule_review(a.pk, actor=office, scheduled_for=datetime.date(2017, 12, 1))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"requirements": "", "new_due_date": datetime.date(2018, 1, 31)}, "问题反弹须提出整改要求"),
        ({"requirements": "限期整改", "new_due_date": None}, "请填写重新整改期限"),
        (
            {"requirements": "限期整改", "new_due_date": datetime.date(2017, 11, 30)},
            "重新整改期限不能早于今天",
        ),
    ],
)
def test_a_relapse_without_requirements_or_a_deadline_is_refused(
    liaison, unit_leader, office, fields, message
):
    a, review = due_review(liaison, unit_leader, office)
    before = ledger_state(a)
    with pytest.raises(InvalidInput, match=message):
        ledger.record_review(review.pk, actor=office, outcome="relapsed", findings="排污口恢复直排", **fields)
    assert ledger_state(a) == before


def test_a_relapse_reopens_with_requirements_a_new_deadline_evidence_and_zero_percent(
    liaison, unit_leader, office
):
    a, review = due_review(liaison, unit_leader, office)
    assert row().percent == 100
    ledger.record_review(
        review.pk,
        actor=office,
        outcome="relapsed",
        findings="排污口恢复直排",
        requirements="立即封堵，一个月内整改到位",
        new_due_date=datetime.date(2018, 1, 31),
        files=[png(), pdf("检查记录.pdf")],
    )
    a = row()
    assert (a.status, a.percent, a.due_date, a.extended_due_date) == (
        "reopened",
        0,
        row().due_date,
        datetime.date(2018, 1, 31),
    )
    review.refresh_from_db()
    assert (review.requirements, review.new_due_date) == (
        "立即封堵，一个月内整改到位",
        datetime.date(2018, 1, 31),
    )
    assert sorted(review.evidence.values_list("original_name", flat=True)) == ["检查记录.pdf", "现场照片.png"]
    # the liaison's next report starts again from 0: any percentage, no explanation needed
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="重新整改", percent=20)
    call_command("verify_audit", stdout=io.StringIO())


def test_the_api_and_the_page_take_a_relapse_with_its_photos(liaison, unit_leader, office, api):
    a, review = due_review(liaison, unit_leader, office)
    refused = api(office).post(
        f"/api/assignments/{a.pk}/reviews/{review.pk}/",
        {"outcome": "relapsed", "findings": "反弹"},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["detail"] == "问题反弹须提出整改要求"
    page = client_for(office).post(
        f"/assignments/{a.pk}/review_outcome/",
        {
            "review": review.pk,
            "version": row().version,
            "outcome": "relapsed",
            "findings": "排污口恢复直排",
            "requirements": "立即封堵",
            "new_due_date": "2018-01-31",
            "evidence": [png()],
        },
        follow=True,
    )
    body = page.content.decode()
    assert "问题反弹，已重新整改，期限 2018-01-31" in body
    assert "整改要求：立即封堵" in body and "现场照片.png" in body
    detail = api(office).get(f"/api/assignments/{a.pk}/").json()
    assert detail["reviews"][0]["requirements"] == "立即封堵"
    assert [e["name"] for e in detail["reviews"][0]["evidence"]] == ["现场照片.png"]
    assert (detail["percent"], detail["effective_due"]) == (0, "2018-01-31")


# --- item 4: a liaison withdraws a pending sign-off or extension request ---------------------


@pytest.mark.parametrize("checked", [False, True])
def test_a_liaison_withdraws_an_open_sign_off_request(liaison, unit_leader, office, checked):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="完成", percent=100)
    request = ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    if checked:
        ledger.approve(a.pk, actor=unit_leader)
    with pytest.raises(LedgerError) as refused:
        ledger.withdraw_signoff(a.pk, actor=unit_leader)
    assert refused.value.status_code == 403
    ledger.withdraw_signoff(a.pk, actor=liaison, reason="佐证材料需补充")
    request.refresh_from_db()
    assert (request.status, request.get_status_display(), request.withdrawn_by) == (
        "withdrawn",
        "已撤回",
        liaison,
    )
    assert row().status == "in_progress"
    assert SignOffRequest.objects.count() == 1  # kept, never deleted
    assert list(
        AuditEntry.objects.filter(action__startswith="withdraw").values_list("action", flat=True)
    ) == [
        "withdraw_signoff",
        "withdraw_signoff",
    ]  # the row's transition and the request's change
    with pytest.raises(LedgerError) as again:
        ledger.withdraw_signoff(a.pk, actor=liaison)
    assert again.value.status_code == 400
    call_command("verify_audit", stdout=io.StringIO())


def test_a_liaison_withdraws_an_extension_request_through_the_api_and_the_page(liaison, unit_leader, api):
    a = row()
    first = ledger.request_extension(
        a.pk, actor=liaison, new_due_date=a.due_date + datetime.timedelta(days=30), reason=REASON
    )
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/extensions/{first.pk}/withdraw/", {}, format="json"
    )
    assert response.status_code == 200 and response.json()["pending_extension"] is None
    first.refresh_from_db()
    assert first.status == "withdrawn"
    again = api(liaison).post(f"/api/assignments/{a.pk}/extensions/{first.pk}/withdraw/", {}, format="json")
    assert again.status_code == 400 and "没有可撤回的延期申请" in again.json()["detail"]
    second = ledger.request_extension(
        a.pk, actor=liaison, new_due_date=a.due_date + datetime.timedelta(days=60), reason=REASON
    )
    ledger.decide_extension(second.pk, actor=unit_leader, approve=True)  # still open: at the office
    page = client_for(liaison).get(f"/assignments/{a.pk}/")
    assert "withdraw_extension" in page.context["forms"]
    response = client_for(liaison).post(
        f"/assignments/{a.pk}/withdraw_extension/",
        {"extension": second.pk, "version": row().version, "reason": "工期可以保证"},
        follow=True,
    )
    body = response.content.decode()
    assert "延期申请已撤回" in body and "撤回延期申请" in body
    second.refresh_from_db()
    assert (second.status, second.withdraw_reason) == ("withdrawn", "工期可以保证")


# --- item 4: a report voided by its author within its week, or by the office -----------------


def test_the_author_voids_a_report_within_its_week_and_figures_forget_it(liaison, office):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="上周进展", percent=40)
    wrong = ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="填错了", percent=90)
    assert (row().percent, row().last_report_week_start) == (90, datetime.date(2017, 11, 27))
    with pytest.raises(InvalidInput, match="请填写作废理由"):
        ledger.void_report(wrong.pk, actor=liaison, reason=" ")
    ledger.void_report(wrong.pk, actor=liaison, reason="完成比例填错")
    wrong.refresh_from_db()
    assert (wrong.voided_by, wrong.void_reason) == (liaison, "完成比例填错") and wrong.voided_at
    assert ProgressReport.objects.filter(pk=wrong.pk).exists()  # never deleted
    assert (row().percent, row().last_report_week_start) == (40, datetime.date(2017, 11, 20))
    assert reporting_by_unit(Assignment.objects.all())[a.unit_id]["reports"] == 1
    with pytest.raises(LedgerError, match="该报送已作废"):
        ledger.void_report(wrong.pk, actor=office, reason="再次作废")
    call_command("verify_audit", stdout=io.StringIO())


def test_after_its_week_only_the_office_voids_a_report(liaison, office, make_user):
    a = row()
    old = ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="本周", percent=40)
    other = make_user("carol", "liaison", "晋中市")
    with pytest.raises(LedgerError) as not_theirs:
        ledger.void_report(old.pk, actor=other, reason="不是我报的")
    assert not_theirs.value.status_code == 403
    fortnight_ago = datetime.datetime(2017, 11, 15, 10, tzinfo=datetime.UTC)
    ProgressReport.objects.filter(pk=old.pk).update(week="2017-W46", created_at=fortnight_ago)
    with pytest.raises(LedgerError) as late:
        ledger.void_report(old.pk, actor=liaison, reason="填错")
    assert late.value.status_code == 400 and "报送周 2017-W46 已过" in late.value.message
    ledger.void_report(old.pk, actor=office, reason="单位申请更正")
    assert (row().percent, row().last_report_week_start) == (0, None)


def test_the_api_and_the_page_void_a_report_and_the_timeline_strikes_it_through(liaison, office, api):
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="上周进展", percent=40)
    wrong = ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="重复报送", percent=40)
    response = api(liaison).post(f"/api/assignments/{a.pk}/reports/{wrong.pk}/void/", {}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == "请填写作废理由"
    page = client_for(liaison).get(f"/assignments/{a.pk}/")
    assert sum(1 for e in page.context["timeline"] if e.void_form) == 2
    response = client_for(liaison).post(
        f"/assignments/{a.pk}/void_report/",
        {"report": wrong.pk, "reason": "重复报送", "version": row().version},
        follow=True,
    )
    body = response.content.decode()
    assert "2017-W48 的报送已作废" in body
    assert (
        "<del>报送进展 · 第48周（11月27日—12月3日） · 完成 40%</del>" in body
        and "已作废：重复报送（alice" in body
    )
    detail = api(office).get(f"/api/assignments/{a.pk}/").json()
    assert detail["reports"][0]["void_reason"] == "重复报送" and detail["last_report"]["week"] == "2017-W47"
    first = ProgressReport.objects.get(week="2017-W47")
    response = api(office).post(
        f"/api/assignments/{a.pk}/reports/{first.pk}/void/", {"reason": "核实为虚报"}, format="json"
    )
    assert response.status_code == 200 and response.json()["last_report"] is None


# --- item 4: every page form carries a one-time key ------------------------------------------


def form_key(page: str, form_action: str) -> str:
    """The form_key of the form posting to ``form_action`` on the page."""
    import re

    start = page.index(f'action="{form_action}"')
    return re.search(r'name="form_key" value="([^"]+)"', page[start:]).group(1)


def test_back_and_resubmit_of_a_report_is_recognised_and_refused(liaison):
    a = row()
    client = client_for(liaison)
    page = client.get(f"/assignments/{a.pk}/").content.decode()
    key = form_key(page, f"/assignments/{a.pk}/report/")
    data = {"week": "2017-W48", "text": "本周进展", "percent": "30", "form_key": key}
    assert client.post(f"/assignments/{a.pk}/report/", {**data, "version": 1}).status_code == 302
    before = ledger_state(a)
    again = client.post(f"/assignments/{a.pk}/report/", {**data, "version": row().version})
    assert again.status_code == 409
    assert "该表单已经提交过，请勿重复提交" in again.content.decode()
    assert ledger_state(a) == before and ProgressReport.objects.count() == 1


def test_a_refused_submission_leaves_its_key_usable(liaison):
    a = row()
    client = client_for(liaison)
    key = form_key(client.get(f"/assignments/{a.pk}/").content.decode(), f"/assignments/{a.pk}/report/")
    data = {"week": "2017-W48", "text": "本周进展", "form_key": key, "version": 1}
    refused = client.post(f"/assignments/{a.pk}/report/", {**data, "percent": "120"})
    assert refused.status_code == 400
    assert client.post(f"/assignments/{a.pk}/report/", {**data, "percent": "30"}).status_code == 302


def test_a_key_of_another_user_or_a_tampered_key_is_a_stale_page(liaison, office, make_user):
    a = row()
    other = make_user("carol", "liaison", "晋中市")
    key = form_key(
        client_for(other).get(f"/assignments/{a.pk}/").content.decode(), f"/assignments/{a.pk}/report/"
    )
    data = {"week": "2017-W48", "text": "本周进展", "percent": "30", "version": 1}
    for bad in (key, key[:-2] + "xx"):
        response = client_for(liaison).post(f"/assignments/{a.pk}/report/", {**data, "form_key": bad})
        assert response.status_code == 400 and "页面已过期，请刷新后重试" in response.content.decode()
    assert ProgressReport.objects.count() == 0


def test_three_identical_summons_posts_from_one_page_make_one_record(office):
    from accountability.models import Summons

    client = client_for(office)
    page = client.get("/supervision/").content.decode()
    key = form_key(page, "/supervision/summons/")
    unit = row().unit
    data = {
        "unit": unit.pk,
        "held_on": "2017-11-30",
        "attendees": "张三（副市长）",
        "reason": "整改滞后",
        "form_key": key,
    }
    statuses = [client.post("/supervision/summons/", data).status_code for _ in range(3)]
    assert statuses == [302, 409, 409] and Summons.objects.count() == 1


# --- item 4: the office corrects or voids a summons, listing or case record ------------------


def summons_data(unit, **extra):
    return {
        "unit": unit,
        "held_on": datetime.date(2017, 11, 24),
        "attendees": "张三（副市长）",
        "reason": "整改滞后",
        **extra,
    }


def test_an_identical_summons_for_the_same_unit_and_day_is_refused(office):
    from accountability.models import Summons

    unit = row().unit
    accountability.record_summons(actor=office, **summons_data(unit))
    for _ in range(2):
        with pytest.raises(LedgerError) as again:
            accountability.record_summons(actor=office, **summons_data(unit))
        assert again.value.status_code == 409 and "已有相同的约谈记录" in again.value.message
    accountability.record_summons(actor=office, **summons_data(unit, attendees="李四（局长）"))
    assert Summons.objects.count() == 2


def test_the_office_corrects_and_voids_records_with_a_reason_and_keeps_them(office, liaison):
    from accountability.models import Summons

    unit = row().unit
    summons = accountability.record_summons(actor=office, **summons_data(unit))
    with pytest.raises(InvalidInput, match="请填写更正理由"):
        accountability.correct_record("summons", summons.pk, actor=office, note="", attendees="张三（市长）")
    with pytest.raises(LedgerError) as role:
        accountability.correct_record("summons", summons.pk, actor=liaison, note="x", attendees="y")
    assert role.value.status_code == 403
    accountability.correct_record(
        "summons", summons.pk, actor=office, note="职务写错", attendees="张三（市长）"
    )
    summons.refresh_from_db()
    assert summons.attendees == "张三（市长）"
    entry = AuditEntry.objects.get(action="correct_summons")
    assert (entry.before["attendees"], entry.after["attendees"], entry.note) == (
        "张三（副市长）",
        "张三（市长）",
        "职务写错",
    )

    listing = accountability.list_assignment(
        row(), actor=office, reason="进度滞后", deadline=datetime.date(2017, 12, 31)
    )
    accountability.void_record("listing", listing.pk, actor=office, reason="挂错台账")
    listing.refresh_from_db()
    assert listing.voided_at and listing.lifted_at and not ListedSupervision.objects.active().exists()
    case = accountability.refer_case(
        actor=office, unit=unit, persons="王五", summary="虚报整改", referred_on=datetime.date(2017, 11, 28)
    )
    accountability.void_record("case", case.pk, actor=office, reason="重复移交")
    with pytest.raises(LedgerError, match="该责任追究记录已作废"):
        accountability.void_record("case", case.pk, actor=office, reason="再次作废")
    with pytest.raises(LedgerError, match="已作废"):
        accountability.update_case(case.pk, actor=office, status="investigating")
    accountability.void_record("summons", summons.pk, actor=office, reason="重复登记")
    assert Summons.objects.filter(pk=summons.pk).exists()  # kept
    # a voided summons no longer blocks recording the same one again
    accountability.record_summons(actor=office, **summons_data(unit, attendees="张三（市长）"))
    call_command("verify_audit", stdout=io.StringIO())


def test_the_supervision_page_corrects_and_voids_and_strikes_the_voided_through(office, liaison):
    unit = row().unit
    summons = accountability.record_summons(actor=office, **summons_data(unit))
    client = client_for(office)
    nameless = client.post(f"/supervision/summons/{summons.pk}/void/", {"reason": ""})
    assert nameless.status_code == 400 and "请填写作废理由" in nameless.content.decode()
    response = client.post(
        f"/supervision/summons/{summons.pk}/correct/",
        {"held_on": "2017-11-24", "attendees": "张三（市长）", "reason": "整改滞后", "note": "职务写错"},
        follow=True,
    )
    assert "已更正约谈记录" in response.content.decode()
    response = client.post(f"/supervision/summons/{summons.pk}/void/", {"reason": "重复登记"}, follow=True)
    body = response.content.decode()
    assert "已作废约谈记录" in body and 'class="voided"' in body and "已作废：重复登记" in body
    assert (
        client_for(liaison).post(f"/supervision/summons/{summons.pk}/void/", {"reason": "x"}).status_code
        == 403
    )
    assert client.post("/supervision/nothing/1/void/", {"reason": "x"}).status_code == 404


# --- item 5: nothing typed is lost when the session expires ----------------------------------


def test_a_report_posted_after_the_session_expired_is_restored_after_signing_in(liaison):
    from django.test import Client

    from tasks.models import SavedForm

    a = row()
    client = Client()  # the session has expired: nobody is signed in
    typed = {
        "week": "2017-W48",
        "text": "本周完成燃煤锅炉拆除 12 台",
        "percent": "35",
        "version": "1",
        "form_key": "x",
        "csrfmiddlewaretoken": "y",
    }
    response = client.post(f"/assignments/{a.pk}/report/", typed)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/assignments/{a.pk}/"
    saved = SavedForm.objects.get()
    assert "csrfmiddlewaretoken" not in saved.data and "form_key" not in saved.data
    assert ProgressReport.objects.count() == 0

    client.force_login(liaison)  # signs in again, and the login page sends them to next
    page = client.get(f"/assignments/{a.pk}/")
    assert page.status_code == 200
    form = page.context["forms"]["report"]
    assert (form.initial["text"], form.initial["percent"], form.initial["week"]) == (
        "本周完成燃煤锅炉拆除 12 台",
        "35",
        "2017-W48",
    )
    assert form.initial["version"] == row().version  # the page's own, not the stale one posted
    body = page.content.decode()
    assert "本周完成燃煤锅炉拆除 12 台" in body and "已恢复您刚才填写的内容" in body
    assert not SavedForm.objects.exists()  # once
    assert "本周完成燃煤锅炉拆除 12 台" not in client.get(f"/assignments/{a.pk}/").content.decode()


def test_a_summons_typed_on_the_supervision_page_is_restored_there(office):
    from django.test import Client

    client = Client()
    data = {
        "unit": str(row().unit_id),
        "held_on": "2017-11-30",
        "attendees": "张三（副市长）",
        "reason": "整改滞后",
    }
    response = client.post("/supervision/summons/", data, HTTP_REFERER="http://testserver/supervision/")
    assert response["Location"] == "/login/?next=/supervision/"
    client.force_login(office)
    page = client.get("/supervision/")
    assert page.context["summons_form"].initial["attendees"] == "张三（副市长）"
    assert page.context["open_form"] == "summons"


def test_the_long_forms_keep_a_local_draft_without_inline_script(liaison):
    body = client_for(liaison).get(f"/assignments/{row().pk}/").content.decode()
    assert 'src="/static/web/draft.js"' in body and "data-draft" in body
    assert "<script>" not in body


def test_the_api_takes_an_optional_idempotency_key(liaison, api):
    a = row()
    client = api(liaison)
    body = {"week": "2017-W48", "text": "本周进展", "percent": "30"}
    first = client.post(f"/api/assignments/{a.pk}/reports/", body, HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == 201
    again = client.post(f"/api/assignments/{a.pk}/reports/", body, HTTP_IDEMPOTENCY_KEY="r-1")
    assert again.status_code == 409 and "已经处理过" in again.json()["detail"]
    assert ProgressReport.objects.count() == 1
    # a refused request does not use its key up
    bad = client.post(
        f"/api/assignments/{a.pk}/reports/", {**body, "percent": "120"}, HTTP_IDEMPOTENCY_KEY="r-2"
    )
    assert bad.status_code == 400
    assert (
        client.post(f"/api/assignments/{a.pk}/reports/", body, HTTP_IDEMPOTENCY_KEY="r-2").status_code == 201
    )


def test_the_admin_check_page_carries_a_one_time_key_too(liaison, unit_leader, office):
    import re

    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="完成", percent=100)
    request = ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(a.pk, actor=unit_leader, opinion="同意")  # the first check, in the pages
    client = client_for(office)
    url = f"/admin/tasks/signoffrequest/{request.pk}/check/"
    page = client.get(url).content.decode()
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    data = {"decision": "reject", "opinion": "材料不全", "version": row().version, "form_key": key}
    assert client.post(url, data).status_code == 302
    assert SignOffRequest.objects.get(pk=request.pk).status == "rejected"
