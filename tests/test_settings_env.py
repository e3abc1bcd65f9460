"""Settings read from the environment: typed helpers refuse bad values; production needs a real key."""

import datetime
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from rectify import env
from tasks import weeks
from tests.helpers import ROOT, run_python


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("YES", True), ("0", False), ("off", False)])
def test_booleans_are_read_in_the_usual_spellings(environ, raw, expected):
    environ(FLAG=raw)
    assert env.env_bool("FLAG", not expected) is expected


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        (lambda: env.env_bool("VALUE", False), "maybe"),
        (lambda: env.env_int("VALUE", 1), "12MB"),
        (lambda: env.env_list("VALUE", []), "a,,b"),
        (lambda: env.env_date("VALUE"), "2017-13-01"),
        (lambda: env.env_database("VALUE", "sqlite:///x"), "nosuchdb://host/db"),
        (lambda: env.env_rate("VALUE", "20/min"), "20 per minute"),
    ],
)
def test_a_value_that_cannot_be_read_stops_the_start_naming_the_variable(environ, reader, raw):
    environ(VALUE=raw)
    with pytest.raises(ImproperlyConfigured, match="VALUE"):
        reader()


def test_unset_values_fall_back_to_their_defaults(monkeypatch):
    for name in ("A_FLAG", "A_NUMBER", "A_LIST", "A_DATE"):
        monkeypatch.delenv(name, raising=False)
    assert env.env_bool("A_FLAG", True) is True
    assert env.env_int("A_NUMBER", 7) == 7
    assert env.env_list("A_LIST", ["x"]) == ["x"]
    assert env.env_date("A_DATE") is None


def _settings_import(**environ):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(environ, RECTIFY_VAR_DIR=str(ROOT / "var"))
    return run_python("-c", "import rectify.settings as s; print(s.DEBUG, len(s.SECRET_KEY))", env=clean)


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_import(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_starts_with_a_secret_key_and_development_without_one():
    assert _settings_import(DEBUG="false", SECRET_KEY="k" * 50).stdout.split() == ["False", "50"]
    assert _settings_import(DEBUG="true").returncode == 0


def test_a_pinned_demo_date_is_the_ledgers_today():
    with override_settings(RECTIFY_TODAY=datetime.date(2017, 11, 30)):
        assert weeks.today() == datetime.date(2017, 11, 30)
        assert weeks.week_of(weeks.today()) == "2017-W48"
    with override_settings(RECTIFY_TODAY=None):
        assert weeks.today() == timezone.localdate()


def test_a_form_refuses_a_nul_character_in_plain_chinese():
    from django import forms

    class Form(forms.Form):
        text = forms.CharField()

    form = Form({"text": "a\x00b"})
    assert not form.is_valid()
    assert form.errors["text"] == ["不能包含空字符（\\x00）。"]
