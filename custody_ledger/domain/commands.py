"""The command vocabulary (DESIGN.md): one frozen dataclass per command, payload fields only.

The envelope (command, idempotency_key, actor, occurred_at) is parsed by `parse_envelope`.
Names and fields here are the public contract; fields may be added, never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .errors import Invalid
from .ids import (
    AgencyId,
    AgreementId,
    BookingId,
    FacilityId,
    FieldOfficeId,
    HoldId,
    OfficerId,
    WarrantId,
)
from .model import (
    AgencyKind,
    AgreementModel,
    BackgroundResult,
    ChargeStatus,
    CriminalReleaseReason,
    ReleaseReason,
    ReviewDecision,
    WarrantForm,
)
from .parse import parse, parse_instant


@dataclass(frozen=True)
class RegisterFieldOffice:
    field_office_id: FieldOfficeId
    name: str
    timezone: str


@dataclass(frozen=True)
class RegisterAgency:
    agency_id: AgencyId
    name: str
    kind: AgencyKind
    state: str
    county: str
    ori: str
    field_office_id: FieldOfficeId


@dataclass(frozen=True)
class RegisterFacility:
    facility_id: FacilityId
    agency_id: AgencyId
    name: str
    timezone: str


@dataclass(frozen=True)
class RequestAgreement:
    agreement_id: AgreementId
    agency_id: AgencyId
    model: AgreementModel


@dataclass(frozen=True)
class ReviewAgreement:
    agreement_id: AgreementId
    decision: ReviewDecision
    reasons: str


@dataclass(frozen=True)
class SignAgreement:
    agreement_id: AgreementId
    signed_on: date
    effective_from: date
    igsa: bool
    expires_on: date | None = None


@dataclass(frozen=True)
class ChangeAgreement:
    """suspend_agreement, reinstate_agreement and terminate_agreement share one shape."""

    agreement_id: AgreementId
    reason: str
    effective_on: date | None = None  # the notice's own day when omitted; never earlier


@dataclass(frozen=True)
class NominateOfficer:
    officer_id: OfficerId
    agency_id: AgencyId
    name: str
    badge: str


@dataclass(frozen=True)
class RecordBackgroundCheck:
    officer_id: OfficerId
    result: BackgroundResult
    effective_on: date | None = None  # the notice's own day when omitted; never earlier


@dataclass(frozen=True)
class SeparateOfficer:
    """The officer left the agency (or its 287(g) program): every delegation to them ends."""

    officer_id: OfficerId
    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class RecordTraining:
    officer_id: OfficerId
    model: AgreementModel
    course: str
    hours: int
    completed_on: date
    exam_score: int | None = None  # percent; policy training.exam decides what passes


@dataclass(frozen=True)
class CertifyOfficer:
    officer_id: OfficerId
    model: AgreementModel
    agreement_id: AgreementId
    credential_no: str
    supervisor: str | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class ChangeCertificate:
    """suspend_certificate and revoke_certificate share one shape."""

    officer_id: OfficerId
    model: AgreementModel
    reason: str
    effective_on: date | None = None  # the notice's own day when omitted; never earlier


@dataclass(frozen=True)
class Person:
    name: str
    dob: date
    a_number: str | None = None


@dataclass(frozen=True)
class BookPerson:
    booking_id: BookingId
    facility_id: FacilityId
    person: Person
    charge_status: ChargeStatus


@dataclass(frozen=True)
class ReleaseFromCriminalCustody:
    booking_id: BookingId
    reason: CriminalReleaseReason


@dataclass(frozen=True)
class LodgeWarrant:
    warrant_id: WarrantId
    booking_id: BookingId
    form: WarrantForm
    number: str
    issued_on: date


@dataclass(frozen=True)
class CancelWarrant:
    warrant_id: WarrantId
    reason: str


@dataclass(frozen=True)
class ServeWarrant:
    hold_id: HoldId
    warrant_id: WarrantId
    officer_id: OfficerId


@dataclass(frozen=True)
class JailProcessing:
    """interview_status, issue_detainer and enter_ice_data: JEM functions, never a WSO's."""

    booking_id: BookingId
    officer_id: OfficerId
    notes: str | None = None


@dataclass(frozen=True)
class TransferCustody:
    hold_id: HoldId
    receiving_officer: str
    field_office_id: FieldOfficeId


@dataclass(frozen=True)
class ReleaseHold:
    hold_id: HoldId
    reason: ReleaseReason


COMMANDS: dict[str, type[Any]] = {
    "register_field_office": RegisterFieldOffice,
    "register_agency": RegisterAgency,
    "register_facility": RegisterFacility,
    "request_agreement": RequestAgreement,
    "review_agreement": ReviewAgreement,
    "sign_agreement": SignAgreement,
    "suspend_agreement": ChangeAgreement,
    "reinstate_agreement": ChangeAgreement,
    "terminate_agreement": ChangeAgreement,
    "nominate_officer": NominateOfficer,
    "record_background_check": RecordBackgroundCheck,
    "record_training": RecordTraining,
    "separate_officer": SeparateOfficer,
    "certify_officer": CertifyOfficer,
    "suspend_certificate": ChangeCertificate,
    "revoke_certificate": ChangeCertificate,
    "book_person": BookPerson,
    "release_from_criminal_custody": ReleaseFromCriminalCustody,
    "lodge_warrant": LodgeWarrant,
    "cancel_warrant": CancelWarrant,
    "serve_warrant": ServeWarrant,
    "interview_status": JailProcessing,
    "issue_detainer": JailProcessing,
    "enter_ice_data": JailProcessing,
    "transfer_custody": TransferCustody,
    "release_hold": ReleaseHold,
}

ENVELOPE_FIELDS = ("command", "idempotency_key", "actor", "occurred_at")


@dataclass(frozen=True)
class Envelope:
    command: str
    idempotency_key: str
    actor: str
    occurred_at: datetime | None
    payload: Any


def parse_envelope(raw: Mapping[str, object]) -> Envelope:
    """Parse one command line; `occurred_at` may be omitted (the caller then uses now)."""
    if not isinstance(raw, Mapping):
        raise Invalid("a command must be a JSON object", field=None)
    name = raw.get("command")
    if not isinstance(name, str) or name not in COMMANDS:
        raise Invalid(f"command must be one of the vocabulary; got {name!r}", field="command")
    key = raw.get("idempotency_key")
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise Invalid("idempotency_key is required: a string of 1 to 200 characters", field="idempotency_key")
    actor = raw.get("actor")
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
        raise Invalid("actor is required: a user or system id", field="actor")
    at = raw.get("occurred_at")
    occurred_at = None if at is None else parse_instant(at, "occurred_at")
    body = {k: v for k, v in raw.items() if k not in ENVELOPE_FIELDS}
    return Envelope(name, key, actor, occurred_at, parse(COMMANDS[name], body))
