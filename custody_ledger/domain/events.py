"""The facts the ledger records: one frozen dataclass per past-tense event type.

Each event concerns exactly one entity, named by its `stream` ("hold:H-1"); a command that
changes several entities (terminating an agreement ends every certificate under it) emits
several events. `occurred_at`, `actor` and the hash chain live in the ledger's envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .accountability_model import ComplaintCategory, ComplaintOutcome, ComplaintReferral, CostKind, CostPayer
from .ids import (
    AgencyId,
    AgreementId,
    BookingId,
    ComplaintId,
    CostId,
    FacilityId,
    FieldOfficeId,
    HoldId,
    OfficerId,
    SteeringMeetingId,
    SubjectId,
    TrainingId,
    WarrantId,
)
from .model import (
    AgencyKind,
    AgreementModel,
    AlertChannel,
    BackgroundResult,
    ChargeStatus,
    CriminalReleaseReason,
    DocumentKind,
    FlagKind,
    Jurisdiction,
    ReleaseReason,
    ReviewDecision,
    WarrantForm,
    WatchKind,
)
from .provenance import Source


@dataclass(frozen=True)
class FieldOfficeRegistered:
    field_office_id: FieldOfficeId
    name: str
    timezone: str

    @property
    def stream(self) -> str:
        return f"field_office:{self.field_office_id}"


@dataclass(frozen=True)
class AgencyRegistered:
    agency_id: AgencyId
    name: str
    kind: AgencyKind
    state: str
    county: str | None  # None: unknown, never invented
    ori: str | None
    field_office_id: FieldOfficeId
    jurisdiction: Jurisdiction | None = None
    source: Source | None = None

    @property
    def stream(self) -> str:
        return f"agency:{self.agency_id}"


@dataclass(frozen=True)
class FieldChange:
    """One field of a record changed: its old value is kept, so history reads back without the old event."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class AgencyAmended:
    agency_id: AgencyId
    changes: tuple[FieldChange, ...]
    reason: str
    source: Source | None = None

    @property
    def stream(self) -> str:
        return f"agency:{self.agency_id}"


@dataclass(frozen=True)
class FacilityRegistered:
    facility_id: FacilityId
    agency_id: AgencyId
    name: str
    timezone: str

    @property
    def stream(self) -> str:
        return f"facility:{self.facility_id}"


@dataclass(frozen=True)
class AgreementEvent:
    agreement_id: AgreementId

    @property
    def stream(self) -> str:
        return f"agreement:{self.agreement_id}"


@dataclass(frozen=True)
class AgreementRequested(AgreementEvent):
    agency_id: AgencyId
    model: AgreementModel
    source: Source | None = None


@dataclass(frozen=True)
class AgreementReviewed(AgreementEvent):
    decision: ReviewDecision
    reasons: str
    source: Source | None = None


@dataclass(frozen=True)
class AgreementSigned(AgreementEvent):
    signed_on: date
    effective_from: date
    igsa: bool
    expires_on: date | None = None
    source: Source | None = None


@dataclass(frozen=True)
class AgreementResigned(AgreementEvent):
    signed_on: date
    effective_from: date
    expires_on: date | None
    previous_signed_on: date | None
    source: Source | None = None


@dataclass(frozen=True)
class AgreementAmended(AgreementEvent):
    reason: str
    changes: tuple[FieldChange, ...]
    expires_on: date | None = None
    igsa: bool | None = None
    source: Source | None = None


@dataclass(frozen=True)
class AgreementDelisted(AgreementEvent):
    """The agreement left ICE's public list; `inferred` when only its absence from an edition says so."""

    delisted_on: date
    inferred: bool
    reason: str
    source: Source | None = None


@dataclass(frozen=True)
class AgreementRelisted(AgreementEvent):
    listed_on: date
    source: Source | None = None


@dataclass(frozen=True)
class AgreementDocumentAttached:
    agreement_id: AgreementId
    document_id: str
    kind: DocumentKind
    url: str | None
    sha256: str | None
    dated_on: date | None = None
    title: str | None = None
    source: Source | None = None

    @property
    def stream(self) -> str:
        return f"agreement_document:{self.agreement_id}:{self.document_id}"


@dataclass(frozen=True)
class AgreementSuspended(AgreementEvent):
    reason: str
    effective_on: date | None = None  # a written notice may name a later day (DOMAIN.md); never an earlier one


@dataclass(frozen=True)
class AgreementReinstated(AgreementEvent):
    reason: str
    effective_on: date | None = None  # a written notice may name a later day (DOMAIN.md); never an earlier one


