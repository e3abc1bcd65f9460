"""Helpers the test modules share (fixtures are in ``conftest.py``).

- ``row(number, unit)``: the assignment of task ``number`` for ``unit``.
- ``client_for(user)``: a page client signed in as ``user`` (anonymous without one); the API's is the
  ``api`` fixture.
- ``on(day, hour)``: the clock (``timezone.now``) stopped at that hour of a day in Asia/Shanghai,
  by time-machine. The ledger's *today* is pinned with the ``today`` marker instead
  (``pytestmark = pytest.mark.today()``, see ``conftest.py``).
"""

import datetime
from contextlib import contextmanager

import time_machine
from django.test import Client

from tasks.models import Assignment

PINNED_DAY = datetime.date(2017, 12, 1)  # the demo's day: look-back reviews on 2018 dates are ahead of it
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def row(number=17, unit="晋中市") -> Assignment:
    return Assignment.objects.get(task__number=number, unit__name=unit)


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@contextmanager
def on(day: str, hour: int = 10):
    moment = datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour), tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        yield
