"""Bad input to the ledger's write endpoints: a 400 in Chinese, and nothing changed.

"Nothing changed" is checked on the assignment row and on the counts of reports,
sign-off requests, evidence files (rows and files on disk), reviews, extensions and
audit entries.
"""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import Assignment, AuditEntry, Evidence, Extension, ProgressReport, Review, SignOffRequest
from tasks.services import ledger
from tasks.services.errors import InvalidInput
from tasks.weeks import today
from tests.helpers import row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def state(assignment):
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        Assignment.objects.filter(pk=assignment.pk)
        .values(
            "status", "version", "percent", "last_report_week_start", "extended_due_date", "next_review_date"
        )
        .get(),
        ProgressReport.objects.count(),
        SignOffRequest.objects.count(),
        Evidence.objects.count(),
        files,
        Review.objects.count(),
        Extension.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(client, assignment, action, data, message, **extra):
    """POST, expect 400 with ``message`` in the Chinese detail, and find the ledger as it was."""
    before = state(assignment)
    response = client.post(f"/api/assignments/{assignment.pk}/{action}/", data, **extra)
    assert response.status_code == 400, response.content.decode()
    detail = response.json()["detail"]
    assert message in detail
    assert re.search(r"[\u4e00-\u9fff]", detail)
    assert state(assignment) == before
    return response.json()


@pytest.fixture
def started(liaison):
    """Task 17 of 晋中市 with one report: in progress, version 2."""
    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="推进", percent=30)
    return row()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"percent": "120"}, "完成比例 120 超出范围，应在 0 到 100 之间"),
        ({"percent": "-1"}, "完成比例 -1 超出范围"),
        ({"percent": "abc"}, "完成比例必须是 0 到 100 之间的整数"),
        ({"percent": "50.5"}, "完成比例必须是 0 到 100 之间的整数"),
        ({"percent": ""}, "完成比例必须是 0 到 100 之间的整数"),
        ({"week": "2017-W60"}, "2017 年没有第 60 周"),
        ({"week": "abc"}, "报送周“abc”格式不正确"),
        ({"week": "2016-W10"}, "早于督察反馈"),
        ({"week": "2099-W10"}, "尚未到来"),
        ({"text": "   "}, "请填写本周进展"),
        ({"measure_notes": "{not json"}, "JSON"),
        ({"measure_notes": json.dumps({"9": "没有这项措施"})}, "任务17没有第 9 项措施"),
        ({"measure_notes": json.dumps({"一": "x"})}, "措施序号“一”不正确"),
        ({"measure_notes": json.dumps({"1": {"a": 1}})}, "第 1 项措施的进展应为文字"),
        ({"measure_notes": json.dumps({"1": "x\u0000y"})}, "第 1 项措施的进展不能包含空字符（\\x00）"),
    ],
)
def test_a_bad_report_is_refused(api, liaison, data, message):
    body = {"week": "2017-W40", "text": "推进", "percent": "30", **data}
    refused(api(liaison), row(), "reports", body, message)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"percent": True}, "不是有效的字符串"),
        ({"percent": 120}, "完成比例 120 超出范围"),
        ({"week": 2017}, "报送周“2017”格式不正确"),
        ({"week": ["2017-W40"]}, "不是有效的字符串"),
        ({"measure_notes": ["not", "a", "dict"]}, "措施进展格式不正确"),
        ({"measure_notes": {"1": {"a": 1}}}, "第 1 项措施的进展应为文字"),
        ({"measure_notes": {"1": ["进展"]}}, "第 1 项措施的进展应为文字"),
        ({"measure_notes": {"1": 5}}, "第 1 项措施的进展应为文字"),
        ({"measure_notes": {"1": "x\u0000y"}}, "第 1 项措施的进展不能包含空字符（\\x00）"),
        ({"text": "推进\u0000中"}, "不能包含空字符（\\x00）"),
    ],
)
def test_a_bad_json_report_is_refused_not_crashed(api, liaison, data, message):
    body = {"week": "2017-W40", "text": "推进", "percent": 30, **data}
    refused(api(liaison), row(), "reports", body, message, format="json")


def test_a_transition_not_in_the_table_is_refused(api, unit_leader, liaison):
    a = row()
    errors = refused(
        api(unit_leader), a, "approve", {"opinion": "同意"}, "当前状态“未启动”不能执行“审核通过”"
    )
    assert errors["detail"] == "当前状态“未启动”不能执行“审核通过”"
    refused(
        api(liaison),
        a,
        "signoff",
        {"summary": "x", "evidence": [pdf()]},
        "当前状态“未启动”不能执行“申请销号”",
    )


