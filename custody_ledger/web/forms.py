"""Forms in, commands out, errors back beside the form: the web's one translation of failures (DESIGN.md style 7).

`page` and `action` wrap every route: no live session sends the browser to the log-in page, a DomainError
becomes a page that names the field and the rule, and nothing unexpected ever shows a stack trace.
A command form is drawn from the command's own declaration (domain/commands.py): each field's label, help
text, kind of input and bounds come from there, so a form cannot drift from what the command accepts.
"""

from __future__ import annotations

import functools
import inspect
import logging
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from custody_ledger.app import auth, pages
from custody_ledger.app.execute import execute
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.declare import field_specs
from custody_ledger.domain.errors import DomainError

from . import render
from .session import BadForm, Ctx, LoginRequired, check_form, context

log = logging.getLogger("custody_ledger.web")

_STATUS = {"refused": 403, "forbidden": 403, "unauthorized": 401, "invalid": 422, "not_found": 404,
           "conflict": 409, "too_many_requests": 429}


def status_of(error: Mapping[str, Any]) -> int:
    return _STATUS.get(str(error.get("kind")), 400)


def explain(ctx: Ctx, error: Mapping[str, Any]) -> dict[str, Any]:
    """An error as the page shows it: the message, the field, and for a refusal the rule's own sentence."""
    words = pages.rule_words(ctx.policy, error.get("rule_id"), ctx.now, "UTC")
    return {**error, "rule_text": None if words is None else words["text"]}


def _failure(request: Request, ctx: Ctx | None, exc: Exception) -> Response:
    try:
        return _failure_page(request, ctx, exc)
    except Exception:  # the error page itself failed: a plain answer, still no trace
        log.exception("web error page failed")
        return HTMLResponse("<!doctype html><title>Error</title><p>Internal error; nothing was changed.</p>",
                            status_code=500, headers=render.HEADERS)


def _failure_page(request: Request, ctx: Ctx | None, exc: Exception) -> Response:
    if isinstance(exc, LoginRequired):
        return render.redirect("/", request)
    if isinstance(exc, BadForm):
        error: Mapping[str, Any] = {"kind": "forbidden", "message": str(exc), "field": "csrf"}
        return render.page(ctx, "error.html", 403, request=request, error=error)
    if isinstance(exc, DomainError):
        error = exc.to_dict() if ctx is None else explain(ctx, exc.to_dict())
        return render.page(ctx, "error.html", status_of(error), request=request, error=error)
    log.exception("web page failed")  # never shown: it may carry SQL or a person's data
    error = {"kind": "internal", "message": "internal error; nothing was changed", "field": None}
    return render.page(ctx, "error.html", 500, request=request, error=error)


def _signature(fn: Callable[..., Any], drop: int) -> inspect.Signature:
    """`fn`'s parameters after the first `drop`, behind a `request`: what FastAPI reads to parse the route."""
    hints = typing.get_type_hints(fn, include_extras=True)
    params = [p.replace(annotation=hints.get(p.name, p.annotation))
              for p in list(inspect.signature(fn).parameters.values())[drop:]]
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
    return inspect.Signature([request, *params])


def page(fn: Callable[..., Response]) -> Callable[..., Response]:
    """A GET route `fn(ctx, **params)`. A GET sent by htmx is the page refreshing a part of itself (the board
    every 30 s), not the user: it does not count as activity towards the idle limit."""
    @functools.wraps(fn)
    def endpoint(request: Request, **params: Any) -> Response:
        ctx = None
        try:
            ctx = context(request, activity=not request.headers.get("hx-request"))
            return fn(ctx, **params)
        except Exception as exc:
            return _failure(request, ctx, exc)

    endpoint.__signature__ = _signature(fn, 1)  # type: ignore[attr-defined]
    del endpoint.__wrapped__  # FastAPI must read the signature above, not fn's
    return endpoint


