"""The external channels (dispatch/channels.py) against real local servers.

- E-mail to a real SMTP server (aiosmtpd, on a free local port).
- The group robots and the SMS gateway to a local HTTP server (``http.server`` in a thread)
  that records each request and can fail on purpose.
- Retries through a real Celery worker (one for the module, on the configured broker): a robot
  that fails twice and then accepts gets the message once and the log shows three attempts; a
  robot that always fails leaves the inbox message there and the log failed.
"""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from accountability import services as supervision
from dispatch import channels
from dispatch.models import Channel, ChannelSetting, DeliveryLog, Notification, RobotKind
from tasks.models import Assignment, Unit
from tests.helpers import PINNED_DAY

SECRET = "SEC0123456789abcdef"


class Recorder:
    """A local HTTP server: records every POST (path, query, JSON body); fails the first ``failures``."""

    def __init__(self, failures=0, answer=None):
        self.requests, self.failures = [], failures
        self.answer = answer or {"errcode": 0, "errmsg": "ok"}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                path, _, query = self.path.partition("?")
                recorder.requests.append(
                    {
                        "path": path,
                        "query": urllib.parse.parse_qs(query),
                        "body": body,
                        "headers": dict(self.headers),
                    }
                )
                failing = recorder.failures is None or len(recorder.requests) <= recorder.failures
                payload = json.dumps({"error": "busy"} if failing else recorder.answer).encode()
                self.send_response(503 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # polled every 10 ms, not serve_forever's 0.5 s: shutdown() waits for the next poll
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def entry(channel, address, unit=None, **kwargs):
    return DeliveryLog.objects.create(
        channel=channel,
        job="supervision.listed",
        period="1",
        target=f"{channel}:{address}",
        address=address,
        unit=unit,
        subject="任务17 · 晋中市：挂牌督办",
        body="省督察办对任务17挂牌督办。",
        link="/assignments/17/",
        **kwargs,
    )


def test_dingtalk_signs_the_timestamp_and_secret_with_hmac_sha256():
    url = channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", SECRET, 1700000000000)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"1700000000000\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query == {"access_token": ["T"], "timestamp": ["1700000000000"], "sign": [expected]}
    assert channels.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", "") == (
        "https://oapi.dingtalk.com/robot/send?access_token=T"
    )


@pytest.mark.django_db
def test_an_email_reaches_a_real_smtp_server_once_with_its_link(plan, smtp, settings):
    settings.SITE_URL = "https://zg.example.gov.cn"
    log = entry(Channel.EMAIL, "alice@example.gov.cn")
    assert channels.send_delivery(log.pk) == ("sent", None)
    assert channels.send_delivery(log.pk) == ("sent", None)  # a redelivered task sends nothing
    [(to, content)] = smtp.messages
    assert to == ["alice@example.gov.cn"] and "https://zg.example.gov.cn/assignments/17/" in content
    log.refresh_from_db()
    assert (log.status, log.attempts, log.sent_at is not None) == ("sent", 1, True)


@pytest.mark.django_db
def test_a_dingtalk_robot_gets_signed_markdown_and_a_wecom_robot_its_own_format(plan):
    unit = Unit.objects.get(name="晋中市")
    with Recorder() as robot:
        setting = ChannelSetting.objects.create(
            unit=unit, webhook=True, robot_url=f"{robot.url}/robot/send?access_token=T", robot_secret=SECRET
        )
        assert channels.send_delivery(entry(Channel.WEBHOOK, "robot", unit).pk)[0] == "sent"
        setting.robot_kind, setting.robot_url, setting.robot_secret = (
            RobotKind.WECOM,
            f"{robot.url}/wecom?key=K",
            "",
        )
        setting.save()
        assert channels.send_delivery(entry(Channel.WEBHOOK, "robot2", unit).pk)[0] == "sent"
    ding, wecom = robot.requests
    stamp = ding["query"]["timestamp"][0]
    sign = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert ding["path"] == "/robot/send" and ding["query"]["sign"] == [sign.decode()]
    assert (
        ding["body"]["msgtype"] == "markdown"
        and ding["body"]["markdown"]["title"] == "任务17 · 晋中市：挂牌督办"
    )
    assert "[去办理](http://localhost:8000/assignments/17/)" in ding["body"]["markdown"]["text"]
    assert wecom["query"] == {"key": ["K"]} and wecom["body"]["markdown"]["content"].startswith("### 任务17")


