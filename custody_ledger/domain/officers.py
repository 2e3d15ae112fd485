"""Officers from nomination to certificate (DOMAIN.md "Officers"); decide_*() may refuse, evolve_*() never."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import assert_never

from . import lifecycle
from .agreements import require_new
from .commands import (
    CertificateNotice,
    CertifyOfficer,
    NominateOfficer,
    RecordBackgroundCheck,
    RecordTraining,
    RevokeCertificate,
    SeparateOfficer,
    SuspendCertificate,
)
from .errors import Conflict, Invalid, NotFound, RuleViolation
from .events import (
    BackgroundCheckRecorded,
    CertificateRevoked,
    CertificateSuspended,
    OfficerCertified,
    OfficerNominated,
    OfficerSeparated,
    TrainingRecorded,
)
from .history import require_not_backdated
from .ids import TrainingId
from .model import (
    Agency,
    Agreement,
    AgreementModel,
    BackgroundResult,
    Certificate,
    CertificateStatus,
    Officer,
    Training,
)
from .policy import PolicyView

CertificateEvent = OfficerCertified | CertificateSuspended | CertificateRevoked
OfficerEvent = OfficerNominated | BackgroundCheckRecorded | OfficerSeparated


def _found(officer: Officer | None, ident: str) -> Officer:
    if officer is None:
        raise NotFound.of("officer_id", ident)
    return officer


def decide_nominate_officer(
    cmd: NominateOfficer, existing: Officer | None, agency: Agency | None, view: PolicyView
) -> list[OfficerNominated]:
    require_new(existing, "officer", cmd.officer_id, "officer_id", view)
    if agency is None:
        raise NotFound.of("agency_id", cmd.agency_id)
    return [OfficerNominated(cmd.officer_id, cmd.agency_id, cmd.name, cmd.badge)]


def decide_record_background_check(
    cmd: RecordBackgroundCheck, officer: Officer | None, view: PolicyView
) -> list[BackgroundCheckRecorded]:
    _found(officer, cmd.officer_id)
    return [BackgroundCheckRecorded(cmd.officer_id, cmd.result, require_not_backdated(cmd.effective_on, view))]


def decide_separate_officer(
    cmd: SeparateOfficer, officer: Officer | None, certificates: Sequence[Certificate], view: PolicyView
) -> list[OfficerSeparated | CertificateRevoked]:
    """Leaving the agency ends every delegation at once, as terminating an agreement does (DOMAIN.md)."""
    found = _found(officer, cmd.officer_id)
    if found.separation_reason is not None:
        raise Conflict(f"officer {found.officer_id} has already left the agency", field="officer_id",
                       rule=view.rule("officer.with_agency"))
    effective_on = require_not_backdated(cmd.effective_on, view)
    rule = view.rule("officer.with_agency")
    ended = [
        CertificateRevoked(c.officer_id, c.model, f"officer left the agency: {cmd.reason}", rule.id, effective_on)
        for c in certificates if c.status is not CertificateStatus.REVOKED
    ]
    return [OfficerSeparated(cmd.officer_id, cmd.reason, effective_on), *ended]


def decide_record_training(
    cmd: RecordTraining, officer: Officer | None, training_id: TrainingId, earlier: Sequence[Training],
    view: PolicyView,
) -> list[TrainingRecorded]:
    """`view.day`: the field office's calendar day when the training is recorded (as for certification);
    `earlier`: the officer's training records so far, for the exam rule."""
    _found(officer, cmd.officer_id)
    if cmd.exam_score is not None and not 0 <= cmd.exam_score <= 100:
        raise Invalid("exam_score must be a percent from 0 to 100", field="exam_score")
    _require_not_disqualified(cmd.officer_id, cmd.model, earlier, view)
    if not 0 < cmd.hours <= 10_000:
        raise Invalid("hours must be a whole number of training hours from 1 to 10000", field="hours")
    if cmd.completed_on > view.day:
        raise Invalid(f"completed_on may not be after the day it is recorded ({view.day}, field office time)",
                      field="completed_on")
    return [TrainingRecorded(training_id, cmd.officer_id, cmd.model, cmd.course, cmd.hours, cmd.completed_on,
                             cmd.exam_score)]


