"""领导批示: leaders and the office instruct on a task or an assignment; the units concerned are told,
acknowledge it and reply; it shows on the task page, the assignment's timeline, the desk and the workbook.

alice is 晋中市's liaison, bob its unit leader, charlie and dave 临汾市's; olga the office, leo a leader.
"""

import io

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dispatch import events, instructions
from dispatch.models import Handover, HandoverKind, Instruction, InstructionReply, Notification
from tasks import policy
from tasks.models import Assignment, AuditEntry, Task
from tests.helpers import client_for, on, row

pytestmark = [pytest.mark.django_db, pytest.mark.today()]

TEXT = "务必在汛期前完成污水管网改造，主要负责同志要亲自抓"


@pytest.fixture
def people(liaison, unit_leader, outsider, outsider_leader, office, leader):
    return liaison, unit_leader, outsider, outsider_leader, office, leader


def shared_task() -> Task:
    """A task with rows for both 晋中市 and 临汾市."""
    both = Assignment.objects.filter(unit__name__in=["晋中市", "临汾市"]).values("task")
    both = both.annotate(n=Count("unit", distinct=True)).filter(n=2).order_by("task__number")
    return Task.objects.get(pk=both[0]["task"])


def told(job) -> dict[str, Notification]:
    return {n.user.username: n for n in Notification.objects.filter(job=job).select_related("user")}


def test_a_leader_instructs_a_task_every_unit_of_it_is_told_with_a_link_to_its_own_row(people):
    alice, bob, charlie, dave, olga, leo = people
    task = shared_task()
    response = client_for(leo).post("/instructions/", {"task": task.pk, "text": TEXT})
    assert response.status_code == 302 and response.url == f"/tasks/{task.pk}/"
    item = Instruction.objects.get()
    assert (item.author, item.task, item.assignment, item.text) == (leo, task, None, TEXT)
    units = set(Assignment.objects.filter(task=task).values_list("unit_id", flat=True))
    handed = Handover.objects.filter(kind=HandoverKind.INSTRUCTION, instruction=item)
    assert set(handed.values_list("unit_id", flat=True)) == units
    assert AuditEntry.objects.filter(action="instruct", object_id=str(item.pk)).count() == 1

    notes = told("instruction.issued")
    assert set(notes) == {"alice", "bob", "charlie", "dave"}  # not the office, not the leader
    assert notes["alice"].link == f"/assignments/{row(task.number).pk}/"
    assert notes["charlie"].link == f"/assignments/{row(task.number, '临汾市').pk}/"
    assert TEXT in notes["bob"].body and f"任务{task.number}" in notes["bob"].subject
    assert notes["alice"].get_kind_display() == "领导批示"

    # Told once: the same instruction told again creates nothing.
    rows = list(Assignment.objects.filter(task=task).select_related("unit"))
    events.tell_rows("instruction.issued", str(item.pk), rows, {"instruction": item, "task": task})
    assert Notification.objects.filter(job="instruction.issued").count() == 4


def test_the_office_instructs_one_assignment_through_the_api_only_its_unit_is_told(api, people):
    _, _, _, _, olga, leo = people
    a = row(17)
    response = api(olga).post("/api/instructions/", {"assignment": a.pk, "text": TEXT}, format="json")
    assert response.status_code == 201 and response.json()["assignment"] == a.pk
    assert set(told("instruction.issued")) == {"alice", "bob"}
    assert Handover.objects.get(kind=HandoverKind.INSTRUCTION).assignment == a
    empty = api(leo).post("/api/instructions/", {"assignment": a.pk, "text": "  "}, format="json")
    assert empty.status_code == 400 and "请填写批示内容" in empty.content.decode()
    long = api(leo).post("/api/instructions/", {"task": a.task_id, "text": "批" * 1001}, format="json")
    assert long.status_code == 400
    assert api(leo).post("/api/instructions/", {"text": TEXT}, format="json").status_code == 400
    assert (
        api(leo).post("/api/instructions/", {"task": 999999, "text": TEXT}, format="json").status_code == 404
    )
    assert Instruction.objects.count() == 1


