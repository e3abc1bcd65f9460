"""Editing a plan after import (issue 11, item 6): the office corrects a task's texts, units, officials
and deadline in the pages or the admin; every edit is audited before and after; a unit taken off
keeps its row's history, out of the ledger."""

import datetime

import pytest
from django.core.management import call_command

from tasks.choices import Role, Status
from tasks.models import Assignment, AuditEntry, Task, Unit
from tasks.services import ledger, plan_edit
from tasks.services.audit import verify_chain
from tasks.services.errors import Forbidden, InvalidInput
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


def task(number=17) -> Task:
    return Task.objects.get(number=number)


def unit(name) -> Unit:
    return Unit.objects.get(name=name)


def units_of(number=17) -> list[str]:
    return sorted(Assignment.objects.filter(task__number=number).values_list("unit__name", flat=True))


def test_a_text_correction_is_audited_before_and_after_with_the_reason(office):
    old = task().goal
    result = plan_edit.edit_task(
        task().pk, actor=office, reason="根据原文订正整改目标", goal="全面完成整改。"
    )
    assert result.changed == ["整改目标"] and task().goal == "全面完成整改。"
    entry = AuditEntry.objects.filter(action="edit_task").latest("pk")
    assert (entry.before["goal"], entry.after["goal"], entry.note) == (
        old,
        "全面完成整改。",
        "根据原文订正整改目标",
    )
    assert entry.actor == office and verify_chain()[1] is None


def test_an_edit_that_changes_nothing_or_gives_no_reason_is_refused_and_writes_nothing(office):
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput, match="没有修改任何内容"):
        plan_edit.edit_task(task().pk, actor=office, reason="核对无误", goal=task().goal)
    with pytest.raises(InvalidInput, match="修改原因"):
        plan_edit.edit_task(task().pk, actor=office, reason="改", goal="新的目标")
    assert AuditEntry.objects.count() == entries and task().goal != "新的目标"


