"""What each role may do, and over which agencies: checked for every command and every read.

Roles map to commands (DESIGN.md, "who" column of the vocabulary). Scope is the agency: staff,
officers and integration keys see their own agency; an ICE supervisor sees the agencies of their
field office; a program administrator and an auditor see all. An object outside the caller's scope
is answered as not found, so its existence does not leak (no broken object-level authorization).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.errors import DomainError, Invalid, NotFound
from custody_ledger.ledger import db, projections
from custody_ledger.ledger.schema import agencies

from .auth import Forbidden, Principal, Role, log_access

# What ICE's public list and the agreement's own papers say of it (issue 13): the program administrator's.
AGREEMENT_RECORDS = ("resign_agreement", "amend_agreement", "attach_agreement_document", "delist_agreement",
                     "relist_agreement")
_JAIL = frozenset({"book_person", "release_from_criminal_custody", "release_hold"})
# Court orders on a person's record are carried out by the agency that holds it (its records custodian).
_AGENCY_ADMIN = frozenset({"register_facility", "request_agreement", "nominate_officer", "separate_officer",
                           "seal_person", "unseal_person", "expunge_person"})
_OFFICER = frozenset({"serve_warrant", "interview_status", "issue_detainer", "enter_ice_data"})
_SUPERVISOR = frozenset({
    "register_agency", "amend_agency", "review_agreement", "record_background_check", "record_training",
    "certify_officer", "suspend_certificate", "revoke_certificate", "lodge_warrant", "cancel_warrant",
    "transfer_custody",
})
_ADMIN = frozenset({
    "register_field_office", "register_agency", "amend_agency", "sign_agreement", "suspend_agreement",
    "reinstate_agreement", "terminate_agreement", *AGREEMENT_RECORDS,
})
# Who is told of alerts outside the product: an agency for itself, a supervisor for the field office's agencies.
_ROUTES = frozenset({"set_alert_route", "remove_alert_route"})
# Everyone who works holds sees the alerts of their scope and acknowledges them; an auditor reads, never acts.
_ACK = frozenset({"acknowledge_alert"})
# Who pays and who watches (issue 15): costs, complaints and steering committee meetings are recorded by the agency
# for itself, by ICE's supervisors for their field office's agencies, and by the program administrator.
_ACCOUNTABILITY = frozenset({"record_cost", "record_complaint", "refer_complaint", "close_complaint",
                             "record_steering_meeting", "publish_steering_minutes"})
# No role's: only the watchdog records that a moment fell due (app/watchdog.py).
SYSTEM_COMMANDS = frozenset({"record_alert"})

ROLE_COMMANDS: Mapping[Role, frozenset[str]] = {
    Role.FACILITY_STAFF: _JAIL | _ACK,
    Role.AGENCY_ADMIN: _AGENCY_ADMIN | _JAIL | _ROUTES | _ACK | _ACCOUNTABILITY,
    Role.CERTIFIED_OFFICER: _OFFICER | _ACK,
    Role.ICE_SUPERVISOR: _SUPERVISOR | _ROUTES | _ACK | _ACCOUNTABILITY,
    # Separation of duties (DESIGN.md, who): delegated officers work under ICE supervision (8 U.S.C.
    # § 1357(g)(3)) and agencies run their own rosters, so the program administrator does neither.
    Role.PROGRAM_ADMIN: _ADMIN | _ROUTES | _ACK | _ACCOUNTABILITY,
    Role.AUDITOR: frozenset(),
    Role.INTEGRATION: frozenset({"book_person", "release_from_criminal_custody"}),
}

# Which record a command acts on, and so which agency it belongs to: (kind, payload field).
_TARGETS: Mapping[str, tuple[str, str]] = {
    **{c: ("agreement", "agreement_id") for c in (
        "review_agreement", "sign_agreement", "suspend_agreement", "reinstate_agreement", "terminate_agreement",
        *AGREEMENT_RECORDS)},
    **{c: ("officer", "officer_id") for c in ("record_background_check", "record_training", "certify_officer",
                                              "suspend_certificate", "revoke_certificate", "separate_officer")},
    **{c: ("booking", "booking_id") for c in ("release_from_criminal_custody", "lodge_warrant", "interview_status",
                                              "issue_detainer", "enter_ice_data")},
    "book_person": ("facility", "facility_id"),
    "cancel_warrant": ("warrant", "warrant_id"),
    "serve_warrant": ("warrant", "warrant_id"),
    "transfer_custody": ("hold", "hold_id"),
    "release_hold": ("hold", "hold_id"),
    "acknowledge_alert": ("alert", "alert_id"),
    **{c: ("booking", "booking_id") for c in ("seal_person", "unseal_person", "expunge_person")},
    "remove_alert_route": ("alert_route", "route_id"),
    **{c: ("complaint", "complaint_id") for c in ("refer_complaint", "close_complaint")},
    "publish_steering_minutes": ("steering_meeting", "meeting_id"),
}


# Other records a command names besides its target (kind, payload field): one outside the caller's scope is answered
# as not found, as the target would be, so naming another agency's hold tells nothing of it (issue 11). Within the
# caller's scope the domain judges whether it is the right agency's (accountability.same_agency).
_REFERENCES: Mapping[str, tuple[tuple[str, str], ...]] = {
    "record_cost": (("agreement", "agreement_id"), ("hold", "hold_id")),
    "record_complaint": (("officer", "officer_id"),),
    "record_steering_meeting": (("agreement", "agreement_id"),),
}


# The commands that create a record under an id the client chooses: (kind, payload field).
# The new id each creating command names: a scoped caller names it inside its own namespace (NAMESPACE_SEP).
# Agencies themselves are public (ICE publishes its agreements), so their ids need no namespace.
_CREATES: Mapping[str, str] = {
    "register_facility": "facility_id",
    "request_agreement": "agreement_id",
    "nominate_officer": "officer_id",
    "book_person": "booking_id",
    "lodge_warrant": "warrant_id",
    "serve_warrant": "hold_id",
    "set_alert_route": "route_id",
    "record_cost": "cost_id",
    "record_complaint": "complaint_id",
    "record_steering_meeting": "meeting_id",
}
# Agency and field-office ids never hold it (domain/declare.SCOPE_ID), so one scope's prefix is never
# the beginning of another's; and unlike "/" it fits in a URL path and unlike ":" in a stream name.
NAMESPACE_SEP = "."


def agencies_in_scope(conn: Connection, principal: Principal) -> frozenset[str] | None:
    """The agency ids the principal may see; None means all of them."""
    if principal.role in (Role.PROGRAM_ADMIN, Role.AUDITOR):
        return None
    if principal.role is Role.ICE_SUPERVISOR:
        rows = conn.execute(sa.select(agencies.c.agency_id).where(
            agencies.c.field_office_id == principal.field_office_id))
        return frozenset(rows.scalars())
    return frozenset({principal.agency_id}) if principal.agency_id else frozenset()


def in_scope(conn: Connection, principal: Principal, agency_id: str | None) -> bool:
    scope = agencies_in_scope(conn, principal)
    return scope is None or agency_id in scope


def authorize_role(principal: Principal, command: object) -> None:
    """Before anything else is read: may this role issue this command at all (403)?"""
    if not isinstance(command, str) or command not in ROLE_COMMANDS[principal.role]:
        raise Forbidden(f"the {principal.role.value} role may not {command}", field="command")


def require_role(engine: Engine, principal: Principal, command: object, now: datetime) -> None:
    """authorize_role, with a refused attempt written to the access log before it is answered."""
    try:
        authorize_role(principal, command)
    except Forbidden as denial:
        with db.write_transaction(engine) as conn:
            log_denial(conn, principal, command, denial, None, now)
        raise


def log_denial(conn: Connection, principal: Principal, command: object, denial: DomainError, payload: Any,
               now: datetime) -> None:
    """Oversight asks who tried to act beyond their role or agency, not only who succeeded."""
    target = getattr(payload, denial.field, None) if denial.field else None
    resource = f"{denial.field}:{target}" if target is not None else None
    outcome = "not_found" if isinstance(denial, NotFound) else "refused"
    log_access(conn, principal.id, f"command:{str(command)[:60]}", outcome, now=now, role=principal.role.value,
               agency_id=principal.agency_id, resource=None if resource is None else resource[:250],
               remote=principal.remote)


def authorize_command(conn: Connection, principal: Principal, command: str, payload: Any) -> None:
    """Role (403), an officer only as themself (403), then scope (404 as if absent)."""
    authorize_role(principal, command)
    if getattr(payload, "source", None) is not None:
        # An imported record is exempt from the late-entry flag (domain/provenance.py): only importers, which
        # run inside the product, may say a record came from a file.
        raise Forbidden("source is set only by the product's importers (POST /imports/...)", field="source")
    acting_as = getattr(payload, "officer_id", principal.officer_id)  # only commands that name an officer
    if principal.role is Role.CERTIFIED_OFFICER and acting_as != principal.officer_id:
        raise Forbidden("an officer acts only under their own name and certificate", field="officer_id")
    agency = _command_agency(conn, command, payload)
    if agency is not _UNSCOPED and not in_scope(conn, principal, agency):
        field = _TARGETS.get(command, ("", "agency_id"))[1]
        raise NotFound.of(field, getattr(payload, field, ""))
    if principal.role is Role.ICE_SUPERVISOR and command == "register_agency" and \
            payload.field_office_id != principal.field_office_id:
        raise NotFound.of("field_office_id", payload.field_office_id)
    _require_references_in_scope(conn, principal, command, payload)
    office = _route_office(conn, command, payload)
    if office is not None and not _covers_office(principal, office):
        raise NotFound.of("field_office_id" if command == "set_alert_route" else "route_id",
                          getattr(payload, "field_office_id", None) or payload.route_id)
    _require_own_namespace(conn, principal, command, payload)


def _require_references_in_scope(conn: Connection, principal: Principal, command: str, payload: Any) -> None:
    for kind, field in _REFERENCES.get(command, ()):
        ident = getattr(payload, field)
        entity = None if ident is None else projections.load(conn, kind, **{_key(kind): ident})
        if entity is not None and not in_scope(conn, principal, entity.agency_id):
            raise NotFound.of(field, ident)


def _require_own_namespace(conn: Connection, principal: Principal, command: str, payload: Any) -> None:
    """A scoped caller's new id begins with the id of the agency it belongs to (a field office's alert route: the
    field office's) and ".": `AG-A.BK-1` (issue 11). Ids per agency: an id another agency took is never in the caller's
    namespace, so creating a record answers nothing about anyone else's. Callers who see everything (the
    program administrator, the command line) name ids freely."""
    if command not in _CREATES or agencies_in_scope(conn, principal) is None:
        return
    field = _CREATES[command]
    owner = _owner(conn, command, payload)
    if owner is None:
        return  # the record it belongs to does not exist: the domain answers not found
    prefix = f"{owner}{NAMESPACE_SEP}"
    ident = str(getattr(payload, field))
    if not ident.startswith(prefix) or len(ident) == len(prefix):
        raise Invalid(f"{field} must begin with {prefix} (the ids you create are your agency's own: e.g. "
                      f"{prefix}{ident.rsplit(NAMESPACE_SEP, 1)[-1]})", field=field)


def _owner(conn: Connection, command: str, payload: Any) -> str | None:
    if command == "set_alert_route" and payload.agency_id is None:
        return payload.field_office_id  # type: ignore[no-any-return]
    agency = _command_agency(conn, command, payload)
    return None if agency is _UNSCOPED else agency


def _route_office(conn: Connection, command: str, payload: Any) -> str | None:
    """The field office an alert route covers, for a route set on a field office rather than an agency."""
    if command == "set_alert_route":
        return payload.field_office_id  # type: ignore[no-any-return]
    if command == "remove_alert_route":
        route = projections.load(conn, "alert_route", route_id=payload.route_id)
        return None if route is None else route.field_office_id
    return None


def _covers_office(principal: Principal, office: str) -> bool:
    return principal.role is Role.PROGRAM_ADMIN or (
        principal.role is Role.ICE_SUPERVISOR and principal.field_office_id == office)


_UNSCOPED = object()


def _command_agency(conn: Connection, command: str, payload: Any) -> Any:
    """The agency a command's target belongs to; None when the target does not exist (yet)."""
    if command in ("register_field_office", "register_agency"):
        return _UNSCOPED
    if command == "set_alert_route" and payload.agency_id is None:
        return _UNSCOPED  # a field office's route: _route_office judges it
    if command not in _TARGETS:
        return payload.agency_id  # register_facility, request_agreement, nominate_officer name their agency
    kind, field = _TARGETS[command]
    entity = projections.load(conn, kind, **{_key(kind): getattr(payload, field)})
    # An unknown target: the handler answers not found, which leaks nothing. A field office's route has no
    # agency: _route_office judges it.
    return _UNSCOPED if entity is None or entity.agency_id is None else entity.agency_id


def _key(kind: str) -> str:
    return projections.KINDS[kind].keys[0]
