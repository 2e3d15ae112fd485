"""What an officer may do, at a moment, under the policy then in force.

`decide` answers every command of the vocabulary: administrative records exercise no delegated
power; the jail functions need a current certificate whose model grants the power, under an
agreement of that model in force for the officer's own agency (INA § 287(g), 8 U.S.C. § 1357(g)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .commands import COMMANDS
from .errors import Invalid, Rule, RuleViolation
from .ids import AgreementId
from .model import Agreement, AgreementModel, BackgroundResult, Certificate, CertificateStatus, Officer
from .policy import PolicyView

# Commands that exercise a delegated power, and the power each one needs (policy: authority.*).
POWERS: Mapping[str, str] = {
    "serve_warrant": "serve_warrant",
    "interview_status": "interview_status",
    "issue_detainer": "issue_detainer",
    "enter_ice_data": "enter_ice_data",
}


def agency_day(at: datetime, zone: ZoneInfo) -> date:
    """The calendar day an agreement's or certificate's dates are read in: the agency's own, not UTC's.

    An agreement effective 1 March does not reach a Los Angeles officer at 17:00 on 28 February, though
    it is already 1 March in UTC; `zone` is that of the facility where the officer acts.
    """
    return at.astimezone(zone).date()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: Rule
    sentence: str
    certificate: Certificate | None = None

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def citation(self) -> str:
        return self.rule.cite

    def enforce(self) -> Certificate | None:
        """Raise the refusal if not allowed; return the certificate acted under, if any."""
        if not self.allowed:
            raise RuleViolation(self.rule, field="officer_id", message=self.sentence)
        return self.certificate


def decide(
    command: str,
    *,
    officer: Officer | None,
    certificates: Sequence[Certificate],
    agreements: Mapping[AgreementId, Agreement],
    at: datetime,
    zone: ZoneInfo,
    view: PolicyView,
) -> Decision:
    """Allowed or refused, with the rule id, its citation and a plain sentence; `zone`: where the officer acts."""
    if command not in COMMANDS:
        raise Invalid(f"command must be one of the vocabulary; got {command!r}", field="command")
    power = POWERS.get(command)
    if power is None:
        rule = view.rule("authority.administrative")
        return Decision(True, rule, f"{command} records a fact and exercises no delegated power.")
    if officer is None:
        rule = view.rule("certificate.current_required")
        return Decision(False, rule, f"{command} must name a nominated, certified officer.")
    return _officer_decision(command, power, officer, certificates, agreements, at, agency_day(at, zone), view)


def _officer_decision(
    command: str,
    power: str,
    officer: Officer,
    certificates: Sequence[Certificate],
    agreements: Mapping[AgreementId, Agreement],
    at: datetime,
    day: date,
    view: PolicyView,
) -> Decision:
    who = f"Officer {officer.officer_id}"
    held = [c for c in certificates if c.officer_id == officer.officer_id]
    if not held:
        return Decision(False, view.rule("certificate.current_required"), f"{who} {_stage(officer)}.")
    granting = [c for c in held if _grants(c.model, power, view)]
    if not granting:
        scope = view.authority(held[0].model).rule
        models = "/".join(sorted({c.model.value for c in held}))
        return Decision(False, scope, f"{who} is certified only as {models}, which may not {command}. {scope.text}")
    current = [c for c in granting if c.current_on(day)]
    if not current:
        return Decision(False, view.rule("certificate.current_required"), _not_current(who, granting[0], day))
    for cert in current:
        agreement = agreements.get(cert.agreement_id)
        if _agreement_in_force(agreement, cert.model, officer, day):
            scope = view.authority(cert.model).rule
            sentence = (
                f"{who} may {command} under the {cert.model.value} certificate {cert.credential_no} "
                f"and agreement {cert.agreement_id}."
            )
            return Decision(True, scope, sentence, cert)
    cert = current[0]
    return Decision(
        False,
        view.rule("agreement.active_required"),
        f"Agreement {cert.agreement_id} ({cert.model.value}) is not in force for agency "
        f"{officer.agency_id} on {day} (agency time, {at.isoformat()} UTC); no agreement, no delegated authority.",
    )


def _grants(model: AgreementModel, power: str, view: PolicyView) -> bool:
    try:
        powers: frozenset[str] = view.authority(model).value
    except Invalid:
        return False
    return power in powers


def _agreement_in_force(
    agreement: Agreement | None, model: AgreementModel, officer: Officer, day: date
) -> bool:
    return (
        agreement is not None
        and agreement.model is model
        and agreement.agency_id == officer.agency_id
        and agreement.in_force_on(day)
    )


def _stage(officer: Officer) -> str:
    if officer.background is BackgroundResult.FAILED:
        return "failed the background check and holds no certificate"
    if officer.background is None:
        return "is nominated only: no background check, no training, no certificate"
    return "holds no certificate (training and certification are not complete)"


def _not_current(who: str, cert: Certificate, day: date) -> str:
    if cert.status is not CertificateStatus.CURRENT:
        status = cert.status.value
        return f"{who}'s {cert.model.value} certificate is {status}; a {status} officer may not act."
    return f"{who}'s {cert.model.value} certificate expired on {cert.expires_on}; it is not current on {day}."
