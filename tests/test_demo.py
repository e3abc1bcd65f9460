"""`load_demo`: the demo accounts and a ledger mid-flight in late 2017, built through the services, idempotent."""

import datetime
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Max
from django.test import Client

from demo.ledger import ACCOUNTS, BACKGROUND_LIAISONS, LIAISONS, STORIES
from tasks.choices import ExtensionStatus, ReviewOutcome, SignOffStatus, Status
from tasks.models import Assignment, AuditEntry, Evidence, Extension, ProgressReport, Review, SignOffRequest
from tasks.services import ledger
from tasks.services.audit import verify_chain
from tasks.weeks import parse_week

pytestmark = pytest.mark.django_db

LATE_2017 = (datetime.date(2017, 9, 4), datetime.date(2017, 12, 3))  # 2017-W36 … 2017-W48
ACCOUNTS_BY_UNIT = {}
for _username, _role, _unit, _name in ACCOUNTS:
    ACCOUNTS_BY_UNIT.setdefault(_unit, set()).add(_username)


def load_demo():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def demo_rows():
    return Assignment.objects.filter(unit__name__in=LIAISONS)


def fingerprint():
    """Everything a rerun could touch: row counts, the audit chain's end, versions and accounts."""
    User = get_user_model()
    return {
        "audit": (AuditEntry.objects.count(), AuditEntry.objects.aggregate(m=Max("id"))["m"]),
        "reports": ProgressReport.objects.count(),
        "signoffs": list(SignOffRequest.objects.order_by("pk").values_list("pk", "status")),
        "evidence": Evidence.objects.count(),
        "reviews": list(Review.objects.order_by("pk").values_list("pk", "outcome")),
        "extensions": list(Extension.objects.order_by("pk").values_list("pk", "status")),
        "assignments": list(demo_rows().order_by("pk").values_list("pk", "status", "version")),
        "users": list(User.objects.order_by("username").values_list("username", "password", "is_staff")),
    }


def test_it_builds_a_ledger_with_every_state(demo_ledger):
    out = demo_ledger

    assert set(demo_rows().values_list("status", flat=True)) == set(Status.values)
    for story in STORIES:
        assert demo_rows().get(task__number=story.task, unit__name=story.unit).status == story.outcome
    assert "已生成演示台账" in out and "rectify-demo-2017" in out
    for username, *_ in ACCOUNTS:
        assert username in out


def test_it_tells_the_autumns_stories(demo_ledger):
    rejected = SignOffRequest.objects.filter(status=SignOffStatus.REJECTED)
    assert rejected.filter(office_checked_by__isnull=True).exists()  # refused at the unit's check
    assert rejected.filter(office_checked_by__isnull=False).exists()  # and at the office's
    assert all(r.rejection_reason for r in rejected)
    signed = SignOffRequest.objects.filter(status=SignOffStatus.APPROVED)
    assert signed.exists() and all(s.unit_checked_by and s.office_checked_by for s in signed)
    relapse = Review.objects.get(outcome=ReviewOutcome.RELAPSED)
    assert relapse.assignment.status == Status.REOPENED and relapse.findings
    approved = Extension.objects.get(status=ExtensionStatus.APPROVED)
    assert approved.assignment.extended_due_date == approved.new_due_date != approved.assignment.due_date
    ongoing = demo_rows().get(status=Status.SIGNED_OFF, task__deadline_kind="immediate_ongoing")
    assert ongoing.next_review_date == datetime.date(2018, 1, 25)  # 90 days after its 2017-W43 sign-off


