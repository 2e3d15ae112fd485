"""Who is asking, for a browser: the session token travels in a cookie, and every form carries a CSRF token.

The session is the same as the API's (app/auth.py): a token whose HMAC is stored, idle- and age-limited.
The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it) and Secure
whenever the request came over TLS. Forms prove they were rendered for this session by a token derived from
it (HMAC under the server's secret key, OWASP's "synchronizer token" without server state); the log-in form,
which comes before any session, by a random value it must repeat from its own cookie (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.engine import Engine

from custody_ledger.app import auth
from custody_ledger.app.auth import Principal, Role, Unauthorized
from custody_ledger.domain.policy import Policy
from custody_ledger.settings import Settings

SESSION_COOKIE = "cl_session"
LOGIN_COOKIE = "cl_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

# Where each role starts its day: what it must act on first (issue 14).
START = {
    Role.FACILITY_STAFF: "/ui/holds",
    Role.AGENCY_ADMIN: "/ui/holds",
    Role.ICE_SUPERVISOR: "/ui/holds",
    Role.CERTIFIED_OFFICER: "/ui/serve",
    Role.PROGRAM_ADMIN: "/ui/agreements",
    Role.AUDITOR: "/ui/ledger",
}


class LoginRequired(Exception):
    """No live session: the browser is sent to the log-in page."""


class BadForm(Exception):
    """A form without its CSRF token, or posted from another origin: nothing is done."""


@dataclass(frozen=True)
class Ctx:
    """Everything a page needs, read once per request."""

    request: Request
    engine: Engine
    settings: Settings
    policy: Policy
    now: datetime
    principal: Principal
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.settings, self.token)

    @property
    def role(self) -> Role:
        return self.principal.role


def state(request: Request) -> tuple[Engine, Settings, Policy, datetime]:
    app: Any = request.app.state
    return app.engine, app.settings, app.policy, app.clock()


def remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def context(request: Request, *, activity: bool = True) -> Ctx:
    """`activity=False` for a page's own refresh: it reads with the session but does not count as the user's
    activity, so an open board left alone still reaches the idle limit."""
    engine, settings, policy, now = state(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        principal = auth.authenticate(engine, settings, token, now=now, remote=remote(request), activity=activity)
    except Unauthorized:
        raise LoginRequired from None
    return Ctx(request, engine, settings, policy, now, principal, token)


def csrf_token(settings: Settings, session_token: str) -> str:
    return hmac.new(settings.secret_key.encode(), b"csrf\x1f" + session_token.encode(), hashlib.sha256).hexdigest()


def check_form(ctx: Ctx, form: dict[str, str]) -> None:
    sent = form.get(CSRF_FIELD) or ctx.request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), ctx.csrf.encode()):
        raise BadForm("the form has expired or did not come from this site; reload the page and try again")
    check_origin(ctx.request)


def check_origin(request: Request) -> None:
    """A browser names the page's origin on every POST; one that is not this site's is refused (OWASP CSRF
    cheat sheet, "verifying origin with standard headers"), on top of the token."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null" and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise BadForm("the form was posted from another site")


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def check_login_nonce(request: Request, form: dict[str, str]) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise BadForm("the log-in form has expired; reload the page and try again")
    check_origin(request)


def cookie_flags(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https", "path": "/"}
