"""What the API answers: command results, log-in tokens, and the read side's records and pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from custody_ledger.domain.instants import present_instant

_RFC3339 = WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization")
# Every instant the API shows, in one form (domain/instants.py): UTC with Z, a fraction only when there is one.
Instant = Annotated[datetime, PlainSerializer(present_instant, return_type=str, when_used="json"), _RFC3339]
# A facility's local time: the same form with the zone's offset instead of Z.
LocalInstant = Annotated[datetime, PlainSerializer(lambda v: present_instant(v, v.tzinfo), return_type=str,
                                                   when_used="json"), _RFC3339]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Receipt(Out):
    seq: int
    type: str
    stream: str
    hash: str


class CommandResult(Out):
    # Commands may add result fields (the vocabulary grows by adding, never renaming).
    model_config = ConfigDict(extra="allow")

    ok: bool
    command: str
    idempotency_key: str
    events: list[Receipt]
    replayed: bool = False
    hold_id: str | None = None
    clock_started_at: str | None = None
    deadline: str | None = Field(None, description="UTC; null under an IGSA")
    deadline_local: str | None = Field(None, description="The same instant in the facility's time zone")
    timezone: str | None = None


class LoginOut(Out):
    token: str
    expires_at: Instant
    mfa_passed: bool


class SessionOut(Out):
    """One open session of a user: named by `id` (a prefix of its token's digest), never by its token."""

    id: str
    user_id: str
    created_at: Instant
    last_seen_at: Instant
    expires_at: Instant
    mfa_passed: bool
    remote: str | None
    current: bool = Field(description="Whether this is the session of the token that asked")


class FieldOffice(Out):
    field_office_id: str
    name: str
    timezone: str


class Agency(Out):
    agency_id: str
    name: str
    kind: str
    state: str = Field(description="USPS code of its state, DC or territory")
    county: str | None = Field(description="Null when unknown: ICE's lists often lack it, and it is never invented")
    ori: str | None = Field(description="Null when unknown: ICE's lists never carry it")
    field_office_id: str
    jurisdiction: str | None = Field(None, description="county, municipality, state, territory or tribal; null "
                                                       "when unknown")


class Facility(Out):
    facility_id: str
    agency_id: str
    name: str
    timezone: str


class Agreement(Out):
    agreement_id: str
    agency_id: str
    model: str
    status: str
    igsa: bool
    signed_on: date | None
    effective_from: date | None
    expires_on: date | None
    status_reason: str | None
    listed_on: date | None = Field(None, description="The edition of ICE's public list that last put it on the list")
    delisted_on: date | None = Field(None, description="The first edition it was missing from (inferred, not a "
                                                       "termination); null while listed")


class Officer(Out):
    officer_id: str
    agency_id: str
    name: str
    badge: str
    background: str | None
    separation_reason: str | None = Field(None, description="Why the officer left the agency; null while with it")
    separated_on: date | None = Field(None, description="The day the separation notice named, if any")


class Training(Out):
    training_id: str
    officer_id: str
    model: str
    course: str
    hours: int
    completed_on: date
    exam_score: int | None = Field(None, description="Percent; null where no score was recorded")


class Certificate(Out):
    officer_id: str
    model: str
    agreement_id: str
    agency_id: str
    credential_no: str
    supervisor: str
    status: str
    certified_at: Instant
    expires_on: date | None
    status_reason: str | None


class CertificateEvent(Out):
    seq: int
    type: str
    model: str
    occurred_at: Instant
    reason: str | None


class OfficerDetail(Officer):
    trainings: list[Training]
    certificates: list[Certificate]
    certificate_history: list[CertificateEvent]


class Booking(Out):
    booking_id: str
    facility_id: str
    agency_id: str
    subject_id: str = Field(description="The person, by an opaque id: what seal_person and expunge_person name")
    person_state: Literal["open", "sealed", "expunged"]
    person_name: str | None = Field(description="Null when the record is sealed (for most roles) or expunged")
    person_dob: date | None
    a_number: str | None
    charge_status: str
    status: str
    booked_at: Instant
    released_at: Instant | None
    release_reason: str | None


class PersonSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]+$", description="The person's full name")
    dob: date = Field(description="Their date of birth")
    limit: int = Field(50, ge=1, le=500)


class Warrant(Out):
    warrant_id: str
    booking_id: str
    facility_id: str
    agency_id: str
    form: str
    number: str
    issued_on: date
    status: str
    lodged_at: Instant
    status_reason: str | None


class Hold(Out):
    hold_id: str
    warrant_id: str
    booking_id: str
    facility_id: str
    agency_id: str
    officer_id: str
    status: str
    released_from_criminal_at: Instant
    arrested_at: Instant
    clock_started_at: Instant
    igsa: bool
    limit_rule_id: str
    deadline: Instant | None = Field(description="UTC; null under an IGSA")
    deadline_local: LocalInstant | None = Field(description="The deadline in the facility's time zone")
    timezone: str
    seconds_left: int | None = Field(description="Until the deadline, negative when past; null once ended")
    overdue: bool
    ended_at: Instant | None
    release_reason: str | None
    receiving_officer: str | None
    receiving_field_office_id: str | None
    past_limit: bool
    alert_stage: int = Field(description="How many of its alerts the watchdog raised (see /alerts?hold_id=)")
    next_alert_at: Instant | None = Field(description="When its next alert falls due; null when none is left")


class Event(Out):
    seq: int
    event_id: str
    stream: str
    type: str
    occurred_at: Instant
    recorded_at: Instant
    actor: str
    idempotency_key: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class Alert(Out):
    alert_id: str = Field(description="The hold id, a colon, the threshold: what acknowledge_alert names")
    hold_id: str
    booking_id: str
    subject_id: str
    person_state: Literal["open", "sealed", "expunged"]
    person_name: str | None = Field(description="Null when the record is sealed (for most roles) or expunged")
    facility_id: str
    agency_id: str
    kind: Literal["alert_raised", "release_due", "limit_exceeded"]
    threshold: str = Field(description="A lead time before the deadline (24h, 1h), `deadline` or `exceeded`")
    stage: int = Field(description="Its place among the hold's moments, from 0")
    hold_status: str
    rule_id: str
    citation: str
    message: str
    next_step: str
    due_at: Instant
    raised_at: Instant
    late_seconds: int
    late: bool = Field(description="Raised over a minute after it fell due (the watchdog was down)")
    deadline: Instant
    deadline_local: LocalInstant
    timezone: str
    seconds_left: int = Field(description="Until the deadline, from now; negative once it has passed")
    acknowledged: bool = Field(description="Whether the caller acknowledged it")
    acknowledged_at: Instant | None


class AccessRecord(Out):
    seq: int
    at: Instant
    principal: str
    role: str | None
    agency_id: str | None
    action: str
    resource: str | None
    outcome: str
    remote: str | None
    shown: list[str | int] | None = Field(None, description="The ids a list read showed, in order")
    prev_hash: str | None = Field(None, description="The access log's own hash chain: the previous row's hash")
    hash: str | None = Field(None, description="SHA-256 over the previous hash and this row (verify checks it)")


Item = TypeVar("Item", bound=BaseModel)


class Page(Out, Generic[Item]):
    items: list[Item]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page")


class SeqPage(Out, Generic[Item]):
    items: list[Item]
    next: int | None = Field(description="Pass as `after` for the next page; null on the last page")
