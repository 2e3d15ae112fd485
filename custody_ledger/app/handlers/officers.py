"""Load state for officer commands and ask the domain; handlers never write or commit."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from custody_ledger.domain import officers as rules
from custody_ledger.domain.authority import agency_day
from custody_ledger.domain.commands import (
    CertifyOfficer,
    ChangeCertificate,
    NominateOfficer,
    RecordBackgroundCheck,
    RecordTraining,
)
from custody_ledger.domain.ids import TrainingId
from custody_ledger.domain.model import Officer
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
    earlier = tx.load_where("training", trainings.c.officer_id == cmd.officer_id)
    training_id = TrainingId(f"{cmd.officer_id}/T{len(earlier) + 1}")
    events = rules.decide_record_training(cmd, officer, training_id, earlier, _office_day(tx, officer), tx.view)
    return Outcome(list(events))


def certify_officer(tx: Tx, _: str, cmd: CertifyOfficer) -> Outcome:
    officer = tx.load("officer", officer_id=cmd.officer_id)
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    done = tx.load_where("training", trainings.c.officer_id == cmd.officer_id)
    existing = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    events = rules.decide_certify_officer(cmd, officer, agreement, done, existing, tx.at, _office_day(tx, officer),
                                          tx.view)
    return Outcome(list(events))


def _office_day(tx: Tx, officer: Officer | None) -> date:
    """The calendar day at the field office over the officer's agency (UTC's when there is no such officer,
    which the domain refuses as not found before any date matters)."""
    agency = None if officer is None else tx.load("agency", agency_id=officer.agency_id)
    office = None if agency is None else tx.load("field_office", field_office_id=agency.field_office_id)
    return agency_day(tx.at, ZoneInfo(office.timezone) if office is not None else ZoneInfo("UTC"))


def change_certificate(tx: Tx, name: str, cmd: ChangeCertificate) -> Outcome:
    action = name.removesuffix("_certificate")  # suspend | revoke
    certificate = tx.load("certificate", officer_id=cmd.officer_id, model=cmd.model)
    return Outcome(list(rules.decide_change_certificate(action, cmd, certificate, tx.view)))
