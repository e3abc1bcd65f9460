"""Who may do what: the roles, their sets, and "may this user do this with this object now".

The one place the ledger's access rules are written. The pages (``web/access.py``,
``web/views/``), the API, the admin and the services ask here; nothing else lists roles.
This module imports nothing of the ledger's models, so the models may use it too.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from tasks.choices import ExtensionStatus, ReviewOutcome, Role, SignOffStatus, Status
from tasks.weeks import parse_week, today, week_start

# The role sets. A user has one role (``role_of``); superusers are ADMIN.
OFFICE = frozenset({Role.OFFICE, Role.ADMIN})  # act for the provincial office (省督察办)
OVERSIGHT = OFFICE | {Role.LEADER}  # see every unit's rows; leaders read and change nothing
UNIT = frozenset({Role.LIAISON, Role.UNIT_LEADER})  # belong to one unit and see only its rows
LIAISON = frozenset({Role.LIAISON})  # report, request sign-off and extensions
UNIT_LEADER = frozenset({Role.UNIT_LEADER})  # the first check of a sign-off
CHECKERS = OFFICE | UNIT_LEADER  # check sign-offs: the unit leader first, the office second
STAFF = OFFICE  # reach the Django admin (``is_staff``): the office; units work in the pages only
ADMIN_READERS = OVERSIGHT  # read the admin's records (leaders are not staff: in practice the office)
WRITERS = OFFICE | UNIT  # may write through the API; leaders only read
ANY = frozenset(Role)
# Who receives the office's own messages (bulletin drafts, published bulletins): its staff, and
# the leaders when the message is for them too. Administrators run the site and are not told.
OFFICE_RECIPIENTS = frozenset({Role.OFFICE})
OVERSIGHT_RECIPIENTS = OFFICE_RECIPIENTS | {Role.LEADER}


def role_of(user) -> str | None:
    """The user's ledger role, or None for anonymous users and users without one."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    membership = _membership(user)
    return membership.role if membership else None


def unit_id_of(user) -> int | None:
    membership = _membership(user)
    return membership.unit_id if membership else None


def _membership(user):
    try:
        return user.membership
    except (ObjectDoesNotExist, AttributeError):
        return None


# --- What a user may do with an assignment now ---------------------------------------------

S = Status


@dataclass(frozen=True)
class Rule:
    target: str
    roles: frozenset
    label: str


# The state table: (current status, action) -> rule. Anything not here is refused.
# ``transition()`` (tasks/services/transitions.py) applies it under a row lock.
TABLE: dict[tuple[str, str], Rule] = {
    (S.NOT_STARTED, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.IN_PROGRESS, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.REOPENED, "report"): Rule(S.IN_PROGRESS, LIAISON, "报送进展"),
    (S.SIGNOFF_REQUESTED, "report"): Rule(S.SIGNOFF_REQUESTED, LIAISON, "报送进展"),
    (S.UNIT_VERIFIED, "report"): Rule(S.UNIT_VERIFIED, LIAISON, "报送进展"),
    (S.SIGNED_OFF, "report"): Rule(S.SIGNED_OFF, LIAISON, "报送进展"),
    (S.IN_PROGRESS, "request_signoff"): Rule(S.SIGNOFF_REQUESTED, LIAISON, "申请销号"),
    (S.SIGNOFF_REQUESTED, "approve"): Rule(S.UNIT_VERIFIED, UNIT_LEADER, "单位审核通过"),
    (S.SIGNOFF_REQUESTED, "reject"): Rule(S.IN_PROGRESS, UNIT_LEADER, "单位审核退回"),
    (S.UNIT_VERIFIED, "approve"): Rule(S.SIGNED_OFF, OFFICE, "督察办审核销号"),
    (S.UNIT_VERIFIED, "reject"): Rule(S.IN_PROGRESS, OFFICE, "督察办审核退回"),
    (S.SIGNED_OFF, "relapse"): Rule(S.REOPENED, OFFICE, "回头看发现问题反弹，重新整改"),
    (S.SIGNOFF_REQUESTED, "withdraw_signoff"): Rule(S.IN_PROGRESS, LIAISON, "撤回销号申请"),
    (S.UNIT_VERIFIED, "withdraw_signoff"): Rule(S.IN_PROGRESS, LIAISON, "撤回销号申请"),
}

ACTION_LABELS = {
    "report": "报送进展",
    "request_signoff": "申请销号",
    "approve": "审核通过",
    "reject": "审核退回",
    "relapse": "问题反弹、重新整改",
    "withdraw_signoff": "撤回销号申请",
}

