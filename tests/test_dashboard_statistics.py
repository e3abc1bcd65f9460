"""The dashboard's statistics: tiles that link to the rows they count, the per-unit table, the ranking
trend from the monthly bulletins, and the province view (one tile per city)."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch import urging
from dispatch.models import Bulletin
from tasks.choices import UnitKind
from tasks.models import Assignment, Task, Unit
from tasks.services import ledger
from tests.helpers import client_for, on, people

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.today(),
    pytest.mark.usefixtures("module_people"),
]  # 2017-12-01

CITIES = [
    "太原市",
    "大同市",
    "朔州市",
    "忻州市",
    "阳泉市",
    "晋中市",
    "吕梁市",
    "长治市",
    "晋城市",
    "临汾市",
    "运城市",
]


def pdf():
    return SimpleUploadedFile("佐证.pdf", b"%PDF-1.4 x", content_type="application/pdf")


@pytest.fixture(scope="module")
def activity(module_db, module_people, django_db_blocker):
    """Sign-offs, a late report, an overdue row, a reopened row and an urge in 晋中市. Built once for
    the module (``module_db``): each test reads or changes it in its own savepoint."""
    with django_db_blocker.unblock():
        return _activity(*people("alice", "bob", "olga"))


def _activity(liaison, unit_leader, office):
    rows = list(Assignment.objects.filter(unit__name="晋中市").order_by("task__number"))
    with on("2017-11-20"):
        for a in rows[:3]:
            ledger.submit_report(
                a.pk, actor=liaison, week="2017-W47", text="完成", percent=100, files=[pdf()]
            )
            ledger.request_signoff(a.pk, actor=liaison, summary="完成", files=[pdf()])
            ledger.approve(a.pk, actor=unit_leader)
    with on("2017-11-23"):
        for a in rows[:3]:
            ledger.approve(a.pk, actor=office)
        ledger.submit_report(rows[3].pk, actor=liaison, week="2017-W44", text="补报", percent=20)
    Assignment.objects.filter(pk=rows[4].pk).update(due_date=datetime.date(2017, 11, 1))  # overdue
    Assignment.objects.filter(pk=rows[5].pk).update(status="reopened", due_date=datetime.date(2018, 6, 30))
    urging.urge([rows[6].pk], actor=office, message="请加快整改")
    return rows


def ledger_count(client, link: str) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    return response.context["page"].paginator.count


def tile_links(body: str):
    """(link, number) of every figure tile that links to the ledger."""
    return [
        (href.replace("&amp;", "&"), int(n))
        for href, n in re.findall(
            r'<a href="(/ledger/[^"]*)" class="k-link"><span class="n">(\d+)</span>', body
        )
    ]


def test_each_tile_counts_the_rows_its_link_shows(activity, office, leader):
    for user in (office, leader):
        client = client_for(user)
        tiles = tile_links(client.get("/dashboard/").content.decode())
        assert len(tiles) == 8  # total, four buckets, three warning levels
        for link, n in tiles:
            assert ledger_count(client, link) == n, link
        counted = dict(tiles)
        assert counted["/ledger/"] == Assignment.objects.count()
        assert counted["/ledger/?bucket=signed_off"] == 3
        assert counted["/ledger/?bucket=overdue"] >= 1 and counted["/ledger/?bucket=reopened"] == 1
        buckets = ("signed_off", "on_track", "overdue", "reopened")
        assert sum(counted[f"/ledger/?bucket={b}"] for b in buckets) == counted["/ledger/"]


def test_the_tiles_keep_the_plan_on_screen(activity, office):
    plan = Task.objects.first().plan
    body = client_for(office).get(f"/dashboard/?plan={plan.pk}").content.decode()
    links = [link for link, _ in tile_links(body)]
    assert all(link.startswith(f"/ledger/?plan={plan.pk}") for link in links), links


def test_the_ledger_refuses_a_bucket_or_city_it_does_not_know(office):
    client = client_for(office)
    for query in ("bucket=maybe", "city=火星市", "city=99999"):
        response = client.get(f"/ledger/?{query}")
        assert response.status_code == 400, query
        assert response.context["page"].paginator.count == 0


def test_the_unit_table_counts_reports_late_and_missed_urges_and_time_to_sign_off(activity, office):
    response = client_for(office).get("/dashboard/")
    units = {u["name"]: u for u in response.context["units"]}
    mine = units["晋中市"]
    assert (mine["reports"], mine["late"], mine["rate"]) == (4, 1, 0.75)
    assert mine["urges"] == 1 and mine["signed_off"] == 3
    assert mine["signoff_days"] == 3.0  # requested on 11-20 10:00, approved on 11-23 10:00
    # every open row: none has last week's (W47) report; rows[3]'s report is for W44
    assert mine["missed"] == mine["total"] - 3
    assert units["临汾市"]["rate"] is None and units["临汾市"]["signoff_days"] is None
    body = response.content.decode()
    assert "平均销号用时（天）" in body and "上周未报送" in body and "按期报送率" in body


def test_the_ranking_trend_reads_the_published_bulletins(office):
    def publish(month, ranks):
        by_unit = [{"unit": unit, "rank": rank} for unit, rank in ranks.items()]
        Bulletin.objects.create(month=month, status="published", data={"by_unit": by_unit}, html="")

    publish("2017-10", {"晋中市": 3, "临汾市": 1})
    publish("2017-11", {"晋中市": 1, "临汾市": 2})
    Bulletin.objects.create(
        month="2017-12", status="draft", data={"by_unit": [{"unit": "晋中市", "rank": 9}]}
    )
    trend = client_for(office).get("/dashboard/").context["trend"]
    assert trend["months"] == ["2017-10", "2017-11"]
    rows = {r["unit"]: r for r in trend["rows"]}
    assert rows["晋中市"]["ranks"] == [3, 1] and rows["晋中市"]["move"] == 2
    assert rows["临汾市"]["move"] == -1
    body = client_for(office).get("/dashboard/").content.decode()
    assert "↑2" in body and "↓1" in body


def test_the_province_view_has_a_tile_per_city_linking_to_its_rows(activity, office):
    jinzhong = Unit.objects.get(name="晋中市")
    county = Unit.objects.create(name="左权县", kind=UnitKind.COUNTY, parent=jinzhong)
    Assignment.objects.create(task=Task.objects.order_by("number").first(), unit=county)
    client = client_for(office)
    response = client.get("/dashboard/")
    tiles = {t["name"]: t for t in response.context["cities"]}
    assert sorted(tiles) == sorted(CITIES)
    assert tiles["晋中市"]["total"] == Assignment.objects.filter(unit__in=[jinzhong, county]).count()
    assert tiles["晋中市"]["state"] == "red"  # an overdue row
    body = response.content.decode()
    assert 'class="cartogram"' in body and "style=" not in body
    for name, tile in tiles.items():
        link = f"/ledger/?city={tile['unit_id']}"
        assert link in body, name
        assert ledger_count(client, link) == tile["total"], name
    assert tiles["大同市"]["cell"] == "r1c3" and tiles["运城市"]["cell"] == "r6c1"  # north at the top


def test_the_unit_table_reads_each_rows_report_counters_which_match_its_reports(activity, liaison, office):
    """The per-unit 报送 and 迟报 are sums of the rows' counters (``Assignment.report_count``) kept by
    the services: they match the reports themselves after a late report and a voided one."""
    from django.db.models import Count, Q

    from tasks.models import ProgressReport
    from tasks.services.reporting import reporting_by_unit

    rows = activity
    with on("2017-11-28"):
        wrong = ledger.submit_report(rows[7].pk, actor=liaison, week="2017-W48", text="填错了", percent=5)
        ledger.submit_report(rows[8].pk, actor=liaison, week="2017-W45", text="补报", percent=10)  # 迟报
        ledger.void_report(wrong.pk, actor=office, reason="填错")
    counted = (
        ProgressReport.objects.filter(voided_at=None)
        .values("assignment_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(late=True)))
        .order_by()
    )
    expected = {r["assignment_id"]: (r["n"], r["late"]) for r in counted}
    for a in Assignment.objects.all():
        assert (a.report_count, a.late_report_count) == expected.get(a.pk, (0, 0)), a
    units = {u["unit_id"]: u for u in client_for(office).get("/dashboard/").context["units"]}
    from_reports = reporting_by_unit(Assignment.objects.all())
    assert from_reports[rows[0].unit_id]["reports"] == 5 and from_reports[rows[0].unit_id]["late"] == 2
    for unit_id, u in units.items():
        figures = from_reports.get(unit_id, {"reports": 0, "late": 0, "rate": None})
        assert (u["reports"], u["late"], u["rate"]) == (figures["reports"], figures["late"], figures["rate"])


# The rows as the templates wrote them before ``web/templatetags/dashboard_rows.py`` took them over.
BUCKET_ROWS = """{% for row in rows %}
      <tr>
        <th scope="row"><a href="{% url 'ledger' %}?{{ row.query }}">{{ row.name }}</a></th>
        <td class="num">{{ row.total }}</td><td class="num">{{ row.signed_off }}</td><td class="num">{{ row.on_track }}</td>
        <td class="num">{{ row.overdue }}</td><td class="num">{{ row.reopened }}</td>
        <td class="hide-narrow">{% include "web/_buckets.html" %}</td>
      </tr>
    {% endfor %}"""
UNIT_ROWS = """{% for u in units %}
      <tr><th scope="row"><a href="{% url 'ledger' %}?{{ scope }}unit={{ u.unit_id }}">{{ u.name }}</a></th><td class="num">{{ u.total }}</td><td class="num">{{ u.signed_off }}</td><td class="num">{% if u.overdue %}<a href="{% url 'ledger' %}?{{ scope }}unit={{ u.unit_id }}&amp;bucket=overdue">{{ u.overdue }}</a>{% else %}0{% endif %}</td><td class="num">{{ u.reports }}</td><td class="num">{{ u.late }}</td><td class="num">{% if u.rate is None %}—{% else %}{% widthratio u.rate 1 100 %}%{% endif %}</td><td class="num">{{ u.missed }}</td><td class="num">{{ u.urges }}</td><td class="num">{{ u.signoff_days|default_if_none:"—" }}</td></tr>
    {% endfor %}"""

URGE_ROWS = """{% for u in urges %}<tr><th scope="row">{{ u.unit }}</th><td class="num">{{ u.open }}</td><td class="num">{{ u.total }}</td></tr>{% endfor %}"""
ACK_ROWS = """{% for u in acknowledgements %}<tr><th scope="row">{{ u.unit }}</th><td class="num">{{ u.open }}</td><td class="num">{% if u.overdue %}<span class="ack-overdue">{{ u.overdue }}</span>{% else %}0{% endif %}</td><td class="num">{{ u.done }}</td><td class="num">{{ u.mean_hours|default_if_none:"—" }}</td></tr>{% endfor %}"""
MISSING_CHIPS = """{% for row in missing %}<li><a href="{% url 'ledger' %}?unit={{ row.unit_id }}">{{ row.unit__name }}</a>（{{ row.missing }}）</li>{% endfor %}"""


def test_the_unit_rows_written_in_python_are_the_templates_rows(activity, liaison, office):
    """The per-unit tables' rows and the units without this week's report (``dashboard_rows``) are the
    markup the templates wrote, for every row of the page: rates, a mean sign-off time, overdue links,
    names to escape and a plan's scope."""
    from django.template import Context, Template
    from django.utils import timezone

    from dispatch import handovers
    from dispatch.models import Handover
    from web.templatetags.dashboard_rows import (
        acknowledgement_rows,
        bucket_rows,
        missing_chips,
        unit_rows,
        urge_rows,
    )

    plan = Task.objects.first().plan
    handed = list(activity[7:9]) + list(Assignment.objects.filter(unit__name="临汾市")[:2])
    with on(
        "2017-11-20", 9
    ):  # handed on 11-20 to two units: one acknowledged after 2 hours, the rest overdue
        Handover.objects.filter(assignment__in=handed).update(handed_at=timezone.now())
    with on("2017-11-20", 11):
        handovers.acknowledge(Handover.objects.get(assignment=activity[7]).pk, actor=liaison)
    Unit.objects.filter(name="临汾市").update(name="临汾市<&>")  # escaped as the template escaped it
    for query in ("", f"?plan={plan.pk}"):
        context = client_for(office).get(f"/dashboard/{query}").context
        scope = context["scope"]
        rows = context["by_category"] + context["by_unit"]
        units = context["units"]
        assert any(u["rate"] not in (None, 1) for u in units) and any(u["signoff_days"] for u in units)
        assert any(u["overdue"] for u in units) and "临汾市&lt;&amp;&gt;" in str(bucket_rows(rows))
        expected = Template(BUCKET_ROWS).render(Context({"rows": rows}))
        assert str(bucket_rows(rows)) == expected
        expected = Template(UNIT_ROWS).render(Context({"units": units, "scope": scope}))
        assert str(unit_rows(units, scope)) == expected
        missing = context["missing"]
        assert any(row["unit__name"] == "临汾市<&>" for row in missing)
        assert str(missing_chips(missing)) == Template(MISSING_CHIPS).render(Context({"missing": missing}))
        urges, acknowledgements = context["urges"], context["acknowledgements"]
        assert urges and str(urge_rows(urges)) == Template(URGE_ROWS).render(Context({"urges": urges}))
        assert {"晋中市", "临汾市<&>"} <= {u["unit"] for u in acknowledgements}
        assert any(u["overdue"] for u in acknowledgements) and any(u["mean_hours"] for u in acknowledgements)
        expected = Template(ACK_ROWS).render(Context({"acknowledgements": acknowledgements}))
        assert str(acknowledgement_rows(acknowledgements)) == expected


