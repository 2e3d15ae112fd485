"""Generated requests over the whole OpenAPI spec: no 5xx, and no response that breaks its own schema.

Bounded: a fixed number of examples per operation, on one world per backend. Each command is sent by a
role that may issue it, so the generated bodies reach parsing and the domain rather than stop at the
role check; reads go as the auditor, who may read everything.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy.engine import Engine

from custody_ledger.app.access import ROLE_COMMANDS
from custody_ledger.app.auth import Role
from custody_ledger.domain.policy import Policy
from tests.api.conftest import USERS, Api, build_world, make_api


@pytest.fixture(scope="module")
def fuzz_api(module_engine: Engine, policy: Policy) -> Api:
    return make_api(module_engine, policy, build_world(module_engine, policy))


@pytest.fixture(scope="module")
def api_schema(fuzz_api: Api) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.client.app)


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_request_gets_a_server_error_or_an_off_schema_answer(fuzz_api: Api,
                                                                 api_schema: schemathesis.BaseSchema) -> None:
    # Driven through Hypothesis directly: schemathesis' pytest plugin does not load under pytest 9.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    calls = sum(_fuzz(operation, fuzz_api.headers(_sender(operation))) for operation in operations)
    assert (len(operations) > 30, calls >= 5 * len(operations)) == (True, True)


def _sender(operation: schemathesis.APIOperation) -> str:
    """A user whose role may call the operation (the users of tests/api/conftest.py)."""
    if not operation.path.startswith("/commands/"):
        return "auditor"
    command = operation.path.removeprefix("/commands/")
    # The watchdog's own command is no role's: sent by the program administrator, it is refused (403) whole.
    role = next((role for role, commands in ROLE_COMMANDS.items() if command in commands), Role.PROGRAM_ADMIN)
    return next(user for user, (user_role, _) in USERS.items() if user_role is role)


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
