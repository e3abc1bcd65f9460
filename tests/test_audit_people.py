"""Changes to people and their rights are in the audit chain, whoever makes them and wherever:
the admin's user and group forms, the password form, the accounts service (issue 14)."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from tasks.choices import Role
from tasks.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(make_user):
    return make_user("root", Role.ADMIN)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entries_since(mark: int, **filters):
    return list(AuditEntry.objects.filter(pk__gt=mark, **filters).order_by("id"))


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2017-10-01",
        "date_joined_1": "10:00:00",
        "groups": [g.pk for g in user.groups.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_making_a_liaison_superuser_and_changing_groups_is_audited(root, liaison):
    mark = last_id()
    extra = Group.objects.create(name="督察办抄送")
    response = signed_in(root).post(
        f"/admin/auth/user/{liaison.pk}/change/",
        user_form(
            liaison,
            is_superuser="on",
            is_staff="on",
            groups=[*liaison.groups.values_list("pk", flat=True), extra.pk],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = entries_since(mark, action="change_user", object_id=str(liaison.pk))
    assert len(change) == 1 and change[0].actor == root
    assert (change[0].before["is_superuser"], change[0].after["is_superuser"]) == (False, True)
    assert "授予超级用户" in change[0].note
    groups = entries_since(mark, action="change_user_groups", object_id=str(liaison.pk))
    assert groups[-1].actor == root and groups[-1].after["groups"] == sorted(["联络员", "督察办抄送"])
    assert "操作记录链完好" in verify()


def test_a_password_set_in_the_admin_is_audited_without_the_hash(root, liaison):
    mark = last_id()
    old_hash = liaison.password
    response = signed_in(root).post(
        f"/admin/auth/user/{liaison.pk}/password/",
        {
            "password1": "a-new-long-password-2017",
            "password2": "a-new-long-password-2017",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    liaison.refresh_from_db()
    assert liaison.password != old_hash
    (entry,) = entries_since(mark, action="change_user", object_id=str(liaison.pk))
    assert entry.actor == root and entry.note == "修改了密码" and entry.after["password_changed"] is True
    stored = json.dumps([entry.before, entry.after])
    assert old_hash not in stored and liaison.password not in stored


def test_a_group_renamed_or_deleted_in_the_admin_is_audited(root, liaison):
    group = Group.objects.get(name="联络员")
    mark = last_id()
    client = signed_in(root)
    assert client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "联络员（市县）"}).status_code == 302
    (renamed,) = entries_since(mark, action="change_group")
    assert (renamed.actor, renamed.before["name"], renamed.after["name"]) == (
        root,
        "联络员",
        "联络员（市县）",
    )
    assert client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code == 302
    (deleted,) = entries_since(mark, action="delete_group")  # the members it had are in the entry
    assert (deleted.actor, deleted.before["members"]) == (root, ["alice"])


def test_an_account_made_by_add_user_is_in_the_chain(plan):
    mark = last_id()
    call_command(
        "add_user",
        "zhao",
        "--role",
        "liaison",
        "--unit",
        "晋中市",
        "--password",
        "a-long-password-2017",
        stdout=io.StringIO(),
    )
    user = get_user_model().objects.get(username="zhao")
    actions = [e.action for e in entries_since(mark)]
    assert actions[0] == "add_user" and "set_role" in actions and "change_user_groups" in actions
    added = entries_since(mark, action="add_user")[0]
    assert added.object_id == str(user.pk) and added.actor is None and added.after["username"] == "zhao"


def test_signing_in_writes_no_entry(liaison):
    mark = last_id()
    response = Client().post("/login/", {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 302 and "_auth_user_id" in response.client.session
    assert entries_since(mark) == []


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()
