"""The policy (tasks/policy.py) is the one answer to "what may this user do with this row now".

For every state a ledger row passes through and every kind of user, the API's
``allowed_actions``, the assignment page's forms and the services' refusals must agree with
each other and with the table below. Each service call runs with valid input inside a
savepoint that is rolled back, so it shows only whether the service lets the user act.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from accountability import services as accountability
from accountability.models import ListedSupervision
from tasks import policy
from tasks.choices import Role
from tasks.models import Assignment
from tasks.services import ledger
from tasks.services.errors import LedgerError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people"), pytest.mark.cost(0.3)]

D = datetime.date


@pytest.fixture(autouse=True)
def _pinned_today(settings):
    settings.RECTIFY_TODAY = D(2017, 12, 1)


def row():
    return Assignment.objects.get(task__number=17, unit__name="晋中市")


def pdf():
    return SimpleUploadedFile("佐证.pdf", b"%PDF-1.4 x", content_type="application/pdf")


# How each state is reached from a fresh row (task 17, 晋中市, with a due date).
def _report(a, people):
    ledger.submit_report(a.pk, actor=people["liaison"], week="2017-W46", text="推进", percent=60)


def _signoff(a, people):
    _report(a, people)
    ledger.request_signoff(a.pk, actor=people["liaison"], summary="完成", files=[pdf()])


def _unit_verified(a, people):
    _signoff(a, people)
    ledger.approve(a.pk, actor=people["unit_leader"], opinion="属实")


def _signed_off(a, people):
    _unit_verified(a, people)
    ledger.approve(a.pk, actor=people["office"], opinion="同意销号")


def LATER(a):
    """A date an extension may ask for: within ``EXTENSION_MAX_DAYS`` of the current deadline."""
    return a.effective_due_date + datetime.timedelta(days=120)


def _review_pending(a, people):
    _signed_off(a, people)
    ledger.schedule_review(a.pk, actor=people["office"], scheduled_for=D(2018, 3, 1))


def _review_due(a, people):
    _signed_off(a, people)
    ledger.schedule_review(a.pk, actor=people["office"], scheduled_for=D(2017, 12, 1))  # today


def _reopened(a, people):
    _review_due(a, people)
    review = a.reviews.get()
    ledger.record_review(
        review.pk,
        actor=people["office"],
        outcome="relapsed",
        findings="问题反弹",
        requirements="限期整改到位，报送整改情况",
        new_due_date=D(2018, 3, 31),
    )


def _extension_pending(a, people):
    _report(a, people)
    ledger.request_extension(
        a.pk, actor=people["liaison"], new_due_date=LATER(a), reason="雨季无法施工，需待雨季结束后继续"
    )


def _extension_unit_approved(a, people):
    _extension_pending(a, people)
    ledger.decide_extension(a.extensions.get().pk, actor=people["unit_leader"], approve=True)


def _listed(a, people):
    _report(a, people)
    accountability.list_assignment(a, actor=people["office"], reason="进度滞后", deadline=D(2018, 1, 31))


STATES = {
    "not_started": lambda a, people: None,
    "in_progress": _report,
    "signoff_requested": _signoff,
    "unit_verified": _unit_verified,
    "signed_off": _signed_off,
    "review_pending": _review_pending,
    "review_due": _review_due,
    "reopened": _reopened,
    "extension_pending": _extension_pending,
    "extension_unit_approved": _extension_unit_approved,
    "listed": _listed,
}

# What each user may do in each state: the rules of the plan, written out once here to check the code.
# The other unit's liaison sees nothing of the row; a leader reads and changes nothing.
EXPECTED = {
    "not_started": {"liaison": {"report", "request_extension"}, "office": {"list_supervision"}},
    "in_progress": {
        "liaison": {"report", "request_signoff", "request_extension"},
        "office": {"list_supervision"},
    },
    "signoff_requested": {
        "liaison": {"report", "request_extension", "withdraw_signoff"},
        "unit_leader": {"approve", "reject"},
        "office": {"list_supervision"},
    },
    "unit_verified": {
        "liaison": {"report", "request_extension", "withdraw_signoff"},
        "office": {"approve", "reject", "list_supervision"},
    },
    "signed_off": {"liaison": {"report"}, "office": {"schedule_review"}},
    # an outcome on or after the review's date; before it, the office may bring the review forward
    "review_pending": {"liaison": {"report"}, "office": {"advance_review"}},
    "review_due": {"liaison": {"report"}, "office": {"record_review"}},
    "reopened": {"liaison": {"report", "request_extension"}, "office": {"list_supervision"}},
    # An extension request goes to the unit's leader first, then to the office.
    "extension_pending": {
        "liaison": {"report", "request_signoff", "withdraw_extension"},
        "unit_leader": {"decide_extension"},
        "office": {"list_supervision"},
    },
    "extension_unit_approved": {
        "liaison": {"report", "request_signoff", "withdraw_extension"},
        "office": {"decide_extension", "list_supervision"},
    },
    "listed": {
        "liaison": {"report", "request_signoff", "request_extension"},
        "office": {"lift_supervision"},
    },
}
USERS = ("office", "liaison", "outsider", "unit_leader", "leader")
LISTING_ACTIONS = {"list_supervision", "lift_supervision"}

# The API's and the page's names for the policy's actions.
ENDPOINT_ACTION = {"signoff": "request_signoff"}
FORM_ACTIONS = {
    "report": {"report"},
    "signoff": {"request_signoff"},
    "withdraw_signoff": {"withdraw_signoff"},
    "withdraw_extension": {"withdraw_extension"},
    "extension": {"request_extension"},
    "check": {"approve", "reject"},
    "schedule_review": {"schedule_review"},
    "review_outcome": {"record_review"},
    "advance_review": {"advance_review"},
    "extension_decision": {"decide_extension"},
    "supervise": {"list_supervision"},
    "lift_supervision": {"lift_supervision"},
}


def _latest(a):
    """The row's newest review, extension and listing: what the calls below name."""
    return (
        a.reviews.order_by("-pk").first(),
        a.extensions.order_by("-pk").first(),
        ListedSupervision.objects.filter(assignment=a).order_by("-pk").first(),
    )


