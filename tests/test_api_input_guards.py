"""Input the API cannot use is refused with a 400 (or 404) in Chinese, never a 500.

NUL characters are the sharp case: PostgreSQL can neither store nor compare them, so a
query or a row holding one fails in the database unless it is refused first. Digits
beyond ASCII ("²".isdigit() is true, int("²") fails) and JSON values of the wrong type
are the others. Run on PostgreSQL as well as SQLite.
"""

import re

import pytest

from tasks.models import Assignment, AuditEntry, ProgressReport, Unit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

NUL_SAYS = "不能包含空字符（\\x00）"


def chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/tasks/?q=a%00b", "q"),
        ("/api/tasks/?unit=a%00b", "unit"),
        ("/api/assignments/?unit=a%00b", "unit"),
        ("/api/reports/weekly.xlsx?unit=a%00b", "unit"),
    ],
)
def test_a_nul_in_a_query_parameter_is_refused(api, office, url, field):
    response = api(office).get(url)
    assert response.status_code == 400
    body = response.json()
    assert NUL_SAYS in body["detail"] and field in body["detail"]
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize(
    "url", ["/api/tasks/?unit=²", "/api/assignments/?unit=²", "/api/reports/weekly.xlsx?unit=²"]
)
def test_a_unit_written_with_a_superscript_digit_is_an_unknown_unit(api, office, url):
    response = api(office).get(url)
    assert response.status_code == 400
    assert response.json()["detail"] == "单位“²”不存在"


def test_a_unit_id_too_large_for_the_database_is_an_unknown_unit(api, office):
    response = api(office).get("/api/assignments/?unit=99999999999999999999999")
    assert response.status_code == 400
    assert "不存在" in response.json()["detail"]


def test_a_unit_is_still_found_by_its_plain_id(api, office):
    unit = Unit.objects.get(name="晋中市")
    body = api(office).get(f"/api/assignments/?unit={unit.pk}").json()
    assert body["count"] == Assignment.objects.filter(unit=unit).count() > 0


@pytest.mark.parametrize(
    "payload",
    [
        {"username": 1, "password": 2},
        {"username": "alice", "password": 2},
        {"username": ["alice"], "password": "x"},
        {"username": {"a": 1}, "password": "x"},
        {"username": None, "password": "x"},
        {"username": "  ", "password": "x"},
        {"username": "alice"},
        ["alice", "x"],
        "alice",
    ],
)
def test_credentials_that_are_not_two_strings_are_asked_for_again(api, liaison, payload):
    response = api().post("/api/auth/token/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请提供用户名和密码"}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"username": "alice\x00", "password": "correct-horse-battery"}, "username"),
        ({"username": "alice", "password": "correct\x00horse"}, "password"),
    ],
)
def test_a_nul_in_the_credentials_is_refused(api, liaison, payload, field):
    for fmt in ("json", "multipart"):
        response = api().post("/api/auth/token/", payload, format=fmt)
        assert response.status_code == 400, fmt
        body = response.json()
        assert NUL_SAYS in body["detail"] and list(body["errors"]) == [field]


def test_drf_refuses_a_nul_in_a_text_field_in_our_own_words(api, liaison):
    """DRF's own check (every CharField) is translated as "empty strings are not allowed"; we say what it is."""
    a = Assignment.objects.get(task__number=17, unit__name="晋中市")
    reports = ProgressReport.objects.count()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W40", "text": "推进\x00中", "percent": 30},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {"text": [NUL_SAYS]}
    assert body["detail"] == f"输入有误：{NUL_SAYS}"
    assert "空字符串" not in response.content.decode()
    assert ProgressReport.objects.count() == reports


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/assignments/", "/api/units/"])
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "²", "a%00"])
def test_a_page_that_is_not_a_page_number_is_a_400(api, office, url, page):
    response = api(office).get(f"{url}?page={page}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("页码无效")
    assert chinese(response.json()["detail"])


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/assignments/", "/api/units/"])
def test_a_page_past_the_last_is_a_404_that_says_so(api, office, url):
    response = api(office).get(f"{url}?page=999")
    assert response.status_code == 404
    assert response.json() == {"detail": "页码超出范围：没有第 999 页"}


@pytest.mark.parametrize("url", ["/api/tasks/", "/api/assignments/", "/api/units/"])
@pytest.mark.parametrize("size", ["abc", "0", "-5", "1.5", "²"])
def test_a_page_size_that_is_not_a_whole_number_is_a_400(api, office, url, size):
    response = api(office).get(f"{url}?page_size={size}")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "page_size 须为 1 到 200 的整数",
        "errors": {"page_size": ["page_size 须为 1 到 200 的整数"]},
    }


def test_a_good_page_size_pages_and_is_carried_into_the_next_link(api, office):
    body = api(office).get("/api/assignments/?page_size=7").json()
    assert len(body["results"]) == 7 and "page_size=7" in body["next"]


def test_good_pages_still_work(api, office):
    client = api(office)
    assert client.get("/api/tasks/?page=2").json()["results"][0]["number"] == 51
    assert client.get("/api/tasks/?page=last").json()["results"][-1]["number"] == 60


def test_the_history_pages_the_same_way(api, office):
    a = Assignment.objects.get(task__number=17, unit__name="晋中市")
    assert api(office).get(f"/api/assignments/{a.pk}/history/?page=abc").status_code == 400
    response = api(office).get(f"/api/assignments/{a.pk}/history/?page=2")
    assert response.status_code == 404 and response.json()["detail"].startswith("页码超出范围")
    assert AuditEntry.objects.filter(assignment=a).count() == 0
