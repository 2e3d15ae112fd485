"""Agreements and officers: lists with filters, detail pages with their history, and the lifecycle commands
the caller's role may issue at the record's present state (no button for a step the lifecycle forbids)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from custody_ledger.app import pages, reads
from custody_ledger.app.access import NAMESPACE_SEP
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.model import AgreementModel, AgreementStatus, CertificateStatus

from . import render
from .forms import CommandForm, action, command_form, explain, page, run_command, status_of
from .session import Ctx

router = APIRouter(prefix="/ui", include_in_schema=False)

Filter = Annotated[str | None, Query(max_length=100)]
Failed = tuple[str, Mapping[str, Any], Mapping[str, str]] | None

# The agreement lifecycle's next steps from each state (domain/lifecycle.py decides; these only choose buttons).
_AGREEMENT_STEPS: Mapping[str, tuple[tuple[str, str], ...]] = {
    AgreementStatus.REQUESTED.value: (("review_agreement", "Record ICE's suitability review"),),
    AgreementStatus.SUITABLE.value: (("sign_agreement", "Record the signed agreement"),),
    AgreementStatus.ACTIVE.value: (("suspend_agreement", "Suspend the agreement"),
                                   ("terminate_agreement", "Terminate the agreement")),
    AgreementStatus.SUSPENDED.value: (("reinstate_agreement", "Reinstate the agreement"),
                                      ("terminate_agreement", "Terminate the agreement")),
}


def _blank(value: str | None) -> str | None:
    return value or None


def _enum(value: str | None, allowed: type[Any], field: str) -> str | None:
    if not value:
        return None
    if value not in {m.value for m in allowed}:
        raise Invalid(f"{field} must be one of {', '.join(m.value for m in allowed)}", field=field)
    return value


def _create_form(ctx: Ctx, command: str, title: str, new_id: str) -> CommandForm:
    """A record of the user's own agency, its new id begun in the agency's namespace (app/access.py)."""
    agency = ctx.principal.agency_id or ""
    return command_form(command, title, {"agency_id": agency}, prefill={new_id: f"{agency}{NAMESPACE_SEP}"})


@router.get("/agreements")
@page
def agreements(ctx: Ctx, agency_id: Filter = None, model: Filter = None, status: Filter = None,
               after: Filter = None) -> Response:
    listing = reads.run(ctx.engine, reads.agreements, ctx.principal, agency_id=_blank(agency_id),
                        model=_enum(model, AgreementModel, "model"), status=_enum(status, AgreementStatus, "status"),
                        after=_blank(after), limit=100)
    forms = [_create_form(ctx, "request_agreement", "Request an agreement", "agreement_id")] \
        if render.may(ctx.role, "request_agreement") else []
    return render.page(ctx, "agreements.html", items=listing.items, next=listing.next, forms=forms,
                       filters={"agency_id": agency_id or "", "model": model or "", "status": status or ""},
                       models=[m.value for m in AgreementModel], statuses=[s.value for s in AgreementStatus])


def agreement_page(ctx: Ctx, agreement_id: str, status: int = 200, failed: Failed = None) -> Response:
    item = reads.run(ctx.engine, pages.agreement, ctx.principal, agreement_id)
    steps = _AGREEMENT_STEPS.get(item["status"], ())
    forms = [command_form(name, title, {"agreement_id": agreement_id}, failed=failed)
             for name, title in steps if render.may(ctx.role, name)]
    return render.page(ctx, "agreement.html", status, item=item, forms=forms,
                       done=ctx.request.query_params.get("done"))


@router.get("/agreements/{agreement_id:path}")
@page
def agreement(ctx: Ctx, agreement_id: str) -> Response:
    return agreement_page(ctx, agreement_id)


@router.get("/officers")
@page
def officers(ctx: Ctx, agency_id: Filter = None, after: Filter = None) -> Response:
    listing = reads.run(ctx.engine, reads.officers, ctx.principal, agency_id=_blank(agency_id), after=_blank(after),
                        limit=100)
    forms = [_create_form(ctx, "nominate_officer", "Nominate an officer", "officer_id")] \
        if render.may(ctx.role, "nominate_officer") else []
    return render.page(ctx, "officers.html", items=listing.items, next=listing.next, forms=forms,
                       filters={"agency_id": agency_id or ""})


def _officer_forms(ctx: Ctx, item: Mapping[str, Any], failed: Failed) -> list[CommandForm]:
    fixed = {"officer_id": item["officer_id"]}
    current = [c["model"] for c in item["certificates"] if c["status"] == CertificateStatus.CURRENT.value]
    wanted: list[CommandForm] = []
    if item.get("separated_on") is None:
        if item.get("background") is None:
            wanted.append(command_form("record_background_check", "Record the background check", fixed,
                                       failed=failed))
        wanted.append(command_form("record_training", "Record training", fixed, failed=failed))
        active = reads.run(ctx.engine, reads.agreements, ctx.principal, agency_id=item["agency_id"],
                           status=AgreementStatus.ACTIVE.value, limit=100).items
        if active:
            wanted.append(command_form("certify_officer", "Certify the officer", fixed, failed=failed,
                                       choices={"agreement_id": tuple(a["agreement_id"] for a in active)}))
        if current:
            choices = {"model": tuple(current)}
            wanted.append(command_form("suspend_certificate", "Suspend a certificate", fixed, failed=failed,
                                       choices=choices))
            wanted.append(command_form("revoke_certificate", "Revoke a certificate", fixed, failed=failed,
                                       choices=choices))
        wanted.append(command_form("separate_officer", "Record that the officer left", fixed, failed=failed))
    return [f for f in wanted if render.may(ctx.role, f.command)]


def officer_page(ctx: Ctx, officer_id: str, status: int = 200, failed: Failed = None) -> Response:
    item = reads.run(ctx.engine, reads.officer, ctx.principal, officer_id)
    return render.page(ctx, "officer.html", status, item=item, forms=_officer_forms(ctx, item, failed),
                       done=ctx.request.query_params.get("done"))


@router.get("/officers/{officer_id:path}")
@page
def officer(ctx: Ctx, officer_id: str) -> Response:
    return officer_page(ctx, officer_id)


_ON = {"agreement": ("agreement_id", agreement_page, "/ui/agreements/"),
       "officer": ("officer_id", officer_page, "/ui/officers/")}
_ALLOWED = {"agreement": {"request_agreement", *(n for steps in _AGREEMENT_STEPS.values() for n, _ in steps)},
            "officer": {"nominate_officer", "record_background_check", "record_training", "certify_officer",
                        "suspend_certificate", "revoke_certificate", "separate_officer"}}


@router.post("/registry-action")
@action
def registry_action(ctx: Ctx, form: dict[str, str]) -> Response:
    """One lifecycle command on an agreement or officer: on success the record's page, on failure that page
    again with the rule's sentence beside the form that failed."""
    kind, command = form.get("kind", ""), form.get("command", "")
    if kind not in _ON or command not in _ALLOWED[kind]:
        raise Invalid("command is not one of this page's", field="command")
    key, rebuild, prefix = _ON[kind]
    result = run_command(ctx, command, form)
    target = form.get(key, "")
    if result["ok"]:
        return render.redirect(f"{prefix}{render.path(target)}?done={command}", ctx.request)
    error = explain(ctx, result["error"])
    if command in ("request_agreement", "nominate_officer"):
        return render.page(ctx, "error.html", status_of(error), error=error)
    return rebuild(ctx, target, status_of(error), failed=(command, error, form))
