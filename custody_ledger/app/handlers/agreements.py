"""Load state for agreement commands and ask the domain; handlers never write or commit."""

from __future__ import annotations

from custody_ledger.domain import agreements as rules
from custody_ledger.domain import amendments as changes
from custody_ledger.domain.commands import (
    AgreementNotice,
    AmendAgency,
    AmendAgreement,
    AttachAgreementDocument,
    DelistAgreement,
    RegisterAgency,
    RegisterFacility,
    RegisterFieldOffice,
    RelistAgreement,
    RequestAgreement,
    ResignAgreement,
    ReviewAgreement,
    SignAgreement,
)

from ..context import Outcome, Tx


def register_field_office(tx: Tx, _: str, cmd: RegisterFieldOffice) -> Outcome:
    existing = tx.load("field_office", field_office_id=cmd.field_office_id)
    return Outcome(list(rules.decide_register_field_office(cmd, existing, tx.view)))


def register_agency(tx: Tx, _: str, cmd: RegisterAgency) -> Outcome:
    existing = tx.load("agency", agency_id=cmd.agency_id)
    office = tx.load("field_office", field_office_id=cmd.field_office_id)
    return Outcome(list(rules.decide_register_agency(cmd, existing, office, tx.view)))


def register_facility(tx: Tx, _: str, cmd: RegisterFacility) -> Outcome:
    existing = tx.load("facility", facility_id=cmd.facility_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    return Outcome(list(rules.decide_register_facility(cmd, existing, agency, tx.view)))


def request_agreement(tx: Tx, _: str, cmd: RequestAgreement) -> Outcome:
    existing = tx.load("agreement", agreement_id=cmd.agreement_id)
    agency = tx.load("agency", agency_id=cmd.agency_id)
    return Outcome(list(rules.decide_request_agreement(cmd, existing, agency, tx.view)))


def review_agreement(tx: Tx, _: str, cmd: ReviewAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(rules.decide_review_agreement(cmd, agreement, tx.view)))


def sign_agreement(tx: Tx, _: str, cmd: SignAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(rules.decide_sign_agreement(cmd, agreement, tx.view)))


def change_agreement(tx: Tx, _: str, cmd: AgreementNotice) -> Outcome:
    """suspend_agreement, reinstate_agreement, terminate_agreement: the domain tells them apart by type."""
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    under = tx.children("certificate", agreement_id=cmd.agreement_id)
    return Outcome(list(rules.decide_change_agreement(cmd, agreement, under, tx.view)))


def amend_agency(tx: Tx, _: str, cmd: AmendAgency) -> Outcome:
    agency = tx.load("agency", agency_id=cmd.agency_id)
    return Outcome(list(changes.decide_amend_agency(cmd, agency, tx.view)))


def resign_agreement(tx: Tx, _: str, cmd: ResignAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(changes.decide_resign_agreement(cmd, agreement, tx.view)))


def amend_agreement(tx: Tx, _: str, cmd: AmendAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(changes.decide_amend_agreement(cmd, agreement, tx.view)))


def attach_agreement_document(tx: Tx, _: str, cmd: AttachAgreementDocument) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    existing = tx.load("agreement_document", agreement_id=cmd.agreement_id, document_id=cmd.document_id)
    return Outcome(list(changes.decide_attach_document(cmd, agreement, existing, tx.view)))


def delist_agreement(tx: Tx, _: str, cmd: DelistAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(changes.decide_delist_agreement(cmd, agreement, tx.view)))


def relist_agreement(tx: Tx, _: str, cmd: RelistAgreement) -> Outcome:
    agreement = tx.load("agreement", agreement_id=cmd.agreement_id)
    return Outcome(list(changes.decide_relist_agreement(cmd, agreement, tx.view)))