@dataclass(frozen=True)
class AgreementTerminated(AgreementEvent):
    reason: str
    effective_on: date | None = None  # a written notice may name a later day (DOMAIN.md); never an earlier one


@dataclass(frozen=True)
class OfficerEvent:
    officer_id: OfficerId

    @property
    def stream(self) -> str:
        return f"officer:{self.officer_id}"


@dataclass(frozen=True)
class OfficerNominated(OfficerEvent):
    agency_id: AgencyId
    name: str
    badge: str


@dataclass(frozen=True)
class BackgroundCheckRecorded(OfficerEvent):
    result: BackgroundResult
    effective_on: date | None = None


@dataclass(frozen=True)
class OfficerSeparated(OfficerEvent):
    """The officer left the agency: authority, which is delegated to the agency's employees, ends."""

    reason: str
    effective_on: date | None = None


@dataclass(frozen=True)
class TrainingRecorded:
    training_id: TrainingId
    officer_id: OfficerId
    model: AgreementModel
    course: str
    hours: int
    completed_on: date
    exam_score: int | None = None

    @property
    def stream(self) -> str:
        return f"training:{self.training_id}"


@dataclass(frozen=True)
class CertificateEvent:
    officer_id: OfficerId
    model: AgreementModel

    @property
    def stream(self) -> str:
        return f"certificate:{self.officer_id}:{self.model.value}"


@dataclass(frozen=True)
class OfficerCertified(CertificateEvent):
    agreement_id: AgreementId
    agency_id: AgencyId
    credential_no: str
    supervisor: str
    expires_on: date | None = None


@dataclass(frozen=True)
class CertificateSuspended(CertificateEvent):
    reason: str
    effective_on: date | None = None  # a written notice may name a later day (DOMAIN.md); never an earlier one


@dataclass(frozen=True)
class CertificateRevoked(CertificateEvent):
    reason: str
    rule_id: str | None = None
    effective_on: date | None = None


@dataclass(frozen=True)
class BookingEvent:
    booking_id: BookingId

    @property
    def stream(self) -> str:
        return f"booking:{self.booking_id}"


@dataclass(frozen=True)
class PersonBooked(BookingEvent):
    """The person is named by an opaque subject id and a keyed commitment to their data (app/persons.py): the
    chain can be verified, exported and proven without any personal data, and the data can be destroyed."""

    facility_id: FacilityId
    agency_id: AgencyId
    subject_id: SubjectId
    commitment: str
    charge_status: ChargeStatus
    source: Source | None = None


@dataclass(frozen=True)
class ReleasedFromCriminalCustody(BookingEvent):
    reason: CriminalReleaseReason
    source: Source | None = None


@dataclass(frozen=True)
class JailProcessingRecorded(BookingEvent):
    """status_interviewed, detainer_issued, ice_data_entered: JEM functions, recorded as done."""

    officer_id: OfficerId
    notes: str | None = None


@dataclass(frozen=True)
class StatusInterviewed(JailProcessingRecorded):
    pass


@dataclass(frozen=True)
class DetainerIssued(JailProcessingRecorded):
    pass


@dataclass(frozen=True)
class IceDataEntered(JailProcessingRecorded):
    pass


@dataclass(frozen=True)
class WarrantEvent:
    warrant_id: WarrantId

    @property
    def stream(self) -> str:
        return f"warrant:{self.warrant_id}"


@dataclass(frozen=True)
class WarrantLodged(WarrantEvent):
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    form: WarrantForm
    number: str
    issued_on: date


@dataclass(frozen=True)
class WarrantCancelled(WarrantEvent):
    reason: str


@dataclass(frozen=True)
class WarrantServed(WarrantEvent):
    hold_id: HoldId
    officer_id: OfficerId


@dataclass(frozen=True)
class HoldEvent:
    hold_id: HoldId

    @property
    def stream(self) -> str:
        return f"hold:{self.hold_id}"


@dataclass(frozen=True)
class HoldOpened(HoldEvent):
    """The WSO arrest: the clock and its deadline are fixed now, under the policy then in force."""

    warrant_id: WarrantId
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    officer_id: OfficerId
    released_from_criminal_at: datetime
    arrested_at: datetime
    clock_started_at: datetime
    igsa: bool
    limit_rule_id: str
    deadline: datetime | None = None
    # The first of the hold's watch moments, fixed with the deadline under the policy of the clock's start
    # (domain/watch.py); None under an IGSA. Holds opened before the watchdog lack it (migration 0006).
    first_alert_at: datetime | None = None
    # The model of the certificate the arrest was made under (issue 15: reports count arrests per model);
    # None in holds recorded before it was kept.
    model: AgreementModel | None = None


