"""Brute force: the lockout on every sign-in path, the throttle on the token endpoint, the office's unlock,
and the password rules wherever a password is set."""

from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from tasks.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

LOCKED = "登录失败次数过多"


def login_page(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def token(client, username, password, address="10.0.0.1"):
    return client.post(
        "/api/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def admin_login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return 5


def test_the_login_page_locks_an_account_after_the_limit_and_refuses_the_right_password(liaison, limit):
    client = Client()
    for _ in range(limit - 1):
        assert login_page(client, "alice", "wrong-password").status_code == 200  # the form again, no lockout
    locked = login_page(client, "alice", "wrong-password")

    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    right = login_page(client, "alice", PASSWORD)
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("desk")).status_code == 302  # still signed out


def test_the_token_endpoint_locks_with_a_json_429_in_chinese(liaison, limit):
    client = Client()
    for _ in range(limit - 1):
        assert token(client, "alice", "wrong-password").status_code == 400
    locked = token(client, "alice", "wrong-password")
    right = token(client, "alice", PASSWORD)

    for response in (locked, right):
        assert response.status_code == 429
        assert response["Content-Type"] == "application/json"
        assert LOCKED in response.json()["detail"]
        assert int(response["Retry-After"]) > 0
    assert "token" not in right.json()


def test_the_admin_login_locks_too(office, limit):
    client = Client()
    for _ in range(limit):
        admin_login(client, "olga", "wrong-password")
    response = admin_login(client, "olga", PASSWORD)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_failures_on_one_path_count_on_the_others(liaison, limit):
    client = Client()
    for _ in range(limit):
        token(client, "alice", "wrong-password")

    assert login_page(client, "alice", PASSWORD).status_code == 429


def test_an_account_is_locked_whatever_address_the_guesses_come_from(liaison, limit):
    client = Client()
    for n in range(limit):
        login_page(client, "alice", "wrong-password", address=f"10.0.1.{n}")

    assert login_page(client, "alice", PASSWORD, address="10.0.2.1").status_code == 429


def test_an_address_is_locked_whatever_accounts_it_tries(liaison, outsider, limit):
    client = Client()
    for n in range(limit):
        login_page(client, f"guess{n}", "wrong-password", address="10.0.3.1")

    assert login_page(client, "charlie", PASSWORD, address="10.0.3.1").status_code == 429
    assert (
        login_page(client, "charlie", PASSWORD, address="10.0.3.2").status_code == 302
    )  # signed in elsewhere


def test_a_success_before_the_limit_forgets_the_failures(liaison, limit):
    client = Client()
    for _ in range(limit - 1):
        login_page(client, "alice", "wrong-password")
    assert login_page(client, "alice", PASSWORD).status_code == 302
    Client().post(reverse("logout"))

    for _ in range(limit - 1):
        assert login_page(Client(), "alice", "wrong-password").status_code == 200


def test_the_limit_is_a_setting(liaison, settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    login_page(client, "alice", "wrong-password")
    login_page(client, "alice", "wrong-password")

    assert login_page(client, "alice", PASSWORD).status_code == 429


def test_the_token_endpoint_is_throttled_per_address(liaison, settings, monkeypatch):
    settings.AXES_FAILURE_LIMIT = 1000  # the throttle alone
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    client = Client()
    answers = [token(client, "alice", "wrong-password").status_code for _ in range(3)]
    throttled = token(client, "alice", PASSWORD)

    assert answers == [400, 400, 400]
    assert throttled.status_code == 429
    assert throttled.json()["detail"] == "请求过于频繁，请稍后再试"
    assert token(client, "alice", PASSWORD, address="10.9.9.9").status_code == 200


def locked_out(limit, username="alice"):
    client = Client()
    for _ in range(limit):
        login_page(client, username, "wrong-password")


def test_the_office_sees_the_locked_account_and_unlocks_it(liaison, office, limit):
    locked_out(limit)
    staff = Client()
    staff.force_login(office)

    page = staff.get(reverse("security"))
    assert page.status_code == 200
    assert "alice" in page.content.decode()
    done = staff.post(reverse("security-unlock"), {"kind": "username", "value": "alice"}, follow=True)

    assert "已解除账户“alice”的登录锁定" in done.content.decode()
    assert not AccessAttempt.objects.filter(username="alice").exists()
    entry = AuditEntry.objects.filter(action="unlock_login").get()
    assert (entry.actor, entry.before["value"], entry.before["failures"]) == (office, "alice", limit)
    assert login_page(Client(), "alice", PASSWORD, address="10.0.4.1").status_code == 302


def test_the_office_unlocks_an_address(liaison, office, limit):
    for n in range(limit):
        login_page(Client(), f"guess{n}", "wrong-password", address="10.0.5.1")
    staff = Client()
    staff.force_login(office)
    staff.post(reverse("security-unlock"), {"kind": "ip_address", "value": "10.0.5.1"})

    assert login_page(Client(), "alice", PASSWORD, address="10.0.5.1").status_code == 302


@pytest.mark.parametrize("who", ["liaison", "unit_leader", "leader"])
def test_only_the_office_sees_and_lifts_lockouts(request, outsider, limit, who):
    locked_out(limit, "charlie")
    client = Client()
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("security")).status_code == 403
    assert (
        client.post(reverse("security-unlock"), {"kind": "username", "value": "charlie"}).status_code == 403
    )
    assert AccessAttempt.objects.filter(username="charlie").exists()
    assert not AuditEntry.objects.filter(action="unlock_login").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "username", "value": "nobody"}, "账户“nobody”没有失败的登录记录，无需解锁"),
        ({"kind": "role", "value": "alice"}, "请选择解锁账户或地址"),
    ],
)
def test_unlocking_what_is_not_locked_says_so(office, data, message):
    client = Client()
    client.force_login(office)
    response = client.post(reverse("security-unlock"), data, follow=True)

    assert message in response.content.decode()
    assert not AuditEntry.objects.filter(action="unlock_login").exists()


def test_axes_reset_unlocks_from_the_command_line(liaison, limit):
    locked_out(limit)
    call_command("axes_reset_username", "alice", stdout=StringIO())

    assert login_page(Client(), "alice", PASSWORD).status_code == 302


def test_add_user_refuses_a_weak_password_in_chinese_and_makes_nothing(plan):
    with pytest.raises(CommandError) as refused:
        call_command("add_user", "li", "--role", "office", "--password", "123", stdout=StringIO())

    assert "密码不符合要求" in str(refused.value)
    assert "密码太短，至少需要 10 个字符" in str(refused.value)
    assert "密码只包含数字" in str(refused.value)
    assert not get_user_model().objects.filter(username="li").exists()


def test_add_user_refuses_a_password_like_the_user_name(plan):
    with pytest.raises(CommandError, match="密码跟 用户名 太相似了"):
        call_command("add_user", "jinzhong-liaison", "--role", "office", "--password", "jinzhong-liaison1")


def test_add_user_keeps_the_old_password_when_the_new_one_is_refused(office):
    with pytest.raises(CommandError):
        call_command("add_user", "olga", "--role", "office", "--password", "password", stdout=StringIO())

    office.refresh_from_db()
    assert office.check_password(PASSWORD)


def test_the_password_change_page_refuses_a_weak_password_in_chinese(liaison):
    client = Client()
    client.force_login(liaison)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )

    assert response.status_code == 200
    assert "密码太短，至少需要 10 个字符" in response.content.decode()
    liaison.refresh_from_db()
    assert liaison.check_password(PASSWORD)
