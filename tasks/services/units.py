"""The office registers the units of its province before a plan names them.

A unit has a name (unique), a kind and its place: counties (县、市、区) and city departments sit under
their city (``parent``); cities, provincial departments and enterprises sit directly under the
province. The plan readers accept every registered unit (``tasks.importer.current_province``), so
a new plan naming a new unit imports once the office has registered it. Every registration and
change is audited.
"""

from django.db import transaction

from tasks.choices import UNDER_A_CITY, UnitKind
from tasks.models import Unit
from tasks.services import audit
from tasks.services.checks import require, required_text
from tasks.services.errors import InvalidInput

FIELDS = ["name", "kind", "parent"]


def _place(kind: str, parent: Unit | None) -> None:
    if kind not in UnitKind.values:
        raise InvalidInput("请选择单位类型", field="kind")
    if kind in UNDER_A_CITY:
        if parent is None:
            raise InvalidInput(f"{UnitKind(kind).label}须填写所属的市", field="parent")
        if parent.kind != UnitKind.CITY:
            raise InvalidInput(
                f"{UnitKind(kind).label}的上级单位应为地市，“{parent.name}”不是地市", field="parent"
            )
    elif parent is not None:
        raise InvalidInput(f"{UnitKind(kind).label}直属本省，不填上级单位", field="parent")


@transaction.atomic
def add_unit(*, actor, name: str, kind: str, parent: Unit | None = None) -> Unit:
    require(actor, "manage_units")
    name = required_text(name, "name", "单位名称")
    if len(name) > 100:
        raise InvalidInput("单位名称不能超过 100 个字", field="name")
    _place(kind, parent)
    if Unit.objects.filter(name=name).exists():
        raise InvalidInput(f"“{name}”已登记", field="name")
    unit = Unit.objects.create(name=name, kind=kind, parent=parent)
    audit.record(
        actor=actor, action="add_unit", instance=unit, before=None, after=audit.snapshot(unit, FIELDS)
    )
    return unit


@transaction.atomic
def change_unit(unit_id, *, actor, kind: str, parent: Unit | None = None) -> Unit:
    """Correct a unit's kind or place (its name is the plan's and the ledger's key: not changed here)."""
    require(actor, "manage_units")
    unit = Unit.objects.select_for_update().get(pk=unit_id)
    _place(kind, parent)
    if parent is not None and parent.pk == unit.pk:
        raise InvalidInput("上级单位不能是本单位", field="parent")
    before = audit.snapshot(unit, FIELDS)
    unit.kind, unit.parent = kind, parent
    after = audit.snapshot(unit, FIELDS)
    if before == after:
        raise InvalidInput("没有修改任何内容", field="kind")
    unit.save()
    audit.record(actor=actor, action="change_unit", instance=unit, before=before, after=after)
    return unit
