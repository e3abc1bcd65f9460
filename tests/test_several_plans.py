"""Several plans side by side (issue 11, item 4): a small 回头看 plan of 5 tasks naming no persons
imports beside the Shanxi plan; units in both are the same units; scoping, filters, the dispatch and
the bulletin handle both plans; closing (归档) a plan makes it read-only and takes it out of the dispatch."""

import re

import pytest

from dispatch import services as dispatch
from dispatch.figures import bulletin_data
from dispatch.models import Notification
from tasks.importer import import_parsed, parse_file
from tasks.models import Assignment, AuditEntry, Plan, Task
from tasks.services import ledger, plans
from tasks.services.errors import InvalidTransition
from tests.helpers import client_for
from tests.plan_files import make_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]

TITLE = "山西省中央环保督察整改“回头看”方案"
ROWS = [
    (
        n,
        "回头看发现的问题",
        f"回头看问题{n}：整改不到位",
        f"回头看目标{n}",
        "1.全面复查\n2.建立长效机制",
        unit,
        "",
        "",
        deadline,
        "",
    )
    for n, unit, deadline in [
        (1, "晋中市", "2018年6月底前"),
        (2, "晋中市、临汾市", "2018年9月底前"),
        (3, "省发改委", "立行立改，长期坚持"),
        (4, "临汾市", "2018年12月底前"),
        (5, "晋中市", "2018年3月底前"),
    ]
]


@pytest.fixture
def second(plan) -> Plan:
    data = make_xlsx(ROWS, title=TITLE)
    import_parsed(parse_file(data, "回头看清单.xlsx", year=2018), source_file="回头看清单.xlsx")
    return Plan.objects.get(title=TITLE)


def rows_of(plan, unit="晋中市"):
    return Assignment.objects.filter(task__plan=plan, unit__name=unit)


def test_a_second_plan_imports_beside_the_first_and_shares_its_units(plan, second):
    assert Task.objects.filter(plan=plan).count() == 60 and Task.objects.filter(plan=second).count() == 5
    # Task numbers are unique within a plan: both plans have a task 1.
    assert Task.objects.filter(number=1).count() == 2
    jinzhong_rows = Assignment.objects.filter(unit__name="晋中市")
    assert {r.task.plan_id for r in jinzhong_rows} == {plan.pk, second.pk}
    assert jinzhong_rows.values("unit_id").distinct().count() == 1  # one 晋中市
    assert not second.tasks.exclude(officials_text="").exists()  # a plan naming no persons


def test_a_liaison_sees_the_units_rows_of_both_plans_and_filters_by_plan(liaison, second, plan):
    api = client_for(liaison)
    every = api.get("/api/assignments/?page_size=200").json()
    assert every["count"] == rows_of(plan).count() + rows_of(second).count()
    one = api.get(f"/api/assignments/?plan={second.pk}").json()
    assert one["count"] == 3 and {r["task"]["number"] for r in one["results"]} == {1, 2, 5}
    tasks = api.get(f"/api/tasks/?plan={second.pk}").json()
    assert tasks["count"] == 5 and {t["plan"] for t in tasks["results"]} == {second.pk}
    page = client_for(liaison).get(f"/ledger/?plan={second.pk}").content.decode()
    assert "回头看问题1" in page and "任务17" not in page
    assert TITLE[:15] in page  # the plan a row belongs to, once there are several


def test_the_bulletin_counts_the_rows_of_both_plans(second):
    data = bulletin_data("2017-11")
    assert data["totals"]["total"] == Assignment.objects.count()


def dispatched_rows(body: str) -> int:
    return int(re.search(r"须逐项报送以下 (\d+) 项", body).group(1))


def test_closing_a_plan_takes_it_out_of_the_dispatch_and_makes_its_rows_read_only(
    office, liaison, second, plan
):
    dispatch.dispatch_weekly("2017-W47")
    body = Notification.objects.get(user=liaison, period="2017-W47").body
    assert dispatched_rows(body) == rows_of(plan).count() + rows_of(second).count()
    assert f"任务1（{TITLE}）：" in body  # task numbers repeat across plans: each line names its plan

    plans.close_plan(second.pk, actor=office, reason="回头看整改全部完成")
    entry = AuditEntry.objects.get(action="close_plan")
    assert (entry.before["closed_at"], entry.note) == (None, "回头看整改全部完成")
    dispatch.dispatch_weekly("2017-W48")
    closed_count = dispatched_rows(Notification.objects.get(user=liaison, period="2017-W48").body)
    assert closed_count == rows_of(plan).count()

    row = rows_of(second).order_by("pk").first()
    with pytest.raises(InvalidTransition, match="已归档"):
        ledger.submit_report(row.pk, actor=liaison, week="2017-W48", text="已复查", percent=20)
    api = client_for(liaison)
    answer = api.post(
        f"/api/assignments/{row.pk}/reports/", {"week": "2017-W48", "text": "已复查", "percent": 20}
    )
    assert answer.status_code == 400 and "已归档" in answer.json()["detail"]
    assert api.get(f"/api/assignments/{row.pk}/").json()["allowed_actions"] == []
    assert rows_of(second).filter(reports__isnull=False).count() == 0
    # Still readable, and the Shanxi rows are untouched by the closing.
    assert api.get(f"/api/assignments/?plan={second.pk}").json()["count"] == 3
    shanxi_row = rows_of(plan).order_by("pk").first()
    ledger.submit_report(shanxi_row.pk, actor=liaison, week="2017-W48", text="正常推进", percent=20)

    plans.reopen_plan(second.pk, actor=office, reason="回头看发现反弹，重新整改")
    ledger.submit_report(row.pk, actor=liaison, week="2017-W48", text="已复查", percent=20)