ROLE_HINT = {LIAISON: "本单位联络员", UNIT_LEADER: "本单位负责人", OFFICE: "省督察办"}


def rule_for(status: str, action: str) -> Rule | None:
    return TABLE.get((status, action))


def check_stage(role) -> str | None:
    """The status whose sign-off requests ``role`` checks (the first check or the second), or None."""
    return next(
        (status for (status, action), rule in TABLE.items() if action == "approve" and role in rule.roles),
        None,
    )


def _table_roles(action: str) -> frozenset:
    return frozenset().union(*(rule.roles for (_status, name), rule in TABLE.items() if name == action))


def _table_refusal(action: str) -> str:
    return (
        f"“{ACTION_LABELS.get(action, action)}”应由{ROLE_HINT.get(_table_roles(action), '有权限的用户')}办理"
    )


# Every action: who may take it at all, and what a refused user is told (403), before any input is read.
ROLES: dict[str, tuple[frozenset, str]] = {
    **{action: (_table_roles(action), _table_refusal(action)) for action in ACTION_LABELS},
    "request_extension": (LIAISON, "延期申请由本单位联络员提出"),
    "withdraw_extension": (LIAISON, "延期申请由本单位联络员撤回"),
    "void_report": (LIAISON | OFFICE, "进展报送由报送人或省督察办作废"),
    "decide_extension": (CHECKERS, "延期申请由本单位负责人审核、省督察办审批"),
    "schedule_review": (OFFICE, "安排回头看由省督察办办理"),
    "record_review": (OFFICE, "回头看结论由省督察办办理"),
    "advance_review": (OFFICE, "提前回头看由省督察办办理"),
    "list_supervision": (OFFICE, "挂牌督办由省督察办办理"),
    "lift_supervision": (OFFICE, "摘牌由省督察办办理"),
    "record_summons": (OFFICE, "约谈由省督察办办理"),
    "refer_case": (OFFICE, "责任追究移交由省督察办办理"),
    "update_case": (OFFICE, "责任追究办理由省督察办办理"),
    "correct_record": (OFFICE, "督办问责记录的更正和作废由省督察办办理"),
    "add_leader_item": (OFFICE, "领导领办登记由省督察办办理"),
    "publish_bulletin": (OFFICE, "月通报由省督察办发布"),
    # 每周公开: the office opens the week's draft, reviews its wording and publishes it (reports.disclosure).
    "review_disclosure": (OFFICE, "每周公开由省督察办审核"),
    "publish_disclosure": (OFFICE, "每周公开由省督察办发布"),
    # A background export is its requester's; the office may see anyone's (reports.exports).
    "read_export": (OFFICE, "他人的导出文件由省督察办查看"),
    "read_lockouts": (OFFICE, "登录安全由省督察办办理"),
    "unlock_login": (OFFICE, "解除登录锁定由省督察办办理"),
    "manage_tokens": (OFFICE, "他人的 API 令牌由省督察办管理"),  # list and revoke anyone's (own: everyone)
    "import_plan": (OFFICE, "导入整改方案由省督察办办理"),
    "edit_plan": (OFFICE, "修改整改任务由省督察办办理"),
    "manage_units": (OFFICE, "单位登记由省督察办办理"),
    "close_plan": (OFFICE, "整改方案归档由省督察办办理"),
    "configure_channels": (OFFICE, "消息渠道由省督察办设置"),
    "read_deliveries": (OFFICE, "消息投递记录由省督察办查看"),
    "urge": (OFFICE, "催办由省督察办办理"),
    "acknowledge_urge": (UNIT, "催办由本单位联络员或负责人签收"),
    "acknowledge": (UNIT, "签收由本单位联络员或负责人办理"),
    # 领导批示: leaders write instructions (their one write besides reading); the units concerned reply.
    "instruct": (OVERSIGHT, "领导批示由省领导或省督察办作出"),
    "reply_instruction": (UNIT, "批示由本单位联络员或负责人回复"),
}

# The actions on an assignment, in the order the API and the pages offer them. ``relapse``
# is not offered: it follows from a review's outcome (``record_review``).
ASSIGNMENT_ACTIONS = (
    "report",
    "request_signoff",
    "withdraw_signoff",
    "approve",
    "reject",
    "request_extension",
    "withdraw_extension",
    "schedule_review",
    "record_review",
    "advance_review",
    "decide_extension",
    "list_supervision",
    "lift_supervision",
)

