"""The lists' FilterSets, shared by the API and the pages: the same parameters give the same rows,
and a value the API refuses the page refuses too (400, in Chinese, nothing listed)."""

import datetime

import pytest
from django.utils import timezone

from accountability import services as accountability
from dispatch.models import Notification
from tasks.models import Assignment, Unit
from tests.helpers import client_for, row

pytestmark = [pytest.mark.django_db, pytest.mark.today(), pytest.mark.usefixtures("module_people")]


def note(user, period, *, read=False):
    return Notification.objects.create(
        user=user,
        kind="weekly_dispatch",
        job="weekly_dispatch",
        period=period,
        subject=f"{period} 周调度",
        body="正文",
        read_at=timezone.now() if read else None,
    )


def page_ids(user, query):
    response = client_for(user).get(f"/ledger/?{query}")
    assert response.status_code == 200, query
    return list(response.context["page"].paginator.object_list)  # the ids, sorted by the database


def api_ids(api, user, query):
    body = api(user).get(f"/api/assignments/?page_size=200&{query}").json()
    assert body["count"] <= 200, query
    return [r["id"] for r in body["results"]]


@pytest.mark.parametrize(
    "query",
    [
        "task=3",
        "q=晋中市&level=red",
        "category=2&overdue=false",
        "sort=-due&category=2",
        "deadline_kind=phased",
    ],
)
def test_the_ledger_page_and_the_api_list_the_same_rows_in_the_same_order(api, office, query):
    ids = page_ids(office, query)
    assert ids and ids == api_ids(api, office, query)


def test_the_api_searches_and_sorts_like_the_page(api, office):
    by_urgency = api(office).get("/api/assignments/?q=晋中市&sort=urgency&page_size=200").json()["results"]
    levels = [r["level"] for r in by_urgency]
    assert levels == sorted(levels, key=["red", "yellow", "green"].index)
    assert {r["unit"]["name"] for r in by_urgency} >= {"晋中市"}


@pytest.mark.parametrize(
    "query, says",
    [
        ("overdue=maybe", "参数 overdue 只能是 true 或 false，收到“maybe”"),
        ("task=abc", "参数 task（任务序号）应为整数，收到“abc”"),
        ("unit=火星市", "单位“火星市”不存在"),
        ("sort=sideways", "参数 sort（排序）：选择一个有效的选项"),
    ],
)
def test_the_ledger_page_refuses_what_the_api_refuses(api, office, query, says):
    response = client_for(office).get(f"/ledger/?{query}")
    assert response.status_code == 400
    assert says in response.content.decode()
    assert response.context["page"].paginator.count == 0
    refused = api(office).get(f"/api/assignments/?{query}")
    assert refused.status_code == 400 and says in refused.json()["detail"]


def test_a_liaison_is_offered_no_unit_and_sees_only_their_own_rows(liaison):
    other = Unit.objects.get(name="临汾市")
    response = client_for(liaison).get(f"/ledger/?unit={other.pk}")
    assert response.status_code == 200 and "unit" not in response.context["form"].fields
    mine = Assignment.objects.filter(unit__name="晋中市").count()
    assert response.context["page"].paginator.count == mine


def test_the_ledger_page_offers_the_categories_and_the_units_with_assignments(office):
    form = client_for(office).get("/ledger/").context["form"]
    assert [value for value, _ in form.fields["category"].widget.choices] == ["", 1, 2, 3, 4]
    offered = {label for _, label in form.fields["unit"].widget.choices}
    assert "晋中市" in offered and offered <= {"全部", *Unit.objects.values_list("name", flat=True)}


def test_a_bad_inbox_filter_is_refused_on_the_page_in_chinese(liaison):
    note(liaison, "2017-W48")
    client = client_for(liaison)
    assert [n.subject for n in client.get("/inbox/?unread=true").context["page"]] == ["2017-W48 周调度"]
    assert list(client.get("/inbox/?unread=false").context["page"]) == []
    response = client.get("/inbox/?unread=maybe")
    assert response.status_code == 400
    assert "参数 unread 只能是 true 或 false，收到“maybe”" in response.content.decode()
    assert list(response.context["page"]) == []


