"""The office's own organisation is data: the province's name in the admin and the page footer,
the province and its cities for the plan readers."""

import pytest

from tasks.importer import parse_file
from tasks.models import Organisation
from tasks.plan_parser import PlanFormatError

pytestmark = pytest.mark.django_db

HEBEI = {
    "province": "河北省",
    "cities": ["石家庄市", "唐山市", "秦皇岛市"],
    "office_name": "省环保督察办",
    "site_title": "河北省中央环保督察反馈意见整改",
}


@pytest.fixture
def other_province(plan):
    org = Organisation.current()
    original = {k: getattr(org, k) for k in HEBEI}
    org = Organisation.objects.filter(pk=1).first() or Organisation(**Organisation.seed_values())
    for key, value in HEBEI.items():
        setattr(org, key, value)
    org.save()
    yield org
    for key, value in original.items():
        setattr(org, key, value)
    org.save()
    Organisation.current()


def test_it_is_seeded_for_shanxi_from_the_fixture(plan):
    org = Organisation.objects.get()
    assert (org.province, org.office_name) == ("山西省", "省督察办")
    assert org.cities[:2] == ["太原市", "大同市"] and len(org.cities) == 11


def test_the_footer_and_the_admin_title_come_from_the_data(client, office, make_user, other_province):
    client.force_login(office)
    page = client.get("/ledger/").content.decode()
    assert "<footer>河北省中央环保督察反馈意见整改 · 省环保督察办</footer>" in page
    assert "山西省贯彻落实" not in page
    admin_user = make_user("admin1", "admin")
    client.force_login(admin_user)
    assert "河北省中央环保督察反馈意见整改" in client.get("/admin/").content.decode()


def test_the_readers_take_the_province_and_its_cities_from_the_data(other_province):
    text = "\n".join(
        [
            "一、关于甲方面的问题",
            "（一）甲问题。",
            "整改目标：目标。",
            "整改措施：1.措施，2018 年底前完成。",
            "责任单位：各市市委、市政府，唐山市委、市政府",
            "整改时限：2018 年底前",
        ]
    )
    plan = parse_file(text.encode("gbk"), "hebei.txt")
    assert [(u.name, u.kind) for u in plan.tasks[0].responsible_units] == [
        ("石家庄市", "city"),
        ("唐山市", "city"),
        ("秦皇岛市", "city"),
    ]
    with pytest.raises(PlanFormatError, match="“邯郸市”不是河北省的市"):
        parse_file(text.replace("唐山市委", "邯郸市委").encode(), "hebei.txt")


def test_the_page_expired_page_drawn_without_a_request_shows_it_too(other_province):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "<footer>河北省中央环保督察反馈意见整改 · 省环保督察办</footer>" in response.content.decode()
