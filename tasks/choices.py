"""Enumerations shared by models, API, admin and exports."""

from django.db import models


class UnitKind(models.TextChoices):
    CITY = "city", "地市"
    DEPARTMENT = "department", "省直部门"
    ENTERPRISE = "enterprise", "企业"
    COUNTY = "county", "县（市、区）"
    CITY_DEPARTMENT = "city_department", "市直部门"
    OTHER = "other", "其他"


# The kinds that sit under a city (their parent), so a city can hand its share of a task down and
# see it roll back up; the others sit directly under the province (no parent).
UNDER_A_CITY = frozenset({UnitKind.COUNTY, UnitKind.CITY_DEPARTMENT})


class DeadlineKind(models.TextChoices):
    IMMEDIATE_ONGOING = "immediate_ongoing", "立行立改、长期坚持"
    DATED = "dated", "限期完成"
    PHASED = "phased", "分年度/分步实施"


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "整改中"
    SIGNOFF_REQUESTED = "signoff_requested", "申请销号"
    UNIT_VERIFIED = "unit_verified", "单位审核通过"
    SIGNED_OFF = "signed_off", "已销号"
    REOPENED = "reopened", "问题反弹、重新整改"


class TaskStatus(models.TextChoices):
    """A task's status, rolled up from its assignments (``TaskQuerySet.with_status``)."""

    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "整改中"
    SIGNED_OFF = "signed_off", "已销号"


class Level(models.TextChoices):
    """A row's warning level (``tasks.models.levels``): a colour for an open row, 已销号 for a closed one."""

    RED = "red", "红"
    YELLOW = "yellow", "黄"
    GREEN = "green", "绿"
    SIGNED_OFF = "signed_off", "已销号"


# How the pages, workbooks and messages name a level in full.
LEVEL_TITLES = {
    Level.RED: "红色预警",
    Level.YELLOW: "黄色预警",
    Level.GREEN: "绿色（正常推进）",
    Level.SIGNED_OFF: "已销号",
}


class Role(models.TextChoices):
    OFFICE = "office", "督察办"
    LIAISON = "liaison", "联络员"
    UNIT_LEADER = "unit_leader", "单位负责人"
    LEADER = "leader", "领导"
    ADMIN = "admin", "管理员"


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", "待检查"
    HOLDS = "holds", "整改成效巩固"
    RELAPSED = "relapsed", "问题反弹"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待单位审核"  # the unit's leader decides first
    UNIT_APPROVED = "unit_approved", "待督察办审批"  # then the office
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"
    WITHDRAWN = "withdrawn", "已撤回"


class SignOffStatus(models.TextChoices):
    PENDING = "pending", "待单位审核"
    UNIT_VERIFIED = "unit_verified", "待督察办审核"
    APPROVED = "approved", "已销号"
    REJECTED = "rejected", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"
