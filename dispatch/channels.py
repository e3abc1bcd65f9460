"""The external channels behind one interface: e-mail, the work-chat group robots, an SMS gateway.

A ``DeliveryLog`` row is one message on one channel to one address. ``send_delivery(log_id)``
(the Celery task ``dispatch.send_delivery``, one per row, written to the outbox in the event's
transaction) claims the row with a compare-and-set (pending → sending, attempts + 1), sends it
through its channel and marks it sent; a failure puts it back to pending with the error, and
the task retries it after ``CHANNEL_RETRY_BACKOFF`` seconds, doubled each time (capped at
``RETRY_BACKOFF_MAX``), until ``CHANNEL_MAX_ATTEMPTS`` attempts have failed: then it is failed
for good. A redelivered task finds the row sending or sent and does nothing, so a message
arrives once. A worker killed between the claim and the send leaves the row "sending": that
message is lost (the inbox message remains), as for the jobs' emails (at most once).

Channels:

- ``email``: ``send_mail`` through the configured backend (SMTP in production).
- ``webhook``: a JSON POST of a markdown message to a group robot. 政务钉钉 (DingTalk): when the
  unit has a signing secret, ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret,
  ``timestamp + "\\n" + secret``)) are added to the URL's query; the answer must be HTTP 200
  with ``errcode`` 0. 企业微信 (WeCom): the key is in the URL; no signature.
- ``sms``: a JSON POST of ``{"phone", "text", "template"}`` to ``SMS_GATEWAY_URL`` (bearer token
  ``SMS_GATEWAY_TOKEN`` when set); the text is ``SMS_TEMPLATE`` filled with subject and link.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F

from dispatch.models import Channel, ChannelSetting, DeliveryLog, DeliveryStatus, RobotKind
from rectify.schedule import RETRY_BACKOFF_MAX
from tasks import clock
from tasks.services import audit
from tasks.services.checks import require
from tasks.services.errors import InvalidInput

log = logging.getLogger(__name__)


class ChannelError(Exception):
    """A channel refused or failed a message (the error is kept on the log row)."""


def absolute(link: str) -> str:
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The robot's URL with ``timestamp`` and ``sign`` when a signing secret is set (DingTalk's 加签)."""
    if not secret:
        return url
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.CHANNEL_TIMEOUT) as response:
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"无法连接：{getattr(exc, 'reason', exc)}") from None
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


def markdown(entry: DeliveryLog) -> str:
    text = f"### {entry.subject}\n\n{entry.body}"
    if entry.link:
        text += f"\n\n[去办理]({absolute(entry.link)})"
    return text


def send_email(entry: DeliveryLog, setting=None) -> None:
    body = entry.body + (f"\n\n办理页面：{absolute(entry.link)}" if entry.link else "")
    send_mail(entry.subject, body, settings.DEFAULT_FROM_EMAIL, [entry.address])


def send_webhook(entry: DeliveryLog, setting) -> None:
    if setting is None or not setting.robot_url:
        raise ChannelError("本单位未配置机器人地址")
    if setting.robot_kind == RobotKind.WECOM:
        answer = _post_json(
            setting.robot_url, {"msgtype": "markdown", "markdown": {"content": markdown(entry)}}
        )
    else:
        answer = _post_json(
            dingtalk_url(setting.robot_url, setting.robot_secret),
            {"msgtype": "markdown", "markdown": {"title": entry.subject, "text": markdown(entry)}},
        )
    if answer.get("errcode", 0) != 0:
        raise ChannelError(f"机器人拒绝：{answer.get('errcode')} {answer.get('errmsg', '')}".strip())


def send_sms(entry: DeliveryLog, setting=None) -> None:
    if not settings.SMS_GATEWAY_URL:
        raise ChannelError("未配置短信网关（SMS_GATEWAY_URL）")
    text = settings.SMS_TEMPLATE.format(subject=entry.subject, link=absolute(entry.link or "/inbox/"))
    headers = {"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"} if settings.SMS_GATEWAY_TOKEN else {}
    answer = _post_json(
        settings.SMS_GATEWAY_URL,
        {"phone": entry.address, "text": text, "template": settings.SMS_TEMPLATE},
        headers,
    )
    if answer.get("code", 0) not in (0, "0", "OK"):
        raise ChannelError(f"短信网关拒绝：{answer.get('code')} {answer.get('message', '')}".strip())


