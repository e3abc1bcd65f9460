"""Creating users with a ledger role (used by add_user, the demo and tests)."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from tasks.choices import Role
from tasks.models import Membership, Unit
from tasks.policy import STAFF, UNIT
from tasks.services import audit
from tasks.services.errors import InvalidInput


@transaction.atomic
def create_user(
    username: str,
    *,
    role: str,
    password: str,
    unit: str | Unit | None = None,
    email: str = "",
    full_name: str = "",
):
    """Create (or update) a user with a role; unit roles need a unit, others must not have one."""
    username = (username or "").strip()
    if not username:
        raise InvalidInput("用户名不能为空", field="username")
    if role not in Role.values:
        raise InvalidInput(f"角色“{role}”不存在，可选：{'、'.join(Role.values)}", field="role")
    if isinstance(unit, str):
        unit_obj = Unit.objects.filter(name=unit).first()
        if unit_obj is None:
            raise InvalidInput(f"单位“{unit}”不存在", field="unit")
        unit = unit_obj
    if role in UNIT and unit is None:
        raise InvalidInput(f"{Role(role).label}须指定所属单位", field="unit")
    if role not in UNIT and unit is not None:
        raise InvalidInput(f"{Role(role).label}不属于某一单位，请勿指定单位", field="unit")
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    new = user is None
    if new:  # made with its role's flags at once: one entry (add_user), not a second save to set them
        user = User(username=username, **_flags(role))
    user.email = email
    user.first_name = full_name
    check_password(password, user)
    user.set_password(password)
    user.save()
    set_role(user, role=role, unit=unit, _new_user=new)
    return user


def _flags(role: str) -> dict:
    """The admin's doors a role opens: staff for the office and admins, superuser for admins."""
    return {"is_staff": role in STAFF, "is_superuser": role == Role.ADMIN}


def check_password(password: str, user) -> None:
    """The password validators of the settings (AUTH_PASSWORD_VALIDATORS), refused in Chinese."""
    try:
        password_validation.validate_password(password or "", user=user)
    except ValidationError as exc:
        raise InvalidInput("密码不符合要求：" + "".join(exc.messages), field="password") from None


@transaction.atomic
def set_role(user, *, role: str, unit: Unit | None, actor=None, _new_user: bool = False) -> Membership:
    """Bind the user to a role (and unit): the membership, the staff flags and the group move together, audited.

    ``_new_user``: ``create_user`` has just made the account with the role's flags, so it has no
    membership or group yet and its flags need no second save."""
    existing = None if _new_user else Membership.objects.filter(user=user).first()
    before = audit.snapshot(existing) if existing else None
    if _new_user:
        membership = Membership.objects.create(user=user, role=role, unit=unit)
    else:
        membership, _ = Membership.objects.update_or_create(user=user, defaults={"role": role, "unit": unit})
        for flag, value in _flags(role).items():
            setattr(user, flag, value)
        user.save(update_fields=["is_staff", "is_superuser"])
    group, _ = Group.objects.get_or_create(name=Role(role).label)
    if _new_user:
        user.groups.add(group)
    else:
        user.groups.set([group])
    after = audit.snapshot(membership)
    if before != after:
        audit.record(actor=actor, action="set_role", instance=membership, before=before, after=after)
    return membership
