"""Serving a warrant: the officer picks a lodged warrant of a person just released, sees the deadline that
serving it now would open (or the rule that forbids it), and confirms."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from custody_ledger.app import pages, reads
from custody_ledger.app.access import NAMESPACE_SEP
from custody_ledger.app.auth import Forbidden

from . import render
from .forms import action, command_form, explain, page, run_command, status_of
from .session import Ctx

router = APIRouter(prefix="/ui", include_in_schema=False)


def _officer(ctx: Ctx) -> str:
    if not render.may(ctx.role, "serve_warrant") or ctx.principal.officer_id is None:
        raise Forbidden("only a certified officer serves a warrant, under their own certificate", field="role")
    return ctx.principal.officer_id


@router.get("/serve")
@page
def servable(ctx: Ctx) -> Response:
    _officer(ctx)
    warrants = reads.run(ctx.engine, pages.servable_warrants, ctx.principal, now=ctx.now,
                         mfa_required=ctx.settings.mfa_required, policy=ctx.policy)
    return render.page(ctx, "serve.html", warrants=warrants)


def preview_page(ctx: Ctx, warrant_id: str, status: int = 200,
                 failed: tuple[str, Mapping[str, Any], Mapping[str, str]] | None = None) -> Response:
    officer = _officer(ctx)
    preview = reads.run(ctx.engine, pages.serve_preview, ctx.principal, warrant_id, now=ctx.now,
                        mfa_required=ctx.settings.mfa_required, policy=ctx.policy)
    # The hold's id is the agency's own (app/access.py namespaces), made here so the officer types nothing.
    hold_id = f"{preview['agency_id']}{NAMESPACE_SEP}H-{ctx.now:%Y%m%d%H%M}-{secrets.token_hex(2)}"
    form = command_form("serve_warrant", "Serve the warrant now",
                        {"warrant_id": warrant_id, "officer_id": officer, "hold_id": hold_id}, failed=failed)
    return render.page(ctx, "serve_preview.html", status, preview=preview, form=form, hold_id=hold_id)


@router.get("/serve/{warrant_id:path}")
@page
def preview(ctx: Ctx, warrant_id: str) -> Response:
    return preview_page(ctx, warrant_id)


@router.post("/serve")
@action
def serve(ctx: Ctx, form: dict[str, str]) -> Response:
    """The command decides again, on the facts at this moment: the preview may be minutes old."""
    form = {**form, "officer_id": _officer(ctx)}
    result = run_command(ctx, "serve_warrant", form)
    if result["ok"]:
        return render.redirect(f"/ui/holds/{render.path(result['hold_id'])}?done=serve_warrant", ctx.request)
    error = explain(ctx, result["error"])
    return preview_page(ctx, form.get("warrant_id", ""), status_of(error), failed=("serve_warrant", error, form))
