"""The words a Shanxi official reads: weeks, statuses, messages, the units' order, task numbers and names."""

import datetime

import pytest

from tasks.choices import Status
from tasks.models import Assignment, Task, Unit
from tasks.models.plan import PLACEHOLDER_UNITS, task_number, unit_sort_key
from tasks.services import ledger
from tasks.services.errors import StaleVersion
from tasks.weeks import week_title
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]

CITIES = [
    "太原市",
    "大同市",
    "朔州市",
    "忻州市",
    "吕梁市",
    "晋中市",
    "阳泉市",
    "长治市",
    "晋城市",
    "临汾市",
    "运城市",
]


def test_a_reporting_week_is_named_by_its_number_and_its_days():
    assert week_title("2017-W48") == "第48周（11月27日—12月3日）"
    assert week_title("2018-W01") == "第1周（1月1日—1月7日）"
    assert week_title("not a week") == "not a week"


@pytest.mark.today(datetime.date(2017, 12, 1))
def test_the_pages_name_weeks_in_words_and_keep_iso_codes_in_urls(plan, liaison):
    ledger.submit_report(row(3, "晋中市").pk, actor=liaison, week="2017-W47", text="推进", percent=50)
    page = client_for(liaison).get("/desk/").content.decode()

    assert "本周（第48周（11月27日—12月3日））" in page
    assert "第47周（11月20日—11月26日）" in page  # 最近报送
    assert 'value="2017-W48"' in page  # the workbook's week field keeps the ISO code


def test_statuses_read_as_the_office_writes_them(plan):
    assert Status.IN_PROGRESS.label == "整改中"
    assert Status.REOPENED.label == "问题反弹、重新整改"


def test_a_stale_write_says_so_without_version_numbers(plan, liaison):
    a = row(3, "晋中市")
    with pytest.raises(StaleVersion) as refused:
        ledger.submit_report(a.pk, actor=liaison, week="2017-W47", text="x", percent=5, expected_version=99)
    assert refused.value.message == "该事项已被他人更新，请刷新后重试"
    assert "版本" not in refused.value.message


def test_units_come_in_the_provinces_standard_order_everywhere(plan, office, api):
    units = list(Unit.objects.in_standard_order())
    cities = [u.name for u in units if u.kind == "city"]
    kinds = [u.kind for u in units]

    assert cities == CITIES
    assert kinds == sorted(kinds, key=["city", "department", "enterprise", "other"].index)
    assert [u["name"] for u in api(office).get("/api/units/").json()["results"]][:11] == CITIES
    rows = client_for(office).get("/ledger/?task=1").context["page"].object_list
    names = [a.unit.name for a in rows]
    assert names == sorted(names, key=lambda n: unit_sort_key(n, Unit.objects.get(name=n).kind))
    assert names[:3] == ["太原市", "大同市", "朔州市"]


def test_placeholder_units_are_kept_out_of_the_pickers(plan, office):
    assert Assignment.objects.filter(unit__name="省直部门").exists()  # rows may name them
    form = client_for(office).get("/ledger/").context["form"]
    picked = {label for _value, label in form.fields["unit"].widget.choices}
    supervision = client_for(office).get("/supervision/").content.decode()

    assert not picked & set(PLACEHOLDER_UNITS) and "太原市" in picked
    assert not any(f">{name}<" in supervision for name in PLACEHOLDER_UNITS)
    assert not Unit.objects.pickable().filter(name__in=PLACEHOLDER_UNITS).exists()


@pytest.mark.parametrize("written", ["29", "任务29", "任务 29", "第29项", "２９"])
def test_a_task_number_is_read_as_people_write_it(plan, office, api, written):
    assert task_number(written) == 29
    body = api(office).get("/api/assignments/", {"task": written}).json()
    assert body["count"] == Assignment.objects.filter(task__number=29).count() > 0
    page = client_for(office).get("/ledger/", {"q": written}).context["page"]
    assert {a.task.number for a in page.object_list} >= {29}


def test_a_name_is_found_with_or_without_the_plans_padding_space(plan):
    spaced = set(Task.objects.search("王 成").values_list("number", flat=True))
    plain = set(Task.objects.search("王成").values_list("number", flat=True))

    assert spaced and plain == spaced
