"""With DEBUG true, as `make run` serves the demo, not-found and server errors answer the site's
own Chinese pages (JSON under /api/), never Django's English debug page (``SiteErrorPagesMiddleware``)."""

import pytest

from tests.helpers import client_for


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # what the Makefile exports for `make run`
    settings.SITE_ERROR_PAGES = True
    return settings


def _crash(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.django_db
def test_an_unknown_address_is_the_sites_404_page(demo, liaison):
    for client in (client_for(), client_for(liaison)):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        text = response.content.decode()
        assert "页面不存在或无权查看" in text and "Page not found" not in text and "URLconf" not in text


@pytest.mark.django_db
def test_a_view_raising_not_found_is_the_sites_404_page(demo, liaison):
    response = client_for(liaison).get("/assignments/999999/")
    assert response.status_code == 404
    assert "页面不存在或无权查看" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_a_crash_is_the_sites_500_page_and_is_logged(demo, monkeypatch, caplog, plan):
    monkeypatch.setattr("web.views.public.render", _crash)
    client = client_for()
    client.raise_request_exception = False
    response = client.get("/public/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器出错了" in text and "boom" not in text and "Traceback" not in text
    assert any("boom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


@pytest.mark.django_db
def test_the_api_answers_json(demo):
    response = client_for().get("/api/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "接口不存在"}


@pytest.mark.django_db
def test_a_missing_slash_still_redirects(demo, plan):
    response = client_for().get("/public")
    assert response.status_code == 301 and response["Location"] == "/public/"


@pytest.mark.django_db
def test_developers_may_ask_for_the_debug_page(demo):
    demo.SITE_ERROR_PAGES = False
    response = client_for().get("/no-such-page/")
    assert response.status_code == 404 and "URLconf" in response.content.decode()