def decide_certify_officer(
    cmd: CertifyOfficer,
    officer: Officer | None,
    agreement: Agreement | None,
    trainings: Sequence[Training],
    existing: Certificate | None,
    view: PolicyView,
) -> list[OfficerCertified]:
    """ICE certifies in writing only after a passed background check and the model's full training.

    `view.day` is the certifying field office's calendar day: the agreement's and the training's dates are
    read in it (certification is ICE's act; acts on people are judged on the facility's day). `officer` and
    `agreement` are as they stood at the certification (domain.history).
    """
    found = _found(officer, cmd.officer_id)
    if agreement is None:
        raise NotFound.of("agreement_id", cmd.agreement_id)
    if found.separation_reason is not None:
        raise RuleViolation(view.rule("officer.with_agency"), field="officer_id",
                            message=f"Officer {found.officer_id} has left agency {found.agency_id}: "
                                    f"{found.separation_reason}.")
    if existing is not None:
        lifecycle.advance(lifecycle.CERTIFICATE, existing.status, "certify", f"certificate {cmd.officer_id}", view)
    if found.background is not BackgroundResult.PASSED:
        state = "failed" if found.background is BackgroundResult.FAILED else "not been recorded"
        rule = view.rule("certification.background_check")
        message = f"Officer {found.officer_id}'s background check has {state}."
        raise RuleViolation(rule, field="officer_id", message=message)
    _require_training(cmd, trainings, view)
    if cmd.supervisor is None:
        rule = view.rule("certification.supervisor")
        raise RuleViolation(rule, field="supervisor", message="The certificate must name the supervising ICE position.")
    in_force = agreement.in_force_on(view.day)
    if agreement.model is not cmd.model or agreement.agency_id != found.agency_id or not in_force:
        raise RuleViolation(
            view.rule("certification.agreement"),
            field="agreement_id",
            message=f"Agreement {agreement.agreement_id} is not a {cmd.model.value} agreement in force "
            f"for agency {found.agency_id}.",
        )
    return [
        OfficerCertified(
            cmd.officer_id, cmd.model, cmd.agreement_id, found.agency_id, cmd.credential_no, cmd.supervisor,
            cmd.expires_on,
        )
    ]


def _require_not_disqualified(
    officer_id: str, model: AgreementModel, trainings: Sequence[Training], view: PolicyView
) -> None:
    exam = view.training_exam
    failed = [t for t in trainings if t.model is model and not exam.passed(t.exam_score)]
    if len(failed) >= exam.failures_disqualify:
        raise RuleViolation(exam.rule, field="officer_id",
                            message=f"Officer {officer_id} failed {len(failed)} {model.value} training exams "
                                    f"(below {exam.pass_percent} %); only one retake is allowed, so the officer "
                                    f"is disqualified for that model.")


def _require_training(cmd: CertifyOfficer, trainings: Sequence[Training], view: PolicyView) -> None:
    _require_not_disqualified(cmd.officer_id, cmd.model, trainings, view)
    required = view.training(cmd.model)
    exam = view.training_exam
    done = sum(t.hours for t in trainings
               if t.model is cmd.model and t.completed_on <= view.day and exam.passed(t.exam_score))
    if done < required.value:
        raise RuleViolation(
            required.rule,
            field="officer_id",
            message=f"Officer {cmd.officer_id} has {done} of the {required.value} training hours "
            f"the {cmd.model.value} model requires.",
        )


def decide_change_certificate(
    cmd: CertificateNotice, certificate: Certificate | None, view: PolicyView
) -> list[CertificateSuspended | CertificateRevoked]:
    """suspend_certificate and revoke_certificate: each by its own command type."""
    if certificate is None:
        raise NotFound(f"officer {cmd.officer_id} holds no {cmd.model.value} certificate", field="officer_id")
    subject = f"certificate {cmd.officer_id}/{cmd.model.value}"
    match cmd:
        case SuspendCertificate():
            lifecycle.advance(lifecycle.CERTIFICATE, certificate.status, "suspend", subject, view)
            effective_on = require_not_backdated(cmd.effective_on, view)
            return [CertificateSuspended(cmd.officer_id, cmd.model, cmd.reason, effective_on)]
        case RevokeCertificate():
            lifecycle.advance(lifecycle.CERTIFICATE, certificate.status, "revoke", subject, view)
            effective_on = require_not_backdated(cmd.effective_on, view)
            return [CertificateRevoked(cmd.officer_id, cmd.model, cmd.reason, None, effective_on)]
        case _:
            assert_never(cmd)


def evolve_officer(officer: Officer | None, event: OfficerEvent) -> Officer:
    match event:
        case OfficerNominated():
            return Officer(event.officer_id, event.agency_id, event.name, event.badge)
        case BackgroundCheckRecorded():
            assert officer is not None, "background_check_recorded before officer_nominated"
            return replace(officer, background=event.result)
        case OfficerSeparated():
            assert officer is not None, "officer_separated before officer_nominated"
            return replace(officer, separation_reason=event.reason, separated_on=event.effective_on)
        case _:
            assert_never(event)


def evolve_training(_: Training | None, e: TrainingRecorded) -> Training:
    return Training(e.training_id, e.officer_id, e.model, e.course, e.hours, e.completed_on, e.exam_score)


def evolve_certificate(cert: Certificate | None, event: CertificateEvent, at: datetime) -> Certificate:
    match event:
        case OfficerCertified():
            return Certificate(
                event.officer_id, event.model, event.agreement_id, event.agency_id, event.credential_no,
                event.supervisor, CertificateStatus.CURRENT, at, event.expires_on,
            )
        case CertificateSuspended():
            assert cert is not None
            return replace(cert, status=CertificateStatus.SUSPENDED, status_reason=event.reason)
        case CertificateRevoked():
            assert cert is not None
            return replace(cert, status=CertificateStatus.REVOKED, status_reason=event.reason)
        case _:
            assert_never(event)