# Why a request is refused; the services raise the matching error (tasks/services/checks.py).
ROLE, STATE, UNSEEN = "role", "state", "unseen"  # 403, 400, 404


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # in Chinese, shown to the user
    refusal: str = ""  # ROLE, STATE or UNSEEN

    def __bool__(self):
        return self.allowed


ALLOW = Decision(True)
NOT_READ = object()  # ``listing`` not given: listed supervision is not decided


def _refuse(refusal: str, reason: str) -> Decision:
    return Decision(False, reason, refusal)


# An extension request is open while it waits for the unit's leader, then for the office.
OPEN_EXTENSION = (ExtensionStatus.PENDING, ExtensionStatus.UNIT_APPROVED)
# Who decides an open extension request at each stage, and what anyone else is told (403).
EXTENSION_STAGE = {
    ExtensionStatus.PENDING: (UNIT_LEADER, "延期申请须先由本单位负责人审核"),
    ExtensionStatus.UNIT_APPROVED: (OFFICE, "单位负责人已审核，延期申请待省督察办审批"),
}


def extension_stage(role) -> str | None:
    """The extension requests' status whose decision ``role`` takes (the unit leader's first, the office's second)."""
    return next((status for status, (roles, _why) in EXTENSION_STAGE.items() if role in roles), None)


def pending_extension(assignment):
    """The assignment's open extension request (awaiting the unit's leader or the office), or None
    (reads a prefetch if there is one)."""
    return next((e for e in assignment.extensions.all() if e.status in OPEN_EXTENSION), None)


def pending_review(assignment):
    """The assignment's look-back review awaiting an outcome, or None (reads a prefetch if there is one)."""
    return next((r for r in assignment.reviews.all() if r.outcome == ReviewOutcome.PENDING), None)


def open_signoff(assignment):
    """The assignment's open sign-off request: the newest one still awaiting a check, or None.

    Reads ``assignment.signoffs`` (newest first when prefetched by ``with_history``); the services
    read it under the row lock with ``SignOffRequest.objects.open_for``.
    """
    requests = [s for s in assignment.signoffs.all() if s.status in OPEN_SIGNOFF]
    return max(requests, key=lambda s: (s.requested_at, s.pk), default=None)


OPEN_SIGNOFF = (SignOffStatus.PENDING, SignOffStatus.UNIT_VERIFIED)


PLAN_CLOSED = "该整改方案已归档，台账只读"


def plan_closed(assignment) -> bool:
    """Whether the row's plan is closed (归档), read from the row's loaded task and plan.

    Costs no query: without ``select_related("task__plan")`` it answers False, and the write is
    refused when the service locks the row (``tasks.services.transitions.lock`` loads the plan).
    """
    task = assignment._state.fields_cache.get("task")
    plan = task._state.fields_cache.get("plan") if task is not None else None
    return plan is not None and plan.closed_at is not None


def _state(action: str, assignment, role, listing, item, user=None) -> Decision:
    """The assignment's side of ``can``: the table, or the rule of an action outside it."""
    if plan_closed(assignment):
        return _refuse(STATE, PLAN_CLOSED)
    status = assignment.status
    if action in ACTION_LABELS:
        rule = rule_for(status, action)
        if rule is None:
            return _refuse(STATE, f"当前状态“{Status(status).label}”不能执行“{ACTION_LABELS[action]}”")
        if role not in rule.roles:
            return _refuse(ROLE, f"“{rule.label}”应由{ROLE_HINT.get(rule.roles, '有权限的用户')}办理")
        return ALLOW
    if action == "request_extension":
        if status == S.SIGNED_OFF:
            return _refuse(STATE, "已销号的台账不能申请延期")
        if assignment.effective_due_date is None:
            return _refuse(STATE, "长期坚持类任务没有完成期限，无需延期")
        if pending_extension(assignment) is not None:
            return _refuse(STATE, "已有待审批的延期申请")
        return ALLOW
    if action == "void_report":
        return _void_report(item, role, user)
    if action == "withdraw_extension":
        extension = pending_extension(assignment) if item is None else item
        if extension is None or extension.status not in OPEN_EXTENSION:
            return _refuse(STATE, "没有可撤回的延期申请（已审批或已撤回）")
        return ALLOW
    if action == "decide_extension":
        extension = pending_extension(assignment) if item is None else item
        if extension is None or extension.status not in OPEN_EXTENSION:
            return _refuse(STATE, "该延期申请已审批")
        roles, refusal = EXTENSION_STAGE[extension.status]
        if role not in roles:
            return _refuse(ROLE, refusal)
        return ALLOW
    if action == "schedule_review":
        if status != S.SIGNED_OFF:
            return _refuse(STATE, "只能对已销号的台账安排回头看")
        if pending_review(assignment) is not None:
            return _refuse(STATE, "该台账已有未完成的回头看")
        return ALLOW
    if action == "record_review":
        review = pending_review(assignment) if item is None else item
        if review is None or review.outcome != ReviewOutcome.PENDING:
            return _refuse(STATE, "该回头看已有结论")
        if review.scheduled_for > today():
            return _refuse(
                STATE,
                f"回头看计划于 {review.scheduled_for:%Y-%m-%d} 进行，届时方可记录结论；如需提前检查，请先提前回头看",
            )
        return ALLOW
    if action == "advance_review":
        review = pending_review(assignment) if item is None else item
        if review is None or review.outcome != ReviewOutcome.PENDING:
            return _refuse(STATE, "该回头看已有结论")
        if review.scheduled_for <= today():
            return _refuse(STATE, "回头看已到计划日期，无需提前")
        return ALLOW
    if action == "list_supervision":
        if status == S.SIGNED_OFF:
            return _refuse(STATE, "已销号的台账不能挂牌督办")
        if listing is not None:
            return _refuse(STATE, "该台账已在挂牌督办中")
        return ALLOW
    if action == "lift_supervision":
        if listing is None:
            return _refuse(STATE, "该台账不在挂牌督办中")
        if listing.lifted_at is not None:
            return _refuse(STATE, "该挂牌督办已摘牌")
        return ALLOW
    return ALLOW