def test_it_reports_over_the_autumn_for_several_units_with_real_files(demo_ledger):
    weeks = set(ProgressReport.objects.values_list("week", flat=True))
    assert min(weeks) == "2017-W36" and max(weeks) == "2017-W48"
    reporting = set(ProgressReport.objects.values_list("assignment__unit__name", flat=True))
    assert reporting == {*LIAISONS, *BACKGROUND_LIAISONS}  # the stories' units and the background's cities
    for report in ProgressReport.objects.all():
        assert (
            LATE_2017[0] <= report.created_at.date() and parse_week(report.week) <= report.created_at.date()
        )
    files = list(Evidence.objects.all())
    assert any(f.signoff_id for f in files) and any(f.report_id for f in files)
    for item in files:
        with item.file.open("rb") as handle:
            head = handle.read(8)
        assert head.startswith((b"%PDF", b"\x89PNG"))
        assert item.size == item.file.size > 0


def test_every_step_went_through_the_audited_services(demo_ledger):
    count, broken, reason = verify_chain()
    assert (broken, reason) == (None, "") and count == AuditEntry.objects.count() > 0
    assert AuditEntry.objects.filter(action="create_report").count() == ProgressReport.objects.count()
    assert AuditEntry.objects.filter(action="create_signoff").count() == SignOffRequest.objects.count()
    ledger_entries = (
        AuditEntry.objects.filter(model__startswith="tasks.")
        .exclude(model__in=["tasks.membership", "tasks.plan"])  # the plan's import, at the real time
        .order_by("id")
    )
    times = list(ledger_entries.values_list("at", flat=True))
    assert times == sorted(times)  # the ledger's history reads in time order
    assert LATE_2017[0] <= times[0].date() and times[-1].date() <= LATE_2017[1]


def test_a_second_run_changes_nothing_and_says_so(demo_ledger):
    before = fingerprint()

    out = load_demo()

    assert fingerprint() == before
    assert "演示台账已存在，未作改动" in out and "本次未作任何改动" in out
    assert "已创建" not in out


def test_it_leaves_a_ledger_that_others_have_started_alone(plan, liaison):
    a = Assignment.objects.get(task__number=17, unit__name="晋中市")
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="真实报送", percent=10)

    out = load_demo()

    assert "台账中已有非演示数据，未加载演示台账" in out
    assert ProgressReport.objects.count() == 1 and not SignOffRequest.objects.exists()


def test_it_brings_an_older_demo_account_up_to_date(demo_ledger):
    get_user_model().objects.filter(username="jinzhong_lead").update(
        is_staff=True
    )  # made while unit leaders still used the admin

    out = load_demo()

    assert not get_user_model().objects.get(username="jinzhong_lead").is_staff
    updated = [line.split()[0] for line in out.splitlines() if line.endswith("（已更新）")]
    assert updated == ["jinzhong_lead"]  # the other accounts are left as they are
    assert "演示台账已存在，未作改动" in out


def test_a_pinned_demo_date_does_not_change_the_story(plan, settings):
    settings.RECTIFY_TODAY = datetime.date(
        2017, 9, 1
    )  # before most demo weeks: each step still runs at its own week

    load_demo()

    assert max(ProgressReport.objects.values_list("week", flat=True)) == "2017-W48"
    assert set(demo_rows().values_list("status", flat=True)) == set(Status.values)


def test_the_demo_shows_supervision_and_accountability_built_through_the_services(demo_ledger):
    from accountability.models import AccountabilityCase, LeaderLedItem, ListedSupervision, Summons

    listing = ListedSupervision.objects.select_related("assignment__unit").get()
    assert listing.assignment.unit.name == "临汾市" and listing.lifted_at is None
    assert (
        listing.assignment.due_date < datetime.date(2017, 11, 20)
        and listing.assignment.status != Status.SIGNED_OFF
    )
    summons = Summons.objects.get()
    assert summons.unit.name == "临汾市" and listing.assignment in summons.assignments.all()
    assert AccountabilityCase.objects.get().assignment == listing.assignment
    item = LeaderLedItem.objects.select_related("task").get()
    assert item.leader_name in {o.name for o in item.task.officials.all()}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"list_supervision", "record_summons", "refer_case", "add_leader_item"} <= actions
    assert verify_chain()[1] is None
    assert ListedSupervision.objects.get().listed_at.date() == datetime.date(2017, 11, 20)

    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "演示督办问责：已就绪，本次未作改动" in out.getvalue()
    assert (
        ListedSupervision.objects.count(),
        Summons.objects.count(),
        AccountabilityCase.objects.count(),
    ) == (1, 1, 1)


