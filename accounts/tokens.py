"""API tokens: issued with a lifetime, stored as a hash, revoked by their owner, the office and events.

A token is revoked (never deleted) and every revocation is an audit entry: by its owner or the
office (the page 账户安全, ``POST /api/auth/tokens/<id>/revoke/``), and for all of a user's tokens
when their password, role, unit, groups, staff or superuser flag or active flag changes, or when
they sign out (``accounts/signals.py``).
"""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, RevokeReason, hash_key
from tasks.policy import can
from tasks.services import audit
from tasks.services.errors import InvalidInput, NotFound

PREFIX_LENGTH = 8


def _snapshot(token: ApiToken) -> dict:
    """What the trail keeps of a token: never its key or hash."""
    return {
        "id": token.pk,
        "user": token.user_id,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "revoked_reason": token.revoked_reason,
    }


@transaction.atomic
def issue(user, *, actor=None) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid for ``API_TOKEN_LIFETIME_HOURS``; returns it and its key (shown once)."""
    key = secrets.token_urlsafe(30)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + datetime.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS),
    )
    audit.record(
        actor=actor or user, action="issue_token", instance=token, before=None, after=_snapshot(token)
    )
    return token, key


def _revoke(tokens, *, actor, reason: str) -> int:
    now = timezone.now()
    for token in tokens:
        before = _snapshot(token)
        token.revoked_at, token.revoked_reason = now, reason
        audit.record(
            actor=actor,
            action="revoke_token",
            instance=token,
            before=before,
            after=_snapshot(token),
            note=RevokeReason(reason).label,
        )
    ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now, revoked_reason=reason)
    return len(tokens)


@transaction.atomic
def revoke_all(user, *, actor, reason: str) -> int:
    """Revoke every token of ``user`` not yet revoked (expired ones too: nothing stays usable); audited."""
    user_id = getattr(user, "pk", user)  # a user or their id (a membership being deleted with its user)
    tokens = list(
        ApiToken.objects.select_for_update().filter(user_id=user_id, revoked_at=None).order_by("id")
    )
    return _revoke(tokens, actor=actor, reason=reason)


def visible_to(user):
    """The tokens ``user`` may list and revoke: their own; every one for the office."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if can(user, "manage_tokens") else tokens.filter(user=user)


@transaction.atomic
def revoke(*, actor, token_id, reason: str = RevokeReason.MANUAL) -> ApiToken:
    """Revoke one token ``actor`` may see (someone else's is 404 unless the office); audited."""
    token = visible_to(actor).select_for_update(of=("self",)).filter(pk=token_id).first()
    if token is None:
        raise NotFound("令牌不存在或无权查看")
    if token.revoked_at is not None:
        raise InvalidInput("该令牌已撤销")
    _revoke([token], actor=actor, reason=reason)
    return token
