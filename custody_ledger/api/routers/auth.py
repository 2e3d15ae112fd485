"""Log in and out: a short-lived session token, with the TOTP code when MFA is on; list and end sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from custody_ledger.app import auth
from custody_ledger.app.auth import Forbidden, Principal, Role

from ..bodies import ID_PATTERN, Id
from ..deps import BearerDep, EngineDep, NowDep, PrincipalDep, RemoteDep, SettingsDep, ThrottleDep
from ..errors import PROBLEM_JSON, PROBLEM_SCHEMA
from ..views import LoginOut, SessionOut

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Id  # looked up in the database, where PostgreSQL text refuses NUL (found by the fuzz test)
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    # A log-in form sends its empty TOTP box as "": that means no code, as absent does (issue 8).
    totp: Annotated[str, StringConstraints(max_length=10)] | None = Field(
        None, description="The current TOTP code; absent, null or empty when the account has no second factor")


_THROTTLED: dict[int | str, dict[str, Any]] = {429: {
    "description": "Too many failed log-ins lately from this address or on this account; Retry-After says when",
    "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}}


@router.post("/login", response_model=LoginOut, responses=_THROTTLED)
def login(body: LoginIn, engine: EngineDep, settings: SettingsDep, now: NowDep, remote: RemoteDep,
          throttle: ThrottleDep) -> LoginOut:
    """Every attempt, success or failure, is written to the access log; 5 failures lock the account.

    Unknown, locked and disabled accounts and wrong passwords get the same answer in the same time. Repeated
    failures from one address or on one account name slow down (429 with Retry-After, at most a minute).
    A new session beyond the per-user cap ends that user's oldest."""
    session = auth.login(engine, settings, body.username, body.password, body.totp or None, now=now, remote=remote,
                         throttle=throttle)
    return LoginOut(token=session.token, expires_at=session.expires_at, mfa_passed=session.mfa_passed)


SessionId = Annotated[str, Path(min_length=12, max_length=12, pattern="^[0-9a-f]{12}$",
                                description="The session's id from GET /auth/sessions")]
UserQuery = Annotated[str | None, Query(max_length=100, pattern=ID_PATTERN,
                                        description="Another user's sessions (program_admin only)")]


def _whose(principal: Principal, user_id: str | None) -> str:
    if user_id is None or user_id == principal.id:
        return principal.id
    if principal.role is not Role.PROGRAM_ADMIN:
        raise Forbidden("only a program administrator manages another user's sessions", field="user_id")
    return user_id


@router.get("/sessions", response_model=list[SessionOut])
def list_sessions(principal: PrincipalDep, bearer: BearerDep, engine: EngineDep, settings: SettingsDep,
                  now: NowDep, user_id: UserQuery = None) -> list[SessionOut]:
    """Your open sessions, newest first (a program administrator may name another user)."""
    token = bearer.credentials if bearer is not None else None
    return [SessionOut(**vars(s)) for s in auth.list_sessions(engine, settings, _whose(principal, user_id), now=now,
                                                              token=token)]


@router.delete("/sessions", status_code=204, response_class=Response)
def end_all_sessions(principal: PrincipalDep, engine: EngineDep, now: NowDep, user_id: UserQuery = None) -> Response:
    """End every session of yours (this one too), or of the user named (program_admin only)."""
    auth.end_sessions(engine, _whose(principal, user_id), now=now, by=principal.id)
    return Response(status_code=204)


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def end_session(session_id: SessionId, principal: PrincipalDep, engine: EngineDep, now: NowDep,
                user_id: UserQuery = None) -> Response:
    """End one session by its id: yours, or the named user's (program_admin only); 404 if there is none."""
    auth.end_sessions(engine, _whose(principal, user_id), now=now, by=principal.id, only=session_id)
    return Response(status_code=204)


@router.post("/logout", status_code=204, response_class=Response)
def logout(principal: PrincipalDep, bearer: BearerDep, engine: EngineDep, settings: SettingsDep,
           now: NowDep) -> Response:
    """Ends the session of the token sent; an API key has no session to end."""
    if bearer is not None:
        auth.logout(engine, settings, bearer.credentials, now=now)
    return Response(status_code=204)