def test_the_migration_counts_each_rows_reports_once(activity, liaison, office):
    """``tasks/0019_assignment_report_counts`` fills the counters from the reports (voided ones left out)."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    rows = activity
    with on("2017-11-28"):
        wrong = ledger.submit_report(rows[7].pk, actor=liaison, week="2017-W48", text="填错了", percent=5)
        ledger.void_report(wrong.pk, actor=office, reason="填错")
    kept = {a.pk: (a.report_count, a.late_report_count) for a in Assignment.objects.all()}
    assert kept[rows[3].pk] == (1, 1) and kept[rows[0].pk] == (1, 0) and kept[rows[7].pk] == (0, 0)
    Assignment.objects.update(report_count=0, late_report_count=0)
    migration = importlib.import_module("tasks.migrations.0019_assignment_report_counts")
    migration.count_reports(apps, SimpleNamespace(connection=connection))  # as in test_api_tokens
    assert {a.pk: (a.report_count, a.late_report_count) for a in Assignment.objects.all()} == kept


def expected_figures(day):
    """The dashboard's figures counted here, row by row: each row's bucket (``bucket_on``), warning
    level (``with_level`` with the milestone's subquery per row, not the page's constants per task),
    city (its unit's parent, or the unit), missing reports and report counters."""
    from collections import Counter

    from tasks.choices import Status
    from tasks.models.levels import bucket_on
    from tasks.weeks import week_start

    monday = week_start(day)
    figures = {key: Counter() for key in ("total", "bucket", "unit", "missing", "level", "city", "category")}
    for a in Assignment.objects.with_level(day).select_related("unit__parent", "task__category"):
        bucket = bucket_on(day, status=a.status, effective_due=a.extended_due_date or a.due_date)
        unit, city = a.unit.name, a.unit.parent.name if a.unit.parent else a.unit.name
        category = (a.task.plan_id, a.task.category.number)
        figures["total"]["total"] += 1
        figures["bucket"][bucket] += 1
        figures["unit"].update({(unit, "total"): 1, (unit, bucket): 1})
        figures["unit"].update({(unit, "reports"): a.report_count, (unit, "late"): a.late_report_count})
        figures["category"].update({(category, "total"): 1, (category, bucket): 1})
        last = a.last_report_week_start
        if a.status != Status.SIGNED_OFF and (last is None or last < monday):
            figures["missing"][unit] += 1
            if last is None or last < monday - datetime.timedelta(days=7):
                figures["unit"][(unit, "missed")] += 1
        figures["level"][a.level] += 1
        figures["city"].update({(city, "total"): 1, (city, a.level): 1})
    return figures


def test_the_figures_match_counts_made_row_by_row_at_two_sizes(activity, office, leader):
    """Every figure of the page (headline, levels, 按问题类别, 按责任单位, the unit table, 本周未报送 and
    the province view) against ``expected_figures``, on the whole plan and on a ledger cut down to two
    cities (one with a county under it), for the office and a leader, and for one plan."""
    from tasks.weeks import today, week_start

    jinzhong = Unit.objects.get(name="晋中市")
    county = Unit.objects.create(name="左权县", kind=UnitKind.COUNTY, parent=jinzhong)
    Assignment.objects.create(task=Task.objects.order_by("number").first(), unit=county)
    # 临汾市's rows at every level, each level with rows missing a report: the unit's figures are sums
    monday = week_start(today())
    linfen = list(
        Assignment.objects.filter(unit__name="临汾市").order_by("task__number").values_list("pk", flat=True)
    )
    weeks = {
        monday - datetime.timedelta(days=14): linfen[:3],
        monday: linfen[3:5],
    }  # last week missed; reported
    for week, pks in weeks.items():
        Assignment.objects.filter(pk__in=pks).update(last_report_week_start=week, percent=100, report_count=2)
    Assignment.objects.filter(pk=linfen[5]).update(status="signed_off", late_report_count=1, report_count=3)
    buckets = ("signed_off", "on_track", "overdue", "reopened")
    table = ("total", "signed_off", "overdue", "missed", "reports", "late")
    plan = Task.objects.first().plan

    def figures(rows, name, keys):
        return {(name(row), key): row[key] for row in rows for key in keys}

    def check(rows):
        want = expected_figures(today())
        assert want["total"]["total"] == rows
        assert {level for (city, level) in want["city"] if city == "临汾市"} >= {
            "red",
            "yellow",
            "signed_off",
        }
        for user, query in ((office, ""), (leader, ""), (office, f"?plan={plan.pk}")):
            context = client_for(user).get(f"/dashboard/{query}").context
            assert {key: context["totals"][key] for key in ("total", *buckets)} == {
                "total": rows,
                **{bucket: want["bucket"][bucket] for bucket in buckets},
            }
            assert {level.value: n for level, n in context["levels"]} == {
                level: want["level"][level] for level in ("red", "yellow", "green")
            }
            got = figures(
                context["by_category"],
                lambda r: (r["task__plan_id"], r["task__category__number"]),
                ("total", *buckets),
            )
            assert got == {key: want["category"][key] for key in got}
            assert {category for category, _key in got} == {category for category, _key in want["category"]}
            got = figures(context["by_unit"], lambda r: r["name"], ("total", *buckets))
            assert got == {key: want["unit"][key] for key in got}
            assert {name for name, _key in got} == {name for name, _key in want["unit"]}
            got = figures(context["units"], lambda r: r["name"], table)
            assert got == {key: want["unit"][key] for key in got} and len(got) == len(context["by_unit"]) * 6
            assert {row["unit__name"]: row["missing"] for row in context["missing"]} == dict(want["missing"])
            got = figures(context["cities"], lambda r: r["name"], ("total", "red", "yellow", "signed_off"))
            assert got == {key: want["city"][key] for key in got} and len(got) == len(CITIES) * 4

    check(Assignment.objects.count())
    assert Assignment.objects.count() > 200
    Assignment.objects.exclude(unit__name__in=["晋中市", "左权县", "临汾市"]).delete()
    check(Assignment.objects.filter(unit__name__in=["晋中市", "左权县", "临汾市"]).count())
