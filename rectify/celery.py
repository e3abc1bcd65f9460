"""The Celery application. Settings come from Django's with the CELERY_ prefix."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rectify.settings")

app = Celery("rectify")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_file_broker_folders(sender, source, **kwargs):
    """The embedded file broker (no CELERY_BROKER_URL) needs its folders to exist.

    Reads the finished configuration (``source``): reading ``sender.conf`` while it is
    being configured would configure it again, recursively.
    """
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
