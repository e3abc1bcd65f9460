"""Demo data for `make run`: an account for each role and a ledger caught mid-flight in late 2017.

Everything goes through the services (``accounts.create_user`` and ``tasks.services.ledger``), so
the demo ledger carries the same audit chain, versions and checks as real work. Each step runs on
the ledger's clock (``tasks.clock.frozen_at``) set to its reporting week (2017-W36 … 2017-W48), so report weeks, request and check times,
the automatic look-back date of an ongoing task and the audit trail all tell one late-2017 story.

Running it again changes nothing: accounts that exist with their role are left alone, and the
ledger is built only when no demo report exists yet (and no one else has started the ledger).
"""

import dataclasses
import datetime
import functools
import struct
import zlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count

from demo.background import BACKGROUND_LIAISONS, background_reports
from dispatch import handovers
from dispatch.models import Handover, HandoverKind
from tasks import clock
from tasks.choices import ExtensionStatus, ReviewOutcome, Role, SignOffStatus, Status
from tasks.models import Assignment, Extension, ProgressReport, Review, SignOffRequest
from tasks.policy import STAFF, role_of, unit_id_of
from tasks.services import ledger
from tasks.services.accounts import create_user
from tasks.weeks import parse_week

DEMO_PASSWORD = "rectify-demo-2017"

# username, role, unit, display name
ACCOUNTS = [
    ("admin", Role.ADMIN, None, "系统管理员"),
    ("office", Role.OFFICE, None, "刘敏"),
    ("leader", Role.LEADER, None, "陈志远"),
    ("jinzhong", Role.LIAISON, "晋中市", "张伟"),
    ("jinzhong_lead", Role.UNIT_LEADER, "晋中市", "李强"),
    ("linfen", Role.LIAISON, "临汾市", "王芳"),
    ("linfen_lead", Role.UNIT_LEADER, "临汾市", "赵磊"),
    ("fgw", Role.LIAISON, "省发改委", "孙丽"),
    ("fgw_lead", Role.UNIT_LEADER, "省发改委", "周涛"),
]
# The background's liaisons report on their cities' rows (``demo.background``).
ACCOUNTS += [(username, Role.LIAISON, unit, name) for unit, (username, name) in BACKGROUND_LIAISONS.items()]
LIAISONS = {"晋中市": "jinzhong", "临汾市": "linfen", "省发改委": "fgw"}
UNIT_LEADERS = {"晋中市": "jinzhong_lead", "临汾市": "linfen_lead", "省发改委": "fgw_lead"}
OFFICE_USER = "office"

# 签收: the plan's rows were handed to the units on Friday 2017-09-01 at 09:00; the units with demo
# accounts signed for theirs (their liaison) within hours or days, 运城市 late (after the
# ``ACK_DUE_WORKING_DAYS`` working days). Units without an account have not signed (逾期未签收).
HANDED = datetime.datetime(2017, 9, 1, 9, 0, tzinfo=clock.SHANGHAI)
_SIGNED = [
    ("晋中市", 1, 10, 20),
    ("临汾市", 1, 15, 5),
    ("省发改委", 1, 11, 40),
    ("太原市", 1, 9, 50),
    ("大同市", 1, 16, 30),
    ("朔州市", 4, 8, 40),
    ("忻州市", 4, 8, 50),
    ("吕梁市", 1, 14, 10),
    ("阳泉市", 5, 10, 0),
    ("长治市", 1, 17, 20),
    ("晋城市", 4, 8, 30),
    ("运城市", 7, 15, 45),
]
ACKNOWLEDGED = [
    (datetime.datetime(2017, 9, day, hour, minute, tzinfo=clock.SHANGHAI), unit)
    for unit, day, hour, minute in _SIGNED
]

