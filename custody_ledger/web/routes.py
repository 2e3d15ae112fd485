"""The front door: log in (with the second factor when required), land on the role's start page, log out."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from custody_ledger.app import auth
from custody_ledger.app.auth import Role, TooManyAttempts, Unauthorized

from . import render
from .forms import read_form
from .session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    START,
    BadForm,
    LoginRequired,
    check_form,
    check_login_nonce,
    context,
    cookie_flags,
    new_login_nonce,
    remote,
    state,
)

router = APIRouter(include_in_schema=False)


def start_page(role: Role) -> str:
    return START.get(role, "/ui/holds")


def _login_page(request: Request, status: int = 200, error: Mapping[str, object] | None = None,
                username: str = "") -> Response:
    _, settings, _, _ = state(request)
    nonce = new_login_nonce()
    response = render.page(None, "login.html", status, request=request, nonce=nonce, mfa=settings.mfa_required,
                           error=error, username=username)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, **cookie_flags(request))
    return response


def _front(request: Request) -> Response:
    try:
        ctx = context(request)
    except LoginRequired:
        return _login_page(request)
    return render.redirect(start_page(ctx.role))


@router.api_route("/", methods=["GET", "HEAD"])
async def front_door(request: Request) -> Response:
    """The log-in page, or the start page of whoever is logged in already."""
    return await run_in_threadpool(_front, request)


@router.post("/")
async def log_in(request: Request) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_log_in, request, form)


def _log_in(request: Request, form: dict[str, str]) -> Response:
    engine, settings, _, now = state(request)
    username = form.get("username", "")[:100]
    try:
        check_login_nonce(request, form)
        session = auth.login(engine, settings, username, form.get("password", ""), form.get("totp") or None,
                             now=now, remote=remote(request), throttle=request.app.state.login_throttle)
    except BadForm as exc:
        return _login_page(request, 403, {"kind": "forbidden", "message": str(exc), "field": "csrf"}, username)
    except TooManyAttempts as exc:
        return _login_page(request, 429, exc.to_dict(), username)
    except Unauthorized as exc:
        return _login_page(request, 401, exc.to_dict(), username)
    # The role decides the start page; the session just opened knows it.
    principal = auth.authenticate(engine, settings, session.token, now=now, remote=remote(request))
    response = render.redirect(start_page(principal.role))
    response.set_cookie(SESSION_COOKIE, session.token, max_age=settings.session_max_hours * 3600,
                        **cookie_flags(request))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/ui/logout")
async def log_out(request: Request) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_log_out, request, form)


def _log_out(request: Request, form: dict[str, str]) -> Response:
    try:
        ctx = context(request)
        check_form(ctx, form)
        auth.logout(ctx.engine, ctx.settings, ctx.token, now=ctx.now)
    except (LoginRequired, BadForm):
        pass  # no session to end, or not this site's form: either way the browser leaves with no cookie
    response = render.redirect("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
