"""Development server with a Celery worker and beat beside it, for `make run`."""

import atexit
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site and run one Celery worker with the beat schedule in a child process."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        self.stdout.write(f"Celery worker + beat on the {broker} broker (logs: var/worker.log)")
        if settings.RECTIFY_TODAY:
            self.stdout.write(
                f"台账日期固定为 {settings.RECTIFY_TODAY:%Y-%m-%d}（RECTIFY_TODAY；make run DEMO_TODAY= 则按真实日期）"
            )
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        log = open(settings.VAR_DIR / "worker.log", "ab")  # noqa: SIM115 - held open for the worker's lifetime
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "rectify",
                "worker",
                "--beat",
                "--pool=solo",
                "--loglevel=info",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )

        def stop():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

        atexit.register(stop)
        # A plain `kill` of the server stops the worker too (SystemExit runs the finally below).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop()