@pytest.mark.parametrize("who", ["liaison", "unit_leader", "leader"])
def test_only_the_office_edits_a_plan(who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(Forbidden, match="修改整改任务由省督察办办理"):
        plan_edit.edit_task(task().pk, actor=user, reason="越权修改试试", goal="x")


def test_a_unit_added_gets_its_row_and_a_unit_taken_off_is_retired_with_its_history(
    office, liaison, make_user
):
    before = units_of()
    assert "晋中市" in before and "阳泉市" not in before
    ledger.submit_report(row(17, "晋中市").pk, actor=liaison, week="2017-W47", text="已完成排查", percent=30)
    new_units = [unit(name) for name in before if name != "晋中市"] + [unit("阳泉市")]
    result = plan_edit.edit_task(
        task().pk, actor=office, reason="省政府调整责任分工", responsible_units=new_units
    )
    assert result.assigned == ["阳泉市"] and result.retired == ["晋中市"] and "责任单位" in result.changed
    assert units_of() == sorted(name for name in [*before, "阳泉市"] if name != "晋中市")

    retired = Assignment.with_retired.get(task__number=17, unit__name="晋中市")
    assert retired.retired_at is not None and retired.retired_reason == "省政府调整责任分工"
    assert retired.reports.count() == 1  # its history stays
    # Out of the ledger: the unit's liaison no longer finds it, in the API or the pages.
    assert client_for(liaison).get(f"/api/assignments/{retired.pk}/").status_code == 404
    assert client_for(liaison).get(f"/assignments/{retired.pk}/").status_code == 404
    assert not Assignment.objects.visible_to(liaison).filter(task__number=17).exists()
    # The new unit's liaison sees the new row.
    yangquan = make_user("yq", Role.LIAISON, "阳泉市")
    assert Assignment.objects.visible_to(yangquan).filter(task__number=17).count() == 1
    entries = AuditEntry.objects.filter(note="省政府调整责任分工")
    assert sorted(entries.values_list("action", flat=True)) == ["assign", "edit_task", "retire"]
    assert entries.get(action="retire").assignment_id == retired.pk
    out = call_command_output("verify_audit")
    assert "操作记录链完好" in out and "台账与操作记录一致" in out, out


def call_command_output(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_retired_unit_put_back_gets_its_own_row_again_with_its_history(office, liaison):
    ledger.submit_report(row(17, "晋中市").pk, actor=liaison, week="2017-W47", text="已完成排查", percent=30)
    assert units_of() == ["晋中市"]
    plan_edit.edit_task(task().pk, actor=office, reason="调整责任分工", responsible_units=[unit("阳泉市")])
    plan_edit.edit_task(task().pk, actor=office, reason="恢复原责任分工", responsible_units=[unit("晋中市")])
    assert units_of() == ["晋中市"]
    back = row(17, "晋中市")
    assert back.retired_at is None and back.percent == 30 and back.reports.count() == 1
    assert Assignment.with_retired.filter(task__number=17, unit__name="晋中市").count() == 1


def test_a_task_keeps_at_least_one_responsible_unit(office):
    with pytest.raises(InvalidInput, match="至少要有一个责任单位"):
        plan_edit.edit_task(task().pk, actor=office, reason="清空责任单位", responsible_units=[])
    assert len(units_of()) > 0


def test_a_new_due_date_moves_the_open_rows_but_not_the_signed_off_ones(office):
    dated = Task.objects.filter(due_date__isnull=False).order_by("number").first()
    rows = list(Assignment.objects.filter(task=dated).order_by("pk"))
    signed = rows[0]
    Assignment.objects.filter(pk=signed.pk).update(status=Status.SIGNED_OFF)
    new_date = dated.due_date + datetime.timedelta(days=61)
    result = plan_edit.edit_task(dated.pk, actor=office, reason="方案原文期限订正", due_date=new_date)
    assert result.moved == len(rows) - 1
    for r in Assignment.objects.filter(task=dated).exclude(pk=signed.pk):
        assert r.due_date == new_date
    assert Assignment.objects.get(pk=signed.pk).due_date == dated.due_date
    moved = AuditEntry.objects.filter(action="edit_task", note="任务完成期限修改：方案原文期限订正")
    assert sorted(moved.values_list("assignment_id", flat=True)) == [r.pk for r in rows[1:]]


def test_the_office_edits_a_task_in_its_page(office, liaison):
    client = client_for(office)
    page = client.get(f"/tasks/{task().pk}/")
    assert f"/tasks/{task().pk}/edit/" in page.content.decode()
    form = client.get(f"/tasks/{task().pk}/edit/")
    assert form.status_code == 200 and "修改原因" in form.content.decode()
    t = task()
    data = {
        "problem": t.problem,
        "goal": t.goal + "（订正）",
        "responsible_units": [u.pk for u in plan_edit.responsible_units(t)] + [unit("阳泉市").pk],
        "responsible_text": t.responsible_text,
        "cooperating_units": [u.pk for u in t.cooperating_units.all()],
        "officials": [o.pk for o in t.officials.all()],
        "new_officials": "王 成",
        "deadline_text": t.deadline_text,
        "deadline_kind": t.deadline_kind,
        "due_date": t.due_date.isoformat() if t.due_date else "",
        "reason": "按省政府通知调整",
    }
    answer = client.post(f"/tasks/{t.pk}/edit/", data, follow=True)
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "已修改" in text and "新增责任单位阳泉市" in text
    assert "阳泉市" in units_of() and task().goal.endswith("（订正）")
    assert task().officials.filter(name="王 成").exists()
    # No reason: a Chinese 400 and nothing changed.
    bad = client.post(f"/tasks/{t.pk}/edit/", {**data, "goal": "别的目标", "reason": ""})
    assert bad.status_code == 400 and "请写明修改原因" in bad.content.decode()
    assert task().goal.endswith("（订正）")
    # A liaison may neither open nor post the form, nor sees the link.
    assert client_for(liaison).get(f"/tasks/{t.pk}/edit/").status_code == 403
    assert client_for(liaison).post(f"/tasks/{t.pk}/edit/", data).status_code == 403
    assert f"/tasks/{t.pk}/edit/" not in client_for(liaison).get(f"/tasks/{t.pk}/").content.decode()


def test_a_responsible_unit_added_in_the_admin_gets_its_row(make_user, client):
    from tests.test_admin_plan import task_form

    root = make_user("root", Role.ADMIN)
    client.force_login(root)
    t = task()
    data = task_form(t)
    data["units"] = [*data["units"], unit("阳泉市").pk]
    answer = client.post(f"/admin/tasks/task/{t.pk}/change/", data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert "阳泉市" in units_of()
    assert AuditEntry.objects.filter(action="assign", note="管理后台修改任务").exists()
