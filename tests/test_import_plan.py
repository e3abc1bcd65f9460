"""`import_plan`: idempotent, transactional, and refusing a broken file with its line."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tasks.models import Assignment, Measure, Official, Task, Unit

PLAN_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "plans" / "shanxi-2017.txt"

pytestmark = pytest.mark.django_db


def counts():
    return (
        Task.objects.count(),
        Measure.objects.count(),
        Unit.objects.count(),
        Official.objects.count(),
        Assignment.objects.count(),
    )


def test_the_plan_imports_60_tasks_in_four_categories(plan):
    assert Task.objects.filter(plan=plan).count() == 60
    by_category = [Task.objects.filter(category__number=n).count() for n in (1, 2, 3, 4)]
    assert by_category == [18, 6, 22, 14]


def test_it_makes_one_assignment_per_responsible_unit(plan):
    first = Task.objects.get(number=1)  # 各市市委、市政府，省直部门
    cities = set(first.assignments.filter(unit__kind="city").values_list("unit__name", flat=True))
    assert cities == {
        "太原市",
        "大同市",
        "朔州市",
        "忻州市",
        "吕梁市",
        "晋中市",
        "阳泉市",
        "长治市",
        "晋城市",
        "临汾市",
        "运城市",
    }
    third = Task.objects.get(number=3)  # 晋中、长治市委、市政府
    assert sorted(third.assignments.values_list("unit__name", flat=True)) == ["晋中市", "长治市"]


def test_a_second_import_changes_nothing_and_says_so(plan):
    before = counts()
    out = StringIO()
    call_command("import_plan", str(PLAN_PATH), stdout=out)
    assert "未作任何改动" in out.getvalue()
    assert counts() == before


def test_a_role_line_creates_no_official(plan):
    assert not Official.objects.filter(name__contains="负责同志").exists()
    assert "主要负责同志" in Task.objects.get(number=1).officials_text


def test_a_broken_file_is_refused_with_its_line_and_changes_nothing(plan, tmp_path):
    lines = PLAN_PATH.read_text(encoding="utf-8").split("\n")
    # Change the first task's goal (which must not be saved) and drop the last 责任单位 line.
    goal_line = next(i for i, line in enumerate(lines) if line.startswith("整改目标"))
    lines[goal_line] = lines[goal_line].replace("整改目标：", "整改目标：（已修改）", 1)
    last_unit_line = max(i for i, line in enumerate(lines) if line.replace(" ", "").startswith("责任单位"))
    del lines[last_unit_line]
    broken = tmp_path / "broken.txt"
    broken.write_text("\n".join(lines), encoding="utf-8")
    before = counts()
    goal_before = Task.objects.get(number=1).goal

    with pytest.raises(CommandError) as error:
        call_command("import_plan", str(broken), stdout=StringIO())

    assert "行" in str(error.value) and "责任单位" in str(error.value)
    assert any(str(n) in str(error.value) for n in range(last_unit_line - 40, last_unit_line + 2))
    assert counts() == before
    assert Task.objects.get(number=1).goal == goal_before


def test_a_missing_file_is_refused_clearly(plan):
    with pytest.raises(CommandError, match="找不到方案文件"):
        call_command("import_plan", "/nonexistent/plan.txt")


def test_a_directory_is_refused_clearly(plan, tmp_path):
    with pytest.raises(CommandError, match="是一个目录"):
        call_command("import_plan", str(tmp_path))


def test_an_edited_deadline_is_updated_on_reimport(plan, tmp_path):
    text = PLAN_PATH.read_text(encoding="utf-8")
    assert "整改时限：2017 年-2019 年，按国家要求分年度实施" in text
    edited = tmp_path / "edited.txt"
    edited.write_text(
        text.replace("整改时限：2017 年-2019 年，按国家要求分年度实施", "整改时限：2018 年底前", 1),
        encoding="utf-8",
    )
    out = StringIO()
    call_command("import_plan", str(edited), stdout=out)
    task = Task.objects.get(number=2)
    assert task.deadline_text == "2018 年底前"
    assert str(task.due_date) == "2018-12-31"
    assert "更新任务 1" in out.getvalue()


def test_a_moved_deadline_is_a_new_version_of_each_untouched_assignment_audited_as_the_systems(
    plan, tmp_path, liaison
):
    from tasks.models import AuditEntry
    from tasks.services import ledger
    from tasks.services.audit import verify_chain

    def row(unit):
        return Assignment.objects.get(task__number=3, unit__name=unit)

    ledger.submit_report(row("晋中市").pk, actor=liaison, week="2017-W40", text="推进", percent=10)
    before = {unit: (row(unit).due_date.isoformat(), row(unit).version) for unit in ("晋中市", "长治市")}
    assert before["长治市"] == ("2017-12-31", 1)
    text = PLAN_PATH.read_text(encoding="utf-8")
    edited = tmp_path / "edited.txt"
    # The plan's first "2017 年底前" is task 3's (晋中市 and 长治市).
    edited.write_text(
        text.replace("整改时限：2017 年底前", "整改时限：2018 年 6 月底前", 1), encoding="utf-8"
    )

    call_command("import_plan", str(edited), stdout=StringIO())

    assert Task.objects.get(number=3).deadline_text == "2018 年 6 月底前"
    assert (row("长治市").due_date.isoformat(), row("长治市").version) == ("2018-06-30", 2)
    assert (row("晋中市").due_date.isoformat(), row("晋中市").version) == before[
        "晋中市"
    ]  # at work: keeps its date
    entry = AuditEntry.objects.get(assignment=row("长治市"))
    assert (entry.actor, entry.action, entry.model) == (None, "import_plan", "tasks.assignment")
    assert (entry.before["due_date"], entry.after["due_date"]) == ("2017-12-31", "2018-06-30")
    assert (entry.before["version"], entry.after["version"]) == (1, 2)
    assert "2018 年 6 月底前" in entry.note
    assert not AuditEntry.objects.filter(assignment=row("晋中市"), action="import_plan").exists()
    assert verify_chain()[1] is None


def test_a_reimport_reads_what_the_plan_holds_in_the_same_queries_for_five_tasks_and_for_sixty(plan):
    """The import reads the plan's tasks, measures, rows, units, officials and links up front
    (``tasks.importer._Existing``), not one query per task: a re-import that changes nothing runs as many
    statements for five of the plan's tasks as for all sixty."""
    import dataclasses
    import hashlib

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks.importer import import_parsed, parse_file

    raw = PLAN_PATH.read_bytes()
    parsed = parse_file(raw, PLAN_PATH.name)
    source = {"source_file": PLAN_PATH.name, "source_sha256": hashlib.sha256(raw).hexdigest()}
    before = counts()
    statements = []
    for tasks in (parsed.tasks[:5], parsed.tasks):
        with CaptureQueriesContext(connection) as captured:
            result = import_parsed(dataclasses.replace(parsed, tasks=tasks), **source)
        assert not result.changed, result.summary()
        statements.append(len(captured.captured_queries))

    assert statements[0] == statements[1] < 30, statements
    assert counts() == before
