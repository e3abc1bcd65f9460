"""API tokens that expire and are revoked (issue 14, item 5): only a hash stored, a lifetime, revoked on a
password change, a role change and signing out, listed and revoked by their owner and the office."""

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tasks.choices import Role
from tasks.models import AuditEntry, Unit
from tasks.services.accounts import set_role
from tests.conftest import PASSWORD
from tests.helpers import client_for, on, run_python

pytestmark = pytest.mark.django_db


def obtain(username="alice", password=PASSWORD) -> str:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def calling(key: str, url="/api/tasks/", method="get"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return getattr(client, method)(url)


def revocations(**filters):
    return list(AuditEntry.objects.filter(action="revoke_token", **filters).order_by("id"))


# --- stored as a hash, shown once ------------------------------------------------------------


def test_the_key_is_shown_once_and_only_its_hash_is_stored(liaison):
    response = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    body = response.json()
    key = body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == body["prefix"] == key[:8] and len(key) >= 32
    stored = {f.attname: str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields}
    assert not any(key in value for value in stored.values())
    listed = calling(key, "/api/auth/tokens/").json()["results"]
    assert key not in str(listed) and token.key_hash not in str(listed)
    issued = AuditEntry.objects.get(action="issue_token", object_id=str(token.pk))
    assert (
        issued.actor == liaison and key not in str(issued.after) and token.key_hash not in str(issued.after)
    )


def test_each_sign_in_gives_a_new_token_and_both_work(liaison):
    first, second = obtain(), obtain()
    assert first != second
    assert calling(first).status_code == calling(second).status_code == 200


def test_an_unknown_token_and_an_anonymous_caller_get_a_401_with_www_authenticate(plan):
    assert calling("x" * 40).status_code == 401
    assert calling("x" * 40).json()["detail"] == "令牌无效"
    anonymous = APIClient().get("/api/tasks/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == "Token"


# --- expiry --------------------------------------------------------------------------------


def test_a_token_expires_after_its_lifetime(liaison, settings):
    settings.API_TOKEN_LIFETIME_HOURS = 2
    with on("2026-03-02", 9):
        key = obtain()
    with on("2026-03-02", 10):
        assert calling(key).status_code == 200
        assert ApiToken.objects.get().last_used_at is not None
    with on("2026-03-02", 11):
        refused = calling(key)
        assert refused.status_code == 401 and refused.json()["detail"] == "令牌已过期，请重新获取"
        assert refused["WWW-Authenticate"] == "Token"
        assert calling(obtain()).status_code == 200  # signing in again gives a fresh one


def test_the_lifetime_comes_from_the_environment():
    env = {"DEBUG": "true", "API_TOKEN_LIFETIME_HOURS": "36", "PATH": "/usr/bin:/bin"}
    code = "import rectify.settings as s; print(s.API_TOKEN_LIFETIME_HOURS)"
    out = run_python("-c", code, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "36", out.stderr
    env["API_TOKEN_LIFETIME_HOURS"] = "0"
    refused = run_python("-c", code, env=env)
    assert refused.returncode != 0 and "API_TOKEN_LIFETIME_HOURS must be at least 1" in refused.stderr


# --- revoked on a password change, a role change, signing out -----------------------------------


def test_changing_the_password_on_the_page_revokes_every_token(liaison):
    keys = [obtain(), obtain()]
    client = client_for(liaison)
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-password-2017",
            "new_password2": "a-new-long-password-2017",
        },
    )
    assert response.status_code == 302
    for key in keys:
        refused = calling(key)
        assert refused.status_code == 401 and refused.json()["detail"] == "令牌已撤销（修改密码），请重新获取"
    entries = revocations()
    assert len(entries) == 2 and {e.actor for e in entries} == {liaison} and entries[0].note == "修改密码"
    assert calling(obtain(password="a-new-long-password-2017")).status_code == 200


def test_a_password_set_in_the_admin_or_by_add_user_revokes_the_tokens(liaison, make_user):
    root = make_user("root", Role.ADMIN)
    key = obtain()
    response = client_for(root).post(
        f"/admin/auth/user/{liaison.pk}/password/",
        {
            "password1": "a-new-long-password-2017",
            "password2": "a-new-long-password-2017",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    assert calling(key).status_code == 401
    assert revocations()[-1].actor == root
    key = obtain(password="a-new-long-password-2017")
    call_command(
        "add_user",
        "alice",
        "--role",
        "liaison",
        "--unit",
        "晋中市",
        "--password",
        "another-long-password-9",
        stdout=io.StringIO(),
    )
    assert calling(key).status_code == 401
    assert revocations()[-1].actor is None  # a command: nobody signed in


def test_a_role_or_unit_change_revokes_the_tokens(liaison):
    key = obtain()
    set_role(liaison, role=Role.LIAISON, unit=Unit.objects.get(name="晋中市"))  # unchanged: still valid
    assert calling(key).status_code == 200
    set_role(liaison, role=Role.LIAISON, unit=Unit.objects.get(name="临汾市"))
    refused = calling(key)
    assert refused.status_code == 401 and "角色或权限变更" in refused.json()["detail"]
    key = obtain()
    set_role(get_user_model().objects.get(pk=liaison.pk), role=Role.OFFICE, unit=None)
    assert calling(key).status_code == 401


def test_the_admin_granting_superuser_or_deactivating_revokes_the_tokens(liaison):
    key = obtain()
    liaison.is_superuser = True
    liaison.save()
    assert calling(key).status_code == 401
    key = obtain()
    liaison.is_active = False
    liaison.save()
    assert "账户停用" in revocations()[-1].note


def test_signing_out_of_the_site_revokes_every_token(liaison):
    keys = [obtain(), obtain()]
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert client.post("/logout/").status_code == 302
    assert [calling(key).status_code for key in keys] == [401, 401]
    assert [e.note for e in revocations()] == ["退出登录", "退出登录"]


def test_api_logout_revokes_the_calling_token_only(liaison):
    kept, leaving = obtain(), obtain()
    response = calling(leaving, "/api/auth/logout/", "post")
    assert response.status_code == 200 and response.json()["detail"] == "已退出，本令牌已撤销"
    assert calling(leaving).status_code == 401
    assert calling(kept).status_code == 200
    (entry,) = revocations()
    assert entry.actor == liaison and entry.note == "退出登录"
    assert calling(leaving, "/api/auth/logout/", "post").status_code == 401


# --- listing and revoking ----------------------------------------------------------------------


def test_a_liaison_lists_only_their_own_tokens_and_the_office_all(liaison, outsider, office):
    mine, theirs = obtain("alice"), obtain("charlie")
    listed = calling(mine, "/api/auth/tokens/").json()
    assert [t["username"] for t in listed["results"]] == ["alice"]
    assert listed["results"][0]["state"] == "active" and listed["results"][0]["state_label"] == "有效"
    assert calling(mine, "/api/auth/tokens/?user=charlie").json()["count"] == 0
    everyone = calling(obtain("olga"), "/api/auth/tokens/").json()
    assert {t["username"] for t in everyone["results"]} == {"alice", "charlie", "olga"}
    only = calling(obtain("olga"), "/api/auth/tokens/?user=charlie").json()
    assert [t["username"] for t in only["results"]] == ["charlie"]
    assert calling(theirs).status_code == 200


def test_a_liaison_cannot_revoke_anothers_token(liaison, outsider):
    mine, theirs = obtain("alice"), obtain("charlie")
    their_id = ApiToken.objects.get(user=outsider).pk
    refused = calling(mine, f"/api/auth/tokens/{their_id}/revoke/", "post")
    assert refused.status_code == 404 and refused.json()["detail"] == "令牌不存在或无权查看"
    assert calling(theirs).status_code == 200 and revocations() == []
    assert calling(mine, "/api/auth/tokens/abc/revoke/", "post").status_code == 404


def test_the_owner_and_the_office_revoke_a_token_audited(liaison, office):
    key, other = obtain("alice"), obtain("alice")
    own_id = ApiToken.objects.filter(user=liaison).order_by("id").last().pk
    response = calling(key, f"/api/auth/tokens/{own_id}/revoke/", "post")
    assert response.status_code == 200 and response.json()["revoked_reason_label"] == "手动撤销"
    assert calling(other).status_code == 401
    again = calling(key, f"/api/auth/tokens/{own_id}/revoke/", "post")
    assert again.status_code == 400 and again.json()["detail"] == "该令牌已撤销"
    target = ApiToken.objects.filter(user=liaison, revoked_at=None).get()
    assert calling(obtain("olga"), f"/api/auth/tokens/{target.pk}/revoke/", "post").status_code == 200
    assert calling(key).status_code == 401
    assert [e.actor for e in revocations()] == [liaison, office]
    assert revocations()[-1].before["prefix"] == target.prefix


@pytest.mark.parametrize("count", [2, 8])
def test_the_list_takes_a_fixed_number_of_queries(api, liaison, office, count, queries):
    for _ in range(count):
        obtain("alice")
    client = api(office)
    with queries(2):  # the count and the page (users joined)
        response = client.get("/api/auth/tokens/")
    assert response.json()["count"] == count


# --- the page 账户安全 and the admin -----------------------------------------------------------


def test_the_account_security_page_lists_own_tokens_with_a_revoke_button(liaison, outsider):
    key = obtain("alice")
    obtain("charlie")
    own = ApiToken.objects.get(user=liaison)
    theirs = ApiToken.objects.get(user=outsider)
    page = client_for(liaison).get("/account/security/")
    html = page.content.decode()
    assert page.status_code == 200 and "账户安全" in html
    assert own.prefix in html and theirs.prefix not in html and key not in html
    assert f"/account/security/tokens/{own.pk}/revoke/" in html
    client = client_for(liaison)
    refused = client.post(f"/account/security/tokens/{theirs.pk}/revoke/", follow=True)
    assert "令牌不存在或无权查看" in refused.content.decode()
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    done = client.post(f"/account/security/tokens/{own.pk}/revoke/", follow=True)
    assert f"已撤销令牌 {own.prefix}" in done.content.decode()
    assert calling(key).status_code == 401
    assert client_for().get("/account/security/").status_code == 302  # sign in first


def test_the_admin_shows_a_token_by_prefix_never_its_key_or_hash(office, liaison):
    key = obtain("alice")
    token = ApiToken.objects.get(user=liaison)
    client = client_for(office)
    listing = client.get("/admin/accounts/apitoken/")
    change = client.get(f"/admin/accounts/apitoken/{token.pk}/change/")
    assert listing.status_code == change.status_code == 200
    for response in (listing, change):
        html = response.content.decode()
        assert token.prefix in html and key not in html and token.key_hash not in html
    assert b'name="prefix"' not in change.content  # read-only: no input to edit
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client_for(liaison).get("/admin/accounts/apitoken/").status_code == 302  # not staff


def test_the_migration_carries_drf_tokens_over_hashed_and_empties_their_table(liaison):
    """DRF's plaintext tokens (``authtoken_token``, left in place) become expiring ApiTokens."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0001_api_tokens")
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer, created timestamp with time zone)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, liaison.pk, "2017-10-01T10:00:00+08:00"]
        )
    # The migration reads and writes through the editor's connection only; SQLite's schema editor cannot
    # open inside the test's transaction, so the test hands it the connection as the editor would.
    migration.carry_over_drf_tokens(apps, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get()
    assert token.user == liaison and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8] and token.state == "active"
    assert calling(key).status_code == 200  # the program keeps working until the lifetime ends


@pytest.mark.parametrize("count", [2, 6])
def test_the_account_security_page_takes_a_fixed_number_of_queries(liaison, count):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(count):
        obtain("alice")
    client = client_for(liaison)
    client.get("/account/security/")  # the organisation is read once per process
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/account/security/")
    assert response.content.decode().count("撤销</button>") == count
    assert len(captured) == 5, [q["sql"] for q in captured]  # session, user, role, unread count, tokens
