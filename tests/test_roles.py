"""Roles: accounts made with `add_user`, who reaches the admin, and the documented state machine."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from tasks.choices import Role
from tasks.models import Assignment, Membership
from tasks.policy import TABLE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

DOC = Path(__file__).resolve().parent.parent / "docs" / "ledger.md"
SECRET = "s3cret-pass"


def add_user(*args):
    return call_command("add_user", *args, "--password", SECRET, stdout=StringIO())


def user(name):
    return get_user_model().objects.select_related("membership__unit").get(username=name)


@pytest.mark.parametrize(
    ("role", "unit", "staff"),
    [
        ("liaison", "晋中市", False),
        ("unit_leader", "晋中市", False),
        ("office", None, True),
        ("leader", None, False),
    ],
)
def test_add_user_makes_an_account_with_its_role(plan, role, unit, staff):
    add_user("li", "--role", role, *(["--unit", unit] if unit else []))

    made = user("li")
    assert (made.membership.role, made.membership.unit and made.membership.unit.name) == (role, unit)
    assert made.is_staff is staff and not made.is_superuser
    assert [g.name for g in made.groups.all()] == [Role(role).label]
    assert authenticate(RequestFactory().post("/login/"), username="li", password=SECRET) == made
    visible = set(Assignment.objects.visible_to(made).values_list("unit__name", flat=True))
    assert visible == ({unit} if unit else set(Assignment.objects.values_list("unit__name", flat=True)))


def test_add_user_prints_what_it_made(plan):
    out = StringIO()
    call_command("add_user", "li", "--role", "liaison", "--unit", "晋中市", "--password", SECRET, stdout=out)
    assert out.getvalue() == "用户 li 已就绪：联络员（晋中市）\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "liaison"], "联络员须指定所属单位"),
        (["--role", "unit_leader"], "单位负责人须指定所属单位"),
        (["--role", "office", "--unit", "晋中市"], "督察办不属于某一单位，请勿指定单位"),
        (["--role", "leader", "--unit", "晋中市"], "领导不属于某一单位，请勿指定单位"),
        (["--role", "liaison", "--unit", "火星市"], "单位“火星市”不存在"),
        (["--role", "boss", "--unit", "晋中市"], "角色“boss”不存在"),
    ],
)
def test_add_user_refuses_a_wrong_unit_or_role_in_chinese_and_makes_nothing(plan, args, message):
    with pytest.raises(CommandError) as refused:
        add_user("li", *args)

    assert message in str(refused.value)
    assert not get_user_model().objects.filter(username="li").exists()
    assert not Membership.objects.filter(user__username="li").exists()


def test_add_user_again_changes_the_role_of_the_same_account(plan):
    add_user("li", "--role", "liaison", "--unit", "晋中市")
    add_user("li", "--role", "unit_leader", "--unit", "临汾市")

    made = user("li")
    assert get_user_model().objects.filter(username="li").count() == 1
    assert (made.membership.role, made.membership.unit.name, made.is_staff) == (
        "unit_leader",
        "临汾市",
        False,
    )
    assert [g.name for g in made.groups.all()] == ["单位负责人"]


@pytest.mark.parametrize(
    ("role", "unit", "admin_index"),
    [
        ("liaison", "晋中市", "login"),
        ("leader", None, "login"),
        ("unit_leader", "晋中市", "login"),  # their checks and decisions are in the pages
        ("office", None, "open"),
    ],
)
def test_only_the_office_reaches_the_admin(make_user, role, unit, admin_index):
    client = Client()
    client.force_login(make_user("li", role, unit))

    response = client.get(reverse("admin:index"))

    if admin_index == "login":
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == 200 and "销号审核队列" in response.content.decode()


def test_the_office_reads_the_ledger_in_the_admin_and_a_unit_leader_in_the_pages(office, unit_leader):
    assignments = reverse("admin:tasks_assignment_changelist")

    everything = Client()
    everything.force_login(office)
    assert everything.get(assignments).context["cl"].result_count == Assignment.objects.count()

    own = Client()
    own.force_login(unit_leader)
    assert own.get(assignments)["Location"].startswith(reverse("admin:login"))
    shown = own.get(reverse("ledger")).context["page"].paginator.count
    assert shown == Assignment.objects.filter(unit__name="晋中市").count()


def role_names(roles):
    return "、".join(Role(r).label for r in sorted(roles, key=Role.values.index))


def test_the_documented_state_machine_is_the_transition_table():
    """docs/ledger.md's table lists exactly the transitions in tasks/services/transitions.TABLE."""
    documented = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\w+)` [^|]+ \| `(\w+)` \| `(\w+)` [^|]+ \| ([^|]+) \| ([^|]+) \|$", line)
        if match:
            documented.add(tuple(part.strip() for part in match.groups()))
    expected = {
        (str(status), action, str(rule.target), role_names(rule.roles), rule.label)
        for (status, action), rule in TABLE.items()
    }
    assert documented == expected


def test_a_role_changed_in_the_admin_moves_the_staff_flag_and_is_audited(make_user, client):
    from tasks.models import AuditEntry, Membership, Unit

    admin_user = make_user("root", Role.ADMIN)
    carol = make_user("carol", Role.OFFICE)
    assert carol.is_staff
    membership = Membership.objects.get(user=carol)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/tasks/membership/{membership.pk}/change/",
        {"user": carol.pk, "role": Role.LIAISON, "unit": Unit.objects.get(name="晋中市").pk},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    carol.refresh_from_db()
    assert (carol.membership.role, carol.is_staff) == (Role.LIAISON, False)
    assert [g.name for g in carol.groups.all()] == [Role.LIAISON.label]
    entry = AuditEntry.objects.filter(action="set_role", object_id=str(membership.pk)).latest("id")
    assert (entry.actor, entry.before["role"], entry.after["role"]) == (
        admin_user,
        Role.OFFICE,
        Role.LIAISON,
    )


def test_a_role_without_its_unit_is_refused_in_the_admin(make_user, client):
    from tasks.models import Membership

    admin_user = make_user("root", Role.ADMIN)
    carol = make_user("carol", Role.OFFICE)
    membership = Membership.objects.get(user=carol)
    client.force_login(admin_user)

    response = client.post(
        f"/admin/tasks/membership/{membership.pk}/change/",
        {"user": carol.pk, "role": Role.LIAISON, "unit": ""},
    )

    assert response.status_code == 200
    carol.refresh_from_db()
    assert (carol.membership.role, carol.is_staff) == (Role.OFFICE, True)


@pytest.mark.parametrize("name", ["", "   "])
def test_add_user_refuses_an_empty_name(plan, name):
    users = get_user_model().objects.count()
    with pytest.raises(CommandError, match="用户名不能为空"):
        call_command("add_user", name, "--role", "office", "--password", "p", stdout=StringIO())
    assert get_user_model().objects.count() == users
