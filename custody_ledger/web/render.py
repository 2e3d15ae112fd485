"""Pages from templates, with the headers every page of the web UI carries.

The Content Security Policy allows scripts, styles and images from this site only, with no inline script or
style and no eval: what is injected into a page cannot run. Pages hold person records, so no cache keeps them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from custody_ledger.app.access import ROLE_COMMANDS
from custody_ledger.app.auth import Role

from .session import CSRF_HEADER, Ctx

HERE = Path(__file__).parent
STATIC_URL = "/ui/static"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

# (label, path, roles that see it): the navigation, by what each role may open.
_ALL = frozenset(Role) - {Role.INTEGRATION}
NAV = (
    ("Holds", "/ui/holds", _ALL),
    ("Serve a warrant", "/ui/serve", frozenset({Role.CERTIFIED_OFFICER})),
    ("Agreements", "/ui/agreements", _ALL),
    ("Officers", "/ui/officers", _ALL),
    ("Ledger", "/ui/ledger", frozenset({Role.AUDITOR, Role.PROGRAM_ADMIN})),
    ("Reports", "/ui/reports", _ALL),
)


def local(moment: datetime | None, timezone: str | None = None) -> str:
    """A moment as people at the facility read it: full date, 24-hour time and the zone's abbreviation."""
    if moment is None:
        return "—"
    shown = moment.astimezone(ZoneInfo(timezone)) if timezone else moment
    return shown.strftime("%a %d %b %Y %H:%M %Z")


def duration(seconds: float | None) -> str:
    """Time left (or overdue) in the largest two units that matter: "3 h 05 min", "overdue by 1 d 2 h"."""
    if seconds is None:
        return "no limit"
    left = abs(int(seconds))
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes:02d} min"
    else:
        text = f"{minutes} min {secs:02d} s"
    return f"overdue by {text}" if seconds < 0 else f"{text} left"


def urgency(seconds: float | None) -> str:
    """The colour class of a hold by its time left; the same bounds as static/app.js."""
    if seconds is None:
        return "igsa"
    if seconds <= 0:
        return "overdue"
    if seconds <= 3600:
        return "hour"
    if seconds <= 4 * 3600:
        return "soon"
    return "later"


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def path(value: object) -> str:
    return quote(str(value), safe="")


ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(local=local, duration=duration, urgency=urgency, iso=iso, path=path)
ENV.globals.update(STATIC=STATIC_URL, CSRF_HEADER=CSRF_HEADER)


def may(role: Role, command: str) -> bool:
    return command in ROLE_COMMANDS.get(role, frozenset())


def page(ctx: Ctx | None, template: str, status: int = 200, request: Request | None = None,
         **values: Any) -> HTMLResponse:
    """A page (or a fragment: a template that extends nothing) with the headers every page carries."""
    request = request or (ctx.request if ctx else None)
    nav = [] if ctx is None else [(label, href) for label, href, roles in NAV if ctx.role in roles]
    current = request.url.path if request is not None else ""
    html = ENV.get_template(template).render(
        ctx=ctx, nav=nav, current=current, may=(lambda c: may(ctx.role, c)) if ctx else (lambda c: False),
        now=ctx.now if ctx else None, **values)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def redirect(url: str, request: Request | None = None) -> Response:
    """303 after a form (so reloading does not post again); to htmx, HX-Redirect so the whole page moves."""
    if request is not None and request.headers.get("hx-request"):
        return Response(status_code=204, headers={**HEADERS, "HX-Redirect": url})
    return RedirectResponse(url, status_code=303, headers=HEADERS)
