"""The path converter of every row id in the URLs (``<id:pk>``).

Django's ``int`` converter takes any run of digits. A row id beyond a 64-bit integer (the largest a
primary key column holds, PostgreSQL's bigint and SQLite's INTEGER alike) then reached the query:
Django answers an out-of-range id on the row's own key with no row, but a lookup through a foreign
key (``filter(task_id=…)``) raised ``OverflowError`` on SQLite, a 500 (found by the API fuzz test on
``/api/public/tasks/<id>/``). Here such an id matches no URL, a 404, before any view runs.
"""

from django.urls.converters import IntConverter

LARGEST_ID = 2**63 - 1


class IdConverter(IntConverter):
    def to_python(self, value: str) -> int:
        number = int(value)
        if number > LARGEST_ID:
            raise ValueError("beyond any row id")  # the URL does not match: 404
        return number
