"""Writing a parsed plan into the database, idempotently and in one transaction."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from tasks import events
from tasks.models import Assignment, Category, Measure, Official, Organisation, Plan, Task, Unit
from tasks.plan_parser import ParsedPlan, ParsedTask, ParsedUnit, Province, unit_kind
from tasks.plan_sources import read_plan
from tasks.plan_sources.reader import Limits
from tasks.services import audit
from tasks.services.transitions import AUDITED_FIELDS


@dataclass
class ImportResult:
    plan: Plan
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def bump(self, what: str, created: bool):
        bucket = self.created if created else self.updated
        bucket[what] = bucket.get(what, 0) + 1

    def summary(self) -> str:
        if not self.changed:
            return f"方案“{self.plan.title}”已是最新，未作任何改动"
        parts = [f"新增{k} {v}" for k, v in sorted(self.created.items())]
        parts += [f"更新{k} {v}" for k, v in sorted(self.updated.items())]
        return f"方案“{self.plan.title}”已导入：" + "，".join(parts)


def _upsert(result: ImportResult, label: str, model, lookup: dict, values: dict):
    """get_or_create, then update only fields that differ; counts what changed."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    if created:
        result.bump(label, True)
        return obj
    dirty = [name for name, value in values.items() if getattr(obj, name) != value]
    if dirty:
        for name in dirty:
            setattr(obj, name, values[name])
        obj.save(update_fields=dirty)
        result.bump(label, False)
    return obj


def current_province() -> Province:
    """The office's province (tasks.Organisation) with its cities and the units already registered."""
    org = Organisation.current()
    return Province(org.province, tuple(org.cities), frozenset(Unit.objects.values_list("name", flat=True)))


def parse_file(
    data: bytes, filename: str, *, encoding=None, year=None, limits: Limits | None = None
) -> ParsedPlan:
    """Any plan file (.xlsx, .docx, text in any common Chinese encoding) -> ParsedPlan."""
    return read_plan(
        data, filename, province=current_province(), year=year, encoding=encoding, limits=limits or Limits()
    )


def import_file(path: str | Path, *, encoding: str | None = None, year: int | None = None) -> ImportResult:
    path = Path(path)
    raw = path.read_bytes()
    parsed = parse_file(raw, path.name, encoding=encoding, year=year)
    return import_parsed(parsed, source_file=path.name, source_sha256=hashlib.sha256(raw).hexdigest())


@transaction.atomic
def import_parsed(
    parsed: ParsedPlan, *, source_file: str = "", source_sha256: str = "", actor=None
) -> ImportResult:
    """Write the plan; one audit entry for the import (by ``actor``, or the system's)."""
    result = _import_parsed(parsed, source_file=source_file, source_sha256=source_sha256)
    audit.record(
        actor=actor,
        action="import_plan",
        instance=result.plan,
        before=None,
        after={
            **audit.snapshot(
                result.plan, ["title", "issuing_body", "issued_date", "source_file", "source_sha256"]
            ),
            "created": result.created,
            "updated": result.updated,
            "tasks": len(parsed.tasks),
        },
        note=result.summary(),
    )
    return result


def _import_parsed(parsed: ParsedPlan, *, source_file: str, source_sha256: str) -> ImportResult:
    plan, created = Plan.objects.get_or_create(
        title=parsed.title,
        defaults={
            "issuing_body": parsed.issuing_body,
            "issued_date": parsed.issued_date,
            "source_file": source_file,
            "source_sha256": source_sha256,
        },
    )
    result = ImportResult(plan=plan)
    if created:
        result.bump("方案", True)
    else:
        _upsert(
            result,
            "方案",
            Plan,
            {"pk": plan.pk},
            {
                "issuing_body": parsed.issuing_body,
                "issued_date": parsed.issued_date,
                "source_file": source_file,
                "source_sha256": source_sha256,
            },
        )
    categories = {
        c.number: _upsert(
            result, "问题类别", Category, {"plan": plan, "number": c.number}, {"title": c.title}
        )
        for c in parsed.categories
    }
    units: dict[str, Unit] = {}

    def unit_for(parsed_unit) -> Unit:
        if parsed_unit.name not in units:
            # A unit the office registered keeps the kind and place the office gave it.
            unit, created = Unit.objects.get_or_create(
                name=parsed_unit.name, defaults={"kind": parsed_unit.kind}
            )
            if created:
                result.bump("单位", True)
            units[parsed_unit.name] = unit
        return units[parsed_unit.name]

    for parsed_task in parsed.tasks:
        _import_task(result, plan, categories[parsed_task.category], parsed_task, unit_for)
    return result


