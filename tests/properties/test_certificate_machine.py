"""Hypothesis state machine over an officer's certificate and its agreement, through the domain.

Whatever ICE and the agency do, in whatever order: the officer may serve a warrant exactly when the
certificate is current (certified, not suspended, revoked or expired) and the agreement is in force.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from custody_ledger.domain import agreements, authority, officers
from custody_ledger.domain.commands import CertifyOfficer, ChangeAgreement, ChangeCertificate
from custody_ledger.domain.errors import DomainError
from custody_ledger.domain.events import CertificateRevoked
from custody_ledger.domain.ids import AgencyId, AgreementId, OfficerId, TrainingId
from custody_ledger.domain.model import (
    Agreement,
    AgreementModel,
    AgreementStatus,
    BackgroundResult,
    Certificate,
    Officer,
    Training,
)
from custody_ledger.policy import default_policy

POLICY = default_policy()
WSO = AgreementModel.WSO
OFFICER = Officer(OfficerId("O-1"), AgencyId("A-1"), "Officer", "1", BackgroundResult.PASSED)
ZONE = ZoneInfo("America/Los_Angeles")
TRAINED = (Training(TrainingId("T-1"), OfficerId("O-1"), WSO, "WSO", 8, date(2026, 1, 5)),)


class CertificateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.at = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)
        self.agreement = Agreement(AgreementId("AGR-1"), AgencyId("A-1"), WSO, AgreementStatus.ACTIVE, False,
                                   date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 15))
        self.cert: Certificate | None = None
        # The model: what the law says the state is, kept apart from the domain's own bookkeeping.
        self.certified = self.withdrawn = False
        self.expires: date | None = None

    def _view(self):
        return POLICY.at(self.at)

    def _day(self) -> date:
        return self.at.astimezone(ZONE).date()

    @rule(days=st.one_of(st.none(), st.integers(1, 30)))
    def certify(self, days: int | None) -> None:
        expires = None if days is None else self._day() + timedelta(days=days)
        cmd = CertifyOfficer(OfficerId("O-1"), WSO, AgreementId("AGR-1"), "CR-1", "SDDO", expires)
        try:
            events = officers.decide_certify_officer(cmd, OFFICER, self.agreement, TRAINED, self.cert, self.at,
                                                     self._day(), self._view())
        except DomainError:
            assert not self.agreement.in_force_on(self._day())
            return
        self.cert = officers.evolve_certificate(self.cert, events[0], self.at)
        self.certified, self.withdrawn, self.expires = True, False, expires

    @rule(action=st.sampled_from(["suspend", "revoke"]))
    def withdraw(self, action: str) -> None:
        try:
            events = officers.decide_change_certificate(action, ChangeCertificate(OfficerId("O-1"), WSO, "notice"),
                                                        self.cert, self._view())
        except DomainError:
            return
        self.cert = officers.evolve_certificate(self.cert, events[0], self.at)
        self.withdrawn = True

    @rule(action=st.sampled_from(["suspend", "reinstate", "terminate"]))
    def change_agreement(self, action: str) -> None:
        certs = [self.cert] if self.cert else []
        try:
            events = agreements.decide_change_agreement(action, ChangeAgreement(AgreementId("AGR-1"), "notice"),
                                                        self.agreement, certs, self._view())
        except DomainError:
            return
        self.agreement = agreements.evolve_agreement(self.agreement, events[0])
        for event in events[1:]:
            assert isinstance(event, CertificateRevoked)
            self.cert = officers.evolve_certificate(self.cert, event, self.at)
            self.withdrawn = True

    @rule(hours=st.integers(1, 24 * 20))
    def time_passes(self, hours: int) -> None:
        self.at += timedelta(hours=hours)

    @invariant()
    def may_serve_exactly_when_current_under_an_agreement_in_force(self) -> None:
        decision = authority.decide("serve_warrant", officer=OFFICER, certificates=[self.cert] if self.cert else [],
                                    agreements={self.agreement.agreement_id: self.agreement}, at=self.at,
                                    zone=ZONE, view=self._view())
        # Dates are read on the agency's calendar (Los Angeles here), not UTC's.
        day = self._day()
        current = self.certified and not self.withdrawn and (self.expires is None or day < self.expires)
        assert decision.allowed == (current and self.agreement.in_force_on(day))


CertificateMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=15, deadline=None)
TestCertificateLifecycle = CertificateMachine.TestCase
