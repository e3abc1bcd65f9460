"""The plan's admin: every edit is audited with before and after; the ledger rows under a task are read-only."""

import pytest

from tasks.choices import Role
from tasks.models import Assignment, AuditEntry, Task
from tasks.services.audit import verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(make_user, client):
    user = make_user("root", Role.ADMIN)
    client.force_login(user)
    return user


def task_form(task, **changes):
    """The task change form as the admin page would post it, with ``changes`` applied."""
    measures = list(task.measures.order_by("number"))
    assignments = list(task.assignments.all())
    data = {
        "plan": task.plan_id,
        "number": task.number,
        "category": task.category_id,
        "problem": task.problem,
        "goal": task.goal,
        "units": [a.unit_id for a in task.assignments.all()],
        "responsible_text": task.responsible_text,
        "cooperating_text": task.cooperating_text,
        "cooperating_units": [u.pk for u in task.cooperating_units.all()],
        "officials_text": task.officials_text,
        "officials": [o.pk for o in task.officials.all()],
        "deadline_text": task.deadline_text,
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "deadline_kind": task.deadline_kind,
        "is_public": "on" if task.is_public else "",
        "measures-TOTAL_FORMS": len(measures),
        "measures-INITIAL_FORMS": len(measures),
        "measures-MIN_NUM_FORMS": 0,
        "measures-MAX_NUM_FORMS": 1000,
        "assignments-TOTAL_FORMS": len(assignments),
        "assignments-INITIAL_FORMS": len(assignments),
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
    }
    for i, m in enumerate(measures):
        data.update(
            {
                f"measures-{i}-id": m.pk,
                f"measures-{i}-task": task.pk,
                f"measures-{i}-number": m.number,
                f"measures-{i}-text": m.text,
                f"measures-{i}-milestones": "[]" if not m.milestones else str(m.milestones).replace("'", '"'),
            }
        )
    for i, a in enumerate(assignments):
        data.update({f"assignments-{i}-id": a.pk, f"assignments-{i}-task": task.pk})
    if not task.is_public:
        data.pop("is_public")
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_a_task_edited_in_the_admin_is_audited_with_before_and_after(root, client):
    task = Task.objects.get(number=3)
    response = client.post(
        f"/admin/tasks/task/{task.pk}/change/",
        task_form(task, goal="新的整改目标", **{"measures-0-text": "改写的措施"}),
    )

    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    entry = AuditEntry.objects.get(action="admin_change", model="tasks.task")
    assert entry.actor == root and entry.after["goal"] == "新的整改目标" and entry.before["goal"] == task.goal
    measure = AuditEntry.objects.get(action="admin_change", model="tasks.measure")
    assert measure.after["text"] == "改写的措施" and measure.before["text"] != "改写的措施"
    assert verify_chain()[1] is None


def test_the_ledger_rows_under_a_task_cannot_be_changed_from_the_task_page(root, client):
    task = Task.objects.get(number=3)
    row = task.assignments.first()
    original = (row.due_date, row.unit_id, row.version)
    form = task_form(
        task,
        **{
            "assignments-0-due_date": "2030-01-01",
            "assignments-0-unit": Task.objects.get(number=1).assignments.first().unit_id,
        },
    )
    form.update(
        {
            "assignments-TOTAL_FORMS": form["assignments-TOTAL_FORMS"] + 1,
            f"assignments-{form['assignments-TOTAL_FORMS']}-due_date": "2030-01-01",
        }
    )

    client.post(f"/admin/tasks/task/{task.pk}/change/", form)

    row.refresh_from_db()
    assert (row.due_date, row.unit_id, row.version) == original
    assert Assignment.objects.filter(task=task).count() == task.assignments.count()
    assert not AuditEntry.objects.filter(model="tasks.assignment").exists()


def test_the_task_list_shows_and_filters_the_rolled_up_status(root, client, liaison):
    from tasks.services import ledger

    task = Task.objects.get(number=3)
    for row in task.assignments.filter(unit__name="晋中市"):
        ledger.submit_report(row.pk, actor=liaison, week="2017-W40", text="推进", percent=10)

    started = client.get("/admin/tasks/task/?status=in_progress")
    idle = client.get("/admin/tasks/task/?status=not_started")

    assert [t.number for t in started.context["cl"].result_list] == [3]
    assert (
        3 not in [t.number for t in idle.context["cl"].result_list]
        and len(idle.context["cl"].result_list) == 59
    )
    assert "整改中" in started.content.decode()
