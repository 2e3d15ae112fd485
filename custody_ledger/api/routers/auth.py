"""Log in and out: a short-lived session token, with the TOTP code when MFA is on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from custody_ledger.app import auth

from ..bodies import Id
from ..deps import BearerDep, EngineDep, NowDep, PrincipalDep, RemoteDep, SettingsDep
from ..views import LoginOut

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Id  # looked up in the database, where PostgreSQL text refuses NUL (found by the fuzz test)
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    # A log-in form sends its empty TOTP box as "": that means no code, as absent does (issue 8).
    totp: Annotated[str, StringConstraints(max_length=10)] | None = Field(
        None, description="The current TOTP code; absent, null or empty when the account has no second factor")


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, engine: EngineDep, settings: SettingsDep, now: NowDep, remote: RemoteDep) -> LoginOut:
    """Every attempt, success or failure, is written to the access log; 5 failures lock the account."""
    session = auth.login(engine, settings, body.username, body.password, body.totp or None, now=now, remote=remote)
    return LoginOut(token=session.token, expires_at=session.expires_at, mfa_passed=session.mfa_passed)


@router.post("/logout", status_code=204, response_class=Response)
def logout(principal: PrincipalDep, bearer: BearerDep, engine: EngineDep, settings: SettingsDep,
           now: NowDep) -> Response:
    """Ends the session of the token sent; an API key has no session to end."""
    if bearer is not None:
        auth.logout(engine, settings, bearer.credentials, now=now)
    return Response(status_code=204)