# When in its reporting week each kind of step happens (days after Monday, hour), so that a
# request, its checks and the week's report fall in a plausible order.
SLOTS = {
    "review": (0, 9),
    "request": (2, 10),
    "extend": (1, 11),
    "outcome": (1, 15),
    "decide_extension": (2, 15),
    "unit_ok": (3, 10),
    "unit_no": (3, 10),
    "office_ok": (4, 10),
    "office_no": (4, 10),
    "report": (4, 16),
}


@dataclass(frozen=True)
class Step:
    week: str
    kind: str
    percent: int = 0
    text: str = ""
    date: datetime.date | None = None
    evidence: bool = False
    drop_reason: str = ""  # 进度回调说明: a report below the last one's percentage needs it
    filed: str = (
        ""  # the week it is filed in, when later than its own week (a report for a week before last is 迟报)
    )


@dataclass(frozen=True)
class Story:
    """What happens to one assignment (task number, unit) over the autumn."""

    task: int
    unit: str
    outcome: str  # the status the story ends in; checked after the build
    steps: tuple[Step, ...] = field(default_factory=tuple)


def reports(weeks, percents, work, evidence_every=4, drop_reason=""):
    """Weekly reports ``work`` over ``weeks`` (2017 ISO week numbers) with rising ``percents``;
    ``drop_reason`` explains the first one if it is below the report before it."""
    return tuple(
        Step(
            f"2017-W{week:02d}",
            "report",
            percent=percent,
            text=f"{work}，截至本周累计完成 {percent}%。",
            evidence=(i % evidence_every == evidence_every - 1),
            drop_reason=drop_reason if i == 0 else "",
        )
        for i, (week, percent) in enumerate(zip(weeks, percents, strict=True))
    )


RELAPSE_REQUIREMENTS = "立即封堵恢复直排的排污口，查明责任，2018 年 1 月底前整改到位并报送佐证。"


def w(number):
    return f"2017-W{number:02d}"


