"""`import_plan` with the files an office receives: an Excel 清单, a Word table, GBK text."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tasks.models import Assignment, AuditEntry, Measure, Official, Plan, Task, Unit
from tests.plan_files import PLAN_PATH, make_docx, make_xlsx, table_rows

pytestmark = pytest.mark.django_db


def counts():
    return tuple(m.objects.count() for m in (Plan, Task, Measure, Unit, Official, Assignment))


def ledger_of(plan):
    """What a plan holds, task by task, in terms that do not depend on ids."""
    out = []
    for task in Task.objects.filter(plan=plan).prefetch_related(
        "measures", "officials__unit", "cooperating_units"
    ):
        out.append(
            (
                task.number,
                task.category.number,
                task.problem,
                task.goal,
                [(m.number, m.text, m.milestones) for m in task.measures.all()],
                sorted(task.assignments.values_list("unit__name", "unit__kind", "due_date")),
                sorted(u.name for u in task.cooperating_units.all()),
                sorted((o.name, o.unit.name if o.unit else None) for o in task.officials.all()),
                task.officials_text,
                task.deadline_text,
                task.due_date,
                task.deadline_kind,
            )
        )
    return out


@pytest.mark.parametrize("suffix", ["xlsx", "docx"])
def test_the_plan_as_a_table_imports_beside_the_text_with_the_same_tasks_units_officials_and_deadlines(
    plan, tmp_path, suffix
):
    title = "山西省整改任务清单（表格版）"
    path = tmp_path / f"清单.{suffix}"
    path.write_bytes(make_xlsx(title=title) if suffix == "xlsx" else make_docx(title=title))
    units_before = Unit.objects.count()

    out = StringIO()
    call_command("import_plan", str(path), stdout=out)

    table_plan = Plan.objects.get(title=title)
    assert "新增任务 60" in out.getvalue()
    assert ledger_of(table_plan) == ledger_of(plan)
    assert Unit.objects.count() == units_before  # the same units of the province, not copies
    entry = AuditEntry.objects.filter(
        action="import_plan", model="tasks.plan", object_id=str(table_plan.pk)
    ).get()
    assert entry.after["tasks"] == 60 and entry.after["source_file"] == f"清单.{suffix}"


def test_the_plan_in_gbk_reimports_as_the_same_plan(plan, tmp_path):
    path = tmp_path / "plan-gbk.txt"
    path.write_bytes(PLAN_PATH.read_text(encoding="utf-8").encode("gbk"))
    before, ledger = counts(), ledger_of(plan)
    call_command("import_plan", str(path), stdout=StringIO())
    assert counts() == before and ledger_of(plan) == ledger


def test_a_malformed_workbook_is_refused_at_its_cell_and_nothing_is_written(plan, tmp_path):
    rows = [list(r) for r in table_rows()]
    rows[40][8] = "2018 年 2 月 30 日前"  # task 41, sheet row 42
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make_xlsx(rows))
    before, audit = counts(), AuditEntry.objects.count()
    with pytest.raises(CommandError) as error:
        call_command("import_plan", str(path), stdout=StringIO())
    assert "未导入任何内容" in str(error.value)
    assert "工作表“整改任务清单”第 42 行 I 列（整改时限）：日期“2018 年 2 月 30 日”不存在" in str(error.value)
    assert counts() == before and AuditEntry.objects.count() == audit


def test_a_zip_bomb_is_refused_by_the_command(plan, tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    before = counts()
    with pytest.raises(CommandError, match="无法读取方案文件，未导入任何内容。文件解压后达 60 MB"):
        call_command("import_plan", str(path), stdout=StringIO())
    assert counts() == before


def test_the_year_option_is_checked(plan):
    with pytest.raises(CommandError, match="--year 应为 2000–2100"):
        call_command("import_plan", str(PLAN_PATH), "--year", "17")


def test_an_import_writes_one_audit_entry_with_what_it_changed(plan):
    call_command("import_plan", str(PLAN_PATH), stdout=StringIO())
    entry = AuditEntry.objects.filter(action="import_plan", model="tasks.plan").latest("id")
    assert entry.actor is None and entry.after["created"] == {} and "未作任何改动" in entry.note
