"""Field offices, agencies, facilities and their 287(g) agreements: decide_*() may refuse, evolve_*() never."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import lifecycle
from .commands import (
    AgreementNotice,
    RegisterAgency,
    RegisterFacility,
    RegisterFieldOffice,
    ReinstateAgreement,
    RequestAgreement,
    ReviewAgreement,
    SignAgreement,
    SuspendAgreement,
    TerminateAgreement,
)
from .errors import Conflict, Invalid, NotFound
from .events import (
    AgencyAmended,
    AgencyRegistered,
    AgreementAmended,
    AgreementDelisted,
    AgreementReinstated,
    AgreementRelisted,
    AgreementRequested,
    AgreementResigned,
    AgreementReviewed,
    AgreementSigned,
    AgreementSuspended,
    AgreementTerminated,
    CertificateRevoked,
    FacilityRegistered,
    FieldOfficeRegistered,
)
from .history import require_not_backdated
from .model import (
    Agency,
    AgencyKind,
    Agreement,
    AgreementStatus,
    Certificate,
    CertificateStatus,
    Facility,
    FieldOffice,
    Jurisdiction,
    ReviewDecision,
)
from .policy import PolicyView
from .provenance import Source
from .states import require_state

# NCIC ORI: nine characters, the first two the state's code.
_ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")

AgreementEvent = AgreementRequested | AgreementReviewed | AgreementSigned | AgreementSuspended | (
    AgreementReinstated | AgreementTerminated | AgreementResigned | AgreementAmended | AgreementDelisted
    | AgreementRelisted
)
AgreementChange = AgreementSuspended | AgreementReinstated | AgreementTerminated | CertificateRevoked


def require_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{field} must be an IANA time zone such as America/Chicago; got {name!r}", field=field) from None


def require_new(existing: object, what: str, ident: str, field: str, view: PolicyView) -> None:
    if existing is not None:
        raise Conflict(f"{what} {ident} already exists", field=field, rule=view.rule("record.unique_id"))


def decide_register_field_office(
    cmd: RegisterFieldOffice, existing: FieldOffice | None, view: PolicyView
) -> list[FieldOfficeRegistered]:
    require_new(existing, "field office", cmd.field_office_id, "field_office_id", view)
    require_timezone(cmd.timezone)
    return [FieldOfficeRegistered(cmd.field_office_id, cmd.name, cmd.timezone)]


def decide_register_agency(
    cmd: RegisterAgency, existing: Agency | None, office: FieldOffice | None, view: PolicyView
) -> list[AgencyRegistered]:
    require_new(existing, "agency", cmd.agency_id, "agency_id", view)
    state = require_state(cmd.state)
    if cmd.ori is not None:
        require_ori(cmd.ori, state)
    if office is None:
        raise NotFound.of("field_office_id", cmd.field_office_id)
    return [AgencyRegistered(cmd.agency_id, cmd.name, cmd.kind, state, cmd.county, cmd.ori, cmd.field_office_id,
                             cmd.jurisdiction, cmd.source)]


def require_ori(ori: str, state: str) -> None:
    if not _ORI.match(ori) or not ori.startswith(state):
        raise Invalid(f"ori must be the 9-character NCIC code starting with {state}; got {ori!r}", field="ori")


def decide_register_facility(
    cmd: RegisterFacility, existing: Facility | None, agency: Agency | None, view: PolicyView
) -> list[FacilityRegistered]:
    require_new(existing, "facility", cmd.facility_id, "facility_id", view)
    require_timezone(cmd.timezone)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    return [FacilityRegistered(cmd.facility_id, cmd.agency_id, cmd.name, cmd.timezone)]


def decide_request_agreement(
    cmd: RequestAgreement, existing: Agreement | None, agency: Agency | None, view: PolicyView
) -> list[AgreementRequested]:
    require_new(existing, "agreement", cmd.agreement_id, "agreement_id", view)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    return [AgreementRequested(cmd.agreement_id, cmd.agency_id, cmd.model, cmd.source)]


def _found(agreement: Agreement | None, ident: str) -> Agreement:
    if agreement is None:
        raise NotFound.of("agreement_id", ident)
    return agreement


def decide_review_agreement(
    cmd: ReviewAgreement, agreement: Agreement | None, view: PolicyView
) -> list[AgreementReviewed]:
    found = _found(agreement, cmd.agreement_id)
    action = "approve" if cmd.decision is ReviewDecision.SUITABLE else "decline"
    lifecycle.advance(lifecycle.AGREEMENT, found.status, action, f"agreement {found.agreement_id}", view)
    return [AgreementReviewed(cmd.agreement_id, cmd.decision, cmd.reasons, cmd.source)]


def decide_sign_agreement(cmd: SignAgreement, agreement: Agreement | None, view: PolicyView) -> list[AgreementSigned]:
    found = _found(agreement, cmd.agreement_id)
    lifecycle.advance(lifecycle.AGREEMENT, found.status, "sign", f"agreement {found.agreement_id}", view)
    if cmd.effective_from < cmd.signed_on:
        raise Invalid("effective_from may not be before signed_on", field="effective_from")
    if cmd.expires_on is not None and cmd.expires_on <= cmd.effective_from:
        raise Invalid("expires_on must be after effective_from", field="expires_on")
    return [AgreementSigned(cmd.agreement_id, cmd.signed_on, cmd.effective_from, cmd.igsa, cmd.expires_on,
                            cmd.source)]


def decide_change_agreement(
    cmd: AgreementNotice,
    agreement: Agreement | None,
    certificates: Sequence[Certificate],
    view: PolicyView,
) -> list[AgreementChange]:
    """suspend_agreement, reinstate_agreement, terminate_agreement: each by its own command type."""
    found = _found(agreement, cmd.agreement_id)
    subject = f"agreement {found.agreement_id}"
    match cmd:
        case SuspendAgreement():
            lifecycle.advance(lifecycle.AGREEMENT, found.status, "suspend", subject, view)
            return [AgreementSuspended(cmd.agreement_id, cmd.reason, require_not_backdated(cmd.effective_on, view))]
        case ReinstateAgreement():
            lifecycle.advance(lifecycle.AGREEMENT, found.status, "reinstate", subject, view)
            return [AgreementReinstated(cmd.agreement_id, cmd.reason, require_not_backdated(cmd.effective_on, view))]
        case TerminateAgreement():
            lifecycle.advance(lifecycle.AGREEMENT, found.status, "terminate", subject, view)
            return _terminate(cmd, certificates, view)
        case _:
            assert_never(cmd)


def _terminate(
    cmd: TerminateAgreement, certificates: Sequence[Certificate], view: PolicyView
) -> list[AgreementChange]:
    effective_on = require_not_backdated(cmd.effective_on, view)
    rule = view.rule("agreement.termination_ends_certificates")
    ended: list[AgreementChange] = [
        CertificateRevoked(c.officer_id, c.model, f"agreement {cmd.agreement_id} terminated: {cmd.reason}", rule.id,
                           effective_on)
        for c in certificates
        if c.agreement_id == cmd.agreement_id and c.status is not CertificateStatus.REVOKED
    ]
    return [AgreementTerminated(cmd.agreement_id, cmd.reason, effective_on), *ended]


def _listed(agreement: Agreement, source: Source | None) -> dict[str, Any]:
    """An imported signature puts the agreement on the list as of its edition (a pending agency now signed)."""
    if source is None:
        return {}
    return {"listed_on": source.as_of, "delisted_on": None}


def evolve_field_office(_: FieldOffice | None, event: FieldOfficeRegistered) -> FieldOffice:
    return FieldOffice(event.field_office_id, event.name, event.timezone)


def evolve_agency(agency: Agency | None, e: AgencyRegistered | AgencyAmended) -> Agency:
    if isinstance(e, AgencyRegistered):
        return Agency(e.agency_id, e.name, e.kind, e.state, e.county, e.ori, e.field_office_id, e.jurisdiction)
    assert agency is not None, "agency_amended before agency_registered"
    values: dict[str, Any] = {c.field: _agency_value(c.field, c.new) for c in e.changes}
    return replace(agency, **values)


def _agency_value(field: str, value: str | None) -> object:
    if value is None:
        return None
    if field == "kind":
        return AgencyKind(value)
    if field == "jurisdiction":
        return Jurisdiction(value)
    return value


def evolve_facility(_: Facility | None, e: FacilityRegistered) -> Facility:
    return Facility(e.facility_id, e.agency_id, e.name, e.timezone)


def evolve_agreement(agreement: Agreement | None, event: AgreementEvent) -> Agreement:
    if isinstance(event, AgreementRequested):
        return Agreement(event.agreement_id, event.agency_id, event.model, AgreementStatus.REQUESTED,
                         listed_on=None if event.source is None else event.source.as_of)
    assert agreement is not None, "an agreement event before agreement_requested"
    match event:
        case AgreementReviewed():
            status = (
                AgreementStatus.SUITABLE if event.decision is ReviewDecision.SUITABLE else AgreementStatus.DECLINED
            )
            return replace(agreement, status=status, status_reason=event.reasons)
        case AgreementSigned():
            return replace(
                agreement,
                status=AgreementStatus.ACTIVE,
                igsa=event.igsa,
                signed_on=event.signed_on,
                effective_from=event.effective_from,
                expires_on=event.expires_on,
                status_reason=None,
                **_listed(agreement, event.source),
            )
        case AgreementResigned():
            return replace(agreement, signed_on=event.signed_on, effective_from=event.effective_from,
                           expires_on=event.expires_on, **_listed(agreement, event.source))
        case AgreementAmended():
            return replace(agreement, expires_on=event.expires_on if event.expires_on is not None else
                           agreement.expires_on, igsa=agreement.igsa if event.igsa is None else event.igsa)
        case AgreementDelisted():
            return replace(agreement, delisted_on=event.delisted_on)
        case AgreementRelisted():
            return replace(agreement, listed_on=event.listed_on, delisted_on=None)
        case AgreementSuspended():
            return replace(agreement, status=AgreementStatus.SUSPENDED, status_reason=event.reason)
        case AgreementReinstated():
            return replace(agreement, status=AgreementStatus.ACTIVE, status_reason=event.reason)
        case AgreementTerminated():
            return replace(agreement, status=AgreementStatus.TERMINATED, status_reason=event.reason)
        case _:
            assert_never(event)
