"""The holds board (what is due first, alerts on top) and the hold page (who, under what, what happened, what
may lawfully happen next)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from custody_ledger.app import pages, reads
from custody_ledger.app.auth import Role
from custody_ledger.domain.errors import DomainError, Invalid
from custody_ledger.domain.model import HoldStatus, ReleaseReason, WarrantStatus

from . import render
from .forms import action, command_form, explain, page, run_command, status_of
from .session import Ctx

router = APIRouter(prefix="/ui", include_in_schema=False)

BOARD_LIMIT = 500


def _board(ctx: Ctx) -> dict[str, Any]:
    mfa = ctx.settings.mfa_required
    alerts = reads.run(ctx.engine, reads.alerts, ctx.principal, now=ctx.now, mfa_required=mfa, policy=ctx.policy,
                       unacknowledged=True, limit=100).items
    # The most pressing first: the soonest deadline, and for one hold its latest moment (1h before 24h).
    alerts.sort(key=lambda a: (a["deadline"], -a["stage"]))
    holds = reads.run(ctx.engine, reads.holds, ctx.principal, now=ctx.now, mfa_required=mfa,
                      status=HoldStatus.OPEN.value, limit=BOARD_LIMIT).items
    names = {f["facility_id"]: f["name"] for f in
             reads.run(ctx.engine, reads.facilities, ctx.principal, limit=reads.MAX_LIMIT).items}
    timed = [h for h in holds if h["deadline"] is not None]
    return {"alerts": alerts, "timed": timed, "igsa": [h for h in holds if h["deadline"] is None],
            "facilities": names, "due_hour": sum(1 for h in timed if h["seconds_left"] <= 3600),
            "overdue": sum(1 for h in timed if h["seconds_left"] <= 0), "truncated": len(holds) >= BOARD_LIMIT}


@router.get("/holds")
@page
def board(ctx: Ctx) -> Response:
    """Open holds by time left, alerts first. htmx reloads the board part every 30 s (`board.html`)."""
    return render.page(ctx, "holds.html", **_board(ctx))


@router.get("/holds/board")
@page
def board_part(ctx: Ctx) -> Response:
    return render.page(ctx, "_board.html", **_board(ctx))


@router.post("/alerts/acknowledge")
@action
def acknowledge(ctx: Ctx, form: dict[str, str]) -> Response:
    result = run_command(ctx, "acknowledge_alert", form)
    if not result["ok"]:
        return render.page(ctx, "error.html", status_of(result["error"]), error=explain(ctx, result["error"]))
    if ctx.request.headers.get("hx-request"):
        return render.page(ctx, "_acknowledged.html", alert_id=form.get("alert_id", ""))
    return render.redirect("/ui/holds")


# --- one hold ----------------------------------------------------------------------------------------------


def _maybe(ctx: Ctx, reader: Any, *args: Any, **kwargs: Any) -> tuple[Any, Mapping[str, Any] | None]:
    """A part of the page the user may not see (a sealed person's record) is named as such, not an error."""
    try:
        return reads.run(ctx.engine, reader, ctx.principal, *args, **kwargs), None
    except DomainError as error:
        return None, error.to_dict()


def lawful_releases(hold: Mapping[str, Any], warrant: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The release reasons the rules would accept now: "limit reached" only at or after the deadline, "warrant
    cancelled" only for a cancelled warrant (DOMAIN.md; rules release.limit_reached, release.warrant_cancelled)."""
    reasons = []
    for reason in ReleaseReason:
        if reason is ReleaseReason.LIMIT_REACHED and not hold["overdue"] and hold["seconds_left"] != 0:
            continue
        if reason is ReleaseReason.WARRANT_CANCELLED and (
                warrant is None or warrant["status"] != WarrantStatus.CANCELLED.value):
            continue
        reasons.append(reason.value)
    return tuple(reasons)


def hold_page(ctx: Ctx, hold_id: str, status: int = 200,
              failed: tuple[str, Mapping[str, Any], Mapping[str, str]] | None = None) -> Response:
    mfa = ctx.settings.mfa_required
    hold = reads.run(ctx.engine, reads.hold, ctx.principal, hold_id, now=ctx.now, mfa_required=mfa)
    person, person_error = _maybe(ctx, reads.booking, hold["booking_id"], now=ctx.now, mfa_required=mfa,
                                  policy=ctx.policy)
    warrant, _ = _maybe(ctx, reads.warrant, hold["warrant_id"], now=ctx.now, mfa_required=mfa)
    officer, _ = _maybe(ctx, reads.officer, hold["officer_id"])
    certificate = next((c for c in (officer or {}).get("certificates", []) if c["model"] == "WSO"), None)
    timeline = reads.run(ctx.engine, pages.hold_timeline, ctx.principal, hold_id, now=ctx.now, mfa_required=mfa,
                         policy=ctx.policy)
    forms = []
    if hold["status"] == HoldStatus.OPEN.value:
        fixed = {"hold_id": hold_id}
        if render.may(ctx.role, "transfer_custody"):
            office = ctx.principal.field_office_id or ""
            forms.append(command_form("transfer_custody", "Record the transfer to ICE",
                                      {**fixed, **({"field_office_id": office} if office else {})}, failed=failed))
        if render.may(ctx.role, "release_hold"):
            forms.append(command_form("release_hold", "Release from the hold", fixed, failed=failed,
                                      choices={"reason": lawful_releases(hold, warrant)}))
    # A step refused because the hold changed meanwhile has no form left to stand beside: its error leads the page.
    orphan = failed[1] if failed and all(f.command != failed[0] for f in forms) else None
    return render.page(ctx, "hold.html", status, orphan=orphan, hold=hold, person=person, person_error=person_error,
                       warrant=warrant, officer=officer, certificate=certificate, timeline=timeline, forms=forms,
                       done=ctx.request.query_params.get("done"),
                       limit_rule=pages.rule_words(ctx.policy, hold["limit_rule_id"], hold["clock_started_at"],
                                                   hold["timezone"]),
                       auditor=ctx.role is Role.AUDITOR)


@router.get("/holds/{hold_id:path}")
@page
def one_hold(ctx: Ctx, hold_id: str) -> Response:
    return hold_page(ctx, hold_id)


@router.post("/hold-action")
@action
def hold_action(ctx: Ctx, form: dict[str, str]) -> Response:
    """Transfer or release: on success back to the hold; on failure the hold page again, the rule's sentence
    beside the form that failed and the values as typed."""
    command, hold_id = form.get("command", ""), form.get("hold_id", "")
    if command not in ("transfer_custody", "release_hold"):
        raise Invalid("command must be transfer_custody or release_hold", field="command")
    result = run_command(ctx, command, form)
    if result["ok"]:
        return render.redirect(f"/ui/holds/{render.path(hold_id)}?done={command}", ctx.request)
    error = explain(ctx, result["error"])
    return hold_page(ctx, hold_id, status_of(error), failed=(command, error, form))
