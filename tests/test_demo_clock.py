"""The demo's clock (``RECTIFY_TODAY`` pinned, as ``make run`` serves it): what a visitor does is
stamped on the demo's date at the real time of day, so the ledger, the audit trail, the inbox and a
bulletin's published date tell the same day."""

import datetime

import pytest
from django.utils import timezone

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Notification
from tasks import clock
from tasks.models import Assignment, AuditEntry
from tasks.services import ledger
from tasks.weeks import today
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

DEMO_DAY = datetime.date(2017, 12, 1)


@pytest.fixture
def demo_day(settings):
    settings.RECTIFY_TODAY = DEMO_DAY  # as `make run` sets it (from the environment: the clock follows)
    settings.RECTIFY_CLOCK_ON_TODAY = True
    return DEMO_DAY


def local_day(moment):
    return timezone.localdate(moment, clock.SHANGHAI)


def test_the_clock_is_the_demo_date_at_the_real_time_of_day(demo_day):
    before = timezone.now().astimezone(clock.SHANGHAI)
    moment = clock.now().astimezone(clock.SHANGHAI)
    after = timezone.now().astimezone(clock.SHANGHAI)

    assert moment.date() == demo_day == today()
    assert before.time() <= moment.time() <= after.time() or before.date() != after.date()


def test_without_a_pin_the_clock_is_the_real_one(settings):
    settings.RECTIFY_TODAY, settings.RECTIFY_CLOCK_ON_TODAY = None, True
    assert abs(clock.now() - timezone.now()) < datetime.timedelta(seconds=5)
    assert today() == timezone.localdate()


def test_a_visitors_report_audit_and_bulletin_are_stamped_on_the_demo_day(demo_day, liaison, office):
    target = Assignment.objects.get(task__number=17, unit__name="晋中市")
    earlier = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    report = ledger.submit_report(target.pk, actor=liaison, week="2017-W48", text="推进中", percent=50)
    bulletin, _, _ = make_bulletin("2017-11")
    published = publish_bulletin(bulletin, office)

    assert local_day(report.created_at) == demo_day
    assert {
        local_day(at) for at in AuditEntry.objects.filter(pk__gt=earlier).values_list("at", flat=True)
    } == {demo_day}
    assert local_day(published.published_at) == demo_day
    note = Notification.objects.filter(user=office).latest("pk")
    client_for(office).post(f"/inbox/{note.pk}/read/")
    note.refresh_from_db()
    assert local_day(note.created_at) == demo_day and local_day(note.read_at) == demo_day