@pytest.mark.django_db
def test_a_robot_that_answers_an_error_code_is_a_failure_kept_on_the_log(plan, settings):
    settings.CHANNEL_MAX_ATTEMPTS = 2
    unit = Unit.objects.get(name="晋中市")
    with Recorder(answer={"errcode": 310000, "errmsg": "sign not match"}) as robot:
        ChannelSetting.objects.create(unit=unit, webhook=True, robot_url=f"{robot.url}/robot/send")
        log = entry(Channel.WEBHOOK, "robot", unit)
        status, wait = channels.send_delivery(log.pk)
        assert (status, wait) == ("pending", settings.CHANNEL_RETRY_BACKOFF)
        assert channels.send_delivery(log.pk) == ("failed", None)
        assert channels.send_delivery(log.pk) == ("failed", None)  # failed for good: not tried again
    log.refresh_from_db()
    assert (log.status, log.attempts, log.last_error) == (
        "failed",
        2,
        "ChannelError: 机器人拒绝：310000 sign not match",
    )
    assert len(robot.requests) == 2


@pytest.mark.django_db
def test_a_text_goes_to_the_sms_gateway_with_the_template(plan, settings):
    with Recorder(answer={"code": 0}) as gateway:
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = f"{gateway.url}/sms", "tok"
        settings.SMS_TEMPLATE = "【整改台账】{subject}，详见 {link}"
        assert channels.send_delivery(entry(Channel.SMS, "13800000001").pk)[0] == "sent"
    [sent] = gateway.requests
    assert sent["body"] == {
        "phone": "13800000001",
        "text": "【整改台账】任务17 · 晋中市：挂牌督办，详见 http://localhost:8000/assignments/17/",
        "template": "【整改台账】{subject}，详见 {link}",
    }
    assert sent["headers"]["Authorization"] == "Bearer tok"


def test_the_backoff_doubles_up_to_the_cap(settings):
    settings.CHANNEL_RETRY_BACKOFF = 10
    assert [channels.backoff(n) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 80, 120]


# --- Through a real worker ------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker():
    from tests.helpers import worker_thread

    with worker_thread():
        yield


def settled(log_filter, timeout=60):
    deadline = time.monotonic() + timeout
    while DeliveryLog.objects.filter(**log_filter, status__in=["pending", "sending"]).exists():
        assert time.monotonic() < deadline, list(DeliveryLog.objects.filter(**log_filter).values())
        time.sleep(0.1)
    return DeliveryLog.objects.get(**log_filter)


def listed(robot_url, office):
    a = Assignment.objects.select_related("task", "unit").get(task__number=17, unit__name="晋中市")
    ChannelSetting.objects.update_or_create(
        unit=a.unit,
        defaults={"email": False, "webhook": True, "robot_url": robot_url, "robot_secret": SECRET},
    )
    return supervision.list_assignment(a, actor=office, reason="进度滞后", deadline=PINNED_DAY)


@pytest.mark.celery
@pytest.mark.today()
@pytest.mark.django_db(transaction=True)
def test_a_robot_failing_twice_then_accepting_gets_the_message_once_after_three_attempts(
    worker, liaison, unit_leader, office, settings
):
    settings.CHANNEL_RETRY_BACKOFF = 0
    with Recorder(failures=2) as robot:
        listing = listed(f"{robot.url}/robot/send?access_token=T", office)
        log = settled({"channel": "webhook", "period": str(listing.pk)})
    assert (log.status, log.attempts, log.last_error) == ("sent", 3, "")
    assert (
        len(robot.requests) == 3 and [r["body"] for r in robot.requests].count(robot.requests[2]["body"]) == 3
    )
    assert Notification.objects.filter(job="supervision.listed").count() == 2


@pytest.mark.celery
@pytest.mark.today()
@pytest.mark.django_db(transaction=True)
def test_a_robot_that_always_fails_leaves_the_inbox_message_and_a_failed_log(
    worker, liaison, unit_leader, office, settings
):
    settings.CHANNEL_RETRY_BACKOFF, settings.CHANNEL_MAX_ATTEMPTS = 0, 3
    with Recorder(failures=None) as robot:
        listing = listed(f"{robot.url}/robot/send", office)
        log = settled({"channel": "webhook", "period": str(listing.pk)})
    assert (log.status, log.attempts, log.last_error) == ("failed", 3, "ChannelError: HTTP 503")
    assert len(robot.requests) == 3
    assert set(
        Notification.objects.filter(job="supervision.listed").values_list("user__username", flat=True)
    ) == {
        "alice",
        "bob",
    }
