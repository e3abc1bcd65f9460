"""每周公开: the public reads only what the office published; liaisons' percentages never leak."""

import pytest

from reports import disclosure as disclosures
from reports.models import Disclosure, DisclosureItem, Frozen
from tasks.models import AuditEntry
from tasks.services import ledger
from tasks.services.errors import Forbidden, InvalidInput, InvalidTransition
from tests.helpers import client_for, row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.today(),
    pytest.mark.usefixtures("module_people"),
]  # 2017-12-01, in 2017-W48

SECRET = 73  # a percentage a liaison reports and the office never publishes


@pytest.fixture
def reported(liaison):
    a = row(17, "晋中市")
    ledger.submit_report(a.pk, actor=liaison, week="2017-W48", text="推进中", percent=SECRET)
    return a


def publish_week(office, week="2017-W48"):
    disclosure, _ = disclosures.open_draft(week, office)
    return disclosures.publish(disclosure, office)


def item_of(disclosure, number=17):
    return disclosure.items.get(task_number=number)


def test_nothing_is_public_until_the_office_publishes(reported, office, api):
    assert "省督察办尚未发布每周公开" in client_for().get("/public/").content.decode()
    nothing = {"disclosure": None, "count": 0, "next": None, "previous": None, "results": []}
    assert api().get("/api/public/disclosure/").json() == nothing
    disclosures.open_draft("2017-W48", office)  # a draft is not published
    assert "省督察办尚未发布每周公开" in client_for().get("/public/").content.decode()
    assert api().get("/api/public/disclosure/").json() == nothing
    assert client_for().get(f"/public/tasks/{reported.task_id}/").status_code == 404


def test_unpublished_percentages_never_reach_the_public_page_or_the_api(reported, office, api):
    disclosure = publish_week(office)
    pages = [f"/public/?page={n}" for n in (1, 2, 3)] + [f"/public/tasks/{reported.task_id}/"]
    for url in pages:
        body = client_for().get(url).content.decode()
        assert f"{SECRET}%" not in body, url
    assert "推进中" not in client_for().get("/public/").content.decode()  # nor the report's text
    answers = [api().get(f"/api/public/disclosure/?page={n}").json() for n in (1, 2)]
    answers.append(api().get(f"/api/public/tasks/{reported.task_id}/").json())
    items = [i for a in answers[:2] for i in a["results"]] + answers[2]
    assert len(items) > 20 and all(i["percent"] is None for i in items)
    assert all(set(u) == {"unit", "city", "status"} for i in items for u in i["units"])
    # the office publishes a percentage of its own: only then does one appear, as published
    correction = disclosures.correct(disclosure, office, "补充公开完成比例")
    disclosures.save_wording(
        correction, office, {item_of(correction).pk: {"wording": "正在推进", "percent": "60"}}
    )
    assert "完成 60%" not in client_for().get("/public/").content.decode()  # the correction is a draft
    disclosures.publish(correction, office)
    assert "完成 60%" in client_for().get("/public/?q=正在推进").content.decode()
    task = api().get(f"/api/public/tasks/{reported.task_id}/").json()
    assert [(h["version"], h["percent"]) for h in task] == [(2, 60)]


def test_the_office_reviews_the_wording_and_publishes_the_week(reported, office):
    client = client_for(office)
    response = client.post("/disclosures/open/", {"week": "2017-W48"})
    disclosure = Disclosure.objects.get(week="2017-W48")
    assert response.status_code == 302 and response["Location"] == f"/disclosures/{disclosure.pk}/"
    item = item_of(disclosure)
    assert item.units_total == item.task.assignments.count() and item.percent is None
    page = client.get(f"/disclosures/{disclosure.pk}/").content.decode()
    assert "截至 2017年12月1日" in page and item.wording in page
    response = client.post(
        f"/disclosures/{disclosure.pk}/",
        {f"wording-{item.pk}": "晋中市已完成关停取缔。", f"percent-{item.pk}": ""},
    )
    assert response.status_code == 302
    assert client.post(f"/disclosures/{disclosure.pk}/publish/").status_code == 302
    body = client_for().get("/public/").content.decode()
    assert "晋中市已完成关停取缔。" in body and "截至 2017年12月1日" in body
    actions = set(AuditEntry.objects.filter(model="reports.disclosure").values_list("action", flat=True))
    assert actions == {"open_disclosure", "publish_disclosure"}
    assert AuditEntry.objects.filter(action="edit_disclosure", model="reports.disclosureitem").count() == 1


def test_published_disclosures_are_frozen_and_corrected_by_a_new_version(reported, office):
    disclosure = publish_week(office)
    item = item_of(disclosure)
    item.wording = "改"
    with pytest.raises(Frozen):
        item.save()
    with pytest.raises(Frozen):
        disclosure.delete()
    with pytest.raises(InvalidTransition):
        disclosures.save_wording(disclosure, office, {item.pk: {"wording": "改"}})
    with pytest.raises(InvalidTransition):
        disclosures.open_draft("2017-W48", office)
    with pytest.raises(InvalidInput):
        disclosures.correct(disclosure, office, "")
    second = disclosures.correct(disclosure, office, "更正任务17的说明")
    with pytest.raises(InvalidTransition):  # one correction at a time
        disclosures.correct(disclosure, office, "再次更正")
    disclosures.save_wording(second, office, {item_of(second).pk: {"wording": "更正后的说明"}})
    assert "更正后的说明" not in client_for().get("/public/").content.decode()
    disclosures.publish(second, office)
    body = client_for().get("/public/").content.decode()
    assert "更正后的说明" in body and "第2版" in body and "更正说明：更正任务17的说明" in body
    history = client_for().get(f"/public/tasks/{reported.task_id}/").content.decode()
    assert "更正后的说明" in history and item.wording != "更正后的说明"


