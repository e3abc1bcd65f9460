"""A publication enqueues its announcement only when it commits, counted on the broker with no
worker running (the worker tests share one worker per module, which would take the message)."""

import pytest
from django.db import transaction

from dispatch.bulletin import make_bulletin, publish_bulletin
from dispatch.models import Bulletin
from rectify.celery import app

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def queued() -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(
            queue="celery", durable=True, auto_delete=False
        ).message_count


def test_a_rolled_back_publication_enqueues_nothing(office):
    bulletin, _, _ = make_bulletin("2017-10")
    app.control.purge()  # the draft's emails

    with pytest.raises(RuntimeError), transaction.atomic():
        publish_bulletin(bulletin, office)
        raise RuntimeError("rolled back")
    assert queued() == 0 and Bulletin.objects.get().status == "draft"

    publish_bulletin(bulletin, office)
    assert queued() == 1
    app.control.purge()