def test_the_supervision_list_filters_active_and_lifted_listings(api, office):
    active = accountability.list_assignment(
        row(3), actor=office, reason="滞后", deadline=datetime.date(2017, 12, 30)
    )
    lifted = accountability.list_assignment(
        row(17), actor=office, reason="滞后", deadline=datetime.date(2017, 12, 30)
    )
    accountability.lift_listing(lifted.pk, actor=office, note="已整改到位")

    def ids(query):
        response = api(office).get(f"/api/supervisions/?{query}")
        assert response.status_code == 200, query
        return {item["id"] for item in response.json()["results"]}

    assert ids("active=true") == {active.pk}
    assert ids("active=false") == {lifted.pk}
    assert ids("") == {active.pk, lifted.pk}
    refused = api(office).get("/api/supervisions/?active=maybe")
    assert refused.status_code == 400 and "参数 active 只能是 true 或 false" in refused.json()["detail"]


def test_notifications_read_and_unread_through_the_api(api, liaison):
    note(liaison, "2017-W47", read=True)
    read = api(liaison).get("/api/notifications/?unread=0").json()["results"]
    assert [n["subject"] for n in read] == ["2017-W47 周调度"]
    assert api(liaison).get("/api/notifications/?unread=1").json()["count"] == 0


@pytest.mark.parametrize("value", [None, "", "2", 3, "a&b"])
def test_the_quick_select_writes_what_the_select_template_writes(value):
    """``QuickSelect`` renders in Python what Django's select templates render (escaping, attributes,
    the selected option, option groups), so the ledger's filter bar is the same page."""
    from django import forms
    from django.utils.translation import gettext_lazy

    from tasks.filtersets import QuickSelect

    choices = [
        ("", "全部"),
        (2, "太原市"),
        (3, '<晋中市> & "阳泉"'),
        ("a&b", gettext_lazy("Yes")),
        ("组", [(7, "七"), (8, "八")]),
    ]
    attrs = {"id": "id_unit", "class": "wide", "required": True, "disabled": False, "data-x": 5}
    for choice_list in (choices, choices[:4]):
        slow = forms.Select(choices=choice_list, attrs=attrs).render("unit", value)
        quick = QuickSelect(choices=choice_list, attrs=attrs).render("unit", value)
        assert quick == slow


@pytest.mark.parametrize(
    ("level", "reason"),
    [
        ("", ""),
        ("red", "已 3 周未报送"),
        ("green", ""),
        ("signed_off", "已销号"),
        ("yellow", '<b>"x"</b> & y'),
    ],
)
def test_the_badges_write_what_their_templates_wrote(level, reason):
    """``status_badge`` and ``level_badge`` are written in Python (one per row of a list page): the
    same markup as the inclusion templates they replace."""
    from django.template import Context, Template

    from tasks.choices import LEVEL_TITLES, Level, Status
    from web.templatetags.web import level_badge, status_badge

    level_template = Template(
        '{% if level %}<span class="level level-{{ level }}"{% if reason %} title="{{ reason }}"{% endif %}>'
        '<span class="dot" aria-hidden="true"></span>{{ label }}{% if reason and reason != label %}'
        '<span class="visually-hidden">：{{ reason }}</span>{% endif %}</span>{% endif %}\n'
    )
    label = LEVEL_TITLES[Level(level)] if level else ""
    expected = level_template.render(Context({"level": level, "label": label, "reason": reason}))
    assert level_badge(level, reason) == expected
    status_template = Template('<span class="status status-{{ status }}">{{ label }}</span>\n')
    for status in Status:
        expected = status_template.render(Context({"status": status, "label": status.label}))
        assert status_badge(status) == expected
        assert status_badge(status.value) == expected
