"""POST /commands/{name}: one route per command of the vocabulary, each with its own documented body.

The actor is always the authenticated principal, never a field of the body; `execute` checks role
and agency scope inside the command's own transaction. An error result becomes its problem response.
No `from __future__ import annotations`: each route's body type is a local of `_route`, which FastAPI
can only see as a real annotation.
"""

import inspect
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from custody_ledger.app.access import ROLE_COMMANDS, require_role
from custody_ledger.app.auth import Principal
from custody_ledger.app.execute import execute
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.policy import Policy

from ..bodies import COMMAND_BODIES, Body
from ..deps import EngineDep, NowDep, PolicyDep, PrincipalDep
from ..errors import problem
from ..views import CommandResult

router = APIRouter(prefix="/commands", tags=["commands"])

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                       description="Required; the same key again returns the first result.")]


def _route(name: str, body_type: type[Body]) -> None:
    def may_issue(principal: PrincipalDep, engine: EngineDep, now: NowDep) -> Principal:
        # The role is checked before the body is judged: a role that may never issue this learns only that.
        require_role(engine, principal, name, now)
        return principal

    def run(body: body_type, key: IdempotencyKey, principal: Annotated[Principal, Depends(may_issue)],  # type: ignore[valid-type]
            engine: EngineDep, policy: PolicyDep, now: NowDep) -> JSONResponse:
        return _issue(name, body, key, principal, engine, policy, now)

    roles = ", ".join(sorted(role.value for role, names in ROLE_COMMANDS.items() if name in names))
    what = inspect.cleandoc(COMMANDS[name].__doc__ or "")
    router.add_api_route(f"/{name}", run, methods=["POST"], name=name, response_model=CommandResult,
                         summary=name.replace("_", " ").capitalize(),
                         description=f"{what}\n\nWho may issue it: {roles}. Reference: docs/commands.md.")


def _issue(name: str, body: Body, key: str, principal: Principal, engine: Engine, policy: Policy,
           now: datetime) -> JSONResponse:
    raw = {"command": name, "idempotency_key": key, **body.model_dump(mode="json", exclude_none=True)}
    result = execute(engine, raw, now=now, policy=policy, principal=principal).to_dict()
    if not result["ok"]:
        # A refusal's receipt (the action_refused event) travels with the problem.
        return problem({**result["error"], "events": result["events"] or None})
    return JSONResponse(result)


for _name, _body in COMMAND_BODIES.items():
    _route(_name, _body)