@pytest.mark.today()
def test_jinzhongs_inbox_tells_the_demos_story_and_the_navigation_counts_are_right(demo_ledger):
    from dispatch.models import DeliveryLog, Handover, Notification
    from tests.helpers import client_for
    from web.context_processors import Waiting

    User = get_user_model()
    jinzhong = User.objects.get(username="jinzhong")
    mine = {n.job: n for n in Notification.objects.filter(user=jinzhong).order_by("id")}
    assert {
        "signoff.unit_rejected",
        "signoff.unit_approved",
        "review.recorded",
        "extension.decided",
        "urge.sent",
        "instruction.issued",
    } <= set(mine)
    assert "亲自研究、亲自督办" in mine["instruction.issued"].body
    assert "退回理由：" in mine["signoff.unit_rejected"].body
    assert mine["review.recorded"].subject.endswith("问题反弹")
    assert not DeliveryLog.objects.exists()  # the demo's replay sends nothing outside the inbox

    expected = {}
    for username in ("jinzhong", "jinzhong_lead", "office"):
        user = User.objects.get(username=username)
        waiting = Waiting(user)
        expected[username] = (waiting.unread, waiting.checks, waiting.decisions)
        if username == "jinzhong":
            assert waiting.urged > 0  # the demo's urge waits for an answer
            # 签收: the leader's instruction and the reopened row wait for the unit to sign
            handed = Handover.objects.filter(unit_id=user.membership.unit_id, acknowledged_at=None)
            assert waiting.to_acknowledge == handed.count() > 0
            assert {"instruction", "reopening"} <= set(handed.values_list("kind", flat=True))
        unread = Notification.objects.filter(user=user, read_at=None).count()
        checks = Assignment.objects.visible_to(user).filter(
            status=Status.SIGNOFF_REQUESTED if username == "jinzhong_lead" else Status.UNIT_VERIFIED
        )
        # Extension requests wait for the unit's leader first, then for the office.
        stage = ExtensionStatus.PENDING if username == "jinzhong_lead" else ExtensionStatus.UNIT_APPROVED
        decisions = Extension.objects.filter(status=stage, assignment__in=Assignment.objects.visible_to(user))
        assert expected[username] == (
            unread,
            0 if username == "jinzhong" else checks.count(),
            0 if username == "jinzhong" else decisions.count(),
        )
        body = client_for(user).get("/ledger/").content.decode()
        if unread:
            assert f'aria-label="{unread} 条未读">{unread}</span>' in body
    assert expected["office"][1] + expected["jinzhong_lead"][1] > 0  # the demo leaves checks to make


def badges(body: str) -> dict[str, int]:
    """The navigation's counts as the page shows them (absent: 0)."""
    found = {}
    for label, name in (
        ("条未读", "unread"),
        ("项待审核", "checks"),
        ("项待审批", "decisions"),
        ("项催办待答复", "urged"),
        ("项待签收", "to_acknowledge"),
    ):
        match = re.search(rf'aria-label="(\d+) {label}">(\d+)</span>', body)
        found[name] = int(match.group(1)) if match else 0
        assert match is None or match.group(1) == match.group(2)
    return found


