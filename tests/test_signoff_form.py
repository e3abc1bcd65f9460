"""The 销号单 as a form people sign (/signoffs/<id>/): the record of the two checks, signature and seal
lines, the audit code with the site's verification page (/verify/), links from the assignment page and
the queue, and a fixed number of queries."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Assignment, AuditEntry, Evidence, SignOffRequest
from tasks.services import ledger
from tests.helpers import client_for, row
from tests.test_admin_signoff import requested, unit_checked

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def signed_off(liaison, unit_leader, office, number=17, unit="晋中市"):
    signoff = unit_checked(liaison, unit_leader, number, unit)
    ledger.approve(signoff.assignment_id, actor=office, opinion="同意销号")
    return SignOffRequest.objects.get(pk=signoff.pk)


def url(signoff):
    return f"/signoffs/{signoff.pk}/"


def test_the_form_holds_the_record_and_the_lines_to_sign(liaison, unit_leader, office):
    signoff = signed_off(liaison, unit_leader, office)
    page = client_for(office).get(url(signoff))
    body = page.content.decode()

    assert page.status_code == 200 and "整改任务销号单" in body
    assert "晋中市" in body and "任务17" in body and "整改已完成" in body and "验收-17.pdf" in body
    assert "同意提请销号" in body and "同意销号" in body  # both checks' opinions, with who and when
    assert body.count("（签字）") == 2 and body.count("（盖章）") == 2 and body.count("日期：") == 2
    assert "单位负责人（签字）" in body and "省督察办意见" in body
    final = AuditEntry.objects.filter(model="tasks.signoffrequest", object_id=str(signoff.pk)).latest("id")
    code = f"{final.pk}-{final.hash[:10]}"
    assert code in body and f'href="/verify/?code={code}"' in body
    assert "manage.py" not in body and "verify_audit" not in body  # no shell command on paper
    assert 'href="/static/web/sheet.css"' in body and "style=" not in body and "<style" not in body


def test_the_print_stylesheet_is_a4_and_hides_the_tools():
    css = Path(finders.find("web/sheet.css")).read_text(encoding="utf-8")
    assert "@page { size: A4" in css
    printed = css[css.index("@media print") :]
    assert ".noprint { display: none" in printed


def test_the_unit_may_print_its_own_form_and_nobody_else_sees_it(
    liaison, unit_leader, office, leader, outsider, outsider_leader
):
    signoff = signed_off(liaison, unit_leader, office)
    for user in (liaison, unit_leader, office, leader):
        assert client_for(user).get(url(signoff)).status_code == 200
    for user in (outsider, outsider_leader):
        assert client_for(user).get(url(signoff)).status_code == 404
    assert client_for().get(url(signoff))["Location"].startswith("/login/")


def test_there_is_no_form_before_both_checks(liaison, unit_leader, office):
    signoff = requested(liaison, 17)
    page = client_for(office).get(url(signoff))
    assert page.status_code == 404 and "两道审核完成后才有销号单" in page.content.decode()
    assert client_for(office).get("/signoffs/999999/").status_code == 404


def test_the_assignment_page_and_the_queue_link_the_form(liaison, unit_leader, office):
    signoff = signed_off(liaison, unit_leader, office)
    link = f'href="{url(signoff)}"'
    assert link in client_for(liaison).get(f"/assignments/{signoff.assignment_id}/").content.decode()
    for user in (unit_leader, office):
        assert link in client_for(user).get("/queue/").content.decode()


def test_the_verification_page_checks_a_printed_code_for_anyone(liaison, unit_leader, office, outsider):
    signoff = signed_off(liaison, unit_leader, office)
    final = AuditEntry.objects.filter(model="tasks.signoffrequest", object_id=str(signoff.pk)).latest("id")
    code = f"{final.pk}-{final.hash[:10]}"
    for user in (None, outsider, office):
        page = client_for(user).get("/verify/", {"code": code})
        assert page.status_code == 200 and "核验通过" in page.content.decode()
        assert "整改任务销号单（任务17 · 晋中市）" in page.content.decode()  # task 17 is public

    wrong = client_for().get("/verify/", {"code": f"{final.pk}-0000000000"})
    assert wrong.status_code == 404 and "摘要与校验码不符" in wrong.content.decode()
    bad = client_for().get("/verify/", {"code": "not-a-code"})
    assert bad.status_code == 400 and "格式不对" in bad.content.decode()
    long = client_for().get("/verify/", {"code": "1-" + "a" * 60})
    assert long.status_code == 400 and "校验码过长" in long.content.decode()
    blank = client_for().get("/verify/")
    assert blank.status_code == 200 and "核验未通过" not in blank.content.decode()


def test_a_task_kept_out_of_disclosure_is_not_named_to_the_public(liaison, unit_leader, office, outsider):
    signoff = signed_off(liaison, unit_leader, office)
    row(17).task.__class__.objects.filter(number=17).update(is_public=False)
    final = AuditEntry.objects.filter(model="tasks.signoffrequest", object_id=str(signoff.pk)).latest("id")
    code = f"{final.pk}-{final.hash[:10]}"
    public = client_for().get("/verify/", {"code": code}).content.decode()
    assert "核验通过" in public and "任务17" not in public
    assert "任务17 · 晋中市" in client_for(office).get("/verify/", {"code": code}).content.decode()


def _count(user, path):
    with CaptureQueriesContext(connection) as context:
        response = client_for(user).get(path)
    assert response.status_code == 200
    return len(context)


def test_the_form_runs_a_fixed_number_of_queries(liaison, unit_leader, office):
    few = signed_off(liaison, unit_leader, office, 17)
    other = Assignment.objects.filter(unit__name="晋中市").exclude(task__number=17).first().task.number
    many = unit_checked(liaison, unit_leader, other)
    a = row(other)
    for n in range(5):  # more evidence on the second request
        Evidence.objects.create(
            assignment=a,
            signoff=many,
            file=SimpleUploadedFile(f"附件{n}.pdf", b"%PDF-1.4 x"),
            original_name=f"附件{n}.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=liaison,
        )
    ledger.approve(a.pk, actor=office, opinion="同意")
    assert _count(office, url(few)) == _count(office, url(many))
