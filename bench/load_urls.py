"""The app's URLs plus ``/bench/raw/assignments/``: the floor ``/api/assignments/?page_size=50`` is
measured against, mounted only by ``load_settings`` (the bench's server).

One psycopg2 query for the same rows and joins as the API's first page (task, category, unit,
the level computed in SQL, sorted by task number and unit, 50 rows) and ``json.dumps``: no
authentication, no ORM, no serializer. The SQL is the ORM's single query for that page, compiled
once per process and then run on the raw connection.
"""

import json

from django.db import connection
from django.http import HttpResponse
from django.urls import path

from rectify.urls import urlpatterns as app_urlpatterns
from tasks.filtersets import by_task
from tasks.models import Assignment
from tasks.weeks import today

FIELDS = (
    "id",
    "status",
    "version",
    "due_date",
    "extended_due_date",
    "effective_due",
    "phase",
    "percent",
    "last_report_week_start",
    "signed_off_at",
    "next_review_date",
    "level",
    "task_id",
    "task__number",
    "task__category__number",
    "task__problem",
    "task__deadline_kind",
    "unit_id",
    "unit__name",
    "unit__kind",
)
_compiled = {}


def page_sql():
    if "sql" not in _compiled:
        rows = by_task(Assignment.objects.with_level(today())).values(*FIELDS)[:50]
        _compiled["sql"] = rows.query.sql_with_params()
    return _compiled["sql"]


def raw_assignments(request):
    sql, params = page_sql()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # the psycopg2 connection itself
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    body = json.dumps({"count": len(rows), "results": rows}, default=str, ensure_ascii=False)
    return HttpResponse(body.encode(), content_type="application/json")


urlpatterns = [path("bench/raw/assignments/", raw_assignments), *app_urlpatterns]
