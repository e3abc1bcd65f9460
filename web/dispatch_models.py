"""The dispatch app's models the pages read: notifications (the inbox) and bulletins (the public page).

Looked up by name when a page runs; the models' fields are the shared contract
(docs: ``Notification(user, kind, subject, body, created_at, read_at, …)``,
``Bulletin(month, status, data, published_at, …)``). What the public may read of a
bulletin comes from ``dispatch.figures.public_bulletin``, imported where it is used.
"""

from django.apps import apps


def notification_model():
    return apps.get_model("dispatch", "Notification")


def bulletin_model():
    return apps.get_model("dispatch", "Bulletin")
