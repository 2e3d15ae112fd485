"""Who pays, and who watches (DOMAIN.md, "Agreements"; issue 15): the program's costs, the complaints about
delegated functions, and the steering committee's meetings, as the projections hold them.

The sources disagree on who pays for the WSO program (ICE says it does; critics say the agencies carry the
burden), so a cost is recorded as a fact with who bore it, never as a conclusion. A complaint is recorded
without any person's data: who complained is not the ledger's to know; what about, when, where it went, and
how it ended are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import assert_never

from .ids import AgencyId, AgreementId, ComplaintId, CostId, HoldId, OfficerId, SteeringMeetingId


class CostKind(StrEnum):
    OFFICER_HOURS = "officer_hours"  # officers' time on program duties
    DETENTION_HOURS = "detention_hours"  # time people were held under holds
    TRAINING_HOURS = "training_hours"
    PER_DIEM_BILLED = "per_diem_billed"  # billed to ICE under an IGSA
    PER_DIEM_PAID = "per_diem_paid"  # paid by ICE under an IGSA

    @property
    def in_hours(self) -> bool:
        """Counted in hours (an amount in money optional); else a per-diem, counted in money only."""
        return self in (CostKind.OFFICER_HOURS, CostKind.DETENTION_HOURS, CostKind.TRAINING_HOURS)


class CostPayer(StrEnum):
    """Who bore the cost."""

    AGENCY = "agency"
    ICE = "ice"
    STATE = "state"
    OTHER = "other"


class ComplaintCategory(StrEnum):
    """What a complaint is about, in a word: never a free text that could name someone."""

    USE_OF_FORCE = "use_of_force"
    CIVIL_RIGHTS = "civil_rights"
    UNLAWFUL_DETENTION = "unlawful_detention"
    LANGUAGE_ACCESS = "language_access"
    OTHER = "other"


class ComplaintReferral(StrEnum):
    """Where the agreements send a complaint about delegated functions."""

    ICE_OPR = "ice_opr"  # ICE's Office of Professional Responsibility
    INTERNAL_AFFAIRS = "internal_affairs"  # the agency's own


class ComplaintOutcome(StrEnum):
    SUSTAINED = "sustained"
    NOT_SUSTAINED = "not_sustained"
    UNFOUNDED = "unfounded"
    EXONERATED = "exonerated"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Cost:
    cost_id: CostId
    agency_id: AgencyId
    kind: CostKind
    payer: CostPayer
    incurred_from: date
    incurred_to: date
    # Hours to the hundredth, as a whole number of hundredths (7.25 hours: 725), so the column is exact on
    # every backend; the event carries the hours themselves.
    hours_hundredths: int | None = None
    amount_cents: int | None = None
    agreement_id: AgreementId | None = None
    hold_id: HoldId | None = None
    note: str | None = None


@dataclass(frozen=True)
class Complaint:
    complaint_id: ComplaintId
    agency_id: AgencyId
    received_on: date
    category: ComplaintCategory
    officer_id: OfficerId | None = None
    ice_opr_referred_on: date | None = None
    internal_affairs_referred_on: date | None = None
    outcome: ComplaintOutcome | None = None
    closed_on: date | None = None

    def referred_on(self, to: ComplaintReferral) -> date | None:
        match to:
            case ComplaintReferral.ICE_OPR:
                return self.ice_opr_referred_on
            case ComplaintReferral.INTERNAL_AFFAIRS:
                return self.internal_affairs_referred_on
            case _:
                assert_never(to)


@dataclass(frozen=True)
class SteeringMeeting:
    meeting_id: SteeringMeetingId
    agency_id: AgencyId
    agreement_id: AgreementId
    held_on: date
    minutes_published_on: date | None = None