def report_week_ends(report) -> datetime.date:
    """The last day its author may void a report: the Sunday of its week, or of the week it was
    submitted in if that is later (a late report)."""
    submitted = week_start(timezone.localdate(report.created_at))
    return max(parse_week(report.week), submitted) + datetime.timedelta(days=6)


def _void_report(report, role, user) -> Decision:
    if report is None:
        return _refuse(STATE, "请指明要作废的报送")
    if report.voided_at is not None:
        return _refuse(STATE, "该报送已作废")
    if role in OFFICE:
        return ALLOW
    if report.author_id != user.pk:
        return _refuse(ROLE, "只有报送人本人或省督察办可以作废该报送")
    if today() > report_week_ends(report):
        return _refuse(STATE, f"报送周 {report.week} 已过，报送人不能再作废；如需更正请联系省督察办")
    return ALLOW


def can(user, action: str, assignment=None, *, listing=NOT_READ, item=None) -> Decision:
    """May ``user`` take ``action`` (on ``assignment``, as it stands now)?

    Without an assignment only the role is asked (the services ask that before reading any
    input). With one: a unit role's user must belong to its unit, then the state decides (for
    the table's actions the state first: "not in this state" before "not your role").
    ``listing`` is the assignment's active listed supervision (``accountability.models.active_listing``)
    for ``list_supervision`` and ``lift_supervision``; ``item`` the extension request or review
    being decided (``decide_extension``, ``record_review``, ``advance_review``; the pending one when
    not given). A review's outcome is recorded on or after its date; before it, the office may bring
    it forward (``advance_review``).
    """
    role = role_of(user)
    roles, refusal = ROLES[action]
    # The table answers for its own actions on a row: first the state, then the role it calls for.
    if role not in roles and (assignment is None or action not in ACTION_LABELS):
        return _refuse(ROLE, refusal)
    if assignment is None:
        return ALLOW
    if role in UNIT and unit_id_of(user) != assignment.unit_id:
        return _refuse(UNSEEN, "台账不存在或无权查看")
    if action in ("list_supervision", "lift_supervision") and listing is NOT_READ:
        raise TypeError(f"can(…, {action!r}) needs the assignment's active listing")
    return _state(action, assignment, role, listing, item, user)


def allowed_actions(user, assignment, *, listing=NOT_READ) -> list[str]:
    """What ``user`` may do next with ``assignment``, in ``ASSIGNMENT_ACTIONS`` order.

    ``extensions`` and ``reviews`` are read through ``assignment.extensions.all()`` /
    ``.reviews.all()``, so a prefetched list costs no query. Listed supervision is included
    only when ``listing`` is given.
    """
    actions = ASSIGNMENT_ACTIONS
    if listing is NOT_READ:
        actions = [a for a in actions if a not in ("list_supervision", "lift_supervision")]
    return [action for action in actions if can(user, action, assignment, listing=listing)]
