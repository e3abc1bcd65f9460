"""The API against its own OpenAPI schema, fuzzed (schemathesis) through the site's WSGI application.

For three callers — an office user, a liaison and an anonymous caller — every operation of the
schema is called with generated parameters and bodies the schema admits (schemathesis's positive
mode; malformed input is refused test by test in test_api_input_guards and test_no_500), and every answer must
be: no 5xx, a status code the schema documents for the operation, a documented content type, and
a body that matches the documented schema (``tasks/api/schema.py`` documents the refusals).

Bounded: ``FUZZ_EXAMPLES`` examples per operation and caller (default 6), derandomised, so a run
is repeatable; ``FUZZ_EXAMPLES=200`` for a deeper local run. The cases are drawn once for the
module and each caller is sent the same ones.

The cases go to Django's WSGI application in the test's own thread and transaction (schemathesis's
WSGI transport, a werkzeug client), not over a socket to the live server: the whole middleware stack
and every view still answer each case, without a server thread, the ``requests`` library and the
flush of a transactional test per caller. Real HTTP is covered by the browser tests and
``test_serve_smoke.py`` (gunicorn).

schemathesis and hypothesis are imported where they are used, not at the top: every test process
collects this module, and importing both (pytest rewrites the asserts of every installed plugin's
package as it imports it) cost about 2 s in each process, also in those that never run it.
"""

import json
import os

import pytest

from tasks.choices import Role
from tests.conftest import PASSWORD

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SIGN_OUT = {"/api/auth/logout/", "/api/auth/tokens/{id}/revoke/"}
# Throttled and locked-out callers answer 429 (documented): the token endpoint is fuzzed like the rest,
# with a throttle high enough that the other operations are reached with a valid token.
pytestmark = [pytest.mark.django_db, pytest.mark.cost(2.5)]


@pytest.fixture(scope="module")
def schema():
    """Generated once for the three callers: the document does not depend on the caller."""
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))


@pytest.fixture
def app():
    """The site's WSGI application, as a server runs it, but in the test's transaction: Django closes
    the database connection as each request starts and ends (``close_old_connections``), which would
    end the test's transaction, so that is left out during each call, as Django's test client does."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    handler = WSGIHandler()

    def call(environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            body = b"".join(response)
            response.close()  # sends request_finished
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return call


@pytest.fixture
def token_for(make_user, client):
    def token(username, role, unit=None):
        make_user(username, role, unit)
        response = client.post(
            "/api/auth/token/", {"username": username, "password": PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response.json()["token"]

    return token


@pytest.fixture(scope="module")
def cases(schema) -> list:
    """Every operation with its ``EXAMPLES`` cases, drawn once (derandomised) and sent by each caller.

    Hypothesis draws the same cases whatever the answers (it only generates: no shrinking, no
    targeting), so each caller drawing its own sent the three callers nearly the same cases (about
    5 % differed, only because hypothesis also draws constants of the modules imported so far), and
    drawing them three times was about a third of the module's time."""
    # Signing out and revoking tokens end the caller's own credential, so every later operation would
    # only be fuzzed as an anonymous call: tests/test_api_tokens.py covers them.
    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if operation.path not in SIGN_OUT
    ]
    assert len(operations) > 30  # the whole API, not a part of it
    return [(operation, draw(operation)) for operation in operations]


def draw(operation) -> list:
    """``EXAMPLES`` cases of one operation, as hypothesis generates them (derandomised)."""
    from hypothesis import HealthCheck, Phase, given, settings

    found = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case):
        found.append(case)

    collect()
    assert found, f"{operation.method.upper()} {operation.path}: no case drawn"
    return found


def fuzz(cases: list, app, headers: dict) -> list[str]:
    """Every operation's cases, sent and checked; the failures, one line per operation (its first
    failing case)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    failures = []
    for operation, examples in cases:
        for case in examples:
            try:
                response = case.call(app=app, headers=headers)
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected: one run names every failing operation
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
                break
    return failures


@pytest.mark.parametrize(
    "caller",
    [("olga", Role.OFFICE, None), ("alice", Role.LIAISON, "晋中市"), None],
    ids=["office", "liaison", "anonymous"],
)
def test_no_answer_outside_the_schema_and_no_server_error(caller, cases, app, token_for, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "10000/min"}}
    headers = {"Authorization": f"Token {token_for(*caller)}"} if caller else {}
    failures = fuzz(cases, app, headers)
    assert failures == [], "\n\n".join(failures)
