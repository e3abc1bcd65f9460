"""No 500 for any input (issue 14): each finding of the hostile run, through HTTP as it was found,
answered with a 4xx in Chinese (JSON under /api/) and nothing changed."""

import io
import json

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from tasks.models import Assignment, Evidence, ProgressReport, SignOffRequest

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "请求中含有空字符（\\x00），已拒绝"


def row(number=17, unit="晋中市"):
    return Assignment.objects.get(task__number=number, unit__name=unit)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def published(office):
    from dispatch.bulletin import make_bulletin, publish_bulletin

    bulletin, _, _ = make_bulletin("2017-10")
    return publish_bulletin(bulletin, office)


# --- NUL anywhere: path, query, body ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/public/bulletins/%00/", "/public/bulletins/%00/xlsx/", "/public/bulletins/2017-10%00/"]
)
def test_a_nul_in_a_public_path_is_a_400_page_in_chinese(plan, published, url):
    response = Client().get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tasks/assignment/?status=%00",
        "/admin/tasks/assignment/?q=%00",
        "/admin/dispatch/notification/?kind=x%00y",
        "/admin/tasks/auditentry/?action__exact=%00",
        "/ledger/?q=%00",
        "/ledger/?city=%00",
        "/public/?q=%00",
    ],
)
def test_a_nul_in_a_query_is_a_400_in_chinese(office, url):
    response = signed_in(office).get(url)
    assert response.status_code == 400 and NUL_MESSAGE in response.content.decode()


def test_a_nul_in_an_api_path_is_json(api, office):
    """(The API's query parameters are refused by name: tests/test_api_input_guards.py.)"""
    for url in ("/api/bulletins/%00/", "/api/bulletins/%00/xlsx/", "/api/assignments/1%00/"):
        response = api(office).get(url)
        assert response.status_code == 400 and response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": NUL_MESSAGE}


def test_a_nul_in_a_body_is_refused_by_the_fields_check_and_nothing_is_written(api, liaison, evidence_pdf):
    """In a body the field's own check answers, naming the field (tests/test_api_input_guards.py);
    an uploaded file's name and content are no exception."""
    a = row()
    url = f"/api/assignments/{a.pk}/reports/"
    data = {"week": "2017-W40", "text": "推进", "percent": "10"}
    token = Client().post(
        "/api/auth/token/", {"username": "alice\x00", "password": "x"}, content_type="application/json"
    )
    assert token.status_code == 400 and "不能包含空字符" in token.json()["detail"]
    named = api(liaison).post(url, {**data, "evidence": [evidence_pdf("佐\x00证.pdf")]}, format="multipart")
    # Refused, or the parser already dropped the NUL from the name: never a 500, never a NUL stored.
    assert named.status_code in (201, 400)
    assert all("\x00" not in e.original_name for e in Evidence.objects.all())
    binary = api(liaison).post(
        url, {**data, "evidence": [evidence_pdf(content=b"%PDF-1.4 \x00\x00 binary")]}, format="multipart"
    )
    assert binary.status_code == 201


