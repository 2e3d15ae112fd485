"""What clients send: one body per command, and the log-in; unknown fields are rejected.

Separate from the domain's dataclasses on purpose: these document and bound what crosses the wire
(lengths that fit the database columns, no NUL bytes), while the domain still parses every command
itself and has the last word. A body never carries the actor, a role or a status: the actor is the
authenticated principal and the rest is decided by the ledger (issue 3, "server-owned fields").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.model import (
    AgencyKind,
    AgreementModel,
    BackgroundResult,
    ChargeStatus,
    CriminalReleaseReason,
    ReleaseReason,
    ReviewDecision,
    WarrantForm,
)

# Ids fit the 100-character id columns; control characters are never part of an id.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=ID_PATTERN)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=ID_PATTERN)]
# PostgreSQL text cannot hold NUL; 500 is the domain's own bound for free text.
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]+$")]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$")]


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 has no UTC year
        raise ValueError("date-time is out of range once converted to UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: Instant | None = Field(
        None, description="When it happened in the world (ISO 8601 with offset); defaults to now.")


class RegisterFieldOffice(Body):
    field_office_id: Id
    name: Text
    timezone: Zone


class RegisterAgency(Body):
    agency_id: Id
    name: Text
    kind: AgencyKind
    state: Text = Field(description="Two-letter USPS code")
    county: Text
    ori: Text = Field(description="9-character NCIC agency code, starting with the state")
    field_office_id: Id


class RegisterFacility(Body):
    facility_id: Id
    agency_id: Id
    name: Text
    timezone: Zone = Field(description="IANA time zone, e.g. America/Chicago")


class RequestAgreement(Body):
    agreement_id: Id
    agency_id: Id
    model: AgreementModel


class ReviewAgreement(Body):
    agreement_id: Id
    decision: ReviewDecision
    reasons: Text


class SignAgreement(Body):
    agreement_id: Id
    signed_on: date
    effective_from: date
    igsa: StrictBool
    expires_on: date | None = None


class ChangeAgreement(Body):
    agreement_id: Id
    reason: Text
    effective_on: date | None = Field(
        None, description="The day the written notice takes effect: its own day when omitted, never earlier")


class NominateOfficer(Body):
    officer_id: Id
    agency_id: Id
    name: Text
    badge: Short


class RecordBackgroundCheck(Body):
    officer_id: Id
    result: BackgroundResult
    effective_on: date | None = Field(
        None, description="The day the result takes effect: the notice's own day when omitted, never earlier")


class RecordTraining(Body):
    officer_id: Id
    model: AgreementModel
    course: Text
    hours: Annotated[StrictInt, Field(ge=1, le=10_000)]
    completed_on: date
    exam_score: Annotated[StrictInt, Field(ge=0, le=100, description="Percent; 70 passes (policy training.exam)")] \
        | None = None


class CertifyOfficer(Body):
    officer_id: Id
    model: AgreementModel
    agreement_id: Id
    credential_no: Short
    supervisor: Text | None = Field(None, description="The supervising ICE position")
    expires_on: date | None = None


class ChangeCertificate(Body):
    officer_id: Id
    model: AgreementModel
    reason: Text
    effective_on: date | None = Field(
        None, description="The day the written notice takes effect: its own day when omitted, never earlier")


class SeparateOfficer(Body):
    officer_id: Id
    reason: Text
    effective_on: date | None = Field(
        None, description="The day the officer left the agency: the notice's own day when omitted, never earlier")


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    dob: date
    a_number: Annotated[str, StringConstraints(max_length=12)] | None = Field(
        None, description="ICE A-number: 'A' and 8 or 9 digits")


class BookPerson(Body):
    booking_id: Id
    facility_id: Id
    person: PersonIn
    charge_status: ChargeStatus


class ReleaseFromCriminalCustody(Body):
    booking_id: Id
    reason: CriminalReleaseReason


class LodgeWarrant(Body):
    warrant_id: Id
    booking_id: Id
    form: WarrantForm
    number: Short
    issued_on: date


class CancelWarrant(Body):
    warrant_id: Id
    reason: Text


class ServeWarrant(Body):
    hold_id: Id
    warrant_id: Id
    officer_id: Id = Field(description="The serving officer: the caller's own officer record")


class JailProcessing(Body):
    booking_id: Id
    officer_id: Id
    notes: Text | None = None


class TransferCustody(Body):
    hold_id: Id
    receiving_officer: Text
    field_office_id: Id


class ReleaseHold(Body):
    hold_id: Id
    reason: ReleaseReason


# One body per command of the vocabulary, named as the domain's command class it fronts; a body
# missing for a command fails at import, and a test holds the fields of the two equal.
_BY_NAME = {body.__name__: body for body in Body.__subclasses__()}
COMMAND_BODIES: dict[str, type[Body]] = {name: _BY_NAME[command.__name__] for name, command in COMMANDS.items()}


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Id  # looked up in the database, where PostgreSQL text refuses NUL (found by the fuzz test)
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    totp: Annotated[str, StringConstraints(min_length=1, max_length=10)] | None = None
