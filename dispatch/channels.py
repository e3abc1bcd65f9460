"""The external channels behind one interface: e-mail, the work-chat group robots, an SMS gateway.

Every message that leaves the site besides the inbox leaves here, the events' and the jobs' alike
(``dispatch.notify.deliver`` calls ``queue``). ``queue(job, period, messages, emails, group=…)``
writes, in the caller's transaction, one ``DeliveryLog`` row per message and channel of the
recipient's unit (``ChannelSetting``; a unit without one gets e-mail only) and the outbox messages
that send them after commit:

- a robot message or a text: one ``dispatch.send_delivery`` task per row. ``send_delivery(log_id)``
  claims the row with a compare-and-set (pending → sending, attempts + 1), sends it and marks it
  sent;
- e-mails: one ``dispatch.send_emails`` task per batch of up to ``EMAIL_BATCH`` rows.
  ``send_emails(log_ids)`` claims the batch's pending rows (one locking read, one UPDATE), sends
  them over one SMTP connection, and marks the sent ones with ONE UPDATE (and the failed ones
  with one more).

A failure puts a row back to pending with the error, and its task retries it after
``CHANNEL_RETRY_BACKOFF`` seconds, doubled each time (capped at ``RETRY_BACKOFF_MAX``), until
``CHANNEL_MAX_ATTEMPTS`` attempts have failed: then it is failed for good. A redelivered task
finds its rows sending or sent and does nothing, so a message arrives once. A worker killed
between the claim and the send leaves the row "sending": that message is lost (the inbox
message remains): at most once, as a duplicate official notice is worse than a missing e-mail.

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
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import Case, F, Value, When

from dispatch.models import Channel, ChannelSetting, DeliveryLog, DeliveryStatus, RobotKind
from outbox.services import enqueue_many
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


def send_email(entry: DeliveryLog, setting=None, connection=None) -> None:
    body = entry.body + (f"\n\n办理页面：{absolute(entry.link)}" if entry.link else "")
    send_mail(entry.subject, body, settings.DEFAULT_FROM_EMAIL, [entry.address], connection=connection)


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


EMAIL_BATCH = 100  # e-mails sent by one task over one SMTP connection
DELIVERY_TASK = "dispatch.send_delivery"  # dispatch/tasks.py: send_delivery(log_id)
EMAIL_TASK = "dispatch.send_emails"  # dispatch/tasks.py: send_emails(log_ids)


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def send_emails(log_ids: list[int]) -> tuple[int, float | None]:
    """Send a batch of e-mail deliveries once. Returns (how many were sent, seconds until the retry
    of those that failed, or None when none is left to retry).

    A fixed number of queries for any batch: the claim (a locking read skipping rows another worker
    holds, one UPDATE), the rows, one UPDATE for every row sent and one for every row that failed.
    """
    with transaction.atomic():
        mine = list(
            DeliveryLog.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(log_ids), status=DeliveryStatus.PENDING, channel=Channel.EMAIL)
            .values_list("pk", flat=True)
        )
        if not mine:
            return 0, None
        DeliveryLog.objects.filter(pk__in=mine).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1
        )
    entries = list(DeliveryLog.objects.filter(pk__in=mine).order_by("pk"))
    sent, failed = [], {}
    connection = get_connection()
    try:
        try:
            connection.open()
        except Exception as exc:  # noqa: BLE001 - an unreachable server fails the batch, retried
            failed = {e.pk: _error(exc) for e in entries}
        else:
            for entry in entries:
                try:
                    send_email(entry, connection=connection)
                except Exception as exc:  # noqa: BLE001 - recorded on the row and retried, never raised
                    failed[entry.pk] = _error(exc)
                else:
                    sent.append(entry.pk)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection changes nothing sent
            pass
    if sent:
        DeliveryLog.objects.filter(pk__in=sent).update(
            status=DeliveryStatus.SENT, sent_at=clock.now(), last_error=""
        )
    if not failed:
        return len(sent), None
    final = settings.CHANNEL_MAX_ATTEMPTS
    DeliveryLog.objects.filter(pk__in=list(failed)).update(
        last_error=Case(*(When(pk=pk, then=Value(error)) for pk, error in failed.items())),
        status=Case(
            When(attempts__gte=final, then=Value(DeliveryStatus.FAILED)),
            default=Value(DeliveryStatus.PENDING),
        ),
    )
    retried = [e.attempts for e in entries if e.pk in failed and e.attempts < final]
    log.warning("e-mail batch: %d sent, %d failed (%s)", len(sent), len(failed), next(iter(failed.values())))
    return len(sent), (backoff(max(retried)) if retried else None)


def _address_of(url: str) -> str:
    """A robot's URL without its query (WeCom's key, DingTalk's token stay out of the log)."""
    return url.split("?", 1)[0]


def queue(job: str, period: str, messages: list, emails: dict[int, str], *, group: bool) -> int:
    """Write the external deliveries of ``messages`` and their outbox messages (in the caller's transaction).

    ``emails``: each recipient's address (may be empty: no e-mail). ``group``: the message is for the
    whole unit (liaisons and leaders), so it goes to the unit's robot and phones too, once per unit.
    Keyed by (channel, job, period, target): what is already written adds nothing. A fixed number
    of queries: the units' settings (1) and, when a channel is on, the rows (2) and the outbox (2 for
    the e-mail batches, 2 for the robot messages and texts).
    Returns how many deliveries wait to be sent.
    """
    unit_ids = {m.unit_id for m in messages if m.unit_id is not None}
    settings_by_unit = (
        {s.unit_id: s for s in ChannelSetting.objects.filter(unit_id__in=sorted(unit_ids))}
        if unit_ids
        else {}
    )
    logs, robots = [], set()
    for m in messages:
        setting = settings_by_unit.get(m.unit_id)
        common = {"job": job, "period": period, "unit_id": m.unit_id, "subject": m.subject, "body": m.body}
        common["link"] = m.link
        if emails.get(m.user_id) and (setting is None or setting.email):
            logs.append(
                DeliveryLog(
                    channel=Channel.EMAIL,
                    target=f"user:{m.user_id}",
                    address=emails[m.user_id],
                    user_id=m.user_id,
                    **common,
                )
            )
        if setting is None or not group or m.unit_id in robots:
            continue
        robots.add(m.unit_id)  # a unit's group and phones get the message once, not once per member
        if setting.webhook and setting.robot_url:
            logs.append(
                DeliveryLog(
                    channel=Channel.WEBHOOK,
                    target=f"unit:{m.unit_id}",
                    address=_address_of(setting.robot_url),
                    **common,
                )
            )
        if setting.sms:
            logs.extend(
                DeliveryLog(channel=Channel.SMS, target=f"sms:{phone}", address=phone, **common)
                for phone in setting.phone_list
            )
    if not logs:
        return 0
    DeliveryLog.objects.bulk_create(logs, ignore_conflicts=True)
    pending = list(
        DeliveryLog.objects.filter(job=job, period=period, status=DeliveryStatus.PENDING, attempts=0)
        .order_by("pk")
        .values_list("pk", "channel")
    )
    mails = [pk for pk, channel in pending if channel == Channel.EMAIL]
    batches = [mails[i : i + EMAIL_BATCH] for i in range(0, len(mails), EMAIL_BATCH)]
    enqueue_many(EMAIL_TASK, [([batch], f"emails:{batch[0]}") for batch in batches])
    enqueue_many(
        DELIVERY_TASK, [([pk], f"delivery:{pk}") for pk, channel in pending if channel != Channel.EMAIL]
    )
    return len(pending)


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