def test_only_the_office_opens_edits_and_publishes(reported, office, leader, liaison, unit_leader):
    for user in (leader, liaison, unit_leader):
        assert client_for(user).post("/disclosures/open/", {"week": "2017-W48"}).status_code == 403
        with pytest.raises(Forbidden):
            disclosures.open_draft("2017-W48", user)
    disclosure, _ = disclosures.open_draft("2017-W48", office)
    item = item_of(disclosure)
    assert client_for(leader).get(f"/disclosures/{disclosure.pk}/").status_code == 200  # leaders read
    assert client_for(liaison).get(f"/disclosures/{disclosure.pk}/").status_code == 403
    assert client_for(leader).post(f"/disclosures/{disclosure.pk}/publish/").status_code == 403
    post = client_for(leader).post(f"/disclosures/{disclosure.pk}/", {f"wording-{item.pk}": "x"})
    assert post.status_code == 403
    assert client_for().get("/disclosures/").status_code == 302  # to the login page
    assert Disclosure.objects.get().status == "draft" and item_of(disclosure).wording == item.wording


def test_bad_input_is_refused_in_chinese_and_changes_nothing(reported, office, api):
    client = client_for(office)
    for week in ("abc", "2017-W99", "2018-W10", "2017-W4８\x00", "٢٠١٧-W48"):
        response = client.post("/disclosures/open/", {"week": week})
        assert response.status_code == 400, week
    assert not Disclosure.objects.exists()
    disclosure, _ = disclosures.open_draft("２０１７－ｗ４８", office)  # full width, lower-case w
    assert disclosure.week == "2017-W48"
    item = item_of(disclosure)
    for percent in ("abc", "101", "²", "-1"):
        response = client.post(
            f"/disclosures/{disclosure.pk}/", {f"wording-{item.pk}": "新说明", f"percent-{item.pk}": percent}
        )
        assert response.status_code == 400 and "0–100 的整数" in response.content.decode(), percent
    other = DisclosureItem.objects.exclude(disclosure=disclosure).first()
    assert other is None
    assert client.post(f"/disclosures/{disclosure.pk}/", {"wording-x": "1"}).status_code == 400
    assert client.post(f"/disclosures/{disclosure.pk}/", {"wording-999999": "1"}).status_code == 400
    assert item_of(disclosure).wording == item.wording and item_of(disclosure).percent is None
    disclosures.publish(disclosure, office)
    for query in ("city=火星市", "category=x", "q=" + "煤" * 51):
        assert client_for().get(f"/public/?{query}").status_code == 400, query
        assert api().get(f"/api/public/disclosure/?{query}").status_code == 400, query
    assert client_for().get("/public/?page=abc").status_code == 200  # an unusable page is the first


def test_search_and_filters_by_city_and_category(reported, office, api):
    publish_week(office)
    everything = api().get("/api/public/disclosure/?page_size=200").json()
    total = everything["count"]
    assert everything["disclosure"]["as_of"] == "2017-12-01"
    by_city = api().get("/api/public/disclosure/?city=大同市&page_size=200").json()
    assert 0 < by_city["count"] < total
    assert all("大同市" in [u["city"] for u in i["units"]] for i in by_city["results"])
    county = [u for i in everything["results"] for u in i["units"] if u["unit"].endswith("县")]
    assert all(u["city"] for u in county)  # a county counts for its city
    category = api().get("/api/public/disclosure/?category=1&page_size=200").json()
    assert 0 < category["count"] < total and {i["category_number"] for i in category["results"]} == {1}
    problem = everything["results"][0]["problem"]
    found = client_for().get("/public/", {"q": problem[:8]}).content.decode()
    assert f"/public/tasks/{everything['results'][0]['task']}/" in found
    assert "共 0 项整改任务" in client_for().get("/public/?q=不存在的问题文字").content.decode()


def test_a_task_page_shows_its_published_history_week_by_week(reported, office):
    publish_week(office, "2017-W47")
    publish_week(office, "2017-W48")
    body = client_for().get(f"/public/tasks/{reported.task_id}/").content.decode()
    assert body.index("2017-W48") < body.index("2017-W47")
    assert "截至 2017年12月1日" in body and "2017年11月26日" in body  # W47's Sunday
    assert client_for().get("/public/tasks/999999/").status_code == 404


def test_the_public_bulletin_page_names_its_figures_date(office):
    from dispatch.bulletin import make_bulletin, publish_bulletin

    bulletin, _, _ = make_bulletin("2017-11")
    publish_bulletin(bulletin, office)
    body = client_for().get("/public/bulletins/2017-11/").content.decode()
    assert "截至 2017年11月30日" in body
