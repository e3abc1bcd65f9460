"""The read API over the plan: authentication, the task list and detail, filters."""

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Task, Unit

EXPECTED = json.loads((Path(__file__).parent / "data" / "plan_expected.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db


def names(units):
    """Unit names from the expectations file's [name, kind] pairs."""
    return sorted(name for name, _kind in units)


def test_it_gives_a_token_for_a_good_password(api, liaison):
    response = api().post(
        "/api/auth/token/", {"username": "alice", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/tasks/").status_code == 200


def test_it_refuses_a_wrong_password_in_chinese(api, liaison):
    response = api().post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "用户名或密码错误"


def test_it_refuses_anonymous_callers(api, plan):
    for url in ["/api/tasks/", "/api/tasks/1/", "/api/units/", "/api/officials/"]:
        response = api().get(url)
        assert response.status_code == 401, url
        assert "登录" in response.json()["detail"]


def test_it_rejects_a_bad_token(api, plan):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/tasks/").status_code == 401


def test_it_lists_all_60_tasks_in_pages(api, office):
    body = api(office).get("/api/tasks/").json()
    assert body["count"] == 60
    assert len(body["results"]) == 50
    assert body["next"] and body["previous"] is None
    everything = api(office).get("/api/tasks/?page_size=200").json()
    assert [t["number"] for t in everything["results"]] == list(range(1, 61))


def test_it_caps_the_page_size_at_200(api, office):
    body = api(office).get("/api/tasks/?page_size=1000").json()
    assert len(body["results"]) == 60  # 60 < 200: all of them, and no error


def test_it_filters_by_category(api, office):
    counts = [api(office).get(f"/api/tasks/?category={n}").json()["count"] for n in (1, 2, 3, 4)]
    assert counts == [18, 6, 22, 14]


def test_it_filters_by_unit_name_and_id(api, office):
    by_name = api(office).get("/api/tasks/?unit=晋中市&page_size=200").json()
    unit = Unit.objects.get(name="晋中市")
    by_id = api(office).get(f"/api/tasks/?unit={unit.pk}&page_size=200").json()
    assert by_name["count"] == by_id["count"] > 0
    expected = [t["number"] for t in EXPECTED["tasks"] if "晋中市" in names(t["responsible_units"])]
    assert [task["number"] for task in by_name["results"]] == expected


def test_it_filters_by_deadline_kind(api, office):
    for kind in ("immediate_ongoing", "dated", "phased"):
        body = api(office).get(f"/api/tasks/?deadline_kind={kind}&page_size=200").json()
        assert body["count"] == sum(1 for t in EXPECTED["tasks"] if t["deadline_kind"] == kind)
        assert {t["deadline_kind"] for t in body["results"]} <= {kind}


def test_it_searches_text(api, office):
    body = api(office).get("/api/tasks/?q=桑干河").json()
    assert body["count"] >= 1
    assert all("桑干河" in json.dumps(t, ensure_ascii=False) for t in body["results"])


def test_it_lists_overdue_tasks(api, office):
    # Every dated task is long past due in the test's "today" and nothing is signed off.
    body = api(office).get("/api/tasks/?overdue=true&page_size=200").json()
    assert body["count"] == Task.objects.exclude(due_date=None).count()


@pytest.mark.parametrize(
    "query, message",
    [
        ("category=abc", "category"),
        ("deadline_kind=soon", "deadline_kind"),
        ("unit=火星市", "火星市"),
        ("overdue=maybe", "overdue"),
    ],
)
def test_it_explains_a_bad_filter(api, office, query, message):
    response = api(office).get(f"/api/tasks/?{query}")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_it_shows_a_task_with_its_measures_units_and_officials(api, office):
    task = Task.objects.get(number=3)
    body = api(office).get(f"/api/tasks/{task.pk}/").json()
    assert body["category"] == {"number": 1, "title": task.category.title}
    assert [u["name"] for u in body["responsible_units"]] == ["晋中市", "长治市"] or sorted(
        u["name"] for u in body["responsible_units"]
    ) == ["晋中市", "长治市"]
    assert {(o["name"], o["unit"]) for o in body["officials"]} == {
        ("胡玉亭", "晋中市"),
        ("王成", "晋中市"),
        ("席小军", "长治市"),
        ("卢建明", "长治市"),
    }
    assert body["deadline_text"] == "2017 年底前"
    assert body["due_date"] == "2017-12-31"
    assert body["deadline_kind"] == "dated"
    assert len(body["measures"]) == 2
    assert body["measures"][0]["milestones"] == ["2017-08-31", "2017-12-31"]
    assert sorted(a["unit"] for a in body["assignments"]) == ["晋中市", "长治市"]


def test_it_says_what_the_plan_says_for_every_task(api, office):
    client = api(office)
    results = client.get("/api/tasks/?page_size=200").json()["results"]
    assert len(results) == len(EXPECTED["tasks"]) == 60
    for got, want in zip(results, EXPECTED["tasks"]):
        where = f"task {want['number']}"
        assert got["number"] == want["number"], where
        assert got["category"]["number"] == want["category"], where
        assert len(got["measures"]) == want["measure_count"], where
        assert sorted((u["name"], u["kind"]) for u in got["cooperating_units"]) == sorted(
            tuple(u) for u in want["cooperating_units"]
        ), where
        assert sorted((o["name"], o["unit"]) for o in got["officials"]) == sorted(
            tuple(o) for o in want["officials"]
        ), where
        assert got["deadline_text"] == want["deadline_text"], where
        assert got["due_date"] == want["due_date"], where
        assert got["deadline_kind"] == want["deadline_kind"], where
        # The list counts the rows; the rows (one per responsible unit) are one request away.
        assert got["responsible_count"] == len(want["responsible_units"]), where
        assert got["assignment_counts"] == {
            "total": len(want["responsible_units"]),
            "by_status": {"not_started": len(want["responsible_units"])},
        }, where
        rows = client.get(got["assignments_url"] + "?page_size=200").json()["results"]
        assert sorted((r["unit"]["name"], r["unit"]["kind"]) for r in rows) == sorted(
            tuple(u) for u in want["responsible_units"]
        ), where
        assert {r["task"]["number"] for r in rows} == {want["number"]}, where


def test_a_liaison_sees_only_their_units_assignments_under_a_task(api, liaison):
    task = Task.objects.get(number=3)
    body = api(liaison).get(f"/api/tasks/{task.pk}/").json()
    assert [a["unit"] for a in body["assignments"]] == ["晋中市"]
    assert len(body["responsible_units"]) == 2  # the plan itself is not hidden


def test_the_task_list_runs_the_same_queries_for_1_task_as_for_60(api, office):
    client = api(office)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    one = count("/api/tasks/?q=寿阳明泰&page_size=200")
    sixty = count("/api/tasks/?page_size=200")
    assert one[1] == 1 and sixty[1] == 60
    # 1 count, 2 the page of tasks (category joined, status and responsible units counted in
    # subqueries), 3 measures, 4 cooperating units, 5 officials (unit joined), 6 the caller's
    # visible rows counted per task and status. No session or auth queries: the client is
    # force-authenticated.
    assert one[0] == sixty[0] == 6


def test_a_liaison_counts_only_their_units_rows_and_lists_them_one_request_away(api, liaison):
    client = api(liaison)
    listed = next(t for t in client.get("/api/tasks/?page_size=200").json()["results"] if t["number"] == 3)
    assert listed["responsible_count"] == 2  # the plan itself is not hidden
    assert listed["assignment_counts"] == {"total": 1, "by_status": {"not_started": 1}}
    assert "assignments" not in listed and "responsible_units" not in listed
    rows = client.get(listed["assignments_url"]).json()
    assert rows["count"] == 1 and [r["unit"]["name"] for r in rows["results"]] == ["晋中市"]
    assert rows["results"][0]["allowed_actions"] == ["report", "request_extension"]


def test_a_tasks_rows_are_paginated_in_the_same_queries_for_1_and_many(api, office):
    client = api(office)
    one = Task.objects.get(number=17)  # one responsible unit
    many = max(Task.objects.all(), key=lambda task: task.assignments.count())
    counts = []
    for task in (one, many):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/api/tasks/{task.pk}/assignments/?page_size=200").json()
        assert body["count"] == task.assignments.count() == len(body["results"])
        counts.append(len(ctx.captured_queries))
    assert many.assignments.count() > 5
    # 1 the task exists, 2 count, 3 the page's ids (units in the standard order), 4 the rows.
    assert counts == [4, 4]
    response = client.get("/api/tasks/999999/assignments/")
    assert response.status_code == 404 and "不存在" in response.json()["detail"]


def test_units_and_officials_are_listed(api, office):
    units = api(office).get("/api/units/?page_size=200").json()
    names = {u["name"] for u in units["results"]}
    assert {"太原市", "运城市", "省发改委", "省林业厅"} <= names
    officials = api(office).get("/api/officials/?page_size=200").json()
    assert {"name": "姜四清", "unit": "省发改委"} in [
        {"name": o["name"], "unit": o["unit"]} for o in officials["results"]
    ]


def test_the_schema_and_docs_are_served_to_signed_in_users(client, office):
    client.force_login(office)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def spectaculars_own(user) -> str:
    """The Content-Disposition drf-spectacular's own view gives."""
    from drf_spectacular.views import SpectacularAPIView
    from rest_framework.test import APIRequestFactory, force_authenticate

    request = APIRequestFactory().get("/api/schema/")
    force_authenticate(request, user)
    return SpectacularAPIView.as_view()(request)["Content-Disposition"]


def test_the_schema_is_generated_once_per_process_and_format_but_asked_who_reads_it_each_time(
    client, office, settings, monkeypatch
):
    from drf_spectacular.generators import SchemaGenerator

    from tasks.api.schema_view import SchemaView

    monkeypatch.setattr(SchemaView, "_answers", {})
    generated = []
    generate = SchemaGenerator.get_schema
    monkeypatch.setattr(
        SchemaGenerator, "get_schema", lambda self, **kwargs: generated.append(1) or generate(self, **kwargs)
    )
    settings.DEBUG = False
    client.force_login(office)

    first, again = client.get("/api/schema/"), client.get("/api/schema/")
    as_json = [client.get("/api/schema/?format=json") for _ in range(2)]
    odd = [client.get("/api/schema/?format=json&lang=xx-odd") for _ in range(2)]  # not in LANGUAGES: not kept

    assert first.status_code == again.status_code == 200
    assert again.content == first.content and b"/api/assignments/{id}/approve/" in first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert again["Content-Disposition"] == first["Content-Disposition"] == spectaculars_own(office)
    assert as_json[1].json() == as_json[0].json() and as_json[0].json()["openapi"].startswith("3.")
    assert [r.status_code for r in odd] == [200, 200]
    assert len(generated) == 5  # YAML once, JSON once, the odd language twice, drf-spectacular's own
    assert len(SchemaView._answers) == 2

    client.logout()
    assert client.get("/api/schema/").status_code in (401, 403)  # the kept answer is no way round the sign-in


def test_the_openapi_schema_is_valid_and_generates_without_warnings(tmp_path):
    """Every endpoint of every app is typed for API clients: no guessed parameter, no colliding enum."""
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    assert "/api/assignments/{id}/approve/" in text and "/api/notifications/{id}/read/" in text
    assert "AssignmentStatusEnum" in text and "BulletinStatusEnum" in text


def sign_off(number, unit, make_user):
    """Carry one assignment of a task through both checks, with that unit's own people."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tasks.choices import Role
    from tasks.models import Assignment
    from tasks.services import ledger

    tag = Unit.objects.get(name=unit).pk
    liaison = make_user(f"liaison{tag}", Role.LIAISON, unit)
    head = make_user(f"lead{tag}", Role.UNIT_LEADER, unit)
    office = make_user(f"office{tag}", Role.OFFICE)
    a = Assignment.objects.get(task__number=number, unit__name=unit)
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="完成", percent=100)
    ledger.request_signoff(
        a.pk,
        actor=liaison,
        summary="完成",
        files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 a", content_type="application/pdf")],
    )
    ledger.approve(a.pk, actor=head)
    ledger.approve(a.pk, actor=office)


def test_a_tasks_status_rolls_up_from_all_its_assignments(api, liaison, make_user):
    """未启动 until one unit starts, 整改中 while any is open, 已销号 only when every unit is signed off."""
    task = Task.objects.get(number=3)
    client = api(liaison)  # a liaison of 晋中市 sees the task's status, not only their unit's share

    def status():
        detail = client.get(f"/api/tasks/{task.pk}/").json()
        listed = next(
            t for t in client.get("/api/tasks/?page_size=200").json()["results"] if t["number"] == 3
        )
        assert (listed["status"], listed["status_label"]) == (detail["status"], detail["status_label"])
        return detail["status"], detail["status_label"]

    assert status() == ("not_started", "未启动")
    sign_off(3, "晋中市", make_user)
    assert status() == ("in_progress", "整改中")  # 长治市 has not started
    sign_off(3, "长治市", make_user)
    assert status() == ("signed_off", "已销号")


def test_the_task_list_filters_by_status_in_the_same_queries_for_1_and_59_tasks(api, office, make_user):
    sign_off(3, "晋中市", make_user)
    sign_off(3, "长治市", make_user)
    sign_off(17, "晋中市", make_user)  # task 17 has one unit only
    client = api(office)

    def listed(query):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"/api/tasks/?page_size=200&{query}").json()
        return len(ctx.captured_queries), sorted(t["number"] for t in body["results"])

    signed = listed("status=signed_off")
    waiting = listed("status=not_started")
    assert signed[1] == [3, 17]
    assert len(waiting[1]) == 58 and 3 not in waiting[1] and 17 not in waiting[1]
    assert listed("status=in_progress")[1] == []
    # The same 6 queries as the unfiltered list: the status is a subquery of the page's query.
    assert signed[0] == waiting[0] == 6
    response = client.get("/api/tasks/?status=done")
    assert response.status_code == 400 and "任务状态" in response.json()["detail"]