@dataclass(frozen=True)
class CustodyTransferred(HoldEvent):
    receiving_officer: str
    field_office_id: FieldOfficeId
    past_limit: bool


@dataclass(frozen=True)
class HoldReleased(HoldEvent):
    reason: ReleaseReason
    past_limit: bool


@dataclass(frozen=True)
class ActionRefused:
    """An attempt outside authority: refused, but recorded so oversight sees it."""

    refusal_id: str
    command: str
    rule_id: str
    citation: str
    message: str
    field: str | None = None
    officer_id: OfficerId | None = None
    agency_id: AgencyId | None = None

    @property
    def stream(self) -> str:
        return f"refusal:{self.refusal_id}"


@dataclass(frozen=True)
class RecordFlagged:
    """Something oversight must count: a late entry, time held without authority, a hold past its limit."""

    flag_id: str
    kind: FlagKind
    rule_id: str
    subject: str
    detail: str
    seconds: int | None = None

    @property
    def stream(self) -> str:
        return f"flag:{self.flag_id}"


@dataclass(frozen=True)
class WatchEvent:
    """The watchdog saw one of a hold's moments fall due (domain/watch.py); each is raised once, in order."""

    hold_id: HoldId
    booking_id: BookingId
    facility_id: FacilityId
    agency_id: AgencyId
    threshold: str  # "24h", "1h", "deadline", "exceeded"
    stage: int
    due_at: datetime
    deadline: datetime
    late_seconds: int  # how long after its due moment it was raised (a watchdog that was down)
    rule_id: str
    next_due_at: datetime | None = None  # the hold's next moment; None after the last

    @property
    def alert_id(self) -> str:
        return f"{self.hold_id}:{self.threshold}"

    @property
    def stream(self) -> str:
        return f"alert:{self.alert_id}"

    @property
    def kind(self) -> WatchKind:
        return WATCH_KINDS[type(self)]


@dataclass(frozen=True)
class AlertRaised(WatchEvent):
    """A lead time before the deadline was reached (custody.alerts)."""


@dataclass(frozen=True)
class ReleaseDue(WatchEvent):
    """The deadline itself: the person must be transferred to ICE or released now."""


@dataclass(frozen=True)
class LimitExceeded(WatchEvent):
    """Still open a grace period after the deadline: held past the limit, the violation reports count."""


WATCH_KINDS: dict[type[WatchEvent], WatchKind] = {
    AlertRaised: WatchKind.ALERT_RAISED,
    ReleaseDue: WatchKind.RELEASE_DUE,
    LimitExceeded: WatchKind.LIMIT_EXCEEDED,
}


@dataclass(frozen=True)
class AlertAcknowledged:
    """A user saw an alert and said so."""

    alert_id: str
    user_id: str

    @property
    def stream(self) -> str:
        return f"alert_acknowledgement:{self.alert_id}:{self.user_id}"


@dataclass(frozen=True)
class AlertRouteEvent:
    route_id: str

    @property
    def stream(self) -> str:
        return f"alert_route:{self.route_id}"


@dataclass(frozen=True)
class AlertRouteSet(AlertRouteEvent):
    channel: AlertChannel
    target: str
    kinds: tuple[WatchKind, ...]
    agency_id: AgencyId | None = None
    field_office_id: FieldOfficeId | None = None
    secret_env: str | None = None


@dataclass(frozen=True)
class AlertRouteRemoved(AlertRouteEvent):
    reason: str


@dataclass(frozen=True)
class SubjectEvent:
    """A court's order on a person's record: who and when are the ledger's envelope; what was hidden, never."""

    subject_id: SubjectId
    court_order: str

    @property
    def stream(self) -> str:
        return f"subject:{self.subject_id}"


@dataclass(frozen=True)
class PersonSealed(SubjectEvent):
    pass


@dataclass(frozen=True)
class PersonUnsealed(SubjectEvent):
    pass


@dataclass(frozen=True)
class PersonExpunged(SubjectEvent):
    """The person's data key is destroyed with this event: the data cannot be read again, anywhere."""


# --- who pays, and who watches (issue 15). The event names and fields are a contract with the per-agency
# reports built from the ledger: every field is always present, null when unknown or not applicable.