def _service_call(action, a, user, latest):
    review, extension, listing = latest
    calls = {
        "report": lambda: ledger.submit_report(a.pk, actor=user, week="2017-W48", text="进展", percent=70),
        "request_signoff": lambda: ledger.request_signoff(a.pk, actor=user, summary="完成", files=[pdf()]),
        "approve": lambda: ledger.approve(a.pk, actor=user, opinion="同意"),
        "withdraw_signoff": lambda: ledger.withdraw_signoff(a.pk, actor=user),
        "withdraw_extension": lambda: ledger.withdraw_extension(extension.pk if extension else 0, actor=user),
        "reject": lambda: ledger.reject(a.pk, actor=user, reason="材料不足"),
        "request_extension": lambda: ledger.request_extension(
            a.pk, actor=user, new_due_date=LATER(a), reason="工期紧张，冬季无法施工需顺延"
        ),
        "schedule_review": lambda: ledger.schedule_review(a.pk, actor=user, scheduled_for=D(2018, 6, 1)),
        "record_review": lambda: ledger.record_review(
            review.pk if review else 0, actor=user, outcome="holds", findings="巩固"
        ),
        "advance_review": lambda: ledger.advance_review(
            review.pk if review else 0, actor=user, scheduled_for=D(2017, 12, 20), reason="提前检查"
        ),
        "decide_extension": lambda: ledger.decide_extension(
            extension.pk if extension else 0, actor=user, approve=True
        ),
        "list_supervision": lambda: accountability.list_assignment(
            a, actor=user, reason="滞后", deadline=D(2018, 2, 28)
        ),
        "lift_supervision": lambda: accountability.lift_listing(listing.pk if listing else 0, actor=user),
    }
    return calls[action]


class _Undo(Exception):
    pass


def services_allow(a, user) -> set[str]:
    """The actions whose service goes through for ``user`` (each undone at once)."""
    allowed = set()
    latest = _latest(a)  # read once: each call below is undone, so the row is the same for the next
    for action in policy.ASSIGNMENT_ACTIONS:
        call = _service_call(action, a, user, latest)
        try:
            with transaction.atomic():
                call()
                raise _Undo
        except _Undo:
            allowed.add(action)
        except LedgerError:
            pass
    return allowed


