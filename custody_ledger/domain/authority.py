"""What an officer may do, at a moment, under the policy then in force.

`decide` answers every command of the vocabulary: administrative records exercise no delegated
power; the jail functions need a current certificate whose model grants the power, under an
agreement of that model in force for the officer's own agency (INA § 287(g), 8 U.S.C. § 1357(g)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .commands import COMMANDS
from .errors import Invalid, Rule, RuleViolation
from .ids import AgreementId
from .model import Agreement, AgreementModel, BackgroundResult, Certificate, CertificateStatus, Officer, Training
from .policy import PolicyView

# Commands that exercise a delegated power, and the power each one needs (policy: authority.*).
POWERS: Mapping[str, str] = {
    "serve_warrant": "serve_warrant",
    "interview_status": "interview_status",
    "issue_detainer": "issue_detainer",
    "enter_ice_data": "enter_ice_data",
}


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
    trainings: Sequence[Training],
    at: datetime,
    view: PolicyView,
) -> Decision:
    """Allowed or refused, with the rule id, its citation and a plain sentence.

    Every argument is the state in force at `at` (domain.history), and `view` is the policy on the day
    of `at` on the calendar of the facility where the officer acts; agreement, certificate and
    training dates are read in that same day.
    """
    if command not in COMMANDS:
        raise Invalid(f"command must be one of the vocabulary; got {command!r}", field="command")
    power = POWERS.get(command)
    if power is None:
        rule = view.rule("authority.administrative")
        return Decision(True, rule, f"{command} records a fact and exercises no delegated power.")
    if officer is None:
        rule = view.rule("certificate.current_required")
        return Decision(False, rule, f"{command} must name an officer nominated and certified by {at.isoformat()}.")
    standing = _Standing(officer, certificates, agreements, trainings, at, view.day)
    return standing.judge(command, power, view)


@dataclass(frozen=True)
class _Standing:
    officer: Officer
    certificates: Sequence[Certificate]
    agreements: Mapping[AgreementId, Agreement]
    trainings: Sequence[Training]
    at: datetime
    day: date

    @property
    def who(self) -> str:
        return f"Officer {self.officer.officer_id}"

    def judge(self, command: str, power: str, view: PolicyView) -> Decision:
        officer, who, day = self.officer, self.who, self.day
        if officer.separation_reason is not None:
            return Decision(False, view.rule("officer.with_agency"),
                            f"{who} had left agency {officer.agency_id} by {day} ({officer.separation_reason}).")
        held = [c for c in self.certificates if c.officer_id == officer.officer_id]
        if not held:
            return Decision(False, view.rule("certificate.current_required"), f"{who} {_stage(officer, day)}.")
        if officer.background is not BackgroundResult.PASSED:
            return Decision(False, view.rule("authority.background_check"),
                            f"{who}'s background check in force on {day} is {_background(officer)}; "
                            "the officer may not act.")
        granting = [c for c in held if _grants(c.model, power, view)]
        if not granting:
            scope = view.authority(held[0].model).rule
            models = "/".join(sorted({c.model.value for c in held}))
            return Decision(False, scope, f"{who} is certified only as {models}, which may not {command}. {scope.text}")
        current = [c for c in granting if c.current_on(day)]
        if not current:
            return Decision(False, view.rule("certificate.current_required"), _not_current(who, granting[0], day))
        in_force = [c for c in current if self._agreement_in_force(c)]
        if not in_force:
            return self._no_agreement(current[0], view)
        for cert in in_force:
            if self._training_current(cert.model, view):
                scope = view.authority(cert.model).rule
                sentence = (f"{who} may {command} under the {cert.model.value} certificate {cert.credential_no} "
                            f"and agreement {cert.agreement_id}.")
                return Decision(True, scope, sentence, cert)
        return self._training_lapsed(in_force[0].model, view)

    def _agreement_in_force(self, cert: Certificate) -> bool:
        agreement = self.agreements.get(cert.agreement_id)
        return (
            agreement is not None
            and agreement.model is cert.model
            and agreement.agency_id == self.officer.agency_id
            and agreement.in_force_on(self.day)
        )

    def _no_agreement(self, cert: Certificate, view: PolicyView) -> Decision:
        return Decision(
            False,
            view.rule("agreement.active_required"),
            f"Agreement {cert.agreement_id} ({cert.model.value}) is not in force for agency "
            f"{self.officer.agency_id} on {self.day} (agency time, {self.at.isoformat()} UTC); no agreement, "
            "no delegated authority.",
        )

    def _last_passed(self, model: AgreementModel, view: PolicyView) -> date | None:
        exam = view.training_exam
        done = [t.completed_on for t in self.trainings
                if t.model is model and t.completed_on <= self.day and exam.passed(t.exam_score)]
        return max(done, default=None)

    def _training_current(self, model: AgreementModel, view: PolicyView) -> bool:
        last = self._last_passed(model, view)
        return last is not None and self.day < add_months(last, view.refresher_months.value)

    def _training_lapsed(self, model: AgreementModel, view: PolicyView) -> Decision:
        refresher = view.refresher_months
        last = self._last_passed(model, view)
        when = "has no passed training on record" if last is None else f"last passed {model.value} training on {last}"
        return Decision(False, refresher.rule,
                        f"{self.who} {when}; training must be renewed every {refresher.value} months, so it is not "
                        f"current on {self.day}.")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _grants(model: AgreementModel, power: str, view: PolicyView) -> bool:
    try:
        powers: frozenset[str] = view.authority(model).value
    except Invalid:
        return False
    return power in powers


def _background(officer: Officer) -> str:
    return "failed" if officer.background is BackgroundResult.FAILED else "not recorded"


def _stage(officer: Officer, day: date) -> str:
    if officer.background is BackgroundResult.FAILED:
        return "failed the background check and holds no certificate"
    if officer.background is None:
        return f"held no certificate on {day}: no background check, no training, no certificate"
    return f"held no certificate on {day} (training and certification were not complete)"


def _not_current(who: str, cert: Certificate, day: date) -> str:
    if cert.status is not CertificateStatus.CURRENT:
        status = cert.status.value
        return f"{who}'s {cert.model.value} certificate was {status} on {day}; a {status} officer may not act."
    return f"{who}'s {cert.model.value} certificate expired on {cert.expires_on}; it is not current on {day}."
