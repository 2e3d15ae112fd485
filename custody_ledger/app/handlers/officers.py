"""Load state for officer commands and ask the domain; handlers never write or commit."""

from __future__ import annotations

from custody_ledger.domain import officers as rules
from custody_ledger.domain.commands import (
    CertificateNotice,
    CertifyOfficer,
    NominateOfficer,
    RecordBackgroundCheck,
    RecordTraining,
    SeparateOfficer,
)
from custody_ledger.domain.ids import TrainingId

from ..context import Outcome, Tx


def nominate_officer(tx: Tx, _: str, cmd: NominateOfficer) -> Outcome:
    existing = tx.load("officer", officer_id=cmd.officer_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    return Outcome(list(rules.decide_nominate_officer(cmd, existing, agency, tx.view)))


def record_background_check(tx: Tx, _: str, cmd: RecordBackgroundCheck) -> Outcome:
    officer = tx.load("officer", officer_id=cmd.officer_id)
    return Outcome(list(rules.decide_record_background_check(cmd, officer, tx.view)))


def record_training(tx: Tx, _: str, cmd: RecordTraining) -> Outcome:
    officer = tx.load("officer", officer_id=cmd.officer_id)
    earlier = tx.children("training", officer_id=cmd.officer_id)
    training_id = TrainingId(f"{cmd.officer_id}/T{len(earlier) + 1}")
    events = rules.decide_record_training(cmd, officer, training_id, earlier, tx.view)
    return Outcome(list(events))


def separate_officer(tx: Tx, _: str, cmd: SeparateOfficer) -> Outcome:
    officer = tx.load("officer", officer_id=cmd.officer_id)
    held = tx.children("certificate", officer_id=cmd.officer_id)
    return Outcome(list(rules.decide_separate_officer(cmd, officer, held, tx.view)))


def certify_officer(tx: Tx, _: str, cmd: CertifyOfficer) -> Outcome:
    """Certification is judged on the officer and agreement as they stood at its `at` (domain.history)."""
    officer = tx.as_of("officer", officer_id=cmd.officer_id)
    agreement = tx.as_of("agreement", agreement_id=cmd.agreement_id)
    done = tx.children("training", officer_id=cmd.officer_id)
    existing = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    events = rules.decide_certify_officer(cmd, officer, agreement, done, existing, tx.view)
    return Outcome(list(events))


def change_certificate(tx: Tx, _: str, cmd: CertificateNotice) -> Outcome:
    """suspend_certificate and revoke_certificate: the domain tells them apart by type."""
    certificate = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    return Outcome(list(rules.decide_change_certificate(cmd, certificate, tx.view)))