def test_a_leader_may_instruct_but_remains_otherwise_read_only(api, people):
    alice, bob, charlie, _, olga, leo = people
    a = row(17)
    assert policy.can(leo, "instruct", a) and policy.can(olga, "instruct")
    for user in (alice, bob):
        assert not policy.can(user, "instruct")
    assert not policy.can(leo, "report", a) and not policy.can(leo, "reply_instruction")
    assert not policy.can(leo, "acknowledge")
    assert policy.can(alice, "reply_instruction", a) and policy.can(bob, "acknowledge", a)
    assert policy.can(charlie, "acknowledge", a).refusal == policy.UNSEEN
    page = client_for(alice).post("/instructions/", {"assignment": a.pk, "text": TEXT})
    assert page.status_code == 403 and not Instruction.objects.exists()
    report = {"week": "2017-W48", "text": "领导来了也报一下", "percent": 10, "version": a.version}
    assert api(leo).post(f"/api/assignments/{a.pk}/reports/", report, format="json").status_code == 403
    empty = client_for(leo).post("/instructions/", {"assignment": a.pk, "text": ""})
    assert empty.status_code == 400 and "请填写批示内容" in empty.content.decode()


def test_a_unit_replies_its_handover_is_signed_and_the_author_is_told(people):
    alice, bob, charlie, _, olga, leo = people
    a = row(17)
    item = instructions.issue(actor=leo, text=TEXT, assignment=a)
    handover = Handover.objects.get(instruction=item)

    assert client_for(charlie).post(f"/instructions/{item.pk}/reply/", {"text": "收到"}).status_code == 404
    assert client_for(leo).post(f"/instructions/{item.pk}/reply/", {"text": "收到"}).status_code == 403
    empty = client_for(alice).post(f"/instructions/{item.pk}/reply/", {"text": ""})
    assert empty.status_code == 400 and "请填写回复内容" in empty.content.decode()

    response = client_for(alice).post(
        f"/instructions/{item.pk}/reply/", {"text": "已召开专题会议部署，6月底前完工", "next": "/desk/"}
    )
    assert response.status_code == 302
    reply = InstructionReply.objects.get()
    assert (reply.unit, reply.author) == (a.unit, alice)
    handover.refresh_from_db()
    assert handover.acknowledged_by == alice  # a reply acknowledges
    assert AuditEntry.objects.filter(action="reply_instruction").count() == 1
    assert AuditEntry.objects.filter(action="acknowledge", object_id=str(handover.pk)).count() == 1
    notes = told("instruction.replied")
    assert set(notes) == {"leo"} and "已召开专题会议部署" in notes["leo"].body
    assert notes["leo"].link == f"/assignments/{a.pk}/"

    # A second reply is kept, the handover stays signed once.
    instructions.reply(item.pk, actor=bob, text="负责同志已现场督导")
    assert InstructionReply.objects.count() == 2
    assert AuditEntry.objects.filter(action="acknowledge").count() == 1


def test_instructions_and_replies_show_on_the_pages_and_in_the_workbook(people):
    alice, _, charlie, _, olga, leo = people
    task = shared_task()
    with on("2017-11-27"):  # in the week of the workbook (2017-W48)
        item = instructions.issue(actor=leo, text=TEXT, task=task)
    with on("2017-11-28"):
        instructions.reply(item.pk, actor=alice, text="晋中市已部署落实")
        instructions.reply(item.pk, actor=charlie, text="临汾市已部署落实")
    a = row(task.number)

    task_page = client_for(olga).get(f"/tasks/{task.pk}/").content.decode()
    assert TEXT in task_page and "晋中市已部署落实" in task_page and "临汾市已部署落实" in task_page
    assert "发送批示（各责任单位）" in task_page
    mine = client_for(alice).get(f"/tasks/{task.pk}/").content.decode()
    assert "晋中市已部署落实" in mine and "临汾市已部署落实" not in mine  # a unit reads its own replies
    assert "发送批示" not in mine

    page = client_for(alice).get(f"/assignments/{a.pk}/")
    titles = [e.title for e in page.context["timeline"]]
    assert "领导批示（整项任务）" in titles and "回复批示 · 晋中市" in titles
    assert "回复批示 · 临汾市" not in titles
    leader_page = client_for(leo).get(f"/assignments/{a.pk}/").content.decode()
    assert "批示本项台账" in leader_page

    desk = client_for(alice).get("/desk/").content.decode()
    assert TEXT in desk and "本单位回复" in desk

    workbook = client_for(olga).get("/ledger/weekly.xlsx?week=2017-W48")
    book = load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))
    sheet = book["领导批示"]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    [line] = [r for r in lines if r and r[4] == TEXT]
    assert line[1] == "整项任务" and "晋中市已部署落实" in line[5] and "临汾市已部署落实" in line[5]
    theirs = load_workbook(
        io.BytesIO(b"".join(client_for(charlie).get("/ledger/weekly.xlsx?week=2017-W48").streaming_content))
    )
    [line] = [r for r in theirs["领导批示"].iter_rows(min_row=2, values_only=True) if r and r[4] == TEXT]
    assert "晋中市" not in line[5]