STORIES = [
    Story(
        17,
        "晋中市",
        Status.SIGNED_OFF,
        (
            *reports([36, 37, 38], [40, 70, 100], "左权县鑫源热电 2.5 万千瓦机组关停拆除", evidence_every=3),
            Step(
                w(39),
                "request",
                text="鑫源热电 2.5 万千瓦小火电机组已于 9 月 22 日完成拆除，锅炉、汽轮机、发电机已拆除并经县经信局现场验收。",
            ),
            Step(w(39), "unit_ok", text="拆除验收材料齐全，同意提请销号。"),
            Step(w(40), "office_ok", text="经现场核查，机组已拆除到位，同意销号。"),
        ),
    ),
    Story(
        37,
        "晋中市",
        Status.REOPENED,
        (
            *reports(
                [36, 37, 38, 39, 40, 41], [20, 35, 50, 70, 90, 100], "太榆退水渠、潇河沿线排污口排查整治"
            ),
            Step(
                w(42),
                "request",
                text="太榆退水渠、潇河沿线 37 个排污口已全部整治，修文工业基地污水处理厂提标改造完成并通水运行。",
            ),
            Step(w(42), "unit_ok", text="同意提请销号。"),
            Step(w(43), "office_ok", text="材料齐全，同意销号，列入回头看。"),
            Step(w(44), "review", date=datetime.date(2017, 11, 14)),
            Step(
                w(46),
                "outcome",
                text="回头看发现潇河榆次段两处排污口恢复直排，问题反弹，重新整改。",
                date=datetime.date(2018, 1, 31),
            ),
        ),
    ),
    Story(
        3,
        "晋中市",
        Status.IN_PROGRESS,
        (
            *reports(
                range(36, 49), [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70], "区域污染物削减方案复核"
            ),
            Step(
                w(44),
                "extend",
                date=datetime.date(2018, 6, 30),
                text="需对 2015 年以来报批的全部项目逐一复核削减来源，涉及项目多，年底前难以完成。",
            ),
            Step(w(45), "decide_extension", text="同意延期至 2018 年 6 月 30 日，原定期限仍用于按期率统计。"),
        ),
    ),
    Story(
        31,
        "晋中市",
        Status.SIGNOFF_REQUESTED,
        (
            *reports(range(40, 48), [20, 30, 45, 55, 70, 80, 90, 100], "城中村和农村采暖期燃煤替代"),
            Step(w(48), "request", text="城中村清洁取暖改造已全部完成，燃煤散烧替代 3.2 万户，附验收清单。"),
        ),
    ),
    Story(
        34,
        "晋中市",
        Status.IN_PROGRESS,
        (
            *reports(range(38, 45), [30, 45, 60, 70, 80, 90, 100], "煤场、料场、渣场苫盖封闭"),
            Step(w(45), "request", text="全市 126 个煤场、料场、渣场已完成苫盖封闭。"),
            Step(
                w(46),
                "unit_no",
                text="佐证照片未覆盖全部料场，灵石县 9 处渣场缺少验收记录，请补齐后重新申请。",
            ),
            *reports(
                [47, 48],
                [92, 95],
                "补充灵石县渣场验收记录",
                drop_reason="单位审核退回：灵石县 9 处渣场缺少验收记录，完成比例相应下调",
            ),
        ),
    ),
    Story(
        51,
        "晋中市",
        Status.SIGNED_OFF,
        (
            *reports(range(36, 42), [30, 50, 65, 80, 90, 100], "自然保护区违规项目清理整治"),
            Step(w(42), "request", text="辖区自然保护区内违规项目已全部清理，长期坚持日常巡查。"),
            Step(w(42), "unit_ok", text="同意。"),
            Step(w(43), "office_ok", text="同意本阶段销号，按期回头看。"),
        ),
    ),
    Story(
        10,
        "临汾市",
        Status.UNIT_VERIFIED,
        (
            *reports(range(36, 43), [20, 35, 50, 65, 80, 90, 100], "环境保护部综合督查指出问题整改"),
            Step(w(43), "request", text="环境保护部综合督查指出的 12 项问题已全部整改完毕。"),
            Step(w(43), "unit_ok", text="同意提请销号。"),
            Step(
                w(44),
                "office_no",
                text="缺少第三方监测报告，无法确认洪洞县两家焦化企业稳定达标，请补充后重新申请。",
            ),
            *reports([45, 46], [100, 100], "补充第三方监测"),
            Step(w(47), "request", text="已补充第三方监测报告，两家焦化企业连续 30 日稳定达标。"),
            Step(w(48), "unit_ok", text="补充材料齐全，同意提请销号。"),
        ),
    ),
    Story(
        45,
        "临汾市",
        Status.IN_PROGRESS,
        (
            *reports(range(36, 45), [10, 20, 25, 30, 35, 40, 45, 50, 55], "洪洞段非法采砂整治和河道修复"),
            Step(w(47), "extend", date=datetime.date(2018, 9, 30), text="河道生态修复需待汛期结束后施工。"),
        ),
    ),
    Story(
        9,
        "临汾市",
        Status.IN_PROGRESS,
        reports(range(40, 49), [10, 20, 30, 40, 50, 60, 65, 70, 75], "督查发现问题逐项整改"),
    ),
    Story(
        20,
        "省发改委",
        Status.IN_PROGRESS,
        (
            *reports(range(36, 46, 2), [15, 30, 45, 55, 65], "违规核准备案项目清理"),
            # W46's report is filed two weeks late, in W48: accepted and marked 迟报
            dataclasses.replace(reports([46], [75], "违规核准备案项目清理")[0], filed=w(48)),
            *reports([48], [85], "违规核准备案项目清理"),
        ),
    ),
]


def moment_of(step: Step) -> datetime.datetime:
    days, hour = SLOTS[step.kind]
    day = parse_week(step.filed or step.week) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=clock.SHANGHAI)


