"""The query counts the suite asserts are the same on SQLite and PostgreSQL (``helpers.LogicalQueries``).

SQLite takes 999 parameters in a statement, so Django sends a large ``bulk_create`` there as several
INSERTs; the count takes such a split as the one statement PostgreSQL runs, and nothing else.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from tests.helpers import LogicalQueries

pytestmark = pytest.mark.django_db


def users(count, start=0):
    User = get_user_model()
    return [
        User(username=f"counted-{i}", email=f"counted-{i}@example.gov.cn")
        for i in range(start, start + count)
    ]


def test_a_bulk_insert_counts_once_however_the_backend_splits_it():
    with LogicalQueries(connection) as counted:
        get_user_model().objects.bulk_create(users(400))
    assert len(counted) == 1
    if (
        connection.vendor == "sqlite"
    ):  # 999 parameters at most: auth_user's 11 columns take 90 rows a statement
        assert len(counted.captured_queries) == 5


def test_an_insert_per_row_counts_every_row():
    with LogicalQueries(connection) as counted:
        for user in users(3):
            user.save()
    assert len(counted) == len(counted.captured_queries) >= 3  # whatever else a save runs, nothing merged


def test_two_bulk_inserts_count_twice():
    with LogicalQueries(connection) as counted:
        get_user_model().objects.bulk_create(users(200))
        get_user_model().objects.bulk_create(users(200, start=200))
    assert len(counted) == 2


def test_batches_the_code_asks_for_count_on_every_backend():
    with LogicalQueries(connection) as counted:
        get_user_model().objects.bulk_create(users(200), batch_size=50)
    assert len(counted) == 4


def test_the_fixture_counts_the_same_way(django_assert_num_queries):
    with django_assert_num_queries(1):
        get_user_model().objects.bulk_create(users(400))
    failed = pytest.raises(pytest.fail.Exception, match="Expected to perform 1 queries but 2 were done")
    with failed, django_assert_num_queries(1):
        get_user_model().objects.bulk_create(users(1, start=400))
        get_user_model().objects.bulk_create(users(1, start=401))