def pdf(name="佐证.pdf", size=None):
    content = b"%PDF-1.4 " + (b"x" * (size - 9) if size else b"evidence")
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_signoff_without_evidence_is_refused(api, liaison, started):
    body = refused(api(liaison), started, "signoff", {"summary": "整改到位"}, "申请销号须附至少一份佐证材料")
    assert body["errors"] == {"evidence": ["申请销号须附至少一份佐证材料"]}


def test_a_signoff_without_a_summary_is_refused(api, liaison, started):
    refused(api(liaison), started, "signoff", {"summary": "", "evidence": [pdf()]}, "请填写整改情况说明")


def test_an_oversized_file_is_refused(api, liaison, started, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = pdf("大文件.pdf", size=1024 * 1024 + 1)
    refused(
        api(liaison),
        started,
        "signoff",
        {"summary": "整改到位", "evidence": [big]},
        "佐证材料“大文件.pdf”超过 1 MB 上限",
    )
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("病毒.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
            "类型不支持",
        ),
        (SimpleUploadedFile("照片.png", b"GIF89a....", content_type="image/png"), "内容与扩展名 .png 不符"),
        (SimpleUploadedFile("无扩展名", b"%PDF-1.4", content_type="application/pdf"), "类型不支持"),
    ],
)
def test_a_wrong_file_type_is_refused_on_reports_and_signoffs(api, liaison, started, upload, message):
    refused(
        api(liaison),
        started,
        "reports",
        {"week": "2017-W41", "text": "x", "percent": "40", "evidence": [upload]},
        message,
    )
    upload.seek(0)
    refused(api(liaison), started, "signoff", {"summary": "整改到位", "evidence": [pdf(), upload]}, message)


def test_one_bad_file_among_good_ones_stores_none_of_them(api, liaison, started):
    bad = SimpleUploadedFile("表.xlsx", b"not a zip", content_type="application/vnd.ms-excel")
    refused(
        api(liaison),
        started,
        "reports",
        {"week": "2017-W41", "text": "x", "percent": "40", "evidence": [pdf("a.pdf"), bad]},
        "内容与扩展名 .xlsx 不符",
    )


def test_a_rejection_needs_a_reason(api, liaison, unit_leader, started):
    ledger.request_signoff(started.pk, actor=liaison, summary="到位", files=[pdf()])
    refused(api(unit_leader), row(), "reject", {"reason": " "}, "请填写退回理由")


def test_a_bad_if_match_header_is_refused(api, liaison):
    refused(
        api(liaison),
        row(),
        "reports",
        {"week": "2017-W40", "text": "x", "percent": "5"},
        "If-Match 应为台账版本号",
        HTTP_IF_MATCH="version-one",
    )


@pytest.fixture
def signed(liaison, unit_leader, office, started):
    ledger.request_signoff(started.pk, actor=liaison, summary="到位", files=[pdf()])
    ledger.approve(started.pk, actor=unit_leader)
    ledger.approve(started.pk, actor=office)
    return row()


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "请填写计划检查日期"),
        ({"scheduled_for": "2018-02-30"}, "日期格式错误"),
    ],
)
def test_a_review_needs_a_real_date(api, office, signed, data, message):
    refused(api(office), signed, "reviews", data, message, format="json")


def test_a_review_of_an_open_assignment_is_refused(api, office, started):
    ahead = (today() + datetime.timedelta(days=90)).isoformat()
    refused(
        api(office),
        started,
        "reviews",
        {"scheduled_for": ahead},
        "只能对已销号的台账安排回头看",
        format="json",
    )


def test_a_review_before_today_is_refused_and_today_is_allowed(api, office, signed):
    yesterday = (today() - datetime.timedelta(days=1)).isoformat()
    refused(
        api(office), signed, "reviews", {"scheduled_for": yesterday}, "回头看日期不能早于今天", format="json"
    )
    assert not Review.objects.exists()
    response = api(office).post(
        f"/api/assignments/{signed.pk}/reviews/", {"scheduled_for": today().isoformat()}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "data, message",
    [
        ({"outcome": "maybe"}, "回头看结论只能是 holds（巩固）或 relapsed（反弹）"),
        ({"outcome": "relapsed", "findings": ""}, "问题反弹须写明检查情况"),
    ],
)
def test_a_review_outcome_must_be_holds_or_a_documented_relapse(api, office, signed, data, message):
    review = ledger.schedule_review(signed.pk, actor=office, scheduled_for=today())
    refused(api(office), row(), f"reviews/{review.pk}", data, message, format="json")


def test_a_review_of_another_assignment_is_not_found(api, office, signed, liaison):
    review = ledger.schedule_review(signed.pk, actor=office, scheduled_for=today())
    other = row(3)
    response = api(office).post(
        f"/api/assignments/{other.pk}/reviews/{review.pk}/", {"outcome": "holds"}, format="json"
    )
    assert response.status_code == 404 and response.json()["detail"] == "该台账没有这次回头看"
    assert Review.objects.get(pk=review.pk).outcome == "pending"