def _import_task(result, plan, category, parsed: ParsedTask, unit_for):
    is_new = not Task.objects.filter(plan=plan, number=parsed.number).exists()
    task = _upsert(
        result,
        "任务",
        Task,
        {"plan": plan, "number": parsed.number},
        {
            "category": category,
            "problem": parsed.problem,
            "goal": parsed.goal,
            "responsible_text": parsed.responsible_text,
            "cooperating_text": parsed.cooperating_text,
            "officials_text": parsed.officials_text,
            "deadline_text": parsed.deadline_text,
            "due_date": parsed.due_date,
            "deadline_kind": parsed.deadline_kind,
        },
    )
    for m in parsed.measures:
        _upsert(
            result,
            "措施",
            Measure,
            {"task": task, "number": m.number},
            {
                "text": m.text,
                "milestones": [d.isoformat() for d in m.milestones],
            },
        )
    stale_measures = task.measures.exclude(number__in=[m.number for m in parsed.measures])
    if stale_measures.exists():
        result.updated["措施"] = result.updated.get("措施", 0) + stale_measures.count()
        stale_measures.delete()

    for pu in parsed.responsible_units:
        unit = unit_for(pu)
        assignment, created = Assignment.with_retired.get_or_create(  # a row the office retired stays retired
            task=task, unit=unit, defaults={"due_date": parsed.due_date}
        )
        if created:
            result.bump("台账", True)
            events.emit("assignment.assigned", assignment=assignment)  # the unit is to acknowledge it (签收)
        elif assignment.due_date != parsed.due_date and not assignment.reports.exists():
            # A deadline corrected in the plan text moves assignments nobody has started on:
            # a change to a ledger row like any other, so a new version and an audit entry by the system.
            before = audit.snapshot(assignment, AUDITED_FIELDS)
            assignment.due_date = parsed.due_date
            assignment.version += 1
            assignment.save(update_fields=["due_date", "version", "updated_at"])
            audit.record(
                actor=None,
                action="import_plan",
                instance=assignment,
                before=before,
                after=audit.snapshot(assignment, AUDITED_FIELDS),
                assignment=assignment,
                note=f"方案原文修订，完成期限改为“{parsed.deadline_text}”",
            )
            result.bump("台账", False)

    cooperating = [unit_for(pu) for pu in parsed.cooperating_units]
    if {u.pk for u in cooperating} != set(task.cooperating_units.values_list("pk", flat=True)):
        task.cooperating_units.set(cooperating)
        if not is_new:
            result.bump("任务配合单位", False)

    officials = []
    for po in parsed.officials:
        unit = unit_for_name(po.unit, unit_for) if po.unit else None
        official, created = Official.objects.get_or_create(name=po.name, unit=unit)
        if created:
            result.bump("责任人", True)
        officials.append(official)
    if {o.pk for o in officials} != set(task.officials.values_list("pk", flat=True)):
        task.officials.set(officials)
        if not is_new:
            result.bump("任务责任人", False)


def unit_for_name(name: str, unit_for) -> Unit:
    existing = Unit.objects.filter(name=name).first()
    if existing:
        return existing
    return unit_for(ParsedUnit(name=name, kind=unit_kind(name, current_province())))