def tiny_pdf(title: str) -> bytes:
    """A one-page PDF with a correct cross-reference table (ASCII text only)."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 12 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def tiny_png(rgb=(46, 125, 50)) -> bytes:
    """A 4x4 single-colour PNG."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(rgb) * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _files(story: Story, step: Step):
    if step.kind == "request":
        name = f"task{story.task}-signoff-{step.week}.pdf"
        return [
            SimpleUploadedFile(
                name, tiny_pdf(f"Task {story.task} sign-off evidence {step.week}"), "application/pdf"
            )
        ]
    if step.evidence:
        return [SimpleUploadedFile(f"task{story.task}-site-{step.week}.png", tiny_png(), "image/png")]
    return []


@dataclass
class DemoResult:
    accounts: list = field(default_factory=list)  # (username, role label, unit, "已创建"/"已更新"/"已存在")
    ledger: str = ""  # one line on what happened to the demo ledger
    changed: bool = False


def ensure_accounts() -> list:
    User = get_user_model()
    existing = {
        u.username: u
        for u in User.objects.filter(username__in=[a[0] for a in ACCOUNTS]).select_related("membership__unit")
    }
    rows = []
    for username, role, unit, name in ACCOUNTS:
        user = existing.get(username)
        current_unit = user.membership.unit.name if user is not None and unit_id_of(user) else None
        if (
            user is not None
            and role_of(user) == role
            and current_unit == unit
            and user.is_staff == (role in STAFF)
        ):
            rows.append((username, Role(role).label, unit, "已存在"))
            continue
        create_user(
            username,
            role=role,
            unit=unit,
            password=DEMO_PASSWORD,
            email=f"{username}@example.gov.cn",
            full_name=name,
        )
        rows.append((username, Role(role).label, unit, "已创建" if user is None else "已更新"))
    return rows


def _demo_ledger_exists() -> bool:
    return ProgressReport.objects.filter(author__username__in=[a[0] for a in ACCOUNTS]).exists()


def build_ledger() -> str:
    """Carry the stories through the services, all steps in time order, in one transaction."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[a[0] for a in ACCOUNTS])}
    stories = [
        *STORIES,
        *(
            Story(
                task,
                unit,
                Status.IN_PROGRESS,
                tuple(Step(w(week), "report", percent, text) for week, percent, text in steps),
            )
            for task, unit, steps in background_reports()
        ),
    ]
    assignments = {
        (a.task.number, a.unit.name): a.pk
        for a in Assignment.objects.select_related("task", "unit").filter(
            unit__name__in=[*LIAISONS, *BACKGROUND_LIAISONS], task__number__in={s.task for s in stories}
        )
    }
    missing = [f"任务{s.task}·{s.unit}" for s in stories if (s.task, s.unit) not in assignments]
    if missing:
        raise ValueError(f"方案中找不到演示所需的台账：{'、'.join(missing)}")
    timeline = sorted(
        [
            *(
                (
                    moment_of(step),
                    i,
                    j,
                    functools.partial(_apply, story, step, assignments[(story.task, story.unit)]),
                )
                for i, story in enumerate(stories)
                for j, step in enumerate(story.steps)
            ),
            *(
                (moment, -1, j, functools.partial(_acknowledge, unit))
                for j, (moment, unit) in enumerate(ACKNOWLEDGED)
            ),
        ],
        key=lambda item: item[:3],
    )
    with transaction.atomic():
        hand_over_the_plan()
        for moment, _, _, action in timeline:
            with clock.frozen_at(moment):
                action(users)
        wrong = [
            f"任务{s.task}·{s.unit}"
            for s in stories
            if Assignment.objects.get(pk=assignments[(s.task, s.unit)]).status != s.outcome
        ]
        if wrong:
            raise ValueError(f"演示台账状态与剧本不符：{'、'.join(wrong)}")
    return summary()


def hand_over_the_plan() -> int:
    """The plan's rows were handed to the units (签收) when the plan was imported, at the real time:
    put that on the demo's day the plan was handed down (``HANDED``), before any step of the story."""
    return Handover.objects.filter(
        kind=HandoverKind.ASSIGNMENT, acknowledged_at=None, handed_at__gt=HANDED
    ).update(handed_at=HANDED)


