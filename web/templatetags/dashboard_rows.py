"""The dashboard's per-unit table rows, written in Python: at county scale the page lists hundreds of
units in two tables, and Django's template engine spends more on those rows (a lookup, an escape and
a node per cell, an include per bar) than the database spends counting them.

The markup is the one the templates wrote (``web/_bucket_table.html``, ``web/_buckets.html``, the
unit table, the list of units without this week's report and the 催办 and 签收 tables of
``web/dashboard.html``), cell for cell; ``tests/test_dashboard_statistics.py`` renders
the rows both ways and compares them.
"""

import html

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

register = template.Library()


def conditional_escape(value) -> str:
    """``django.utils.html.conditional_escape``'s text (safe text as it is, the rest escaped by
    ``html.escape`` as Django's ``escape`` does), without its check for lazy text on every cell."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _ratio(part, total) -> str:
    """``{% widthratio part total 100 %}``: a whole percentage, Python's rounding."""
    return str(round(float(part) / float(total) * 100)) if total else "0"


def bar(row) -> str:
    """``web/_buckets.html``: a row's four buckets as a stacked bar with its numbers."""
    label = f"已销号 {row['signed_off']}，按计划推进 {row['on_track']}，逾期 {row['overdue']}，问题反弹 {row['reopened']}"
    spans = ""
    if row["total"]:
        spans = "".join(
            f'  <span class="{css} w-{_ratio(row[key], row["total"])}"></span>\n'
            for css, key in (
                ("b-signed", "signed_off"),
                ("b-track", "on_track"),
                ("b-overdue", "overdue"),
                ("b-reopened", "reopened"),
            )
        )
    return f'\n<div class="bar" role="img" aria-label="{label}">\n  \n{spans}  \n</div>\n'


@register.simple_tag
def bucket_rows(rows):
    """The body rows of ``web/_bucket_table.html``: name (a link to its ledger rows), the buckets, the bar."""
    ledger = reverse("ledger")
    out = []
    for row in rows:
        out.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{ledger}?{conditional_escape(row["query"])}">'
            f"{conditional_escape(row['name'])}</a></th>\n"
            f'        <td class="num">{row["total"]}</td><td class="num">{row["signed_off"]}</td>'
            f'<td class="num">{row["on_track"]}</td>\n'
            f'        <td class="num">{row["overdue"]}</td><td class="num">{row["reopened"]}</td>\n'
            f'        <td class="hide-narrow">{bar(row)}</td>\n'
            "      </tr>\n    "
        )
    return mark_safe("".join(out))


@register.simple_tag
def unit_rows(units, scope=""):
    """The body rows of the dashboard's unit table (各责任单位统计)."""
    ledger = reverse("ledger")
    scope = conditional_escape(scope)
    out = []
    for u in units:
        link = f"{ledger}?{scope}unit={u['unit_id']}"
        overdue = f'<a href="{link}&amp;bucket=overdue">{u["overdue"]}</a>' if u["overdue"] else "0"
        rate = "—" if u["rate"] is None else f"{_ratio(u['rate'], 1)}%"
        days = "—" if u["signoff_days"] is None else conditional_escape(u["signoff_days"])
        out.append(
            f'\n      <tr><th scope="row"><a href="{link}">{conditional_escape(u["name"])}</a></th>'
            f'<td class="num">{u["total"]}</td><td class="num">{u["signed_off"]}</td>'
            f'<td class="num">{overdue}</td><td class="num">{u["reports"]}</td><td class="num">{u["late"]}</td>'
            f'<td class="num">{rate}</td><td class="num">{u["missed"]}</td><td class="num">{u["urges"]}</td>'
            f'<td class="num">{days}</td></tr>\n    '
        )
    return mark_safe("".join(out))


@register.simple_tag
def missing_chips(rows):
    """The items of the list of units without this week's report (本周未报送): a link to the unit's
    rows and how many of them lack the report."""
    ledger = reverse("ledger")
    return mark_safe(
        "".join(
            f'<li><a href="{ledger}?unit={row["unit_id"]}">{conditional_escape(row["unit__name"])}</a>'
            f"（{row['missing']}）</li>"
            for row in rows
        )
    )


@register.simple_tag
def urge_rows(rows):
    """The body rows of the dashboard's 催办 table (``dispatch.urging.by_unit``): a unit's open urges and all."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{conditional_escape(u["unit"])}</th><td class="num">{u["open"]}</td>'
            f'<td class="num">{u["total"]}</td></tr>'
            for u in rows
        )
    )


@register.simple_tag
def acknowledgement_rows(rows):
    """The body rows of the dashboard's 签收 table (``dispatch.handovers.by_unit``)."""
    out = []
    for u in rows:
        overdue = f'<span class="ack-overdue">{u["overdue"]}</span>' if u["overdue"] else "0"
        hours = "—" if u["mean_hours"] is None else conditional_escape(u["mean_hours"])
        out.append(
            f'<tr><th scope="row">{conditional_escape(u["unit"])}</th><td class="num">{u["open"]}</td>'
            f'<td class="num">{overdue}</td><td class="num">{u["done"]}</td><td class="num">{hours}</td></tr>'
        )
    return mark_safe("".join(out))