def api_offers(a, user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/assignments/{a.pk}/")
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return {ENDPOINT_ACTION.get(name, name) for name in response.json()["allowed_actions"]}


def page_offers(a, user):
    client = Client()
    client.force_login(user)
    response = client.get(f"/assignments/{a.pk}/")
    if response.status_code == 404:
        return None
    assert response.status_code == 200
    return set().union(*(FORM_ACTIONS[name] for name in response.context["forms"]))


@pytest.fixture
def people(liaison, unit_leader, outsider, office, leader):
    return {
        "liaison": liaison,
        "unit_leader": unit_leader,
        "outsider": outsider,
        "office": office,
        "leader": leader,
    }


@pytest.mark.parametrize("state", list(STATES))
def test_the_api_the_page_and_the_services_offer_the_same_actions(state, people):
    a = row()
    STATES[state](a, people)
    a = row()
    for name in USERS:
        user = people[name]
        expected = EXPECTED[state].get(name, set())
        served = services_allow(a, user)
        assert served == expected, (state, name)
        assert set(
            policy.allowed_actions(user, a, listing=a.supervisions.filter(lifted_at=None).first())
        ) == (expected), (state, name)
        if name == "outsider":  # another unit's row does not exist for them
            assert (api_offers(a, user), page_offers(a, user)) == (None, None)
            continue
        assert api_offers(a, user) == expected - LISTING_ACTIONS, (state, name)
        assert page_offers(a, user) == expected, (state, name)


def test_a_refusal_carries_the_policy_reason_the_service_raises(liaison, office, leader):
    a = row()
    decision = policy.can(leader, "request_extension", a)
    assert not decision and decision.refusal == policy.ROLE
    with pytest.raises(LedgerError) as refused:
        ledger.request_extension(a.pk, actor=leader, new_due_date=LATER(a), reason="x")
    assert (refused.value.status_code, refused.value.message) == (403, decision.reason)

    ledger.request_extension(
        a.pk, actor=liaison, new_due_date=LATER(a), reason="雨季无法施工，需待雨季结束后继续"
    )
    decision = policy.can(liaison, "request_extension", row())
    assert (bool(decision), decision.refusal, decision.reason) == (
        False,
        policy.STATE,
        "已有待审批的延期申请",
    )
    with pytest.raises(LedgerError) as refused:
        ledger.request_extension(
            a.pk, actor=liaison, new_due_date=LATER(a), reason="雨季延长，需再次顺延工期"
        )
    assert (refused.value.status_code, refused.value.message) == (400, decision.reason)


def test_a_liaison_of_another_unit_is_told_the_row_does_not_exist(outsider):
    decision = policy.can(outsider, "report", row())
    assert (bool(decision), decision.refusal) == (False, policy.UNSEEN)


def test_every_role_set_is_made_of_roles():
    sets = [
        policy.OFFICE,
        policy.OVERSIGHT,
        policy.UNIT,
        policy.CHECKERS,
        policy.ADMIN_READERS,
        policy.WRITERS,
    ]
    assert all(s <= policy.ANY for s in sets)
    assert Role.LEADER not in policy.WRITERS and Role.LEADER in policy.OVERSIGHT
    assert policy.UNIT.isdisjoint(policy.OVERSIGHT)


def test_the_open_signoff_request_is_the_same_from_a_prefetch_and_from_the_database(liaison, unit_leader):
    from tasks.models import SignOffRequest

    a = row()
    _signoff(a, {"liaison": liaison})
    ledger.reject(a.pk, actor=unit_leader, reason="材料不足")
    assert policy.open_signoff(row()) is None and SignOffRequest.objects.open_for(a) is None
    ledger.request_signoff(a.pk, actor=liaison, summary="补充材料", files=[pdf()])
    prefetched = Assignment.objects.with_history().get(pk=a.pk)
    assert policy.open_signoff(prefetched).pk == SignOffRequest.objects.open_for(a).pk
    assert policy.open_signoff(prefetched).summary == "补充材料"


def test_each_checker_checks_the_stage_the_state_table_gives_their_role():
    from tasks.choices import Status
    from tasks.policy import check_stage

    assert check_stage(Role.UNIT_LEADER) == Status.SIGNOFF_REQUESTED
    assert check_stage(Role.OFFICE) == check_stage(Role.ADMIN) == Status.UNIT_VERIFIED
    assert check_stage(Role.LIAISON) is None and check_stage(Role.LEADER) is None


# Modules that may name single roles: the policy itself, the choices, the people who are created
# with a role (demo accounts, the account service), the landing page per role, and the migrations.
NAMES_ROLES = {
    "tasks/policy.py",
    "tasks/choices.py",
    "demo/ledger.py",
    "tasks/services/accounts.py",
    "web/views/home.py",
}


def test_no_module_outside_the_policy_compares_a_user_with_a_single_role():
    """A role check is a question to the policy (a role set or ``can()``), never ``role == Role.X``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = []
    for app in ("tasks", "accountability", "accounts", "dispatch", "reports", "web", "outbox", "rectify"):
        for path in (root / app).rglob("*.py"):
            name = path.relative_to(root).as_posix()
            if name in NAMES_ROLES or "/migrations/" in name:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Compare) and any(
                    isinstance(side, ast.Attribute)
                    and isinstance(side.value, ast.Name)
                    and side.value.id == "Role"
                    for side in (node.left, *node.comparators)
                ):
                    found.append(f"{name}:{node.lineno}")
    assert found == []


def test_a_leader_writes_instructions_and_nothing_else():
    """领导批示 is a leader's one write: every other action of the policy refuses the role."""
    leader_may = {action for action, (roles, _why) in policy.ROLES.items() if Role.LEADER in roles}
    assert leader_may == {"instruct"}


def test_who_acknowledges_instructs_and_replies(people):
    a = row()
    may = {
        name: {
            action
            for action in ("acknowledge", "instruct", "reply_instruction")
            if policy.can(user, action, a)
        }
        for name, user in people.items()
    }
    assert may == {
        "office": {"instruct"},
        "leader": {"instruct"},
        "liaison": {"acknowledge", "reply_instruction"},
        "unit_leader": {"acknowledge", "reply_instruction"},
        "outsider": set(),  # another unit's row: not found
    }
    assert policy.can(people["outsider"], "acknowledge", a).refusal == policy.UNSEEN
    assert policy.can(people["leader"], "acknowledge", a).refusal == policy.ROLE