def _acknowledge(unit: str, users: dict):
    """The unit's liaison signs for every row handed to it (签收), through the audited service."""
    liaison = users[LIAISONS[unit] if unit in LIAISONS else BACKGROUND_LIAISONS[unit][0]]
    for handover_id in Handover.objects.filter(
        unit__name=unit, kind=HandoverKind.ASSIGNMENT, acknowledged_at=None
    ).values_list("pk", flat=True):
        handovers.acknowledge(handover_id, actor=liaison)


def _apply(story: Story, step: Step, assignment_id: int, users: dict):
    liaison = users[LIAISONS[story.unit] if story.unit in LIAISONS else BACKGROUND_LIAISONS[story.unit][0]]
    unit_leader = users.get(UNIT_LEADERS.get(story.unit))
    office = users[OFFICE_USER]
    files = _files(story, step)
    kind = step.kind
    if kind == "report":
        ledger.submit_report(
            assignment_id,
            actor=liaison,
            week=step.week,
            text=step.text,
            percent=step.percent,
            measure_notes={"1": step.text},
            files=files,
            drop_reason=step.drop_reason,
        )
    elif kind == "request":
        ledger.request_signoff(assignment_id, actor=liaison, summary=step.text, files=files)
    elif kind in ("unit_ok", "office_ok"):
        ledger.approve(assignment_id, actor=unit_leader if kind == "unit_ok" else office, opinion=step.text)
    elif kind in ("unit_no", "office_no"):
        ledger.reject(assignment_id, actor=unit_leader if kind == "unit_no" else office, reason=step.text)
    elif kind == "review":
        ledger.schedule_review(assignment_id, actor=office, scheduled_for=step.date)
    elif kind == "outcome":
        review = Review.objects.get(assignment_id=assignment_id, outcome=ReviewOutcome.PENDING)
        ledger.record_review(
            review.pk,
            actor=office,
            outcome=ReviewOutcome.RELAPSED,
            findings=step.text,
            requirements=RELAPSE_REQUIREMENTS,
            new_due_date=step.date,
        )
    elif kind == "extend":
        ledger.request_extension(assignment_id, actor=liaison, new_due_date=step.date, reason=step.text)
    elif kind == "decide_extension":
        # The unit's leader agrees first, then the office approves.
        extension = Extension.objects.get(assignment_id=assignment_id, status=ExtensionStatus.PENDING)
        ledger.decide_extension(extension.pk, actor=unit_leader, approve=True, note="同意，报省督察办审批。")
        ledger.decide_extension(extension.pk, actor=office, approve=True, note=step.text)
    else:
        raise ValueError(f"unknown demo step {kind}")


def summary() -> str:
    by_status = dict(
        Assignment.objects.filter(unit__name__in=LIAISONS)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    signoffs = dict(
        SignOffRequest.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    states = "，".join(f"{Status(s).label} {by_status.get(s, 0)}" for s in Status.values)
    return (
        f"演示台账：进展报送 {ProgressReport.objects.count()} 条；"
        f"销号申请 {sum(signoffs.values())} 份（已销号 {signoffs.get(SignOffStatus.APPROVED, 0)}，"
        f"已退回 {signoffs.get(SignOffStatus.REJECTED, 0)}）；回头看 {Review.objects.count()} 次；"
        f"延期申请 {Extension.objects.count()} 件。三个演示单位的台账：{states}。"
    )


def load_demo(stdout=None) -> DemoResult:
    """Make the demo accounts and the demo ledger; a second run changes nothing and says so."""
    result = DemoResult(accounts=ensure_accounts())
    result.changed = any(row[3] != "已存在" for row in result.accounts)
    if _demo_ledger_exists():
        result.ledger = "演示台账已存在，未作改动。"
    elif ProgressReport.objects.exists() or SignOffRequest.objects.exists():
        result.ledger = "台账中已有非演示数据，未加载演示台账。"
    else:
        result.ledger = "已生成" + build_ledger()
        result.changed = True
    return result
