"""The dispatch app's models the pages read: notifications (the inbox) and bulletins (the public page).

Looked up by name when a page runs rather than imported, so the site's URLs load
independently of the dispatch app's modules; the models' fields are the shared
contract (docs: ``Notification(user, kind, subject, body, created_at, read_at, …)``,
``Bulletin(month, status, data, published_at, …)``).
"""

from django.apps import apps


def notification_model():
    return apps.get_model("dispatch", "Notification")


def bulletin_model():
    return apps.get_model("dispatch", "Bulletin")
