"""A web worker's warm-up (rectify/warmup.py) and gunicorn's post_worker_init (rectify/gunicorn_conf.py)."""

import gc
import logging
from unittest import mock

import pytest
from django.db import connections
from django.template import engines
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLResolver

from rectify import gunicorn_conf, warmup
from tasks.models import Assignment


@pytest.fixture
def gc_state():
    """Leave the collector as the test found it (post_worker_init freezes and may set thresholds)."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_warm_up_touches_no_database():
    # Without the django_db mark any query, read or write, fails the test; no connection is opened.
    for connection in connections.all():
        connection.close()
    compiled = warmup.warm_up()
    assert compiled >= 50  # templates/ and our apps' templates
    assert all(connection.connection is None for connection in connections.all())


def test_the_warm_up_compiles_our_templates_into_the_cached_loader():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()  # as a new worker's: an earlier test may have rendered the admin's pages
    warmup.warm_up()
    cached = set(loader.get_template_cache)
    assert {"base.html", "web/assignment.html"} <= cached
    assert "admin/index.html" not in cached  # the third-party apps' are left to their first use


def test_the_warm_up_fills_every_namespaces_reverse_table():
    warmup.warm_up()
    populated = []
    original = URLResolver._populate

    def spy(self):
        populated.append(self)
        return original(self)

    with mock.patch.object(URLResolver, "_populate", spy):
        reverse("ledger")
        reverse("admin:index")  # through the admin namespace's own resolver
    assert "admin" in warmup._namespaces(get_resolver())
    assert populated == []


@pytest.mark.django_db
def test_pages_answer_as_before_after_a_warm_up(client, office, plan):
    client.force_login(office)
    before = client.get(reverse("ledger"))
    warmup.warm_up()
    after = client.get(reverse("ledger"))
    assert before.status_code == after.status_code == 200
    assert after.templates[0].name == before.templates[0].name
    assert Assignment.objects.exists()


def test_post_worker_init_warms_up_and_freezes(gc_state, monkeypatch):
    monkeypatch.delenv("WEB_GC_TUNING", raising=False)
    threshold = gc.get_threshold()
    worker = mock.Mock()
    with mock.patch.object(warmup, "warm_up", wraps=warmup.warm_up) as warm_up:
        gunicorn_conf.post_worker_init(worker)
    warm_up.assert_called_once_with()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == threshold  # the thresholds only with WEB_GC_TUNING
    worker.log.exception.assert_not_called()


def test_post_worker_init_tunes_the_thresholds_when_asked(gc_state, monkeypatch):
    monkeypatch.setenv("WEB_GC_TUNING", "true")
    gunicorn_conf.post_worker_init(mock.Mock())
    assert gc.get_threshold() == gunicorn_conf.GC_THRESHOLD


def test_a_failed_warm_up_is_logged_and_the_worker_serves(gc_state, caplog):
    worker = mock.Mock()
    worker.log = logging.getLogger("gunicorn.error")
    with (
        mock.patch.object(warmup, "warm_up", side_effect=RuntimeError("boom")),
        caplog.at_level(logging.ERROR, logger="gunicorn.error"),
    ):
        gunicorn_conf.post_worker_init(worker)
    assert "warm-up failed" in caplog.text
    assert gc.get_freeze_count() > 0
