"""The command vocabulary (DESIGN.md): one frozen dataclass per command, the one declaration of it.

Each class is the whole declaration of its command: the docstring says what it does, each field carries
its type, wire bounds and meaning (`Annotated[..., Bounds, Doc]`, domain/declare.py), and `refused_by`
lists every policy rule that can refuse it (tests/unit/test_vocabulary.py holds it against the law
scenarios). The HTTP bodies (api/bodies.py), the OpenAPI text and docs/commands.md
(app/vocabulary.py) are derived from these. The envelope (command, idempotency_key, actor,
occurred_at) is parsed by `parse_envelope`. Names and fields here are the public contract; fields may be
added, never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from .accountability_model import ComplaintCategory, ComplaintOutcome, ComplaintReferral, CostKind, CostPayer
from .declare import ID, ID_PATTERN, OMITTED, SCOPE_ID, SHORT, TEXT, ZONE, Bounds, Doc
from .errors import Invalid
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
    Jurisdiction,
    ReleaseReason,
    ReviewDecision,
    WarrantForm,
    WatchKind,
)
from .parse import parse, parse_instant
from .provenance import Source

# Rules every command can meet, judged on its envelope before and after the handler (app/execute.py).
ENVELOPE_RULES = ("time.future_skew", "time.stream_order")
# Rules an act under delegated authority can meet (domain/authority.py), whichever model the officer holds.
AUTHORITY_RULES = (
    "officer.with_agency", "certificate.current_required", "authority.background_check", "authority.wso",
    "authority.jem", "authority.tfm", "agreement.active_required", "training.refresher",
)
_NOTICE = "The day the written notice takes effect: its own day when omitted, never earlier."
# Ids per agency (app/access.py): what an agency's user creates lives in the agency's namespace.
_SOURCE = ("Set by importers only (custody-ledger import): the file, its SHA-256, the row and the edition's date; "
           "refused over HTTP.")
_OWN_ID = ("Over the API it begins with the id of the agency it belongs to and a dot (a field office's route: the "
           "field office's); the program administrator and the command line name ids freely.")


@dataclass(frozen=True)
class RegisterFieldOffice:
    """Register an ICE field office: the office whose supervisors oversee the agencies of its area."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    field_office_id: Annotated[FieldOfficeId, SCOPE_ID, Doc("A new id for the field office, e.g. HOU.")]
    name: Annotated[str, TEXT, Doc("The office's name, e.g. Houston Field Office.")]
    timezone: Annotated[str, ZONE, Doc("IANA time zone of the office, e.g. America/Chicago: certification "
                                       "and training dates are read on its calendar.", example="America/Chicago")]


