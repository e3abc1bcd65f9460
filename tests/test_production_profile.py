"""The production profile (issue 14, item 7): `check --deploy` silent with deploy/production.env, every
security setting from the environment, CSP without 'unsafe-inline' and no inline code in any template,
Permissions-Policy and Referrer-Policy, `no-store` on private answers, the schema behind a sign-in."""

import re
import secrets
import subprocess

import pytest

from rectify.serve import read_env_file
from tasks.services import ledger
from tests.helpers import ROOT, client_for, row, run_python

PROFILE = ROOT / "deploy" / "production.env"


def secrets_env(tmp_path) -> dict[str, str]:
    """What the profile leaves to the environment: the secrets and the host."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "RECTIFY_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "zhenggai.example.gov.cn",
        "CSRF_TRUSTED_ORIGINS": "https://zhenggai.example.gov.cn",
        "DJANGO_SETTINGS_MODULE": "rectify.settings",
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env, timeout=120)


@pytest.mark.cost(1.5)  # a new process runs `manage.py check --deploy`
def test_check_deploy_prints_no_warning_with_the_production_profile(tmp_path):
    result = check_deploy({**secrets_env(tmp_path), **read_env_file(PROFILE)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output and "?: (" not in output


@pytest.mark.cost(1.5)  # a new process runs `manage.py check --deploy`
def test_without_the_profile_check_deploy_warns(tmp_path):
    """The same keys with DEBUG=false alone: the warnings the profile clears are all there."""
    result = check_deploy({**secrets_env(tmp_path), "DEBUG": "false"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, warning


def test_every_security_setting_is_read_from_the_environment(tmp_path):
    code = (
        "import rectify.settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_REFERRER_POLICY, s.PERMISSIONS_POLICY, sep='|')"
    )
    env = {
        **secrets_env(tmp_path),
        "DEBUG": "false",
        "SECURE_HSTS_SECONDS": "600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "false",
        "SECURE_SSL_REDIRECT": "true",
        "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "SECURE_REFERRER_POLICY": "no-referrer",
        "PERMISSIONS_POLICY": "camera=()",
    }
    out = run_python("-c", code, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split("|") == [
        "600",
        "True",
        "False",
        "True",
        "True",
        "False",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "no-referrer",
        "camera=()",
    ]
    env["SECURE_PROXY_SSL_HEADER"] = "HTTP_X_FORWARDED_PROTO"
    refused = run_python("-c", code, env=env)
    assert refused.returncode != 0 and "SECURE_PROXY_SSL_HEADER must be two items" in refused.stderr


# --- Content-Security-Policy: no inline code anywhere ------------------------------------------


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"""\sstyle\s*=\s*["'{]""", re.I), "a style attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an on… event attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
]


def test_no_template_or_form_holds_inline_script_or_style():
    """CSP forbids them ('unsafe-inline' is not allowed): they belong in static/web/."""
    found = []
    sources = [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("web").rglob("*.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            text = " ".join(re.findall(r"attrs=\{[^}]*\}", text)).replace('"style":', ' style="')
        for pattern, what in INLINE:
            found += [f"{path.relative_to(ROOT)}: {what}" for _ in pattern.finditer(text)]
    assert found == []


def test_pages_carry_the_csp_and_the_other_security_headers(plan, liaison):
    for client, url in [
        (client_for(), "/public/"),
        (client_for(liaison), "/desk/"),
        (client_for(), "/login/"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'"):
            assert directive in csp, (url, directive)
        assert "frame-ancestors 'none'" in csp
        assert (
            "camera=()" in response["Permissions-Policy"]
            and "microphone=()" in response["Permissions-Policy"]
        )
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"


# --- Cache-Control: no-store on private answers ---------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response.get("Cache-Control", "")


def test_private_answers_are_no_store_and_public_pages_cacheable(plan, liaison, office, api, evidence_pdf):
    a = row()
    ledger.submit_report(
        a.pk, actor=liaison, week="2017-W40", text="推进", percent=10, files=[evidence_pdf()]
    )
    evidence = a.reports.get().evidence.get()
    signed_in = client_for(liaison)
    private = {
        "desk": signed_in.get("/desk/"),
        "ledger": signed_in.get("/ledger/"),
        "public page seen signed in": signed_in.get("/public/"),
        "evidence": signed_in.get(f"/evidence/{evidence.pk}/"),
        "workbook": signed_in.get("/ledger/weekly.xlsx?week=2017-W40"),
        "api": api(liaison).get("/api/tasks/"),
        "api anonymous": api().get("/api/tasks/"),
        "admin": client_for(office).get("/admin/"),
    }
    for name, response in private.items():
        assert response.status_code in (200, 401), name
        assert no_store(response), name
    public = client_for().get("/public/")
    assert public.status_code == 200 and "no-store" not in public.get("Cache-Control", "")


# --- the schema and its docs ----------------------------------------------------------------------


def test_the_schema_and_api_docs_need_a_sign_in_without_debug(plan, liaison, settings):
    assert settings.DEBUG is False
    for url in ("/api/schema/", "/api/docs/", "/api/docs/?script="):
        anonymous = client_for().get(url)
        assert anonymous.status_code == 401, url
        assert client_for(liaison).get(url).status_code == 200, url
    docs = client_for(liaison).get("/api/docs/").content.decode()
    assert "<style" not in docs and re.search(r"<script(?![^>]*\bsrc=)[^>]*>", docs) is None
