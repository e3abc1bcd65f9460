"""The browser pages: who may open which, unit scoping, the ledger's filters and the task page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from reports import disclosure as disclosures
from tasks.choices import Status
from tasks.models import Assignment
from tasks.services import ledger
from tasks.weeks import today, week_of
from tests.helpers import client_for
from tests.helpers import row as assignment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

PDF = b"%PDF-1.4 evidence"
PRIVATE_PAGES = [
    "/",
    "/dashboard/",
    "/ledger/",
    "/desk/",
    "/queue/",
    "/reviews/",
    "/inbox/",
    "/tasks/1/",
    "/password/",
]


def pdf(name="验收报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_it_sends_anonymous_visitors_to_the_login_page(plan):
    for url in PRIVATE_PAGES:
        response = client_for().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_it_logs_in_with_a_password_and_lands_by_role(liaison, unit_leader, office, leader):
    expected = {"alice": "/desk/", "bob": "/queue/", "olga": "/dashboard/", "leo": "/dashboard/"}
    for username, landing in expected.items():
        client = Client()
        response = client.post(
            "/login/", {"username": username, "password": "correct-horse-battery"}, follow=True
        )
        assert response.redirect_chain[-1][0] == landing, username
        assert response.status_code == 200


def test_it_refuses_a_wrong_password_in_chinese(liaison):
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_it_logs_out_with_a_post(liaison):
    client = client_for(liaison)
    assert client.post("/logout/").status_code == 302
    assert client.get("/ledger/").status_code == 302


def test_it_changes_the_password(liaison):
    client = client_for(liaison)
    response = client.post(
        "/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-much-longer-secret-9",
            "new_password2": "a-much-longer-secret-9",
        },
    )
    assert response.status_code == 302
    liaison.refresh_from_db()
    assert liaison.check_password("a-much-longer-secret-9")


def test_it_keeps_the_dashboard_and_reviews_from_unit_roles(liaison, unit_leader):
    for user in (liaison, unit_leader):
        for url in ("/dashboard/", "/reviews/"):
            response = client_for(user).get(url)
            assert response.status_code == 403, (user, url)
            assert "无权访问" in response.content.decode()


def test_it_keeps_the_queue_from_liaisons_and_leaders(liaison, leader):
    assert client_for(liaison).get("/queue/").status_code == 403
    assert client_for(leader).get("/queue/").status_code == 403


def test_it_tells_a_user_without_a_role_to_ask_for_one(plan, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    response = client_for(nobody).get("/")
    assert response.status_code == 403
    assert "尚未分配角色" in response.content.decode()
    assert client_for(nobody).get("/ledger/").status_code == 403


def test_it_shows_a_liaison_only_their_own_units_ledger_rows(liaison):
    response = client_for(liaison).get("/ledger/")
    rows = list(response.context["page"])
    assert rows and {row.unit.name for row in rows} == {"晋中市"}
    assert response.context["page"].paginator.count == Assignment.objects.filter(unit__name="晋中市").count()
    assert "unit" not in response.context["form"].fields


def test_it_refuses_another_units_assignment_with_a_404(liaison, outsider):
    other = assignment(10, "临汾市")
    response = client_for(liaison).get(f"/assignments/{other.pk}/")
    assert response.status_code == 404
    assert "无权查看" in response.content.decode()
    post = client_for(liaison).post(
        f"/assignments/{other.pk}/report/", {"week": "2017-W40", "text": "x", "percent": 5}
    )
    assert post.status_code == 404
    assert not other.reports.exists()


def test_it_serves_evidence_only_to_those_who_see_its_assignment(liaison, outsider, office):
    mine = assignment(17, "晋中市")
    report = ledger.submit_report(
        mine.pk, actor=liaison, week="2017-W40", text="推进", percent=10, files=[pdf()]
    )
    item = report.evidence.get()
    response = client_for(office).get(f"/evidence/{item.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert client_for(outsider).get(f"/evidence/{item.pk}/").status_code == 404


def test_it_hides_the_task_pages_other_units_from_a_liaison(liaison, office):
    task_id = assignment(3, "晋中市").task_id  # task 3: 晋中市 and 长治市
    mine = client_for(liaison).get(f"/tasks/{task_id}/")
    assert [a.unit.name for a, _, _ in mine.context["rows"]] == ["晋中市"]
    everyone = client_for(office).get(f"/tasks/{task_id}/")
    assert sorted(a.unit.name for a, _, _ in everyone.context["rows"]) == ["晋中市", "长治市"]


def test_it_shows_the_task_with_measures_officials_and_a_timeline(liaison, office):
    row = assignment(17, "晋中市")
    ledger.submit_report(
        row.pk,
        actor=liaison,
        week="2017-W40",
        text="完成第一批整治",
        percent=40,
        measure_notes={"1": "已排查"},
        files=[pdf("排查清单.pdf")],
    )
    ledger.request_extension(
        row.pk,
        actor=liaison,
        new_due_date=row.due_date.replace(year=row.due_date.year + 1),
        reason="冬季停工，需待来年开春继续施工",
    )
    body = client_for(office).get(f"/tasks/{row.task_id}/").content.decode()
    task = row.task
    assert task.problem[:20] in body and task.goal[:20] in body
    for measure in task.measures.all():
        assert measure.text[:20] in body
    assert "完成第一批整治" in body and "措施1：已排查" in body and "排查清单.pdf" in body
    assert "申请延期至" in body and "冬季停工" in body


def test_it_filters_the_ledger_by_each_field(office, liaison):
    row = assignment(17, "晋中市")
    ledger.submit_report(row.pk, actor=liaison, week="2017-W40", text="推进", percent=30)
    client = client_for(office)

    def count(query):
        response = client.get(f"/ledger/?{query}")
        assert response.status_code == 200, query
        return response.context["page"].paginator.count

    total = Assignment.objects.count()
    assert count("") == total
    assert count("status=in_progress") == 1
    assert count("category=1") == Assignment.objects.filter(task__category__number=1).count()
    unit_id = row.unit_id
    assert count(f"unit={unit_id}") == Assignment.objects.filter(unit_id=unit_id).count()
    assert (
        count("deadline_kind=immediate_ongoing")
        == Assignment.objects.filter(task__deadline_kind="immediate_ongoing").count()
    )
    assert (
        count("level=red") + count("level=yellow") + count("level=green") + count("level=signed_off") == total
    )
    assert count("overdue=on") == count("overdue=on&level=red") == Assignment.objects.overdue(today()).count()
    assert count("q=晋中市") >= Assignment.objects.filter(unit__name="晋中市").count()
    problem_word = row.task.problem[5:12]
    assert row in client.get(f"/ledger/?q={problem_word}").context["page"].object_list


def test_it_sorts_the_ledger(office, liaison):
    row = assignment(17, "晋中市")
    ledger.submit_report(row.pk, actor=liaison, week="2017-W40", text="推进", percent=90)
    first = client_for(office).get("/ledger/?sort=-percent").context["page"].object_list[0]
    assert first == row
    by_due = client_for(office).get("/ledger/?sort=due").context["page"].object_list
    dues = [a.effective_due for a in by_due if a.effective_due]
    assert dues == sorted(dues)


def test_it_pages_the_ledger_and_keeps_the_filters_in_the_links(office):
    response = client_for(office).get("/ledger/?status=not_started")
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.has_next()
    assert "status=not_started&amp;page=2" in response.content.decode()
    second = client_for(office).get("/ledger/?status=not_started&page=2").context["page"]
    assert not {a.pk for a in page.object_list} & {a.pk for a in second.object_list}


def test_it_refuses_a_bad_filter_in_chinese_and_lists_nothing(office):
    response = client_for(office).get("/ledger/?status=done&category=x")
    assert response.status_code == 400
    body = response.content.decode()
    assert "选择一个有效的选项" in body
    assert response.context["page"].paginator.count == 0


def test_it_links_the_weekly_excel_for_the_current_week(office):
    body = client_for(office).get("/ledger/").content.decode()
    assert 'action="/ledger/weekly.xlsx"' in body and f'name="week" value="{week_of(today())}"' in body


def test_it_lists_the_liaisons_assignments_by_urgency(liaison):
    rows = client_for(liaison).get("/desk/").context["rows"]
    ranks = {"red": 0, "yellow": 1, "green": 2}
    assert [ranks[r.level] for r in rows] == sorted(ranks[r.level] for r in rows)
    assert {r.unit.name for r in rows} == {"晋中市"}


def test_it_shows_the_dashboard_figures(office, liaison, unit_leader):
    row = assignment(17, "晋中市")
    ledger.submit_report(row.pk, actor=liaison, week="2017-W40", text="推进", percent=100)
    ledger.request_signoff(row.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(row.pk, actor=unit_leader)
    ledger.approve(row.pk, actor=office)
    context = client_for(office).get("/dashboard/").context
    totals = context["totals"]
    assert totals["total"] == Assignment.objects.count()
    assert totals["signed_off"] == 1
    assert (
        totals["signed_off"] + totals["on_track"] + totals["overdue"] + totals["reopened"] == totals["total"]
    )
    assert sum(r["total"] for r in context["by_category"]) == totals["total"]
    jinzhong = next(r for r in context["by_unit"] if r["name"] == "晋中市")
    assert jinzhong["signed_off"] == 1
    assert context["chart"].cumulative[-1] == 1
    assert all(a.status != Status.SIGNED_OFF for a in context["overdue"])
    assert (
        sum(n for _, n in context["levels"]) == totals["total"] - totals["signed_off"]
    )  # lights of open rows


def test_it_hides_internal_notes_evidence_and_names_from_the_public(liaison, unit_leader, office):
    liaison.first_name = "王联络"
    liaison.save()
    row = assignment(17, "晋中市")
    ledger.submit_report(
        row.pk,
        actor=liaison,
        week="2017-W40",
        text="内部进展说明",
        percent=60,
        measure_notes={"1": "内部措施备注"},
        files=[pdf("内部佐证.pdf")],
    )
    ledger.request_signoff(row.pk, actor=liaison, summary="内部销号说明", files=[pdf("销号佐证.pdf")])
    ledger.reject(row.pk, actor=unit_leader, reason="内部退回理由")
    disclosures.publish(disclosures.open_draft("2017-W40", office)[0], office)
    response = client_for().get(f"/public/tasks/{row.task_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    for secret in [
        "内部进展说明",
        "内部措施备注",
        "内部佐证.pdf",
        "销号佐证.pdf",
        "内部销号说明",
        "内部退回理由",
        "王联络",
        "alice",
        "/evidence/",
    ]:
        assert secret not in body, secret
    assert row.task.problem[:20] in body
    assert "晋中市 · 整改中" in body and "60%" not in body  # a liaison's percentage is not published


def test_it_explains_a_failed_csrf_check_in_chinese(liaison):
    client = Client(enforce_csrf_checks=True)
    client.force_login(liaison)
    response = client.post(
        f"/assignments/{assignment(17, '晋中市').pk}/report/", {"week": "2017-W40", "text": "x", "percent": 5}
    )
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def sign_off(row, liaison, unit_leader, office):
    ledger.submit_report(row.pk, actor=liaison, week="2017-W40", text="推进", percent=100)
    ledger.request_signoff(row.pk, actor=liaison, summary="完成", files=[pdf()])
    ledger.approve(row.pk, actor=unit_leader)
    ledger.approve(row.pk, actor=office)


def test_it_links_each_unit_without_a_report_to_its_own_ledger_rows(office):
    client = client_for(office)
    page = client.get("/dashboard/").content.decode()
    jinzhong = assignment(17, "晋中市").unit
    link = f'href="/ledger/?unit={jinzhong.pk}">晋中市</a>'
    assert link in page and "/ledger/?q=" not in page
    rows = client.get(f"/ledger/?unit={jinzhong.pk}").context["page"]
    assert rows.paginator.count == Assignment.objects.filter(unit=jinzhong).count()
    assert {a.unit_id for a in rows.object_list} == {jinzhong.pk}


def test_the_charts_running_total_is_what_is_signed_off_now(office, liaison, unit_leader):
    first, second = (
        assignment(17, "晋中市"),
        Assignment.objects.filter(unit__name="晋中市").exclude(task__number=17).first(),
    )
    for row in (first, second):
        sign_off(row, liaison, unit_leader, office)
    review = ledger.schedule_review(first.pk, actor=office, scheduled_for=today())
    ledger.record_review(
        review.pk,
        actor=office,
        outcome="relapsed",
        findings="问题反弹",
        requirements="限期整改到位，报送整改情况",
        new_due_date=today(),
    )
    response = client_for(office).get("/dashboard/")
    signed = response.context["totals"]["signed_off"]
    assert signed == 1
    assert response.context["chart"].cumulative[-1] == signed
    assert f"累计 {signed} 项" in response.content.decode()


def test_it_shows_a_share_under_one_percent_with_a_decimal(office, liaison, unit_leader):
    sign_off(assignment(17, "晋中市"), liaison, unit_leader, office)
    response = client_for(office).get("/dashboard/")
    totals = response.context["totals"]
    assert totals["total"] > 100  # one row is under 1 %
    assert 0 < totals["signed_off_pct"] < 1
    assert f"已销号（{totals['signed_off_pct']}%）" in response.content.decode()
    assert "已销号（0%）" not in response.content.decode()


def test_the_desk_offers_the_excel_upload_only_to_those_who_may_use_it(liaison, unit_leader):
    mine = client_for(liaison).get("/desk/").content.decode()
    assert "整表上传报送" in mine and 'name="file"' in mine
    theirs = client_for(unit_leader).get("/desk/").content.decode()
    assert "上传报送" not in theirs and 'name="file"' not in theirs
    assert "周报由本单位联络员填报上传" in theirs