@dataclass(frozen=True)
class RegisterAgency:
    """Register a state or local law enforcement agency under a field office. County and ORI are optional:
    ICE's public lists carry neither reliably, and an unknown is recorded as unknown, never invented."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    agency_id: Annotated[AgencyId, SCOPE_ID, Doc("A new id for the agency (the ids its users create begin with "
                                                  "it and .: AG-HARRIS.BK-1).", example="AG-HARRIS")]
    name: Annotated[str, TEXT, Doc("The agency's name, e.g. Harris County Sheriff's Office.")]
    kind: Annotated[AgencyKind, Doc("What kind of agency it is (where it governs is `jurisdiction`).")]
    state: Annotated[str, TEXT, Doc("Its state, DC or territory: the USPS code (TX, GU) or the full name "
                                    "(Texas, NORTHERN MARIANA ISLANDS); stored as the code.", example="TX")]
    field_office_id: Annotated[FieldOfficeId, ID, Doc("The ICE field office whose area it lies in.")]
    county: Annotated[str | None, TEXT, Doc("The county it serves; omitted when unknown.", example="Harris")] = None
    ori: Annotated[str | None, TEXT, Doc("9-character NCIC agency code (ORI), starting with the state's code; "
                                         "omitted when unknown.", example="TX1010000")] = None
    jurisdiction: Annotated[Jurisdiction | None, Doc(
        "The level of government it serves: county, municipality, state, territory or tribal; omitted when "
        "unknown.", example="county")] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class AmendAgency:
    """Correct or update what is recorded of an agency (a rename, a county corrected, its ORI learnt): each
    changed field is recorded with its old value. Fields omitted stay as they are."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    agency_id: Annotated[AgencyId, ID, Doc("The agency.", example="AG-HARRIS")]
    reason: Annotated[str, TEXT, Doc("Why, in words.", example="County corrected in ICE's list of 2026-05-01")]
    name: Annotated[str | None, TEXT, Doc("Its new name.", example="Harris County Sheriff's Office")] = None
    kind: Annotated[AgencyKind | None, Doc("Its kind.", example=OMITTED)] = None
    jurisdiction: Annotated[Jurisdiction | None, Doc("Its level of government.", example=OMITTED)] = None
    state: Annotated[str | None, TEXT, Doc("Its state: USPS code or full name.", example=OMITTED)] = None
    county: Annotated[str | None, TEXT, Doc("Its county.", example="Harris")] = None
    ori: Annotated[str | None, TEXT, Doc("Its ORI (9 characters, starting with the state's code).",
                                         example=OMITTED)] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class RegisterFacility:
    """Register a jail or detention facility of an agency; acts on people there use its clock."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    facility_id: Annotated[FacilityId, ID, Doc("A new id for the facility. " + _OWN_ID, example="AG-HARRIS.JAIL-2")]
    agency_id: Annotated[AgencyId, ID, Doc("The agency that runs it.", example="AG-HARRIS")]
    name: Annotated[str, TEXT, Doc("The facility's name.")]
    timezone: Annotated[str, ZONE, Doc("IANA time zone of the facility, e.g. America/Chicago: custody "
                                       "deadlines are shown and agreement dates read in it.",
                                       example="America/Chicago")]


@dataclass(frozen=True)
class RequestAgreement:
    """An agency asks ICE for a 287(g) agreement under one model."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    agreement_id: Annotated[AgreementId, ID, Doc("A new id for the agreement. " + _OWN_ID,
                                                   example="AG-HARRIS.AGR-WSO")]
    agency_id: Annotated[AgencyId, ID, Doc("The requesting agency.", example="AG-HARRIS")]
    model: Annotated[AgreementModel, Doc("WSO (Warrant Service Officer), JEM (Jail Enforcement Model) or "
                                         "TFM (Task Force Model).")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class ReviewAgreement:
    """ICE records its review of a requested agreement: suitable or declined."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement",)
    agreement_id: Annotated[AgreementId, ID, Doc("The requested agreement.")]
    decision: Annotated[ReviewDecision, Doc("The outcome of the review.")]
    reasons: Annotated[str, TEXT, Doc("Why, in words.")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class SignAgreement:
    """Record the signed memorandum of agreement: from `effective_from` its officers may be certified."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement",)
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement found suitable.")]
    signed_on: Annotated[date, Doc("The day it was signed.")]
    effective_from: Annotated[date, Doc("The first day it is in force (not before signed_on).")]
    igsa: Annotated[bool, Doc("Whether an Intergovernmental Service Agreement lets the facility hold "
                              "people for ICE beyond the custody limit.")]
    expires_on: Annotated[date | None, Doc("The day it ends, after effective_from; open-ended when omitted.")] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class ResignAgreement:
    """Record that an agreement in force was signed again (a renewal, or ICE's list showing a new SIGNED date):
    the previous signing date is kept in the event."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement",)
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement in force.")]
    signed_on: Annotated[date, Doc("The day it was signed again.")]
    effective_from: Annotated[date | None, Doc("The first day the new signature is in force (not before "
                                               "signed_on); signed_on when omitted.", example=OMITTED)] = None
    expires_on: Annotated[date | None, Doc("The day it now ends; open-ended when omitted.", example=OMITTED)] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class AmendAgreement:
    """Record an amendment of an agreement's terms (an addendum): the old values are kept in the event."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement",)
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    reason: Annotated[str, TEXT, Doc("What the amendment is, in words.", example="Addendum extending the term")]
    expires_on: Annotated[date | None, Doc("The new last day, after effective_from.", example="2029-06-30")] = None
    igsa: Annotated[bool | None, Doc("Whether an IGSA now comes with it.", example=OMITTED)] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class AttachAgreementDocument:
    """Attach a document to an agreement: the signed MOA or an addendum, by its URL, its file's SHA-256, or both."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    document_id: Annotated[str, SHORT, Doc("A new id for the document within the agreement.", example="MOA")]
    kind: Annotated[DocumentKind, Doc("moa or addendum.")]
    url: Annotated[str | None, Bounds(min_length=1, max_length=500, pattern=r"^https?://[^\s\x00]+$",
                                      what="an http(s) URL"),
                   Doc("Where it is published.", example="https://www.ice.gov/doclib/287gMOA/example.pdf")] = None
    sha256: Annotated[str | None, Bounds(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$",
                                         what="64 lowercase hex digits"),
                      Doc("SHA-256 of the document's file.", example=OMITTED)] = None
    dated_on: Annotated[date | None, Doc("The document's date.", example="2025-02-26")] = None
    title: Annotated[str | None, TEXT, Doc("Its title.", example=OMITTED)] = None
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class DelistAgreement:
    """Record that an agreement left ICE's public list. Not a termination: the list says nothing of why, and an
    agreement inferred delisted by comparing editions says so (`inferred`)."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    delisted_on: Annotated[date, Doc("The date of the first edition it is missing from.")]
    inferred: Annotated[bool, Doc("True when it is inferred from its absence, not stated by ICE.")]
    reason: Annotated[str, TEXT, Doc("What was seen, in words.", example="Missing from the list of 2026-05-01")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class RelistAgreement:
    """Record that a delisted agreement is on ICE's public list again."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    listed_on: Annotated[date, Doc("The date of the edition it is back in.")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class SuspendAgreement:
    """Suspend an agreement in force: no officer may act under it until it is reinstated."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement", "notice.effective_date")
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(_NOTICE)] = None


