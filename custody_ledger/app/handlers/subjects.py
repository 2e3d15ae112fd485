"""Court orders on a person's record: seal, unseal, expunge. Handlers never write."""

from __future__ import annotations

from custody_ledger.domain import subjects as rules

from ..context import Outcome, Tx


def court_order(tx: Tx, _: str, cmd: rules.SubjectOrder) -> Outcome:
    booking = tx.load("booking", booking_id=cmd.booking_id)
    subject = None if booking is None else tx.load("subject", subject_id=booking.subject_id)
    return Outcome(list(rules.decide_order(cmd, subject, tx.view)))