def count(user, url) -> int:
    client = client_for(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_run_the_same_queries_for_few_and_many_instructions(people):
    alice, _, _, _, olga, leo = people
    a = row(17)
    task = a.task
    pages = [
        (alice, "/desk/"),
        (alice, f"/assignments/{a.pk}/"),
        (olga, f"/tasks/{task.pk}/"),
        (leo, f"/assignments/{a.pk}/"),
    ]

    def issue(n):
        item = instructions.issue(actor=leo, text=f"{TEXT}（{n}）", task=task)
        instructions.reply(item.pk, actor=alice, text=f"已落实（{n}）")

    issue(0)
    few = [count(user, url) for user, url in pages]
    for n in range(1, 7):
        issue(n)
    assert [count(user, url) for user, url in pages] == few
    # the desk: session, user, membership, rows, urges, handovers, instructions, replies, navigation
    assert few[0] == 9


def test_instructing_a_task_runs_the_same_queries_for_one_unit_and_for_many(make_user, leader):
    sizes = Task.objects.annotate(n=Count("assignments")).filter(n__gt=0).order_by("n", "number")
    one, many = sizes.first(), sizes.last()
    assert one.n == 1 and many.n > 5
    units = Assignment.objects.filter(task__in=[one, many]).values_list("unit__name", flat=True).distinct()
    for n, name in enumerate(sorted(units)):  # every unit concerned has a liaison with an address
        make_user(f"liaison{n}", "liaison", name)

    def issue(task) -> int:
        with CaptureQueriesContext(connection) as captured:
            instructions.issue(actor=leader, text=TEXT, task=task)
        return len(captured)

    assert issue(one) == issue(many)
    assert Handover.objects.filter(kind=HandoverKind.INSTRUCTION).count() == one.n + many.n
    assert Notification.objects.filter(job="instruction.issued").count() == one.n + many.n


def test_the_api_lists_the_instructions_each_reader_may_read_with_their_replies(api, people):
    alice, bob, charlie, dave, olga, leo = people
    task = shared_task()
    on_task = instructions.issue(actor=leo, text=TEXT, task=task)
    mine = row(17)
    on_my_row = instructions.issue(actor=olga, text="请加快进度", assignment=mine)
    theirs = instructions.issue(actor=olga, text="临汾市须说明原因", assignment=row(task.number, "临汾市"))
    instructions.reply(on_task.pk, actor=alice, text="晋中市已部署")
    instructions.reply(on_task.pk, actor=charlie, text="临汾市已部署")

    listed = api(alice).get("/api/instructions/")
    assert listed.status_code == 200
    items = {i["id"]: i for i in listed.json()["results"]}
    assert set(items) == {on_task.pk, on_my_row.pk}  # not 临汾市's row
    assert [r["text"] for r in items[on_task.pk]["replies"]] == ["晋中市已部署"]  # its own unit's reply only
    assert items[on_my_row.pk]["unit"] == "晋中市" and items[on_task.pk]["unit"] is None
    assert api(alice).get(f"/api/instructions/{theirs.pk}/").status_code == 404
    assert api(alice).get(f"/api/instructions/{on_task.pk}/").json()["author"] == "leo"

    every = api(leo).get("/api/instructions/").json()
    assert every["count"] == 3
    replies = next(i for i in every["results"] if i["id"] == on_task.pk)["replies"]
    assert {r["unit"] for r in replies} == {"晋中市", "临汾市"}
    assert api(olga).get(f"/api/instructions/?assignment={mine.pk}").json()["count"] == 1
    assert api(olga).get(f"/api/instructions/?task={task.pk}").json()["count"] == 2
    bad = api(olga).get("/api/instructions/?task=abc")
    assert bad.status_code == 400 and "编号" in bad.content.decode()


@pytest.mark.parametrize("count", [2, 12])
def test_the_api_list_of_instructions_runs_the_same_queries_for_few_and_many(api, people, count, queries):
    alice, *_, olga, leo = people
    client = api(alice)
    for i in range(count):
        item = instructions.issue(actor=olga, text=f"批示{i}", assignment=row(17))
        instructions.reply(item.pk, actor=alice, text=f"回复{i}")
    client.get("/api/instructions/")
    # the count, the page (with authors and rows), its replies
    with queries(3):
        response = client.get("/api/instructions/")
    assert response.json()["count"] == count