@dataclass(frozen=True)
class ReinstateAgreement:
    """Reinstate a suspended agreement."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement", "notice.effective_date")
    agreement_id: Annotated[AgreementId, ID, Doc("The suspended agreement.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(_NOTICE)] = None


@dataclass(frozen=True)
class TerminateAgreement:
    """Terminate an agreement for good; every certificate under it is revoked with it
    (rule agreement.termination_ends_certificates)."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.agreement", "notice.effective_date")
    agreement_id: Annotated[AgreementId, ID, Doc("The agreement.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(_NOTICE)] = None


@dataclass(frozen=True)
class NominateOfficer:
    """An agency nominates one of its officers for 287(g) training and certification."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    officer_id: Annotated[OfficerId, ID, Doc("A new id for the officer. " + _OWN_ID, example="AG-HARRIS.OFF-17")]
    agency_id: Annotated[AgencyId, ID, Doc("The officer's agency.", example="AG-HARRIS")]
    name: Annotated[str, TEXT, Doc("The officer's full name.")]
    badge: Annotated[str, SHORT, Doc("The officer's badge number.")]


@dataclass(frozen=True)
class RecordBackgroundCheck:
    """Record the result of ICE's background check of a nominated officer."""

    refused_by: ClassVar[tuple[str, ...]] = ("notice.effective_date",)
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    result: Annotated[BackgroundResult, Doc("The result.")]
    effective_on: Annotated[date | None, Doc(
        "The day the result takes effect: the notice's own day when omitted, never earlier.")] = None


@dataclass(frozen=True)
class SeparateOfficer:
    """The officer left the agency (or its 287(g) program): every delegation to them ends."""

    refused_by: ClassVar[tuple[str, ...]] = ("officer.with_agency", "notice.effective_date")
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(
        "The day the officer left the agency: the notice's own day when omitted, never earlier.")] = None


@dataclass(frozen=True)
class RecordTraining:
    """Record a training course an officer completed for a model, with its exam score."""

    refused_by: ClassVar[tuple[str, ...]] = ("training.exam",)
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    model: Annotated[AgreementModel, Doc("The model the course trains for.")]
    course: Annotated[str, TEXT, Doc("The course's name.")]
    hours: Annotated[int, Bounds(ge=1, le=10_000), Doc("Hours of instruction completed.", example=8)]
    completed_on: Annotated[date, Doc("The day it was completed (not after the day it is recorded, "
                                      "field office time).")]
    exam_score: Annotated[int | None, Bounds(ge=0, le=100), Doc(
        "The exam score in percent; the policy decides what passes (training.exam).", example=85)] = None


@dataclass(frozen=True)
class CertifyOfficer:
    """ICE certifies in writing that a trained officer may act under an agreement's model."""

    refused_by: ClassVar[tuple[str, ...]] = (
        "officer.with_agency", "lifecycle.certificate", "certification.background_check", "training.exam",
        "training.wso", "training.jem", "training.tfm", "certification.supervisor", "certification.agreement",
    )
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    model: Annotated[AgreementModel, Doc("The model certified, the same as the agreement's.")]
    agreement_id: Annotated[AgreementId, ID, Doc("The agency's agreement in force for that model.")]
    credential_no: Annotated[str, SHORT, Doc("The number on the officer's ICE credential.")]
    supervisor: Annotated[str | None, TEXT, Doc(
        "The supervising ICE position; refused when missing (certification.supervisor).")] = None
    expires_on: Annotated[date | None, Doc("The day the certificate lapses; open-ended when omitted.")] = None


@dataclass(frozen=True)
class SuspendCertificate:
    """Suspend an officer's certificate for a model: they may not act under it meanwhile."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.certificate", "notice.effective_date")
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    model: Annotated[AgreementModel, Doc("The model of the certificate.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(_NOTICE)] = None


@dataclass(frozen=True)
class RevokeCertificate:
    """Revoke an officer's certificate for a model for good."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.certificate", "notice.effective_date")
    officer_id: Annotated[OfficerId, ID, Doc("The officer.")]
    model: Annotated[AgreementModel, Doc("The model of the certificate.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]
    effective_on: Annotated[date | None, Doc(_NOTICE)] = None


@dataclass(frozen=True)
class Person:
    """The person booked, as the jail knows them."""

    name: Annotated[str, TEXT, Doc("Full name.")]
    dob: Annotated[date, Doc("Date of birth.")]
    a_number: Annotated[str | None, Bounds(max_length=12),
                        Doc("ICE A-number: 'A' and 8 or 9 digits.", example="A123456789")] = None


@dataclass(frozen=True)
class BookPerson:
    """Book a person into a facility on criminal charges."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id",)
    booking_id: Annotated[BookingId, ID, Doc("A new id for the booking. " + _OWN_ID, example="AG-HARRIS.BK-1")]
    facility_id: Annotated[FacilityId, ID, Doc("The facility.")]
    person: Annotated[Person, Doc("Who is booked.")]
    charge_status: Annotated[ChargeStatus, Doc("Whether the charges are pending or the person is convicted.")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class ReleaseFromCriminalCustody:
    """The person would now go free on the criminal side: the custody clock for any hold starts here."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.booking", "release.sentence_served", "release.charges_dropped")
    booking_id: Annotated[BookingId, ID, Doc("The booking.")]
    reason: Annotated[CriminalReleaseReason, Doc("Why the criminal custody ends; it must fit the charges.")]
    source: Annotated[Source | None, Doc(_SOURCE, example=OMITTED)] = None


@dataclass(frozen=True)
class LodgeWarrant:
    """Lodge an ICE warrant (I-200 or I-205) against a booked person."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id", "warrant.lodged_while_held")
    warrant_id: Annotated[WarrantId, ID, Doc("A new id for the warrant. " + _OWN_ID, example="AG-HARRIS.WR-9")]
    booking_id: Annotated[BookingId, ID, Doc("The booking of the person it names.")]
    form: Annotated[WarrantForm, Doc("The form of the warrant.")]
    number: Annotated[str, SHORT, Doc("The warrant's number.")]
    issued_on: Annotated[date, Doc("The day it was issued.")]


@dataclass(frozen=True)
class CancelWarrant:
    """Cancel a warrant; a hold resting on it must then be released (release.warrant_cancelled)."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.warrant",)
    warrant_id: Annotated[WarrantId, ID, Doc("The warrant.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]


@dataclass(frozen=True)
class ServeWarrant:
    """A certified officer serves the warrant and the hold begins; the result carries its deadline."""

    refused_by: ClassVar[tuple[str, ...]] = (
        "record.unique_id", *AUTHORITY_RULES, "wso.own_facility", "wso.after_release", "hold.one_open_per_booking",
        "warrant.servable", "lifecycle.warrant", "custody.serve_within_limit",
    )
    hold_id: Annotated[HoldId, ID, Doc("A new id for the hold. " + _OWN_ID, example="AG-HARRIS.H-1")]
    warrant_id: Annotated[WarrantId, ID, Doc("The lodged warrant served.")]
    officer_id: Annotated[OfficerId, ID, Doc("The serving officer: the caller's own officer record.")]


_JAIL_REFUSALS = (*AUTHORITY_RULES, "jem.own_facility")
_NOTES = "Free-text notes. Not encrypted: never a person's name, date of birth or A-number (SECURITY.md)."


@dataclass(frozen=True)
class InterviewStatus:
    """A JEM officer questions a booked person about their immigration status (never a WSO)."""

    refused_by: ClassVar[tuple[str, ...]] = _JAIL_REFUSALS
    booking_id: Annotated[BookingId, ID, Doc("The booking.")]
    officer_id: Annotated[OfficerId, ID, Doc("The acting officer: the caller's own officer record.")]
    notes: Annotated[str | None, TEXT, Doc(_NOTES)] = None


@dataclass(frozen=True)
class IssueDetainer:
    """A JEM officer issues an immigration detainer for a booked person (never a WSO)."""

    refused_by: ClassVar[tuple[str, ...]] = _JAIL_REFUSALS
    booking_id: Annotated[BookingId, ID, Doc("The booking.")]
    officer_id: Annotated[OfficerId, ID, Doc("The acting officer: the caller's own officer record.")]
    notes: Annotated[str | None, TEXT, Doc(_NOTES)] = None


@dataclass(frozen=True)
class EnterIceData:
    """A JEM officer enters a booked person's data into ICE systems (never a WSO)."""

    refused_by: ClassVar[tuple[str, ...]] = _JAIL_REFUSALS
    booking_id: Annotated[BookingId, ID, Doc("The booking.")]
    officer_id: Annotated[OfficerId, ID, Doc("The acting officer: the caller's own officer record.")]
    notes: Annotated[str | None, TEXT, Doc(_NOTES)] = None


@dataclass(frozen=True)
class TransferCustody:
    """ICE takes the person into its own custody: the hold ends."""

    refused_by: ClassVar[tuple[str, ...]] = ("hold.ends_once",)
    hold_id: Annotated[HoldId, ID, Doc("The open hold.")]
    receiving_officer: Annotated[str, TEXT, Doc("The ICE officer who took custody.")]
    field_office_id: Annotated[FieldOfficeId, ID, Doc("Their field office.")]


@dataclass(frozen=True)
class ReleaseHold:
    """The facility releases the person from the hold: the hold ends."""

    refused_by: ClassVar[tuple[str, ...]] = ("hold.ends_once", "release.limit_reached", "release.warrant_cancelled")
    hold_id: Annotated[HoldId, ID, Doc("The open hold.")]
    reason: Annotated[ReleaseReason, Doc("Why; it is checked against the clock and the warrant.")]


@dataclass(frozen=True)
class RecordAlert:
    """The watchdog records that one of an open hold's moments fell due: an alert before the deadline, the
    deadline itself, or the hold still open a grace period past it. Issued by the watchdog, never by a person."""

    refused_by: ClassVar[tuple[str, ...]] = ("watch.due",)
    hold_id: Annotated[HoldId, ID, Doc("The open hold.")]
    threshold: Annotated[str, SHORT, Doc("The moment: a lead time of the policy such as 24h or 90m, `deadline`, "
                                         "or `exceeded`.", example="24h")]


@dataclass(frozen=True)
class AcknowledgeAlert:
    """The caller acknowledges an alert they were shown; each user's acknowledgement is recorded."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    alert_id: Annotated[str, Bounds(min_length=1, max_length=250, pattern=ID_PATTERN, what="no control characters"),
                        Doc("The alert: its hold id, a colon, its threshold.", example="H-1:24h")]


@dataclass(frozen=True)
class SetAlertRoute:
    """Send the alerts of one agency, or of every agency of a field office, to a webhook or an e-mail address.
    Setting a route id again replaces that route (for the same agency or field office only). A webhook's
    messages are signed with the secret in the environment variable CUSTODY_LEDGER_WEBHOOK_SECRET_<ROUTE_ID>
    (the route id in capitals, other characters as _), else CUSTODY_LEDGER_WEBHOOK_SECRET: secrets never
    enter the ledger, and no route can name another's."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    route_id: Annotated[str, ID, Doc("An id for the route. " + _OWN_ID, example="AG-HARRIS.desk-mail")]
    channel: Annotated[AlertChannel, Doc("webhook (an HTTPS POST, signed) or email.")]
    target: Annotated[str, TEXT, Doc("The webhook's URL or the e-mail address.",
                                     example="https://jail.example/custody-alerts")]
    agency_id: Annotated[AgencyId | None, ID, Doc("The agency whose alerts it receives (or field_office_id).",
                                                  example="AG-HARRIS")] = None
    field_office_id: Annotated[FieldOfficeId | None, ID, Doc(
        "The field office whose agencies' alerts it receives (or agency_id).", example=OMITTED)] = None
    kinds: Annotated[tuple[WatchKind, ...] | None, Doc("Which moments it receives; all three when omitted.",
                                                       example=["release_due", "limit_exceeded"])] = None



@dataclass(frozen=True)
class RemoveAlertRoute:
    """Stop sending alerts to a route."""

    refused_by: ClassVar[tuple[str, ...]] = ()
    route_id: Annotated[str, ID, Doc("The route.")]
    reason: Annotated[str, TEXT, Doc("Why, in words.")]


_ORDER = "The court order's reference, e.g. its case number and date: what the ledger records of the order."


@dataclass(frozen=True)
class SealPerson:
    """Seal a booked person's record by court order: their data is hidden from every role but those the policy
    names (person.sealed_access), everywhere it is shown; the events, holds and counts stay."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.subject",)
    booking_id: Annotated[BookingId, ID, Doc("The booking whose person's record the order names.")]
    court_order: Annotated[str, TEXT, Doc(_ORDER, example="Harris County 2026-CV-1234, 2026-11-02")]


@dataclass(frozen=True)
class UnsealPerson:
    """Lift a seal by court order."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.subject",)
    booking_id: Annotated[BookingId, ID, Doc("The booking whose person's record the order names.")]
    court_order: Annotated[str, TEXT, Doc(_ORDER, example="Harris County 2026-CV-1234, 2026-12-01")]


@dataclass(frozen=True)
class ExpungePerson:
    """Expunge a booked person's data by court order: the data key is destroyed, so the data cannot be read again
    from the database, its exports or proofs; the events, holds, deadlines and counts stay and the chain verifies."""

    refused_by: ClassVar[tuple[str, ...]] = ("lifecycle.subject",)
    booking_id: Annotated[BookingId, ID, Doc("The booking whose person's record the order names.")]
    court_order: Annotated[str, TEXT, Doc(_ORDER, example="Harris County 2026-CV-1234, 2026-12-15")]


# --- who pays, and who watches (issue 15): costs, complaints, steering committee meetings -----------------

_ACCOUNTABILITY_DATES = "accountability.dates"
_NOT_LATER = "Not after the day of the command's occurred_at (agency calendar)."


@dataclass(frozen=True)
class RecordCost:
    """Record a cost of the program as a fact, with who bore it: officers' hours on program duties, hours people
    were held under holds, training hours, or per-diem billed to or paid by ICE under an IGSA. The sources disagree
    on who pays; the ledger keeps the facts, each with its payer."""

    refused_by: ClassVar[tuple[str, ...]] = (
        "record.unique_id", "cost.measure", _ACCOUNTABILITY_DATES, "accountability.same_agency", "cost.per_diem_igsa",
    )
    cost_id: Annotated[CostId, ID, Doc("A new id for the cost record. " + _OWN_ID, example="AG-HARRIS.COST-1")]
    agency_id: Annotated[AgencyId, ID, Doc("The agency whose program it is.", example="AG-HARRIS")]
    kind: Annotated[CostKind, Doc("officer_hours, detention_hours and training_hours are counted in hours; "
                                  "per_diem_billed and per_diem_paid in money, under an IGSA.")]
    payer: Annotated[CostPayer, Doc("Who bore it: the agency, ICE, the state or another.")]
    incurred_from: Annotated[date, Doc("The first day of the period it covers. " + _NOT_LATER)]
    incurred_to: Annotated[date, Doc("The last day of the period (not before incurred_from). " + _NOT_LATER)]
    hours: Annotated[Decimal | None, Bounds(ge=0, le=1_000_000), Doc(
        "Hours, to the hundredth (7.25): required for the *_hours kinds, refused for per-diem (cost.measure).",
        example=7.25)] = None
    amount_cents: Annotated[int | None, Bounds(ge=0, le=10**15), Doc(
        "The amount in US cents: required for per-diem; for hours, the cost in money when it is known.",
        example=OMITTED)] = None
    agreement_id: Annotated[AgreementId | None, ID, Doc(
        "The agency's agreement it falls under; for per-diem, the agreement with an IGSA in force on incurred_to "
        "(cost.per_diem_igsa).", example=OMITTED)] = None
    hold_id: Annotated[HoldId | None, ID, Doc("The agency's hold it concerns, if one.", example=OMITTED)] = None
    note: Annotated[str | None, TEXT, Doc(_NOTES, example=OMITTED)] = None


@dataclass(frozen=True)
class RecordComplaint:
    """Record a complaint about delegated functions received by the agency or ICE: when, about what, and against
    which officer if one is named. Nothing of who complained: the ledger holds no complainant's data."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id", _ACCOUNTABILITY_DATES, "accountability.same_agency")
    complaint_id: Annotated[ComplaintId, ID, Doc("A new id for the complaint. " + _OWN_ID,
                                                 example="AG-HARRIS.CMP-1")]
    agency_id: Annotated[AgencyId, ID, Doc("The agency whose program it concerns.", example="AG-HARRIS")]
    received_on: Annotated[date, Doc("The day it was received. " + _NOT_LATER)]
    category: Annotated[ComplaintCategory, Doc("What it is about, in a word (never a name or a story).")]
    officer_id: Annotated[OfficerId | None, ID, Doc("The agency's officer it names, if one.",
                                                    example=OMITTED)] = None


@dataclass(frozen=True)
class ReferComplaint:
    """Record that a complaint was referred to ICE's Office of Professional Responsibility or to the agency's
    internal affairs, as the agreements require: to each once."""

    refused_by: ClassVar[tuple[str, ...]] = (_ACCOUNTABILITY_DATES, "lifecycle.complaint")
    complaint_id: Annotated[ComplaintId, ID, Doc("The complaint.")]
    referred_to: Annotated[ComplaintReferral, Doc("ice_opr (ICE's Office of Professional Responsibility) or "
                                                  "internal_affairs (the agency's).")]
    referred_on: Annotated[date, Doc("The day it was referred (not before it was received). " + _NOT_LATER)]


@dataclass(frozen=True)
class CloseComplaint:
    """Record how a complaint ended: once."""

    refused_by: ClassVar[tuple[str, ...]] = (_ACCOUNTABILITY_DATES, "lifecycle.complaint")
    complaint_id: Annotated[ComplaintId, ID, Doc("The complaint.")]
    outcome: Annotated[ComplaintOutcome, Doc("The finding.")]
    closed_on: Annotated[date, Doc("The day it was closed (not before it was received or referred). " + _NOT_LATER)]


@dataclass(frozen=True)
class RecordSteeringMeeting:
    """Record a meeting of an agreement's steering committee, and the day its minutes were published if they were."""

    refused_by: ClassVar[tuple[str, ...]] = ("record.unique_id", _ACCOUNTABILITY_DATES, "accountability.same_agency")
    meeting_id: Annotated[SteeringMeetingId, ID, Doc("A new id for the meeting. " + _OWN_ID,
                                                     example="AG-HARRIS.SC-2026-1")]
    agency_id: Annotated[AgencyId, ID, Doc("The agency.", example="AG-HARRIS")]
    agreement_id: Annotated[AgreementId, ID, Doc("The agency's agreement whose committee met.",
                                                 example="AG-HARRIS.AGR-WSO")]
    held_on: Annotated[date, Doc("The day it met. " + _NOT_LATER)]
    minutes_published_on: Annotated[date | None, Doc(
        "The day its minutes were published (not before held_on); omitted while they are not.",
        example=OMITTED)] = None


@dataclass(frozen=True)
class PublishSteeringMinutes:
    """Record that a steering committee meeting's minutes were published: once."""

    refused_by: ClassVar[tuple[str, ...]] = (_ACCOUNTABILITY_DATES, "lifecycle.steering_minutes")
    meeting_id: Annotated[SteeringMeetingId, ID, Doc("The meeting.")]
    published_on: Annotated[date, Doc("The day the minutes were published (not before the meeting). " + _NOT_LATER)]


# Commands that share a shape, for the domain functions that judge them alike.
AgreementNotice = SuspendAgreement | ReinstateAgreement | TerminateAgreement
CertificateNotice = SuspendCertificate | RevokeCertificate
JailProcessing = InterviewStatus | IssueDetainer | EnterIceData

COMMANDS: dict[str, type[Any]] = {
    "register_field_office": RegisterFieldOffice,
    "register_agency": RegisterAgency,
    "amend_agency": AmendAgency,
    "register_facility": RegisterFacility,
    "request_agreement": RequestAgreement,
    "review_agreement": ReviewAgreement,
    "sign_agreement": SignAgreement,
    "resign_agreement": ResignAgreement,
    "amend_agreement": AmendAgreement,
    "attach_agreement_document": AttachAgreementDocument,
    "delist_agreement": DelistAgreement,
    "relist_agreement": RelistAgreement,
    "suspend_agreement": SuspendAgreement,
    "reinstate_agreement": ReinstateAgreement,
    "terminate_agreement": TerminateAgreement,
    "nominate_officer": NominateOfficer,
    "record_background_check": RecordBackgroundCheck,
    "record_training": RecordTraining,
    "separate_officer": SeparateOfficer,
    "certify_officer": CertifyOfficer,
    "suspend_certificate": SuspendCertificate,
    "revoke_certificate": RevokeCertificate,
    "book_person": BookPerson,
    "release_from_criminal_custody": ReleaseFromCriminalCustody,
    "lodge_warrant": LodgeWarrant,
    "cancel_warrant": CancelWarrant,
    "serve_warrant": ServeWarrant,
    "interview_status": InterviewStatus,
    "issue_detainer": IssueDetainer,
    "enter_ice_data": EnterIceData,
    "transfer_custody": TransferCustody,
    "release_hold": ReleaseHold,
    "record_alert": RecordAlert,
    "acknowledge_alert": AcknowledgeAlert,
    "set_alert_route": SetAlertRoute,
    "remove_alert_route": RemoveAlertRoute,
    "seal_person": SealPerson,
    "unseal_person": UnsealPerson,
    "expunge_person": ExpungePerson,
    "record_cost": RecordCost,
    "record_complaint": RecordComplaint,
    "refer_complaint": ReferComplaint,
    "close_complaint": CloseComplaint,
    "record_steering_meeting": RecordSteeringMeeting,
    "publish_steering_minutes": PublishSteeringMinutes,
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
