"""The rules the office relies on (issue 10, item 3), through the services, the API and the pages.

The ledger's today is pinned on 2017-12-01 (a Friday of 2017-W48): last week is W47, so a report
for W46 or earlier is 迟报.
"""

import pytest

from dispatch.figures import bulletin_data
from tasks.models import Assignment, ProgressReport
from tasks.services import ledger
from tasks.services.reporting import reporting_by_unit
from tests.helpers import client_for, on, row

pytestmark = [pytest.mark.django_db, pytest.mark.today()]


# --- 迟报: a report for a week before last week ---------------------------------------------


@pytest.mark.parametrize("week, late", [("2017-W48", False), ("2017-W47", False), ("2017-W46", True)])
def test_a_report_for_a_week_before_last_week_is_accepted_and_marked_late(liaison, week, late):
    report = ledger.submit_report(row().pk, actor=liaison, week=week, text="推进", percent=10)
    assert ProgressReport.objects.get(pk=report.pk).late is late
    assert row().status == "in_progress"


def test_the_api_and_the_timeline_show_the_mark(liaison, api):
    ledger.submit_report(row().pk, actor=liaison, week="2017-W40", text="补报九月进展", percent=10)
    body = api(liaison).get(f"/api/assignments/{row().pk}/").json()
    assert body["reports"][0]["late"] is True
    page = client_for(liaison).get(f"/assignments/{row().pk}/").content.decode()
    assert "2017-W40 · 完成 10%（迟报）" in page


def test_the_on_time_reporting_rate_is_counted_per_unit_on_the_dashboard_and_in_the_bulletin(liaison, office):
    with on("2017-11-30"):
        ledger.submit_report(row(17).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
        ledger.submit_report(row(3).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
        ledger.submit_report(row(37).pk, actor=liaison, week="2017-W45", text="补报", percent=10)
        ledger.submit_report(row(31).pk, actor=liaison, week="2017-W44", text="补报", percent=10)
    with on("2017-12-01"):  # after November: not in its bulletin
        ledger.submit_report(row(34).pk, actor=liaison, week="2017-W47", text="按期", percent=10)
    rates = reporting_by_unit(Assignment.objects.all())
    jinzhong = row().unit_id
    assert rates[jinzhong] == {"name": "晋中市", "reports": 5, "late": 2, "rate": 0.6}

    response = client_for(office).get("/dashboard/")
    rows = {r["name"]: r for r in response.context["reporting"]}
    assert (rows["晋中市"]["reports"], rows["晋中市"]["late"], rows["晋中市"]["rate"]) == (5, 2, 0.6)
    assert "按期报送率" in response.content.decode()

    # November's bulletin: the reports for W44–W47 (the weeks whose Sunday is in November) made by its end
    unit = next(u for u in bulletin_data("2017-11")["by_unit"] if u["unit"] == "晋中市")
    assert (unit["reports"], unit["late_reports"], unit["reporting_rate"]) == (4, 2, 0.5)
    other = next(u for u in bulletin_data("2017-11")["by_unit"] if u["unit"] == "临汾市")
    assert (other["reports"], other["reporting_rate"]) == (0, None)
