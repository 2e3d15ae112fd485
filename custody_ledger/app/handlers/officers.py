"""Load state for officer commands and ask the domain; handlers never write or commit."""

from __future__ import annotations

import sqlalchemy as sa

from custody_ledger.domain import officers as rules
from custody_ledger.domain.commands import (
    CertifyOfficer,
    ChangeCertificate,
    NominateOfficer,
    RecordBackgroundCheck,
    RecordTraining,
)
from custody_ledger.domain.ids import TrainingId
from custody_ledger.ledger.schema import trainings

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
    done = tx.conn.execute(
        sa.select(sa.func.count()).select_from(trainings).where(trainings.c.officer_id == cmd.officer_id)
    ).scalar_one()
    training_id = TrainingId(f"{cmd.officer_id}/T{done + 1}")
    return Outcome(list(rules.decide_record_training(cmd, officer, training_id, tx.at, tx.view)))


def certify_officer(tx: Tx, _: str, cmd: CertifyOfficer) -> Outcome:
    officer = tx.load("officer", officer_id=cmd.officer_id)
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    done = tx.load_where("training", trainings.c.officer_id == cmd.officer_id)
    existing = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    events = rules.decide_certify_officer(cmd, officer, agreement, done, existing, tx.at, tx.view)
    return Outcome(list(events))


def change_certificate(tx: Tx, name: str, cmd: ChangeCertificate) -> Outcome:
    action = name.removesuffix("_certificate")  # suspend | revoke
    certificate = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    return Outcome(list(rules.decide_change_certificate(action, cmd, certificate, tx.view)))
