"""authority.decide answers every command of the vocabulary with a rule id, a citation and a sentence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from custody_ledger.domain import authority
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.ids import AgencyId, AgreementId, OfficerId, TrainingId
from custody_ledger.domain.model import (
    Agreement,
    AgreementModel,
    AgreementStatus,
    BackgroundResult,
    Certificate,
    CertificateStatus,
    Officer,
    Training,
)
from custody_ledger.policy import default_policy

AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
VIEW = default_policy().at(AT, UTC)
# Each model's course passed a month before AT: training is current, so only what a test varies decides.
TRAININGS = tuple(Training(TrainingId(f"O-1/T{i}"), OfficerId("O-1"), m, f"{m} basic", 160, date(2026, 2, 2), 90)
                  for i, m in enumerate(AgreementModel))
OFFICER = Officer(OfficerId("O-1"), AgencyId("A-1"), "Officer One", "17", BackgroundResult.PASSED)


def _agreement(model: AgreementModel, status: AgreementStatus = AgreementStatus.ACTIVE) -> Agreement:
    return Agreement(AgreementId(f"AGR-{model}"), AgencyId("A-1"), model, status, False, date(2025, 1, 1),
                     date(2025, 1, 1))


def _certificate(model: AgreementModel, status: CertificateStatus = CertificateStatus.CURRENT) -> Certificate:
    return Certificate(OfficerId("O-1"), model, AgreementId(f"AGR-{model}"), AgencyId("A-1"), "CR-1", "SDDO",
                       status, AT)


def decide(command: str, *certs: Certificate, agreements: tuple[Agreement, ...] = ()) -> authority.Decision:
    return authority.decide(command, officer=OFFICER, certificates=certs,
                            agreements={a.agreement_id: a for a in agreements}, at=AT, trainings=TRAININGS, view=VIEW)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_gets_a_rule_a_citation_and_a_sentence(command: str) -> None:
    decision = decide(command, _certificate(AgreementModel.JEM), agreements=(_agreement(AgreementModel.JEM),))
    assert (decision.allowed, bool(decision.rule_id), bool(decision.citation), bool(decision.sentence)) == (
        True, True, True, True)


@pytest.mark.parametrize("command", ["book_person", "register_agency", "release_hold", "transfer_custody"])
def test_recording_a_fact_exercises_no_delegated_power(command: str) -> None:
    assert decide(command).rule_id == "authority.administrative"


def test_a_jem_certificate_allows_interviews_under_the_jem_authority() -> None:
    jem = AgreementModel.JEM
    decision = decide("interview_status", _certificate(jem), agreements=(_agreement(jem),))
    assert (decision.allowed, decision.rule_id) == (True, "authority.jem")


def test_an_unknown_command_is_invalid_not_allowed() -> None:
    with pytest.raises(Invalid):
        decide("deport_everyone")


@pytest.mark.parametrize("command", ["interview_status", "issue_detainer", "enter_ice_data"])
def test_a_wso_certificate_does_not_allow_jail_processing(command: str) -> None:
    decision = decide(command, _certificate(AgreementModel.WSO), agreements=(_agreement(AgreementModel.WSO),))
    assert (decision.allowed, decision.rule_id) == (False, "authority.wso")


def test_a_wso_certificate_allows_serving_a_warrant() -> None:
    decision = decide("serve_warrant", _certificate(AgreementModel.WSO), agreements=(_agreement(AgreementModel.WSO),))
    assert (decision.allowed, decision.rule_id) == (True, "authority.wso")


def test_a_tfm_certificate_does_not_allow_jail_functions() -> None:
    decision = decide("serve_warrant", _certificate(AgreementModel.TFM), agreements=(_agreement(AgreementModel.TFM),))
    assert (decision.allowed, decision.rule_id) == (False, "authority.tfm")


def test_a_certificate_without_its_agreement_in_force_allows_nothing() -> None:
    suspended = _agreement(AgreementModel.WSO, AgreementStatus.SUSPENDED)
    decision = decide("serve_warrant", _certificate(AgreementModel.WSO), agreements=(suspended,))
    assert (decision.allowed, decision.rule_id) == (False, "agreement.active_required")


def test_a_suspended_certificate_allows_nothing() -> None:
    cert = _certificate(AgreementModel.WSO, CertificateStatus.SUSPENDED)
    decision = decide("serve_warrant", cert, agreements=(_agreement(AgreementModel.WSO),))
    assert (decision.allowed, decision.rule_id) == (False, "certificate.current_required")


def test_one_current_certificate_is_enough_among_several() -> None:
    certs = (_certificate(AgreementModel.WSO, CertificateStatus.REVOKED), _certificate(AgreementModel.JEM))
    decision = decide("serve_warrant", *certs, agreements=(_agreement(AgreementModel.JEM),
                                                           _agreement(AgreementModel.WSO)))
    assert (decision.allowed, decision.certificate and decision.certificate.model) == (True, AgreementModel.JEM)


def _trained_on(completed: date, score: int | None = 90) -> tuple[Training, ...]:
    return (Training(TrainingId("O-1/T1"), OfficerId("O-1"), AgreementModel.WSO, "WSO basic", 8, completed, score),)


@pytest.mark.parametrize(("completed", "allowed"), [
    (date(2025, 3, 3), True),    # 12 months end on 3 March 2026: the act on 2 March is inside them
    (date(2025, 3, 2), False),   # 12 months ended on 2 March 2026 itself: not current that day
    (date(2026, 3, 3), False),   # completed after the act: it cannot make the act lawful
])
def test_training_is_current_for_the_refresher_period_before_the_acts_day(completed: date, allowed: bool) -> None:
    wso = AgreementModel.WSO
    decision = authority.decide("serve_warrant", officer=OFFICER, certificates=(_certificate(wso),),
                                agreements={AgreementId("AGR-WSO"): _agreement(wso)},
                                trainings=_trained_on(completed), at=AT, view=VIEW)
    assert (decision.allowed, decision.rule_id) == (allowed, "authority.wso" if allowed else "training.refresher")


def test_a_failed_exam_does_not_keep_training_current() -> None:
    wso = AgreementModel.WSO
    decision = authority.decide("serve_warrant", officer=OFFICER, certificates=(_certificate(wso),),
                                agreements={AgreementId("AGR-WSO"): _agreement(wso)},
                                trainings=_trained_on(date(2026, 2, 1), score=69), at=AT, view=VIEW)
    assert (decision.allowed, decision.rule_id) == (False, "training.refresher")


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 3, 2), 12, date(2026, 3, 2)),
])
def test_months_are_added_on_the_calendar_keeping_the_day_where_the_month_has_it(
        day: date, months: int, expected: date) -> None:
    assert authority.add_months(day, months) == expected


@pytest.mark.parametrize(("background", "rule"), [
    (BackgroundResult.FAILED, "authority.background_check"), (None, "authority.background_check"),
])
def test_a_certified_officer_without_a_passed_background_check_in_force_may_not_act(
        background: BackgroundResult | None, rule: str) -> None:
    wso = AgreementModel.WSO
    officer = Officer(OfficerId("O-1"), AgencyId("A-1"), "Officer One", "17", background)
    decision = authority.decide("serve_warrant", officer=officer, certificates=(_certificate(wso),),
                                agreements={AgreementId("AGR-WSO"): _agreement(wso)}, trainings=TRAININGS,
                                at=AT, view=VIEW)
    assert (decision.allowed, decision.rule_id) == (False, rule)
