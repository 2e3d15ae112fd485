"""What a route may ask for: the engine, settings, policy, the moment, the caller and the page.

Everything comes from `app.state`, set once by `create_app`, so tests inject their own database,
policy and clock without touching globals.
Trivial dependencies are `async def`: a plain `def` would cost a thread-pool hop on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from custody_ledger.app.auth import (
    LoginThrottle,
    Principal,
    Unauthorized,
    authenticate,
    authenticate_key,
    require_write_factors,
)
from custody_ledger.domain.policy import Policy
from custody_ledger.settings import Settings

from .bodies import ID_PATTERN

# One bound for every 64-bit sequence number a client may send (events.seq, access_log.seq).
MAX_SEQ = 2**63 - 1


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


async def _now(request: Request) -> datetime:
    # Read once per request (FastAPI caches a dependency per request), so auth and command agree.
    now: datetime = request.app.state.clock()
    return now


async def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


EngineDep = Annotated[Engine, Depends(_engine)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PolicyDep = Annotated[Policy, Depends(_policy)]
NowDep = Annotated[datetime, Depends(_now)]
RemoteDep = Annotated[str | None, Depends(_remote)]
ThrottleDep = Annotated[LoginThrottle, Depends(_throttle)]

_bearer = HTTPBearer(auto_error=False, description="A session token from POST /auth/login.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="An integration client's key (a jail management system), scoped to one agency.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _principal(request: Request, engine: EngineDep, settings: SettingsDep, now: NowDep, remote: RemoteDep,
               bearer: BearerDep, key: Annotated[str | None, Depends(_api_key)]) -> Principal:
    if bearer is not None:
        principal = authenticate(engine, settings, bearer.credentials, now=now, remote=remote)
        # A session lacking a factor the policy now requires keeps its reads (person records check it
        # themselves) but not its write access (issue 11).
        route = getattr(request.scope.get("route"), "path", "")
        if isinstance(route, str) and route.startswith("/commands/"):
            require_write_factors(engine, settings, principal, f"command:{route.removeprefix('/commands/')}", now)
        elif isinstance(route, str) and route.startswith("/imports/"):
            require_write_factors(engine, settings, principal, f"import:{route.removeprefix('/imports/')}", now)
        return principal
    if key is not None:
        return authenticate_key(engine, settings, key, remote=remote)
    raise Unauthorized("log in first: send Authorization: Bearer <token>, or X-API-Key", field="authorization")


PrincipalDep = Annotated[Principal, Depends(_principal)]

IdPath = Annotated[str, Path(max_length=100, pattern=ID_PATTERN)]
IdQuery = Annotated[str | None, Query(max_length=100, pattern=ID_PATTERN)]

Limit = Annotated[int, Query(ge=1, le=500, description="How many items (1 to 500)")]
After = Annotated[str | None, Query(max_length=100, pattern=ID_PATTERN, description="The last id of the previous page")]
AfterSeq = Annotated[int | None, Query(ge=0, le=MAX_SEQ, description="The last sequence number of the previous page")]


@dataclass(frozen=True)
class PageParams:
    after: str | None
    limit: int


@dataclass(frozen=True)
class SeqPageParams:
    after: int | None
    limit: int


async def _page(after: After = None, limit: Limit = 50) -> PageParams:
    return PageParams(after, limit)


async def _seq_page(after: AfterSeq = None, limit: Limit = 50) -> SeqPageParams:
    return SeqPageParams(after, limit)


PageDep = Annotated[PageParams, Depends(_page)]
SeqPageDep = Annotated[SeqPageParams, Depends(_seq_page)]
