"""``GET /api/``: every area of the API for a signed-in caller, nothing for an anonymous one."""

import pytest

pytestmark = pytest.mark.django_db

AREAS = {
    "assignments": "/api/assignments/",
    "tasks": "/api/tasks/",
    "units": "/api/units/",
    "officials": "/api/officials/",
    "evidence": "/api/evidence/{id}/",
    "supervisions": "/api/supervisions/",
    "summons": "/api/summons/",
    "cases": "/api/cases/",
    "leader-items": "/api/leader-items/",
    "notifications": "/api/notifications/",
    "bulletins": "/api/bulletins/",
    "handovers": "/api/handovers/",
    "instructions": "/api/instructions/",
    "reports-weekly": "/api/reports/weekly.xlsx",
    "reports-weekly-import": "/api/reports/weekly/import/",
    "public-disclosure": "/api/public/disclosure/",
    "auth-token": "/api/auth/token/",
    "auth-tokens": "/api/auth/tokens/",
    "auth-logout": "/api/auth/logout/",
    "schema": "/api/schema/",
    "docs": "/api/docs/",
}


def test_the_root_lists_every_area_of_the_api(api, liaison):
    response = api(liaison).get("/api/")

    assert response.status_code == 200
    assert response.json() == {key: "http://testserver" + path for key, path in AREAS.items()}


def test_every_listed_area_answers_a_signed_in_office(api, office):
    client = api(office)
    links = client.get("/api/").json()

    for key, url in links.items():
        if key in ("evidence", "reports-weekly-import", "auth-token", "auth-logout"):
            continue  # an id to fill in; POST-only endpoints
        assert client.get(url).status_code == 200, key


def test_an_anonymous_caller_gets_a_401_in_chinese(api):
    response = api().get("/api/")
    assert response.status_code == 401 and response.json()["detail"].startswith("请先登录")
