"""Transition tables: (state, action) -> next state, for agreement, certificate, warrant, booking, hold.

`decide_*` consults these and raises IllegalTransition naming the lifecycle rule; `evolve_*`
never consults them, so replaying history cannot fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from .errors import IllegalTransition
from .model import AgreementStatus as A
from .model import BookingStatus as B
from .model import CertificateStatus as C
from .model import HoldStatus as H
from .model import SubjectState as P
from .model import WarrantStatus as W
from .policy import PolicyView

S = TypeVar("S", bound=StrEnum)

AGREEMENT: Mapping[tuple[A, str], A] = {
    (A.REQUESTED, "approve"): A.SUITABLE,
    (A.REQUESTED, "decline"): A.DECLINED,
    (A.SUITABLE, "sign"): A.ACTIVE,
    (A.ACTIVE, "suspend"): A.SUSPENDED,
    (A.SUSPENDED, "reinstate"): A.ACTIVE,
    (A.SUITABLE, "terminate"): A.TERMINATED,
    (A.ACTIVE, "terminate"): A.TERMINATED,
    (A.SUSPENDED, "terminate"): A.TERMINATED,
    # A new signature (a renewal, a new SIGNED date on ICE's list) is of an agreement in force.
    (A.ACTIVE, "resign"): A.ACTIVE,
    # An addendum amends an agreement that has not ended.
    (A.REQUESTED, "amend"): A.REQUESTED,
    (A.SUITABLE, "amend"): A.SUITABLE,
    (A.ACTIVE, "amend"): A.ACTIVE,
    (A.SUSPENDED, "amend"): A.SUSPENDED,
}

# Re-certifying a current, suspended or revoked certificate is how ICE renews or restores authority.
CERTIFICATE: Mapping[tuple[C, str], C] = {
    (C.CURRENT, "certify"): C.CURRENT,
    (C.SUSPENDED, "certify"): C.CURRENT,
    (C.REVOKED, "certify"): C.CURRENT,
    (C.CURRENT, "suspend"): C.SUSPENDED,
    (C.CURRENT, "revoke"): C.REVOKED,
    (C.SUSPENDED, "revoke"): C.REVOKED,
}

WARRANT: Mapping[tuple[W, str], W] = {
    (W.LODGED, "serve"): W.SERVED,
    (W.LODGED, "cancel"): W.CANCELLED,
    (W.SERVED, "cancel"): W.CANCELLED,
}

BOOKING: Mapping[tuple[B, str], B] = {
    (B.IN_CRIMINAL_CUSTODY, "release"): B.RELEASED,
}

# A hold ends once: transfer or release, never both (rule hold.ends_once).
HOLD: Mapping[tuple[H, str], H] = {
    (H.OPEN, "transfer"): H.TRANSFERRED,
    (H.OPEN, "release"): H.RELEASED,
}

# A court seals and unseals; an expunged record is gone for good.
SUBJECT: Mapping[tuple[P, str], P] = {
    (P.OPEN, "seal"): P.SEALED,
    (P.SEALED, "unseal"): P.OPEN,
    (P.OPEN, "expunge"): P.EXPUNGED,
    (P.SEALED, "expunge"): P.EXPUNGED,
}

_RULES = {
    id(AGREEMENT): "lifecycle.agreement",
    id(CERTIFICATE): "lifecycle.certificate",
    id(WARRANT): "lifecycle.warrant",
    id(BOOKING): "lifecycle.booking",
    id(HOLD): "hold.ends_once",
    id(SUBJECT): "lifecycle.subject",
}


def advance(table: Mapping[tuple[S, str], S], state: S, action: str, subject: str, view: PolicyView) -> S:
    """The next state, or IllegalTransition naming the lifecycle rule and the state it is in."""
    nxt = table.get((state, action))
    if nxt is None:
        raise IllegalTransition(
            f"{subject} is {state.value}; it cannot {action}",
            field="status",
            rule=view.rule(_RULES[id(table)]),
        )
    return nxt
