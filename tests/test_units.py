"""单位登记 (issue 11, item 5): the office registers units and their place before a plan names them;
a plan naming a registered unit imports, one naming an unregistered city is refused."""

import pytest

from tasks.choices import UnitKind
from tasks.models import AuditEntry, Unit
from tasks.services import units
from tasks.services.errors import Forbidden, InvalidInput
from tests.helpers import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_people")]


def test_the_office_registers_a_county_under_its_city_and_it_is_audited(office):
    taiyuan = Unit.objects.get(name="太原市")
    county = units.add_unit(actor=office, name="太原市小店区", kind=UnitKind.COUNTY, parent=taiyuan)
    assert (county.parent, list(taiyuan.children.all())) == (taiyuan, [county])
    entry = AuditEntry.objects.get(action="add_unit")
    assert entry.after == {"id": county.pk, "name": "太原市小店区", "kind": "county", "parent": taiyuan.pk}


@pytest.mark.parametrize(
    ("name", "kind", "parent", "message"),
    [
        ("太原市小店区", UnitKind.COUNTY, None, "须填写所属的市"),
        ("某县", UnitKind.COUNTY, "省发改委", "上级单位应为地市"),
        ("省新厅", UnitKind.DEPARTMENT, "太原市", "直属本省"),
        ("晋中市", UnitKind.CITY, None, "已登记"),
        ("", UnitKind.DEPARTMENT, None, "单位名称"),
        ("省\x00厅", UnitKind.DEPARTMENT, None, "空字符"),
    ],
)
def test_a_unit_out_of_place_or_twice_is_refused_and_nothing_is_written(office, name, kind, parent, message):
    count = Unit.objects.count()
    parent_unit = Unit.objects.get(name=parent) if parent else None
    with pytest.raises(InvalidInput, match=message):
        units.add_unit(actor=office, name=name, kind=kind, parent=parent_unit)
    assert Unit.objects.count() == count and not AuditEntry.objects.filter(action="add_unit").exists()


def test_only_the_office_registers_units(liaison, leader):
    for user in (liaison, leader):
        with pytest.raises(Forbidden):
            units.add_unit(actor=user, name="省新厅", kind=UnitKind.DEPARTMENT)


def test_the_units_page_registers_a_unit_and_refuses_in_chinese(office, liaison):
    client = client_for(office)
    page = client.get("/units/")
    assert page.status_code == 200 and "晋中市" in page.content.decode()
    jinzhong = Unit.objects.get(name="晋中市")
    answer = client.post(
        "/units/", {"name": "晋中市榆次区", "kind": "county", "parent": jinzhong.pk}, follow=True
    )
    assert "已登记：晋中市榆次区" in answer.content.decode()
    assert Unit.objects.get(name="晋中市榆次区").parent == jinzhong
    bad = client.post("/units/", {"name": "晋中市太谷区", "kind": "county", "parent": ""})
    assert bad.status_code == 400 and "须填写所属的市" in bad.content.decode()
    assert not Unit.objects.filter(name="晋中市太谷区").exists()
    assert client_for(liaison).get("/units/").status_code == 403


def test_the_units_page_runs_a_fixed_number_of_queries(office, queries):
    client = client_for(office)
    client.get("/units/")  # session and organisation read once
    with queries(6):  # session, user, membership, the units with their parents and counts, …
        client.get("/units/")
    for i in range(20):
        Unit.objects.create(name=f"测试单位{i}", kind=UnitKind.ENTERPRISE)
    with queries(6):  # session, user, membership, the units with their parents and counts, …
        client.get("/units/")


def test_a_plan_naming_a_registered_unit_imports_and_keeps_the_kind_the_office_gave(office):
    from tasks.importer import import_parsed, parse_file
    from tests.plan_files import make_xlsx

    units.add_unit(actor=office, name="省数据局", kind=UnitKind.DEPARTMENT)
    units.add_unit(actor=office, name="晋能控股集团", kind=UnitKind.ENTERPRISE)
    rows = [
        (
            1,
            "数据治理问题",
            "数据共享不足",
            "实现共享",
            "1.建立目录（2018年6月底前）",
            "省数据局",
            "",
            "",
            "2018年6月底前",
            "",
        ),
        (
            2,
            "数据治理问题",
            "企业排放数据未联网",
            "全部联网",
            "1.安装监测设备",
            "晋能控股集团",
            "",
            "",
            "2018年12月底前",
            "",
        ),
    ]
    data = make_xlsx(rows, title="测试方案（单位登记）")
    import_parsed(parse_file(data, "plan.xlsx", year=2018), source_file="plan.xlsx")
    assert Unit.objects.get(name="省数据局").kind == UnitKind.DEPARTMENT
    assert Unit.objects.get(name="晋能控股集团").assignments.count() == 1


def test_the_units_form_carries_a_one_time_key_and_refuses_a_second_post(office):
    import re

    client = client_for(office)
    key = re.search(r'name="form_key" value="([^"]+)"', client.get("/units/").content.decode())[1]
    data = {"name": "省数据局", "kind": "department", "parent": "", "form_key": key}
    assert client.post("/units/", data).status_code == 302
    again = client.post("/units/", {**data, "name": "省大数据中心"})
    assert again.status_code == 409 and "请勿重复提交" in again.content.decode()
    assert not Unit.objects.filter(name="省大数据中心").exists()