def test_a_nul_in_the_unlock_form_is_refused_in_chinese_and_nothing_is_unlocked(office):
    """``POST /security/unlock/`` with a NUL in the address was a 500 on PostgreSQL."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(username="alice", ip_address="10.0.0.1", failures_since_start=9)
    response = signed_in(office).post(
        "/security/unlock/", {"kind": "username", "value": "alice\x00"}, follow=True
    )
    assert response.status_code == 200 and "账户不能包含空字符（\\x00）" in response.content.decode()
    assert AccessAttempt.objects.filter(username="alice").exists()


# Views that hand a body field to the database unchecked, as a view some day might: the
# middleware's backstop answers the driver's refusal of the NUL (tests below, urls of this module).
def _unchecked_page(request):
    from django.http import HttpResponse

    from tasks.models import Unit

    return HttpResponse(str(Unit.objects.filter(name=request.POST.get("name", "")).exists()))


def _unchecked_api():
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from tasks.models import Unit

    class Unchecked(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def post(self, request):
            name = request.data.get("outer", {}).get("inner", "")
            return Response({"found": Unit.objects.filter(name=name).exists()})

    return Unchecked.as_view()


def _urlpatterns():
    from django.urls import include, path

    return [
        path("nul-probe/", _unchecked_page),
        path("api/nul-probe/", _unchecked_api()),
        path("", include("rectify.urls")),
    ]


urlpatterns = _urlpatterns()


@pytest.fixture
def postgres_only(vendor):
    if vendor != "postgresql":
        pytest.skip("SQLite stores a NUL; only PostgreSQL's driver refuses it")


@pytest.mark.urls("tests.test_no_500")
def test_a_nul_no_check_covers_in_a_form_is_a_400_page_not_a_500(plan, postgres_only):
    client = Client(raise_request_exception=False)
    response = client.post("/nul-probe/", {"name": "晋中\x00市"})
    assert response.status_code == 400
    assert "字段 name 含有空字符（\\x00），已拒绝" in response.content.decode()
    assert client.post("/nul-probe/", {"name": "晋中市"}).content == b"True"


@pytest.mark.urls("tests.test_no_500")
def test_a_nul_no_check_covers_deep_in_json_is_a_json_400_not_a_500(plan, postgres_only):
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/nul-probe/", {"outer": {"inner": "晋中\x00市"}, "ok": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "字段 outer.inner 含有空字符（\\x00），已拒绝"}
    fine = client.post("/api/nul-probe/", {"outer": {"inner": "晋中市"}}, content_type="application/json")
    assert fine.json() == {"found": True}


# --- nesting depth ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_to_the_token_endpoint_is_a_400(plan, depth):
    body = "[" * depth + "]" * depth
    response = Client().post("/api/auth/token/", body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"detail": "JSON 嵌套超过 32 层"}


def test_deeply_nested_measure_notes_are_a_400(api, liaison):
    notes = {}
    for _ in range(50):
        notes = {"1": notes}
    a = row()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W40", "text": "推进", "percent": 10, "measure_notes": notes},
        format="json",
    )
    assert response.status_code == 400 and "嵌套" in response.json()["detail"]
    assert not ProgressReport.objects.exists()


# --- the body-size limit, the same for JSON and forms -------------------------------------------


@pytest.mark.parametrize("format", ["json", "form"])
def test_a_body_over_the_limit_is_a_413_for_json_and_forms_alike(api, liaison, format):
    """A 30 MB JSON report was accepted; the 5 MB limit held for forms only."""
    a = row()
    data = {"week": "2017-W40", "text": "进" * (10 * 1024 * 1024), "percent": 10}
    client = Client()
    client.force_login(liaison)
    if format == "json":
        response = client.post(
            f"/api/assignments/{a.pk}/reports/", json.dumps(data), content_type="application/json"
        )
    else:
        response = client.post(
            f"/api/assignments/{a.pk}/reports/",
            "&".join(f"{k}={v}" for k, v in data.items()),
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 413 and response.json() == {"detail": "提交的内容超过 5 MB 上限"}
    assert not ProgressReport.objects.exists()


def test_a_page_form_over_the_limit_is_a_413_page(liaison):
    a = row()
    response = signed_in(liaison).post(
        f"/assignments/{a.pk}/report/",
        f"version={a.version}&week=2017-W40&percent=10&text=" + "x" * (6 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413 and "提交的内容超过 5 MB 上限" in response.content.decode()


def test_a_report_just_under_the_limit_is_accepted(api, liaison):
    a = row()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W40", "text": "推进" * 1000, "percent": 10},
        format="json",
    )
    assert response.status_code == 201


# --- file names over 255 bytes ---------------------------------------------------------------

LONG_NAME = "关于晋中市散煤治理工作推进情况的佐证材料" * 8 + ".pdf"  # 160 characters, 484 bytes


def assert_kept(evidence: Evidence):
    assert evidence.original_name == LONG_NAME
    stored = evidence.file.name.rsplit("/", 1)[-1]
    assert stored.endswith(".pdf") and len(stored.encode()) < 60
    assert evidence.file.storage.exists(evidence.file.name)


def test_a_long_file_name_on_an_api_report_is_kept_for_display(api, liaison, evidence_pdf):
    a = row()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "2017-W40", "text": "推进", "percent": "10", "evidence": [evidence_pdf(LONG_NAME)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert_kept(Evidence.objects.get())
    download = signed_in(liaison).get(f"/evidence/{Evidence.objects.get().pk}/")
    assert download.status_code == 200 and "filename*=utf-8''" in download["Content-Disposition"]


def test_a_long_file_name_on_an_api_signoff_is_kept_for_display(api, liaison, evidence_pdf):
    from tasks.services import ledger

    a = row()
    ledger.submit_report(a.pk, actor=liaison, week="2017-W40", text="推进", percent=100)
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/signoff/",
        {"summary": "到位", "evidence": [evidence_pdf(LONG_NAME)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert_kept(Evidence.objects.get(signoff=SignOffRequest.objects.get()))


def test_a_long_file_name_on_the_page_form_is_kept_for_display(liaison, evidence_pdf):
    a = row()
    response = signed_in(liaison).post(
        f"/assignments/{a.pk}/report/",
        {
            "version": a.version,
            "week": "2017-W40",
            "text": "推进",
            "percent": "10",
            "evidence": [evidence_pdf(LONG_NAME)],
        },
    )
    assert response.status_code == 302
    assert_kept(Evidence.objects.get())


def test_a_name_too_long_even_for_display_is_shortened_keeping_its_extension():
    from tasks.services.evidence import display_name

    name = display_name("长" * 300 + ".pdf")
    assert len(name) == 200 and name.endswith("…" + ".pdf")


# --- the admin's filters and date hierarchy ----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=99999",
        "created_at__year=9999",
        "created_at__year=9999&created_at__month=12",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        "created_at__year=0",
        "created_at__year=123456789012345678901234567890",
        "created_at__year=2017&created_at__month=13",
        "created_at__year=2017&created_at__month=2&created_at__day=30",
        "created_at__year=abc",
    ],
)
def test_an_out_of_range_date_hierarchy_is_no_500(office, query):
    response = signed_in(office).get(f"/admin/dispatch/notification/?{query}")
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")


# --- API errors are JSON -----------------------------------------------------------------------


def test_an_unknown_api_address_is_a_json_404(api, office):
    response = api(office).get("/api/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "接口不存在"}
    assert "<html" in Client().get("/no-such-page/").content.decode().lower()


def test_a_crash_in_the_api_is_a_json_500(api, office, monkeypatch):
    from tasks.api.root import ApiRootView

    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ApiRootView, "get", crash)
    client = api(office)
    client.raise_request_exception = False
    response = client.get("/api/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("服务器出错了")


# --- week strings: one parser, full-width digits normalised -------------------------------------


def test_a_week_in_full_width_digits_is_the_same_week_in_the_workbook(api, liaison):
    a = row()
    response = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/",
        {"week": "２０１７-Ｗ48", "text": "全角周次", "percent": 30},
        format="json",
    )
    assert response.status_code == 201
    assert ProgressReport.objects.get().week == "2017-W48"
    workbook = api(liaison).get("/api/reports/weekly.xlsx", {"week": "２０１７-W48"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content)))["整改台账"]
    assert any("全角周次" in str(cell) for r in sheet.iter_rows(values_only=True) for cell in r)


@pytest.mark.parametrize("week", ["٢٠١٧-W48", "2017-W4８x", "2017W48", "२०१७-W48"])
def test_a_week_in_other_digits_is_refused_everywhere(api, liaison, week):
    a = row()
    report = api(liaison).post(
        f"/api/assignments/{a.pk}/reports/", {"week": week, "text": "x", "percent": 1}, format="json"
    )
    assert report.status_code == 400 and "格式不正确" in report.json()["detail"]
    export = api(liaison).get("/api/reports/weekly.xlsx", {"week": week})
    assert export.status_code == 400
    page = signed_in(liaison).get("/ledger/weekly.xlsx", {"week": week})
    assert page.status_code == 400
    assert not ProgressReport.objects.exists()


def test_the_page_form_normalises_the_week_too(liaison):
    a = row()
    response = signed_in(liaison).post(
        f"/assignments/{a.pk}/report/",
        {"version": a.version, "week": "２０１７-w40", "text": "推进", "percent": "10"},
    )
    assert response.status_code == 302 and ProgressReport.objects.get().week == "2017-W40"


# --- a dropped database connection -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_is_replaced_before_the_next_request(settings):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL drops connections; SQLite has none to drop")
    from django.db import connections

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    connection.close_if_unusable_or_obsolete()  # what every request starts with (request_started)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection.info.backend_pid != pid


# --- A row id no primary key can hold ---------------------------------------------------------

BEYOND_ANY_ID = str(2**63)  # one past the largest 64-bit id (rectify/converters.py)


@pytest.mark.parametrize(
    "path",
    [
        "/api/public/tasks/{}/",  # found by the API fuzz test: a 500 on SQLite (a foreign-key lookup)
        "/public/tasks/{}/",
        "/tasks/{}/",
        "/assignments/{}/",
        "/signoffs/{}/",
        "/exports/{}/",
        "/api/evidence/{}/",
        "/api/assignments/{}/",
    ],
)
def test_an_id_beyond_any_row_is_not_found(office, path):
    response = signed_in(office).get(path.format(BEYOND_ANY_ID))
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert "application/json" in response["Content-Type"]


def test_the_largest_id_a_row_can_have_still_reaches_the_view(office):
    """At the limit the URL matches and the view answers that there is no such task."""
    response = signed_in(office).get(f"/api/public/tasks/{2**63 - 1}/")
    assert response.status_code == 404 and response.json()["detail"] == "该任务尚无公开信息"