@pytest.mark.today()
def test_every_demo_accounts_navigation_counts_what_waits_for_it(demo_ledger):
    from dispatch.models import Handover, Notification, Urge
    from tests.helpers import client_for

    User = get_user_model()
    unit_of = {username: unit for username, _role, unit, _name in ACCOUNTS}
    leaders_of = {"jinzhong_lead", "linfen_lead", "fgw_lead"}
    seen = {}
    for username, *_ in ACCOUNTS:
        user = User.objects.get(username=username)
        unit = unit_of[username]
        rows = Assignment.objects.filter(unit__name=unit)
        want = {
            "unread": Notification.objects.filter(user=user, read_at=None).count(),
            # unit leaders make the first check of their unit's requests, the office (and admin) the second
            "checks": rows.filter(status=Status.SIGNOFF_REQUESTED).count()
            if username in leaders_of
            else Assignment.objects.filter(status=Status.UNIT_VERIFIED).count()
            if username in ("office", "admin")
            else 0,
            "decisions": Extension.objects.filter(status=ExtensionStatus.PENDING, assignment__in=rows).count()
            if username in leaders_of
            else Extension.objects.filter(status=ExtensionStatus.UNIT_APPROVED).count()
            if username in ("office", "admin")
            else 0,
            "urged": rows.filter(urges__answered_at=None, urges__isnull=False).distinct().count()
            if unit
            else 0,
            "to_acknowledge": Handover.objects.filter(unit__name=unit, acknowledged_at=None).count()
            if unit
            else 0,
        }
        seen[username] = badges(client_for(user).get("/ledger/").content.decode())
        assert seen[username] == want, username
    # The story: 晋中市 signed for its rows in September; the instruction and the reopened row wait.
    assert seen["jinzhong"]["to_acknowledge"] == seen["jinzhong_lead"]["to_acknowledge"] == 2
    urged = Urge.objects.filter(assignment__unit__name="晋中市", answered_at=None)
    assert seen["jinzhong"]["urged"] == urged.values("assignment").distinct().count() > 0
    assert seen["jinzhong"]["unread"] > 0 and seen["leader"]["to_acknowledge"] == 0
    assert seen["office"]["checks"] + seen["jinzhong_lead"]["checks"] > 0  # the demo leaves checks to make


def test_the_plans_rows_were_handed_and_signed_for_on_the_demos_dates(demo_ledger):
    from dispatch import handovers
    from dispatch.models import Handover
    from tasks.clock import SHANGHAI

    handed = datetime.datetime(2017, 9, 1, 9, tzinfo=SHANGHAI)
    rows = Handover.objects.filter(kind="assignment")
    assert set(rows.values_list("handed_at", flat=True)) == {handed}  # not the real day of the import
    signed = rows.exclude(acknowledged_at=None).select_related("unit", "acknowledged_by")
    assert {h.unit.name for h in signed} == {*LIAISONS, *BACKGROUND_LIAISONS}
    for h in signed:
        assert (
            0 < handovers.hours_taken(h) < 24 * 7
            and h.acknowledged_by.username in ACCOUNTS_BY_UNIT[h.unit.name]
        )
    late = {
        h.unit.name
        for h in signed
        if handovers.is_overdue(Handover(handed_at=h.handed_at), h.acknowledged_at.date())
    }
    assert late == {"运城市"}  # signed after the working days allowed
    # units without a demo account have not signed: flagged on the demo's day
    waiting = rows.filter(acknowledged_at=None)
    assert waiting.exists() and all(handovers.is_overdue(h, datetime.date(2017, 12, 1)) for h in waiting)
    times = list(AuditEntry.objects.filter(action="acknowledge").order_by("id").values_list("at", flat=True))
    assert times == sorted(times) and times[0] >= handed


def test_the_demos_public_page_shows_the_weekly_disclosures_the_office_published(demo_ledger):
    from reports.models import Disclosure

    published = Disclosure.objects.published().order_by("week")
    assert [d.week for d in published] == ["2017-W45", "2017-W46", "2017-W47"]
    assert all(d.published_by.username == "office" for d in published)
    body = Client().get("/public/").content.decode()
    assert "截至 2017年11月26日" in body and "2017-W47" in body
    task = published.last().items.exclude(task=None).first().task_id
    history = Client().get(f"/public/tasks/{task}/").content.decode()
    assert all(week in history for week in ("2017-W45", "2017-W46", "2017-W47"))
    assert "本次发布 0 份" in load_demo()