SENDERS = {Channel.EMAIL: send_email, Channel.WEBHOOK: send_webhook, Channel.SMS: send_sms}


def backoff(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th failure: the base doubled each time, capped."""
    return min(settings.CHANNEL_RETRY_BACKOFF * 2 ** (attempt - 1), RETRY_BACKOFF_MAX)


def send_delivery(log_id: int) -> tuple[str, float | None]:
    """Try one delivery once. Returns (its status now, seconds until the retry or None).

    Nothing happens to a row that is gone, already sent, failed or being sent by another worker.
    """
    claimed = DeliveryLog.objects.filter(pk=log_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        entry = DeliveryLog.objects.filter(pk=log_id).only("status").first()
        return (entry.status if entry else "gone"), None
    entry = DeliveryLog.objects.select_related("unit__channel_setting").get(pk=log_id)
    setting = getattr(entry.unit, "channel_setting", None) if entry.unit_id else None
    try:
        SENDERS[entry.channel](entry, setting)
    except Exception as exc:  # noqa: BLE001 - any failure of a channel is recorded and retried, never raised
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = entry.attempts >= settings.CHANNEL_MAX_ATTEMPTS
        DeliveryLog.objects.filter(pk=log_id).update(
            status=DeliveryStatus.FAILED if final else DeliveryStatus.PENDING, last_error=error
        )
        log.warning("delivery #%s %s attempt %d failed: %s", log_id, entry.channel, entry.attempts, error)
        return (DeliveryStatus.FAILED, None) if final else (DeliveryStatus.PENDING, backoff(entry.attempts))
    DeliveryLog.objects.filter(pk=log_id).update(
        status=DeliveryStatus.SENT, sent_at=clock.now(), last_error=""
    )
    return DeliveryStatus.SENT, None


PHONE = re.compile(r"1[3-9][0-9]{9}")
SETTING_FIELDS = [
    "email",
    "webhook",
    "robot_kind",
    "robot_url",
    "sms",
    "phones",
]  # the secret is never audited


def _audited(setting: ChannelSetting) -> dict:
    data = audit.snapshot(setting, SETTING_FIELDS)
    data["robot_url"] = data["robot_url"].split("?", 1)[0]  # a WeCom key or DingTalk token stays out
    data["robot_secret_set"] = bool(setting.robot_secret)
    return data


def configure(
    unit, *, actor, email, webhook, robot_kind, robot_url, robot_secret, sms, phones
) -> ChannelSetting:
    """The office sets a unit's channels (audited). ``robot_secret`` None keeps the stored secret."""
    require(actor, "configure_channels")
    robot_url = (robot_url or "").strip()
    if robot_kind not in RobotKind.values:
        raise InvalidInput("机器人类型只能是政务钉钉或企业微信", field="robot_kind")
    if robot_url and not re.fullmatch(r"https?://[^\s]+", robot_url):
        raise InvalidInput("机器人地址应以 https:// 开头", field="robot_url")
    if webhook and not robot_url:
        raise InvalidInput("开启工作群机器人须填写机器人地址", field="robot_url")
    numbers = [p.strip() for p in (phones or "").replace("，", ",").split(",") if p.strip()]
    wrong = [p for p in numbers if not PHONE.fullmatch(p)]
    if wrong:
        raise InvalidInput(f"手机号“{wrong[0]}”不正确，应为 11 位数字", field="phones")
    if sms and not numbers:
        raise InvalidInput("开启短信须填写至少一个手机号", field="phones")
    with transaction.atomic():
        setting, created = ChannelSetting.objects.select_for_update().get_or_create(unit=unit)
        before = None if created else _audited(setting)
        setting.email, setting.webhook, setting.sms = bool(email), bool(webhook), bool(sms)
        setting.robot_kind, setting.robot_url, setting.phones = robot_kind, robot_url, ",".join(numbers)
        if robot_secret is not None:
            setting.robot_secret = robot_secret.strip()
        setting.updated_at = clock.now()
        setting.save()
        audit.record(
            actor=actor,
            action="configure_channels",
            instance=setting,
            before=before,
            after=_audited(setting),
            note=f"{unit.name} 消息渠道",
        )
    return setting