@dataclass(frozen=True)
class CostRecorded:
    """A cost of the program and who bore it; `hours` to the hundredth (a JSON number), `amount_cents` in US cents."""

    cost_id: CostId
    agency_id: AgencyId
    kind: CostKind
    payer: CostPayer
    incurred_from: date
    incurred_to: date
    hours: Decimal | None
    amount_cents: int | None
    agreement_id: AgreementId | None
    hold_id: HoldId | None
    note: str | None

    @property
    def stream(self) -> str:
        return f"cost:{self.cost_id}"


@dataclass(frozen=True)
class ComplaintEvent:
    complaint_id: ComplaintId

    @property
    def stream(self) -> str:
        return f"complaint:{self.complaint_id}"


@dataclass(frozen=True)
class ComplaintReceived(ComplaintEvent):
    """No complainant's data, by design: what about, when, against which officer if one is named."""

    agency_id: AgencyId
    received_on: date
    category: ComplaintCategory
    officer_id: OfficerId | None


@dataclass(frozen=True)
class ComplaintReferred(ComplaintEvent):
    referred_to: ComplaintReferral
    referred_on: date


@dataclass(frozen=True)
class ComplaintClosed(ComplaintEvent):
    outcome: ComplaintOutcome
    closed_on: date


@dataclass(frozen=True)
class SteeringMeetingEvent:
    meeting_id: SteeringMeetingId

    @property
    def stream(self) -> str:
        return f"steering_meeting:{self.meeting_id}"


@dataclass(frozen=True)
class SteeringMeetingHeld(SteeringMeetingEvent):
    agency_id: AgencyId
    agreement_id: AgreementId
    held_on: date
    minutes_published_on: date | None


@dataclass(frozen=True)
class SteeringMinutesPublished(SteeringMeetingEvent):
    published_on: date


EVENT_TYPES: dict[str, type[Any]] = {
    "field_office_registered": FieldOfficeRegistered,
    "agency_registered": AgencyRegistered,
    "agency_amended": AgencyAmended,
    "facility_registered": FacilityRegistered,
    "agreement_requested": AgreementRequested,
    "agreement_reviewed": AgreementReviewed,
    "agreement_signed": AgreementSigned,
    "agreement_resigned": AgreementResigned,
    "agreement_amended": AgreementAmended,
    "agreement_delisted": AgreementDelisted,
    "agreement_relisted": AgreementRelisted,
    "agreement_document_attached": AgreementDocumentAttached,
    "agreement_suspended": AgreementSuspended,
    "agreement_reinstated": AgreementReinstated,
    "agreement_terminated": AgreementTerminated,
    "officer_nominated": OfficerNominated,
    "background_check_recorded": BackgroundCheckRecorded,
    "officer_separated": OfficerSeparated,
    "training_recorded": TrainingRecorded,
    "officer_certified": OfficerCertified,
    "certificate_suspended": CertificateSuspended,
    "certificate_revoked": CertificateRevoked,
    "person_booked": PersonBooked,
    "released_from_criminal_custody": ReleasedFromCriminalCustody,
    "status_interviewed": StatusInterviewed,
    "detainer_issued": DetainerIssued,
    "ice_data_entered": IceDataEntered,
    "warrant_lodged": WarrantLodged,
    "warrant_cancelled": WarrantCancelled,
    "warrant_served": WarrantServed,
    "hold_opened": HoldOpened,
    "custody_transferred": CustodyTransferred,
    "hold_released": HoldReleased,
    "action_refused": ActionRefused,
    "record_flagged": RecordFlagged,
    "alert_raised": AlertRaised,
    "release_due": ReleaseDue,
    "limit_exceeded": LimitExceeded,
    "alert_acknowledged": AlertAcknowledged,
    "alert_route_set": AlertRouteSet,
    "alert_route_removed": AlertRouteRemoved,
    "person_sealed": PersonSealed,
    "person_unsealed": PersonUnsealed,
    "person_expunged": PersonExpunged,
    "cost_recorded": CostRecorded,
    "complaint_received": ComplaintReceived,
    "complaint_referred": ComplaintReferred,
    "complaint_closed": ComplaintClosed,
    "steering_meeting_held": SteeringMeetingHeld,
    "steering_minutes_published": SteeringMinutesPublished,
}

EVENT_NAMES: dict[type[Any], str] = {cls: name for name, cls in EVENT_TYPES.items()}


def event_type(event: object) -> str:
    return EVENT_NAMES[type(event)]


def event_stream(event: object) -> str:
    stream: str = getattr(event, "stream")  # noqa: B009 - every event class defines it
    return stream
