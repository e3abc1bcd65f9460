"""Queries of a fixed shape compiled once per database connection, then run with each request's values.

A list endpoint's hot read (a page's rows by their ids) costs more to build and compile through
the ORM (annotations, subqueries, joins, ``values()``) than the database takes to answer it. Here
the ORM builds and compiles it once, with placeholder values, for each key (the caller names what
the query's shape depends on); each later call swaps its own values into the compiled parameters
and runs the same SQL through the connection's cursor (so it is counted and logged like any
query), converting the columns as ``values()`` would (the ORM's own converters). The compiled
statements live on the connection object: per thread and per database, dropped with it.
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Value

# Placeholder ids: values no primary key or other parameter of the compiled queries takes.
_PLACEHOLDER_BASE = -(2**62)
_MAX_ENTRIES = 256  # keys (scope, day, page length) per connection before the cache starts afresh


class _Entry:
    __slots__ = ("compiler", "converters", "names", "params", "positions", "sql", "width")

    def __init__(self, queryset, placeholders: list[int]):
        query = queryset.query
        self.compiler = query.get_compiler(using=queryset.db)
        try:
            self.sql, params = self.compiler.as_sql()
        except EmptyResultSet:  # a queryset that can match nothing (``none()``): no query, as the ORM
            self.sql = None
            return
        self.params = list(params)
        self.positions = [self.params.index(p) for p in placeholders]
        if sorted(self.params.count(p) for p in placeholders) != [1] * len(placeholders):
            raise ValueError("a placeholder is not exactly one parameter of the compiled query")
        # As ``ValuesIterable`` names and converts the columns.
        self.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        self.width = self.compiler.col_count
        fields = [s[0] for s in self.compiler.select[0 : self.width]]
        self.converters = self.compiler.get_converters(fields)

    def rows(self, ids: list[int] = ()) -> list:
        """The rows as the ORM converts them, ``ids`` in the placeholders' places."""
        if self.sql is None:
            return []
        params = list(self.params)
        for position, value in zip(self.positions, ids, strict=True):
            params[position] = value
        with self.compiler.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
            if len(cursor.description) > self.width:  # columns the ORM reads but does not return
                rows = [row[: self.width] for row in rows]
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def run(self, ids: list[int]) -> list[dict]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows(ids)]


def _entry(key: tuple, build, placeholders: list[int], using: str) -> _Entry:
    cache = connections[using].__dict__.setdefault("_rectify_compiled", {})
    entry = cache.get(key)
    if entry is None:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        entry = cache[key] = _Entry(build(placeholders), placeholders)
    return entry


def statement(key: tuple, build, ids: list[int], using: str = "default") -> _Entry:
    """The statement of ``build(placeholders)`` (a queryset reading the rows ``ids`` name), compiled
    once per connection for ``key`` and the number of ids; ``.rows(ids)`` runs it with ``ids``."""
    placeholders = [_PLACEHOLDER_BASE - i for i in range(len(ids))]
    return _entry((key, len(ids)), build, placeholders, using)


def values_by_ids(key: tuple, build, ids: list[int], using: str = "default") -> list[dict]:
    """``list(build(ids))`` (a ``values()`` queryset of the rows ``ids`` name, by ``pk__in``),
    compiled once per connection for ``key`` and the number of ids.

    ``key`` names everything the SQL depends on besides the ids (the caller's scope, the day);
    ``build`` is called once per key with placeholder ids, which must reach the SQL as parameters
    of their own (``pk__in``), as ids do.
    """
    if not ids:
        return []
    return statement(key, build, ids, using).run(ids)


class CompiledIds:
    """An ordered list of ids for Django's ``Paginator``: its count and its slices run SQL compiled
    once per connection for ``key`` (everything the SQL depends on), ``build()`` giving the
    ``values_list("pk", flat=True)`` queryset when a statement is first compiled."""

    ordered = True  # the queryset ``build`` gives is ordered (the paginator asks)

    def __init__(self, key: tuple, build, using: str = "default"):
        self.key, self.build, self.using = key, build, using

    def count(self) -> int:
        def counting(_placeholders):
            # COUNT(*) over the ids unordered: the number the ORM's count() gives.
            return self.build().order_by().annotate(one=Value(1)).values("one")

        entry = _entry((self.key, "count"), counting, [], self.using)
        if entry.sql is None:
            return 0
        with entry.compiler.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({entry.sql}) counted", entry.params)
            return cursor.fetchone()[0]

    def __getitem__(self, page: slice) -> list[int]:
        entry = _entry(
            (self.key, page.start, page.stop), lambda _placeholders: self.build()[page], [], self.using
        )
        return [row[0] for row in entry.rows()]
