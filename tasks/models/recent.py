"""Each row's newest history, for a page of rows: what the task page shows of every unit.

``AssignmentQuerySet.with_history()`` prefetches a row's whole history; a page of units needs only
each one's ``n`` newest events, which are among the ``n`` newest of their own kind. Through
``prefetch_related`` a sliced prefetch is a window over the rows (``ROW_NUMBER() OVER (PARTITION BY
assignment_id …)``) that Django builds and compiles afresh for every request, each kind, plus one
nested query per kind for the evidence: at county scale more CPU than the rest of the page.

Here each kind's statement (the kind's newest ``n`` per row, with the people it names joined, as
the sliced prefetch read it) is built by the ORM and compiled once per connection
(``tasks.models.compiled``), then run with the page's ids; one query reads the evidence of the
reports and sign-off requests read and the rows' relapse evidence. The rows get what a
``with_history(recent=n)`` prefetch gave them: ``recent_reports``, ``recent_signoffs``,
``recent_reviews``, ``recent_extensions`` (newest first), ``relapse_evidence``, and each report's
and request's ``evidence`` as if prefetched.
"""

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.db.models.query import get_related_populators

from tasks.models.compiled import statement
from tasks.models.ledger import HISTORY_KINDS, HISTORY_READS, Assignment, Evidence, history_of


def _newest(name: str, n: int):
    def build(ids):
        # The sliced prefetch's window: each row's first ``n`` in the kind's order, newest first.
        queryset = history_of(Assignment, name)
        order = [F(o[1:]).desc() if o.startswith("-") else F(o).asc() for o in HISTORY_READS[name][1]]
        rank = Window(RowNumber(), partition_by=F("assignment_id"), order_by=order)
        return queryset.filter(assignment_id__in=ids).annotate(recent_rank=rank).filter(recent_rank__lte=n)

    return build


def _instances(compiled, ids: list[int], using: str) -> list:
    """The compiled statement's rows as model instances with their joined people, as Django's
    ``ModelIterable`` makes them from the same compiler's columns."""
    compiler = compiled.compiler
    klass_info, select = compiler.klass_info, compiler.select
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    names = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    out = []
    for row in compiled.rows(ids):
        obj = model.from_db(using, names, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        out.append(obj)
    return out


def read_recent(rows: list, n: int, using: str = "default") -> None:
    """Give each of ``rows`` (assignments) its ``n`` newest of each kind and their evidence: one
    query a kind and one for the evidence, whatever the number of rows."""
    if not rows:
        return
    ids = [row.pk for row in rows]
    by_id = {row.pk: row for row in rows}
    with_evidence = {}  # report / sign-off request → its evidence, in upload order
    for name in HISTORY_KINDS:
        compiled = statement(("recent", name, n), _newest(name, n), ids, using)
        items = _instances(compiled, ids, using)
        link = Assignment._meta.get_field(name).remote_field  # the kind's own ``assignment``
        for row in rows:
            setattr(row, f"recent_{name}", [])
        for item in items:
            row = by_id[item.assignment_id]
            link.set_cached_value(item, row)  # ``review_evidence`` reads the review's row
            getattr(row, f"recent_{name}").append(item)
            if name in ("reports", "signoffs"):
                item._prefetched_objects_cache = {"evidence": []}
                with_evidence[(name, item.pk)] = item
    reports = [pk for kind, pk in with_evidence if kind == "reports"]
    signoffs = [pk for kind, pk in with_evidence if kind == "signoffs"]
    evidence = (
        Evidence.objects.using(using)
        .select_related("uploaded_by")
        .filter(
            Q(report_id__in=reports)
            | Q(signoff_id__in=signoffs)
            | Q(assignment_id__in=ids, review__isnull=False)
        )
        .order_by("uploaded_at", "id")
    )
    for row in rows:
        row.relapse_evidence = []
    for item in evidence:
        for kind, pk in (("reports", item.report_id), ("signoffs", item.signoff_id)):
            owner = with_evidence.get((kind, pk))
            if owner is not None:
                owner._prefetched_objects_cache["evidence"].append(item)
        if item.review_id is not None and item.assignment_id in by_id:
            by_id[item.assignment_id].relapse_evidence.append(item)
