"""One access rule for every app's admin (``tasks.admin.access.LedgerAdmin``).

Office staff read every registered changelist of the project's apps — ledger, supervision and
accountability, dispatch, workbooks; liaisons and unit leaders (not staff) reach none of them:
they do their work in the pages.
"""

import datetime

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accountability import services as accountability
from tasks.models import Unit
from tasks.services.accounts import create_user

pytestmark = pytest.mark.django_db

APPS = {"tasks", "accountability", "dispatch", "reports"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def changelists():
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label in APPS
    )


def test_the_project_registers_admins_of_every_app():
    assert {url.split("/")[2] for url in changelists()} == APPS


def test_office_staff_read_every_changelist_of_the_project(office):
    client = client_for(office)
    refused = {url: client.get(url).status_code for url in changelists()}
    assert {url: code for url, code in refused.items() if code != 200} == {}


def test_liaisons_read_no_changelist(liaison):
    client = client_for(liaison)
    answers = {url: client.get(url).status_code for url in changelists()}
    assert all(code in (302, 403) for code in answers.values()), answers


def test_a_unit_leader_is_not_let_into_the_admin(office, unit_leader, settings):
    settings.RECTIFY_TODAY = datetime.date(2017, 12, 1)
    accountability.record_summons(
        actor=office,
        unit=Unit.objects.get(name="晋中市"),
        held_on=datetime.date(2017, 11, 20),
        attendees="晋中市副市长",
        reason="进度滞后",
    )
    assert not unit_leader.is_staff  # their work is in the pages (督办问责 shows their unit's summons)
    client = client_for(unit_leader)
    assert client.get(reverse("admin:accountability_summons_changelist"))["Location"].startswith(
        reverse("admin:login")
    )
    assert "晋中市副市长" in client.get(reverse("supervision")).content.decode()


def test_a_staff_user_without_a_ledger_role_reads_nothing(plan):
    staff = create_user("sam", role="office", password="correct-horse-battery")
    staff.membership.delete()
    client = client_for(staff)
    assert all(client.get(url).status_code != 200 for url in changelists())
