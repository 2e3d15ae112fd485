"""The entities of the 287(g) program as the ledger's projections hold them (DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from .ids import (
    AgencyId,
    AgreementId,
    BookingId,
    FacilityId,
    FieldOfficeId,
    HoldId,
    OfficerId,
    SubjectId,
    TrainingId,
    WarrantId,
)


class AgreementModel(StrEnum):
    WSO = "WSO"
    JEM = "JEM"
    TFM = "TFM"


class AgencyKind(StrEnum):
    """What the agency is; where it governs is its Jurisdiction (a county's constable, a state's National Guard).

    The kinds ICE's public lists contain (docs/ice-lists.md); `other` names an agency the list gives no kind for,
    kept under its own name rather than forced into a kind it is not."""

    SHERIFF = "sheriff"
    CORRECTIONS = "corrections"
    POLICE = "police"
    STATE = "state"  # a state agency of no more specific kind (before issue 13, every state agency)
    STATE_POLICE = "state_police"  # a state police, highway patrol or department of public safety
    CONSTABLE = "constable"
    COUNTY_ATTORNEY = "county_attorney"
    DISTRICT_ATTORNEY = "district_attorney"
    MARSHAL = "marshal"
    NATIONAL_GUARD = "national_guard"
    JAIL_AUTHORITY = "jail_authority"  # a regional jail or criminal justice authority
    OTHER = "other"


class Jurisdiction(StrEnum):
    """The level of government the agency serves, apart from what kind of agency it is."""

    COUNTY = "county"
    MUNICIPALITY = "municipality"
    STATE = "state"
    TERRITORY = "territory"
    TRIBAL = "tribal"


class AgreementStatus(StrEnum):
    REQUESTED = "requested"
    SUITABLE = "suitable"
    DECLINED = "declined"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class ReviewDecision(StrEnum):
    SUITABLE = "suitable"
    DECLINED = "declined"


class BackgroundResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class CertificateStatus(StrEnum):
    CURRENT = "current"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ChargeStatus(StrEnum):
    PENDING = "pending"
    CONVICTED = "convicted"


class BookingStatus(StrEnum):
    IN_CRIMINAL_CUSTODY = "in_criminal_custody"
    RELEASED = "released"


class CriminalReleaseReason(StrEnum):
    BAIL = "bail"
    CHARGES_DROPPED = "charges_dropped"
    SENTENCE_SERVED = "sentence_served"
    COURT_ORDER = "court_order"
    OTHER = "other"


class WarrantForm(StrEnum):
    I200 = "I-200"
    I205 = "I-205"
    I247A = "I-247A"
    # Earlier detainer forms, as ICE's FOIA records name them (policy parameter detainer_forms).
    I247 = "I-247"
    I247D = "I-247D"
    I247N = "I-247N"
    I247X = "I-247X"


class DocumentKind(StrEnum):
    MOA = "moa"
    ADDENDUM = "addendum"


class WarrantStatus(StrEnum):
    LODGED = "lodged"
    SERVED = "served"
    CANCELLED = "cancelled"


class HoldStatus(StrEnum):
    OPEN = "open"
    TRANSFERRED = "transferred"
    RELEASED = "released"


class ReleaseReason(StrEnum):
    LIMIT_REACHED = "limit_reached"
    WARRANT_CANCELLED = "warrant_cancelled"
    ICE_DECLINED = "ice_declined"
    COURT_ORDER = "court_order"
    OTHER = "other"


class SubjectState(StrEnum):
    OPEN = "open"
    SEALED = "sealed"  # a court ordered the record sealed: hidden from all but the roles the policy names
    EXPUNGED = "expunged"  # the data is destroyed; the events, holds and counts remain


class WatchKind(StrEnum):
    """What a hold's watch moment says (domain/watch.py): a warning, the deadline itself, or the violation."""

    ALERT_RAISED = "alert_raised"
    RELEASE_DUE = "release_due"
    LIMIT_EXCEEDED = "limit_exceeded"


class AlertChannel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class FlagKind(StrEnum):
    LATE_ENTRY = "late_entry"
    TIME_WITHOUT_AUTHORITY = "time_without_authority"
    HELD_PAST_LIMIT = "held_past_limit"
    DETAINER_WITHOUT_WARRANT = "detainer_without_warrant"


@dataclass(frozen=True)
class FieldOffice:
    field_office_id: FieldOfficeId
    name: str
    timezone: str


@dataclass(frozen=True)
class Agency:
    agency_id: AgencyId
    name: str
    kind: AgencyKind
    state: str  # USPS code of a state, DC or a territory (domain/states.py)
    county: str | None  # None: unknown (ICE's lists often lack it); never invented
    ori: str | None  # None: unknown (ICE's lists never carry it)
    field_office_id: FieldOfficeId
    jurisdiction: Jurisdiction | None = None  # None: unknown


@dataclass(frozen=True)
class Facility:
    facility_id: FacilityId
    agency_id: AgencyId
    name: str
    timezone: str


