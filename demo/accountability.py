"""Demo supervision and accountability for `make run`: what the office did about the late rows of late 2017.

Built through ``accountability.services`` on the demo's clock (``tasks.clock.frozen_at``), after
the demo ledger and dispatches: the most overdue open row of 临汾市 is listed for supervision
(挂牌督办), 临汾市 is summoned (约谈) over its overdue rows, one case is referred (责任追究), and
the first task with named officials is recorded as led by the first of them (领导领办), and
晋中市's open rows due by the year's end are urged (催办), still unanswered on the demo's day. Idempotent: once any such record
exists, nothing more is made.
"""

import datetime

from django.contrib.auth import get_user_model

from accountability import services
from accountability.models import AccountabilityCase, LeaderLedItem, ListedSupervision, Summons
from dispatch import instructions, urging
from dispatch.models import Instruction, Urge
from tasks.choices import Status
from tasks.clock import SHANGHAI, frozen_at
from tasks.models import Assignment, Task, Unit

UNIT = "临汾市"
URGED_UNIT = "晋中市"


def at(day: datetime.date, hour: int):
    return frozen_at(datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI))


def load() -> str:
    """Make the demo records; returns a Chinese summary line."""
    models = (ListedSupervision, Summons, AccountabilityCase, LeaderLedItem, Urge, Instruction)
    if any(model.objects.exists() for model in models):
        return "演示督办问责：已就绪，本次未作改动。"
    office = get_user_model().objects.filter(username="office").first()
    unit = Unit.objects.filter(name=UNIT).first()
    if office is None or unit is None:
        return "演示督办问责：缺少 office 账号或临汾市，未生成。"

    listed_on = datetime.date(2017, 11, 20)
    late = list(
        Assignment.objects.filter(unit=unit)
        .overdue(listed_on)
        .select_related("task")
        .order_by("due_date", "task__number")
    )
    made = []
    if late:
        with at(listed_on, 10):
            made.append(
                services.list_assignment(
                    late[0],
                    actor=office,
                    reason=f"任务{late[0].task.number}已过整改时限仍未完成，进度明显滞后",
                    deadline=datetime.date(2017, 12, 31),
                )
            )
        with at(datetime.date(2017, 11, 24), 15):
            made.append(
                services.record_summons(
                    actor=office,
                    unit=unit,
                    held_on=datetime.date(2017, 11, 24),
                    attendees="临汾市人民政府分管副市长、市环保局局长",
                    reason="多项整改任务逾期未完成，周调度报送不及时",
                    requirements="12 月底前完成逾期任务整改，逐项报送进展和佐证材料",
                    assignments=late[:3],
                )
            )
        with at(datetime.date(2017, 11, 28), 11):
            made.append(
                services.refer_case(
                    actor=office,
                    unit=unit,
                    persons="临汾市有关部门责任人",
                    assignment=late[0],
                    referred_on=datetime.date(2017, 11, 28),
                    summary=f"任务{late[0].task.number}整改不力、敷衍整改，经约谈后仍未按期完成",
                )
            )
    task = Task.objects.filter(officials__isnull=False).order_by("number").first()
    official = task.officials.order_by("pk").first() if task else None
    if official is not None:
        with at(datetime.date(2017, 9, 4), 9):
            made.append(
                services.add_leader_item(
                    actor=office,
                    task=task,
                    leader_name=official.name,
                    note="亲自研究部署、协调推进，定期听取整改进展汇报",
                )
            )
    # 催办: the office urges 晋中市's open rows due by the year's end; still unanswered on the demo's day.
    urged_on = datetime.date(2017, 11, 29)
    jinzhong = list(
        Assignment.objects.filter(unit__name=URGED_UNIT, due_date__lte=datetime.date(2017, 12, 31))
        .exclude(status__in=[Status.SIGNED_OFF, Status.SIGNOFF_REQUESTED, Status.UNIT_VERIFIED])
        .order_by("due_date", "task__number")[:3]
    )
    if jinzhong:
        with at(urged_on, 16):
            made += urging.urge(
                [a.pk for a in jinzhong],
                actor=office,
                message="以下逾期任务请于 12 月 8 日前报送整改进展和下一步计划",
            )
        # 领导批示: the leader writes on the first urged row; 晋中市 has not yet signed for it (签收).
        leader = get_user_model().objects.filter(username="leader").first()
        if leader is not None:
            with at(datetime.date(2017, 11, 30), 10):
                made.append(
                    instructions.issue(
                        actor=leader,
                        text="该问题群众反映强烈，务必于年底前整改到位，主要负责同志要亲自研究、亲自督办",
                        assignment=jinzhong[0],
                    )
                )
    return f"演示督办问责：挂牌督办、约谈、责任追究、领导领办、催办、领导批示共 {len(made)} 条。"