REASON = "跨年施工，冬季无法浇筑混凝土"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reason": REASON}, "请填写申请延期至的日期"),
        ({"new_due_date": "2017-13-01", "reason": REASON}, "日期格式错误"),
        ({"new_due_date": "2017-09-01", "reason": REASON}, "延期日期须晚于当前期限 2017-09-30"),
        ({"new_due_date": "2018-01-01", "reason": ""}, "请填写延期理由"),
        # at most EXTENSION_MAX_DAYS (365) beyond the current deadline, and a reason of real length
        (
            {"new_due_date": "2030-09-30", "reason": REASON},
            "延期日期不能晚于当前期限后 365 天（2018-09-30）",
        ),
        ({"new_due_date": "2018-01-01", "reason": "测试"}, "延期理由过于简略（至少 10 个字）"),
        ({"new_due_date": "2018-01-01", "reason": "测 试 测 试 测 试 测 试 x"}, "延期理由过于简略"),
    ],
)
def test_a_bad_extension_request_is_refused(api, liaison, data, message):
    refused(api(liaison), row(), "extensions", data, message, format="json")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"note": "同意"}, "请说明是否批准"),
        ({"approve": "perhaps"}, "必须是有效的布尔值"),
    ],
)
def test_an_extension_decision_must_say_yes_or_no(api, liaison, office, data, message):
    extension = ledger.request_extension(
        row().pk,
        actor=liaison,
        new_due_date=row().due_date + datetime.timedelta(days=300),
        reason="跨年施工，冬季无法浇筑混凝土",
    )
    refused(api(office), row(), f"extensions/{extension.pk}/decide", data, message)
    assert Extension.objects.get(pk=extension.pk).status == "pending"


@pytest.mark.parametrize(
    "action, data",
    [
        ("reports", {"week": "2017-W99", "text": "", "percent": "120"}),
        ("signoff", {"summary": ""}),
    ],
)
def test_the_wrong_role_is_told_so_before_its_input_is_read(api, office, started, action, data):
    """The office may not report or request sign-off: 403 whatever the body, not a list of input errors."""
    before = state(started)
    response = api(office).post(f"/api/assignments/{started.pk}/{action}/", data)
    assert response.status_code == 403, response.content.decode()
    assert "本单位联络员" in response.json()["detail"]
    assert state(started) == before


@pytest.fixture
def waiting(liaison, unit_leader, office, started):
    """Task 17 of 晋中市 awaiting the unit's check, with a pending extension request."""
    ledger.request_extension(
        started.pk,
        actor=liaison,
        new_due_date=started.due_date + datetime.timedelta(days=300),
        reason="跨年施工，冬季无法浇筑混凝土",
    )
    ledger.request_signoff(started.pk, actor=liaison, summary="到位", files=[pdf()])
    return row()


@pytest.mark.parametrize(
    "call, field",
    [
        (
            lambda a, who: ledger.submit_report(
                a.pk, actor=who["liaison"], week="2017-W41", text="a\x00", percent=40
            ),
            "text",
        ),
        (
            lambda a, who: ledger.submit_report(
                a.pk,
                actor=who["liaison"],
                week="2017-W41",
                text="a",
                percent=40,
                measure_notes={"1": "a\x00"},
            ),
            "measure_notes",
        ),
        (lambda a, who: ledger.approve(a.pk, actor=who["unit_leader"], opinion="同意\x00"), "opinion"),
        (lambda a, who: ledger.reject(a.pk, actor=who["unit_leader"], reason="不全\x00"), "reason"),
        (
            lambda a, who: ledger.decide_extension(
                a.extensions.get().pk, actor=who["office"], approve=True, note="可\x00"
            ),
            "note",
        ),
    ],
)
def test_the_services_refuse_a_nul_whoever_calls_them(liaison, unit_leader, office, waiting, call, field):
    """Pages and the admin call the services without DRF's checks: the services refuse NUL themselves."""
    before = state(waiting)
    with pytest.raises(InvalidInput) as refused_:
        call(waiting, {"liaison": liaison, "unit_leader": unit_leader, "office": office})
    assert refused_.value.field == field and "不能包含空字符（\\x00）" in refused_.value.message
    assert state(waiting) == before


def test_a_review_finding_with_a_nul_is_refused(office, signed):
    review = ledger.schedule_review(signed.pk, actor=office, scheduled_for=today())
    before = state(signed)
    with pytest.raises(InvalidInput, match="检查情况不能包含空字符"):
        ledger.record_review(review.pk, actor=office, outcome="relapsed", findings="反弹\x00")
    assert state(signed) == before and Review.objects.get(pk=review.pk).outcome == "pending"
