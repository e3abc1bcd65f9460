"""One-time form keys: every page form carries one, so a second post of the same page is refused.

``issue(user)`` signs a fresh random key for the user (``django.core.signing``, nothing stored
until it is used); the page puts it in a hidden ``form_key`` field (``{% form_key %}``). On submit
the view calls ``consume(user, key)`` inside the transaction of the change: the key is recorded
(``UsedFormKey``, unique), so if the change is refused and rolled back the key may be used again,
and a second submission of the same page — Back and resubmit, a double click, two tabs — meets the
recorded key and is refused (409, ``Duplicate``) without changing anything. Two posts racing each
other wait on the unique index: the second fails once the first commits.

The API takes an optional ``Idempotency-Key`` header the same way (``consume_header``).
A post without a key (a script, an old page) is not refused here; a key that is not this user's,
is tampered with or older than ``FORM_KEY_MAX_AGE`` is a stale page (400).
"""

import hashlib
import uuid

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from tasks.models import UsedFormKey
from tasks.services.errors import Duplicate, InvalidInput

SALT = "rectify.form-key"
DUPLICATE = "该表单已经提交过，请勿重复提交；如需再次办理，请刷新页面后重新填写"
STALE = "页面已过期，请刷新后重试"


def issue(user) -> str:
    return signing.dumps({"u": user.pk, "k": uuid.uuid4().hex}, salt=SALT, compress=False)


def consume_header(user, header) -> None:
    """The API's optional ``Idempotency-Key``: the same key from the same user is done once (409 after)."""
    header = (header or "").strip()
    if not header:
        return
    if len(header) > 200:
        raise InvalidInput("Idempotency-Key 过长（最多 200 个字符）", field="Idempotency-Key")
    digest = hashlib.sha256(f"{user.pk}:{header}".encode()).hexdigest()[:32]
    try:
        with transaction.atomic():
            UsedFormKey.objects.create(key=digest, user=user)
    except IntegrityError:
        raise Duplicate(
            "该请求（Idempotency-Key 相同）已经处理过，未重复执行", field="Idempotency-Key"
        ) from None


def consume(user, key) -> None:
    """Record ``key`` as used by ``user`` in the caller's transaction; refuse a key used before."""
    if not key:
        return
    try:
        data = signing.loads(str(key), salt=SALT, max_age=settings.FORM_KEY_MAX_AGE)
    except signing.BadSignature:
        raise InvalidInput(STALE, field="form_key") from None
    if not isinstance(data, dict) or data.get("u") != user.pk or not isinstance(data.get("k"), str):
        raise InvalidInput(STALE, field="form_key")
    try:
        with transaction.atomic():
            UsedFormKey.objects.create(key=data["k"][:32], user=user)
    except IntegrityError:
        raise Duplicate(DUPLICATE, field="form_key") from None
