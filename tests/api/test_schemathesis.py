"""Generated requests over the whole OpenAPI spec: no 5xx, and no response that breaks its own schema.

Bounded: a fixed number of examples per operation on one SQLite world (the backends' behaviour is
covered by the matrix; this hunts for crashes and schema drift in parsing and rendering).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from tests.api.conftest import Api, build_world, make_api
from tests.support.backends import SqliteTemplate


@pytest.fixture(scope="module")
def fuzz_api(
    sqlite_template: SqliteTemplate, policy: Policy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with sqlite_template.copy(folder) as url:
        engine = db.make_engine(url)
        yield make_api(engine, policy, build_world(engine, policy))
        engine.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzz_api: Api) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.client.app)


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_request_gets_a_server_error_or_an_off_schema_answer(fuzz_api: Api,
                                                                 api_schema: schemathesis.BaseSchema) -> None:
    # Driven through Hypothesis directly: schemathesis' pytest plugin does not load under pytest 9.
    headers = fuzz_api.headers("program-admin")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    calls = sum(_fuzz(operation, headers) for operation in operations)
    assert (len(operations) > 30, calls >= 5 * len(operations)) == (True, True)


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str]) -> int:
    calls = 0

    @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def one(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(headers={**headers, **(case.headers or {})}, checks=CHECKS)

    one()
    return calls