@dataclass(frozen=True)
class Agreement:
    agreement_id: AgreementId
    agency_id: AgencyId
    model: AgreementModel
    status: AgreementStatus
    igsa: bool = False
    signed_on: date | None = None
    effective_from: date | None = None
    expires_on: date | None = None
    status_reason: str | None = None
    # ICE's public list (interop/ice_agreements.py): the last edition that listed it, and the edition it was
    # first missing from. Being delisted is an inference from the list, never a termination.
    listed_on: date | None = None
    delisted_on: date | None = None

    def in_force_on(self, day: date) -> bool:
        """Active, already effective and not yet expired on the agency's calendar day (PolicyView.day):
        the 2020 jail-model MOAs have no expiry."""
        return (
            self.status is AgreementStatus.ACTIVE
            and self.effective_from is not None
            and self.effective_from <= day
            and (self.expires_on is None or day < self.expires_on)
        )


@dataclass(frozen=True)
class AgreementDocument:
    """A document of an agreement: the signed MOA or an addendum, by where it is published or by its hash."""

    agreement_id: AgreementId
    document_id: str
    kind: DocumentKind
    url: str | None
    sha256: str | None
    dated_on: date | None = None
    title: str | None = None


@dataclass(frozen=True)
class Officer:
    officer_id: OfficerId
    agency_id: AgencyId
    name: str
    badge: str
    background: BackgroundResult | None = None
    separation_reason: str | None = None  # set once the officer has left the agency
    separated_on: date | None = None  # the day the separation notice named, if any


@dataclass(frozen=True)
class Training:
    training_id: TrainingId
    officer_id: OfficerId
    model: AgreementModel
    course: str
    hours: int
    completed_on: date
    exam_score: int | None = None


@dataclass(frozen=True)
class Certificate:
    """One officer's delegation under one agreement (8 U.S.C. § 1357(g)(5): powers, term, supervisor)."""

    officer_id: OfficerId
    model: AgreementModel
    agreement_id: AgreementId
    agency_id: AgencyId
    credential_no: str
    supervisor: str
    status: CertificateStatus
    certified_at: datetime
    expires_on: date | None = None
    status_reason: str | None = None

    def current_on(self, day: date) -> bool:
        return self.status is CertificateStatus.CURRENT and (self.expires_on is None or day < self.expires_on)


@dataclass(frozen=True)
class Booking:
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    subject_id: SubjectId  # the person, by an opaque id: their data is in the person store (app/persons.py)
    charge_status: ChargeStatus
    status: BookingStatus
    booked_at: datetime
    released_at: datetime | None = None
    release_reason: CriminalReleaseReason | None = None


@dataclass(frozen=True)
class Warrant:
    warrant_id: WarrantId
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    form: WarrantForm
    number: str
    issued_on: date
    status: WarrantStatus
    lodged_at: datetime
    status_reason: str | None = None


@dataclass(frozen=True)
class Hold:
    hold_id: HoldId
    warrant_id: WarrantId
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    officer_id: OfficerId
    status: HoldStatus
    released_from_criminal_at: datetime
    arrested_at: datetime
    clock_started_at: datetime
    igsa: bool
    limit_rule_id: str
    deadline: datetime | None = None
    ended_at: datetime | None = None
    release_reason: ReleaseReason | None = None
    receiving_officer: str | None = None
    receiving_field_office_id: FieldOfficeId | None = None
    past_limit: bool = False
    alert_stage: int = 0  # how many of its watch moments were raised (domain/watch.py)
    next_alert_at: datetime | None = None  # when the next falls due; None once none is left or the hold ended


@dataclass(frozen=True)
class Refusal:
    refusal_id: str
    command: str
    rule_id: str
    citation: str
    message: str
    occurred_at: datetime
    actor: str
    field: str | None = None
    officer_id: OfficerId | None = None
    agency_id: AgencyId | None = None


@dataclass(frozen=True)
class Flag:
    flag_id: str
    kind: FlagKind
    rule_id: str
    subject: str
    detail: str
    occurred_at: datetime
    seconds: int | None = None


@dataclass(frozen=True)
class Alert:
    """One watch moment of a hold, as raised (the in-app alert)."""

    alert_id: str  # "<hold_id>:<threshold>"
    hold_id: HoldId
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    kind: WatchKind
    threshold: str
    stage: int
    due_at: datetime
    raised_at: datetime
    deadline: datetime
    late_seconds: int
    rule_id: str


@dataclass(frozen=True)
class AlertAcknowledgement:
    alert_id: str
    user_id: str
    acknowledged_at: datetime


@dataclass(frozen=True)
class AlertRoute:
    """Who outside the product is told of a scope's alerts: one webhook or e-mail address per route."""

    route_id: str
    channel: AlertChannel
    target: str
    kinds: str  # comma-separated WatchKind values
    active: bool
    agency_id: AgencyId | None = None
    field_office_id: FieldOfficeId | None = None
    secret_env: str | None = None


@dataclass(frozen=True)
class Subject:
    """What the ledger says of a booked person: never who they are, only whether their record is sealed or gone."""

    subject_id: SubjectId
    booking_id: BookingId
    agency_id: AgencyId
    state: SubjectState
    court_order: str | None = None
