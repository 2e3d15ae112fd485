"""Log in and out: a short-lived session token, with the TOTP code when MFA is on."""

from __future__ import annotations

from fastapi import APIRouter, Response

from custody_ledger.app import auth

from ..bodies import LoginIn
from ..deps import BearerDep, EngineDep, NowDep, PrincipalDep, RemoteDep, SettingsDep
from ..views import LoginOut

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, engine: EngineDep, settings: SettingsDep, now: NowDep, remote: RemoteDep) -> LoginOut:
    """Every attempt, success or failure, is written to the access log; 5 failures lock the account."""
    session = auth.login(engine, settings, body.username, body.password, body.totp, now=now, remote=remote)
    return LoginOut(token=session.token, expires_at=session.expires_at, mfa_passed=session.mfa_passed)


@router.post("/logout", status_code=204, response_class=Response)
def logout(principal: PrincipalDep, bearer: BearerDep, engine: EngineDep, settings: SettingsDep,
           now: NowDep) -> Response:
    """Ends the session of the token sent; an API key has no session to end."""
    if bearer is not None:
        auth.logout(engine, settings, bearer.credentials, now=now)
    return Response(status_code=204)