def action(fn: Callable[..., Response]) -> Callable[..., Any]:
    """A POST route `fn(ctx, form, **params)`: the form is read, its CSRF token checked, then `fn` runs."""
    @functools.wraps(fn)
    async def endpoint(request: Request, **params: Any) -> Response:
        form = await read_form(request)
        return await run_in_threadpool(_act, fn, request, form, params)

    endpoint.__signature__ = _signature(fn, 2)  # type: ignore[attr-defined]
    del endpoint.__wrapped__
    return endpoint


def _act(fn: Callable[..., Response], request: Request, form: dict[str, str], params: dict[str, Any]) -> Response:
    ctx = None
    try:
        ctx = context(request)
        check_form(ctx, form)
        return fn(ctx, form, **params)
    except Exception as exc:
        return _failure(request, ctx, exc)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded body as a dict (the last of repeated names); anything else is read as an empty form,
    which then fails its CSRF check."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=100))


# --- command forms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str
    kind: str  # text, date, number, checkbox, select
    required: bool
    choices: tuple[str, ...] = ()
    maxlength: int | None = None


def _kind(tp: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "select", tuple(str(m.value) for m in tp)
    if tp is bool:
        return "checkbox", ()
    if tp is date:
        return "date", ()
    if tp is int:
        return "number", ()
    return "text", ()


@functools.cache
def fields(command: str) -> tuple[Field, ...]:
    out = []
    for spec in field_specs(COMMANDS[command]):
        kind, choices = _kind(spec.type)
        out.append(Field(spec.name, spec.name.replace("_", " ").capitalize(), spec.doc, kind,
                         not spec.optional and kind != "checkbox", choices,
                         spec.bounds.max_length if spec.bounds else None))
    return tuple(out)


@dataclass(frozen=True)
class CommandForm:
    """A form for one command as a page draws it: the fields to fill, the values fixed by the page (hidden),
    a fresh idempotency key (a form sent twice is one command), and the error of the last attempt."""

    command: str
    title: str
    fixed: Mapping[str, str]
    key: str
    error: Mapping[str, Any] | None = None
    values: Mapping[str, str] | None = None
    choices: Mapping[str, tuple[str, ...]] | None = None  # a page's narrower list of choices for a field

    @property
    def fields(self) -> tuple[Field, ...]:
        narrowed = self.choices or {}
        return tuple(Field(f.name, f.label, f.help, "select" if f.name in narrowed else f.kind, f.required,
                           narrowed.get(f.name, f.choices), f.maxlength)
                     for f in fields(self.command) if f.name not in self.fixed)


def command_form(command: str, title: str, fixed: Mapping[str, str] | None = None, *,
                 choices: Mapping[str, tuple[str, ...]] | None = None, prefill: Mapping[str, str] | None = None,
                 failed: tuple[str, Mapping[str, Any], Mapping[str, str]] | None = None) -> CommandForm:
    """`failed` = (command, error, values sent) of the attempt that just failed: shown on its own form, with the
    values as typed; otherwise the fields start from `prefill`."""
    mine = failed is not None and failed[0] == command
    return CommandForm(command, title, dict(fixed or {}), uuid.uuid4().hex,
                       failed[1] if failed and mine else None, failed[2] if failed and mine else prefill, choices)


def payload(command: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The command's fields from the form: blank optional fields left out, a checkbox true only when ticked.
    Everything else goes to the command as typed: its own parser names the field and the rule."""
    out: dict[str, Any] = {}
    for f in fields(command):
        raw = form.get(f.name, "").strip()
        if f.kind == "checkbox":
            out[f.name] = raw == "true"
        elif raw or f.required:
            out[f.name] = int(raw) if f.kind == "number" and raw.lstrip("-").isdigit() else raw
    return out


def run_command(ctx: Ctx, command: str, form: Mapping[str, str]) -> dict[str, Any]:
    """Run the command as the logged-in user, under the key the form was drawn with; the result as a dict."""
    auth.require_write_factors(ctx.engine, ctx.settings, ctx.principal, f"web:{command}", ctx.now)
    raw = {"command": command, "idempotency_key": form.get("idempotency_key") or uuid.uuid4().hex,
           **payload(command, form)}
    return execute(ctx.engine, raw, now=ctx.now, policy=ctx.policy, principal=ctx.principal).to_dict()