def test_the_plans_page_closes_a_plan_for_the_office_only(office, liaison, leader, second):
    page = client_for(office).get("/plans/").content.decode()
    assert TITLE in page and "归档方案" in page
    bad = client_for(office).post(f"/plans/{second.pk}/close/", {f"p{second.pk}-reason": ""})
    assert bad.status_code == 400 and "请填写说明" in bad.content.decode()
    assert Plan.objects.get(pk=second.pk).closed_at is None
    done = client_for(office).post(
        f"/plans/{second.pk}/close/", {f"p{second.pk}-reason": "整改全部完成"}, follow=True
    )
    assert "已归档" in done.content.decode() and Plan.objects.get(pk=second.pk).closed_at is not None
    assert client_for(liaison).get("/plans/").status_code == 403
    assert (
        client_for(leader).post(f"/plans/{second.pk}/reopen/", {f"p{second.pk}-reason": "试试"}).status_code
        == 403
    )
    assert "归档方案" not in client_for(leader).get("/plans/").content.decode()


def test_the_dashboard_shows_one_plan_when_asked(office, second):
    page = client_for(office).get(f"/dashboard/?plan={second.pk}")
    assert page.status_code == 200 and TITLE in page.content.decode()


def test_the_bulletin_keeps_each_plans_categories_apart_and_totals_each_plan(second):
    data = bulletin_data("2017-11")
    titles = {(c["plan"], c["number"]) for c in data["by_category"]}
    assert (TITLE, 1) in titles and any(plan != TITLE and number == 1 for plan, number in titles)
    by_plan = {p["plan"]: p["total"] for p in data["by_plan"]}
    assert by_plan[TITLE] == Assignment.objects.filter(task__plan=second).count() == 6
    assert sum(by_plan.values()) == data["totals"]["total"]


def test_the_dashboards_category_links_name_the_plan(office, second):
    page = client_for(office).get("/dashboard/")
    queries = {row["query"] for row in page.context["by_category"]}
    assert f"plan={second.pk}&category=1" in queries


def test_the_public_page_shows_one_plan_or_both_each_named(client, office, second):
    from reports import disclosure

    disclosure.publish(disclosure.open_draft("2017-W48", office)[0], office)
    both = client.get("/public/").content.decode()
    assert TITLE in both and "全部方案" in both
    one = client.get(f"/public/?plan={second.pk}").content.decode()
    assert "回头看问题1" in one and "晋中市左权县鑫源热电" not in one


def test_the_weekly_workbook_follows_the_plan_on_screen(office, second):
    import io

    import openpyxl

    page = client_for(office).get(f"/ledger/?plan={second.pk}").content.decode()
    assert f'<input type="hidden" name="plan" value="{second.pk}">' in page
    answer = client_for(office).get(f"/ledger/weekly.xlsx?week=2017-W48&plan={second.pk}")
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    sheet = book["整改台账"] if "整改台账" in book.sheetnames else book.worksheets[1]
    problems = [row[2] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)]
    assert problems and all(str(p).startswith("回头看问题") for p in problems)
    api = client_for(office).get(f"/api/reports/weekly.xlsx?week=2017-W48&plan={second.pk}")
    assert api.status_code == 200
    bad = client_for(office).get("/api/reports/weekly.xlsx?week=2017-W48&plan=99999")
    assert bad.status_code == 400 and "整改方案不存在" in bad.json()["detail"]


def test_the_task_and_assignment_pages_name_their_plan(liaison, second):
    row = rows_of(second).order_by("pk").first()
    assert TITLE in client_for(liaison).get(f"/tasks/{row.task_id}/").content.decode()
    assert TITLE in client_for(liaison).get(f"/assignments/{row.pk}/").content.decode()


def test_a_published_bulletin_can_be_read_for_one_plan(client, office, second):
    from dispatch.bulletin import make_bulletin, publish_bulletin

    bulletin, _created, _delivery = make_bulletin("2017-11")
    publish_bulletin(bulletin, office)
    both = client.get("/public/bulletins/2017-11/").content.decode()
    assert "全部方案" in both and TITLE in both
    one = client.get(f"/public/bulletins/2017-11/?plan={second.pk}")
    assert one.status_code == 200
    assert one.context["data"]["totals"]["total"] == Assignment.objects.filter(task__plan=second).count()
    assert {c["plan"] for c in one.context["data"]["by_category"]} == {TITLE}
    assert client.get("/public/bulletins/2017-11/?plan=99999").status_code == 404


def test_the_desk_shows_both_plans_rows_each_named_and_one_plan_when_asked(liaison, second, plan):
    page = client_for(liaison).get("/desk/")
    assert len(page.context["rows"]) == rows_of(plan).count() + rows_of(second).count()
    assert TITLE[:15] in page.content.decode() and "全部方案" in page.content.decode()
    one = client_for(liaison).get(f"/desk/?plan={second.pk}")
    assert {r.task.plan_id for r in one.context["rows"]} == {second.pk} and len(one.context["rows"]) == 3
