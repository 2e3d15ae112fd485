"""What-if replay (issue 15): the recorded history re-judged under another policy file, writing nothing.

DESIGN.md, "Policy as data": a replay under another policy is a query, not a migration. The events are read in
ledger order and folded with the domain's evolve functions (which never refuse), so every act is judged on the
facts recorded before it, as the write path judged it then; each act whose outcome depends on the policy is put
again to the domain's own decide functions under the OTHER policy's view of the act's day, on the act's calendar
(app/calendar.py: the facility's for acts on people, the field office's for certification). A changed decision
is reported, never folded: history stays what it was, and the acts after it are judged on the recorded facts.

Re-judged: each hold's deadline (limit, counting, holidays) and whether it was held past it; whether an accepted
arrest, jail function, certification or release at the limit would have been refused; whether a recorded refusal
would still be refused, where the ledger keeps what that takes, and "undetermined", with the reason, where not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from custody_ledger.domain import authority, clock, watch
from custody_ledger.domain import custody as cu
from custody_ledger.domain import officers as of
from custody_ledger.domain.commands import (
    AUTHORITY_RULES,
    CertifyOfficer,
    EnterIceData,
    InterviewStatus,
    IssueDetainer,
    JailProcessing,
    ReleaseHold,
    ServeWarrant,
)
from custody_ledger.domain.errors import DomainError, NotFound, Rule, RuleViolation
from custody_ledger.domain.events import (
    ActionRefused,
    AlertRaised,
    CustodyTransferred,
    DetainerIssued,
    HoldOpened,
    HoldReleased,
    IceDataEntered,
    OfficerCertified,
    StatusInterviewed,
    WarrantServed,
)
from custody_ledger.domain.model import AgreementModel, HoldStatus, ReleaseReason, WarrantStatus, WatchKind
from custody_ledger.domain.policy import Policy, PolicyView
from custody_ledger.ledger import codec
from custody_ledger.ledger.folded import Folded, command_batches, read_only

_JAIL_COMMANDS = {StatusInterviewed: "interview_status", DetainerIssued: "issue_detainer",
                  IceDataEntered: "enter_ice_data"}
_JAIL_CMDS: Mapping[str, type[JailProcessing]] = {
    "interview_status": InterviewStatus, "issue_detainer": IssueDetainer, "enter_ice_data": EnterIceData}
# Refusals whose rule reads the custody limit, and the record the refusal would need to re-judge it.
_LIMIT_RULES = {"custody.serve_within_limit": "warrant", "release.limit_reached": "hold"}
_TRAINING_RULES = {f"training.{m.value.lower()}": m for m in AgreementModel}

ACCEPTED_REFUSED = "accepted_refused"
REFUSED_ALLOWED = "refused_allowed"
UNDETERMINED = "undetermined"
BREACH = "breach"


@dataclass(frozen=True)
class Finding:
    """One line of the detail list: a hold, an accepted act or a refusal whose judgment changed or is unknown."""

    kind: str  # "hold", "act", "refusal"
    ident: str  # the hold id, the act's idempotency key, the refusal id
    agency_id: str | None
    outcome: str  # BREACH, ACCEPTED_REFUSED, REFUSED_ALLOWED, UNDETERMINED
    what: str
    rule_id: str | None = None
    citation: str | None = None


@dataclass
class AgencyFigures:
    agency_id: str
    holds: int = 0  # holds whose arrest fell in the window
    acts: int = 0  # accepted acts judged again: arrests, jail functions, certifications, releases at the limit
    refusals: int = 0  # recorded refusals judged again
    would_breach: int = 0  # held past the other policy's deadline (at the end, or at the window's end if open)
    breach_new: int = 0  # of which not past the recorded deadline
    breach_gone: int = 0  # past the recorded deadline, not past the other's
    accepted_refused: int = 0
    refused_allowed: int = 0
    undetermined: int = 0
    alerts_recorded: int = 0  # alert_raised events the watchdog recorded for these holds
    alerts_other: int = 0  # lead-time alert moments the other policy sets before each hold ended

    @property
    def changes(self) -> int:
        return self.breach_new + self.breach_gone + self.accepted_refused + self.refused_allowed


@dataclass(frozen=True)
class Replay:
    policy: str
    start: date
    end: date
    until: datetime  # the latest moment judged: the window's end, or the replay's `now` if earlier
    events: int
    head: str
    agencies: list[AgencyFigures]
    findings: list[Finding]

    @property
    def changes(self) -> int:
        return sum(a.changes for a in self.agencies)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "until": self.until.isoformat(), "events": self.events, "head": self.head,
                "agencies": [dataclasses.asdict(a) for a in self.agencies],
                "findings": [dataclasses.asdict(f) for f in self.findings]}


@dataclass
class _Hold:
    opened: HoldOpened
    zone: ZoneInfo
    other_deadline: datetime | None
    # The other policy would not have opened it (refused), or cannot say: no deadline of its own to judge.
    excluded: bool
    alert_leads: tuple[timedelta, ...] = ()
    grace: timedelta = timedelta(0)
    ended_at: datetime | None = None
    past_limit: bool = False
    alerts_recorded: int = 0


@dataclass
class _Judge:
    other: Policy
    start: date
    end: date
    now: datetime
    agency: str | None
    world: Folded = field(default_factory=Folded)
    holds: dict[str, _Hold] = field(default_factory=dict)
    figures: dict[str, AgencyFigures] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    # --- the window and the figures -------------------------------------------------------------------------

    def within(self, at: datetime, zone: ZoneInfo | None, agency_id: str | None) -> bool:
        if self.agency is not None and agency_id != self.agency:
            return False
        day = at.astimezone(zone or UTC).date()
        return self.start <= day <= self.end

    def until(self, zone: ZoneInfo | None) -> datetime:
        end = datetime.combine(self.end + timedelta(days=1), time(), zone or UTC).astimezone(UTC)
        return min(end, self.now)

    def of(self, agency_id: str | None) -> AgencyFigures:
        key = agency_id or "(agency not recorded)"  # e.g. a release_hold refused: its refusal names no agency
        return self.figures.setdefault(key, AgencyFigures(key))

    def find(self, finding: Finding) -> None:
        self.findings.append(finding)
        figures = self.of(finding.agency_id)
        match finding.outcome:
            case "accepted_refused":
                figures.accepted_refused += 1
            case "refused_allowed":
                figures.refused_allowed += 1
            case "undetermined":
                figures.undetermined += 1

    def view(self, at: datetime, zone: ZoneInfo) -> PolicyView:
        return self.other.at(at, zone)

    # --- one command's events ---------------------------------------------------------------------------------

    def judge(self, key: str, batch: Sequence[object], at: datetime) -> None:
        """Judge the act whose events are `batch` on the world as it stood before them, then fold them."""
        first = batch[0]
        try:
            if isinstance(first, WarrantServed):
                self.serve(key, next(e for e in batch if isinstance(e, HoldOpened)), at)
            elif isinstance(first, StatusInterviewed | DetainerIssued | IceDataEntered):
                self.jail(key, first, at)
            elif isinstance(first, OfficerCertified):
                self.certify(key, first, at)
            elif isinstance(first, ActionRefused):
                self.refusal(first, at)
            elif isinstance(first, CustodyTransferred | HoldReleased):
                self.hold_end(key, first, at)
            elif isinstance(first, AlertRaised) and first.hold_id in self.holds:
                self.holds[first.hold_id].alerts_recorded += 1
        finally:
            self.world.fold(batch, at)

    def serve(self, key: str, opened: HoldOpened, at: datetime) -> None:
        facility = self.world.load("facility", facility_id=opened.facility_id)
        zone = ZoneInfo(facility.timezone)
        if not self.within(opened.arrested_at, zone, opened.agency_id):
            return
        warrant = self.world.load("warrant", warrant_id=opened.warrant_id)
        booking = self.world.load("booking", booking_id=opened.booking_id)
        open_holds = [h for h in self.world.children("hold", "booking_id", opened.booking_id)
                      if h.status is HoldStatus.OPEN]
        state = cu.ServeState(None, warrant, booking, facility, open_holds[0] if open_holds else None,
                              self.world.standing(opened.officer_id, at, at.astimezone(zone).date()))
        cmd = ServeWarrant(opened.hold_id, opened.warrant_id, opened.officer_id)
        hold = _Hold(opened, zone, None, excluded=False)
        self.holds[opened.hold_id] = hold
        self.of(opened.agency_id).holds += 1
        self.of(opened.agency_id).acts += 1
        try:
            again = cu.decide_serve_warrant(cmd, state, at, self.other, self.view(at, zone))
        except RuleViolation as refusal:
            hold.excluded = True
            self.find(Finding("act", opened.hold_id, opened.agency_id, ACCEPTED_REFUSED,
                              f"serve_warrant (hold {opened.hold_id}) would have been refused: {refusal.message}",
                              refusal.rule.id, refusal.rule.cite))
            return
        except (DomainError, KeyError) as error:
            hold.excluded = True
            self.undetermined("act", opened.hold_id, opened.agency_id, f"serve_warrant: {_reason(error)}")
            return
        reopened = next(e for e in again if isinstance(e, HoldOpened))
        hold.other_deadline = reopened.deadline
        if reopened.deadline is not None:  # the alerts of the policy in force when the clock started (_open_hold)
            started = self.other.at(reopened.clock_started_at, zone)
            hold.alert_leads, hold.grace = started.alert_leads, started.limit_grace

    def hold_end(self, key: str, event: CustodyTransferred | HoldReleased, at: datetime) -> None:
        hold = self.holds.get(event.hold_id)
        if hold is None or hold.ended_at is not None:
            return
        hold.ended_at, hold.past_limit = at, event.past_limit
        if not isinstance(event, HoldReleased) or event.reason is not ReleaseReason.LIMIT_REACHED or hold.excluded:
            return
        if at > self.until(hold.zone):
            return  # ended after the window: judged as open at its end
        self.of(hold.opened.agency_id).acts += 1
        current = self.world.load("hold", hold_id=event.hold_id)
        shadow = replace(current, deadline=hold.other_deadline)
        warrant = self.world.as_of("warrant", at, at.astimezone(hold.zone).date(), warrant_id=current.warrant_id)
        cancelled = warrant is not None and warrant.status is WarrantStatus.CANCELLED
        try:
            cu.decide_release_hold(ReleaseHold(event.hold_id, event.reason), shadow, cancelled, at,
                                   self.view(at, hold.zone))
        except RuleViolation as refusal:
            self.find(Finding("act", key, hold.opened.agency_id, ACCEPTED_REFUSED,
                              f"release_hold (hold {event.hold_id}, limit_reached) would have been refused: "
                              f"{refusal.message}", refusal.rule.id, refusal.rule.cite))
        except (DomainError, KeyError) as error:
            self.undetermined("act", key, hold.opened.agency_id, f"release_hold: {_reason(error)}")

    def jail(self, key: str, event: StatusInterviewed | DetainerIssued | IceDataEntered, at: datetime) -> None:
        command = _JAIL_COMMANDS[type(event)]
        booking = self.world.load("booking", booking_id=event.booking_id)
        facility = self.world.load("facility", facility_id=booking.facility_id)
        zone = ZoneInfo(facility.timezone)
        if not self.within(at, zone, booking.agency_id):
            return
        cmd = _JAIL_CMDS[command](event.booking_id, event.officer_id, event.notes)
        standing = self.world.standing(event.officer_id, at, at.astimezone(zone).date())
        self.accepted(key, command, booking.agency_id, at, zone,
                      lambda view: cu.decide_jail_processing(command, cmd, booking, standing, at, view))

    def certify(self, key: str, event: OfficerCertified, at: datetime) -> None:
        zone = self.world.office_zone(event.agency_id)
        if zone is None or not self.within(at, zone, event.agency_id):
            return
        day = at.astimezone(zone).date()
        officer = self.world.as_of("officer", at, day, officer_id=event.officer_id)
        agreement = self.world.as_of("agreement", at, day, agreement_id=event.agreement_id)
        done = self.world.children("training", "officer_id", event.officer_id)
        existing = self.world.load("certificate", officer_id=event.officer_id, model=event.model)
        cmd = CertifyOfficer(event.officer_id, event.model, event.agreement_id, event.credential_no,
                             event.supervisor, event.expires_on)
        self.accepted(key, "certify_officer", event.agency_id, at, zone,
                      lambda view: of.decide_certify_officer(cmd, officer, agreement, done, existing, view))

    def accepted(self, key: str, command: str, agency_id: str | None, at: datetime, zone: ZoneInfo,
                 decide: Callable[[PolicyView], object]) -> None:
        """An act the ledger accepted, put again to the domain under the other policy."""
        self.of(agency_id).acts += 1
        try:
            decide(self.view(at, zone))
        except RuleViolation as refusal:
            self.find(Finding("act", key, agency_id, ACCEPTED_REFUSED,
                              f"{command} would have been refused: {refusal.message}",
                              refusal.rule.id, refusal.rule.cite))
        except (DomainError, KeyError) as error:
            self.undetermined("act", key, agency_id, f"{command}: {_reason(error)}")

    def undetermined(self, kind: str, ident: str, agency_id: str | None, why: str) -> None:
        self.find(Finding(kind, ident, agency_id, UNDETERMINED, why))

    # --- refusals ---------------------------------------------------------------------------------------------

    def refusal(self, event: ActionRefused, at: datetime) -> None:
        if self.agency is not None and event.agency_id != self.agency:
            return
        if event.command in authority.POWERS and event.rule_id in AUTHORITY_RULES and event.officer_id:
            zone = self.world.agency_facility_zone(event.agency_id)
            if self.within(at, zone, event.agency_id):
                self.refused_power(event, at, zone)
        elif event.command == "certify_officer" and event.rule_id in _TRAINING_RULES and event.officer_id:
            zone = self.world.office_zone(event.agency_id)
            if self.within(at, zone, event.agency_id):
                self.refused_training(event, at, zone)
        elif self.within(at, self.world.agency_facility_zone(event.agency_id) or
                         self.world.office_zone(event.agency_id), event.agency_id):
            self.refused_otherwise(event)

    def refused_power(self, event: ActionRefused, at: datetime, zone: ZoneInfo | None) -> None:
        """An act refused for want of authority: authority.decide again, on the facility's day."""
        assert event.officer_id is not None
        self.of(event.agency_id).refusals += 1
        if zone is None:
            self.undetermined("refusal", event.refusal_id, event.agency_id,
                              f"{event.command} refused under {event.rule_id}: the refusal does not name the facility, "
                              f"and agency {event.agency_id}'s facilities keep more than one calendar")
            return
        try:
            view = self.view(at, zone)
            decision = self.world.standing(event.officer_id, at, view.day).decide(event.command, at, view)
        except (DomainError, KeyError) as error:
            self.undetermined("refusal", event.refusal_id, event.agency_id, f"{event.command}: {_reason(error)}")
            return
        if not decision.allowed:
            return  # still refused (by this rule or another authority rule): nothing changed
        if event.command == "serve_warrant":
            self.undetermined(
                "refusal", event.refusal_id, event.agency_id,
                f"serve_warrant refused under {event.rule_id}: the other policy's authority allows it "
                f"({decision.rule.id}), but whether the arrest came within the other limit "
                "(custody.serve_within_limit) needs the warrant, which the refusal does not record")
            return
        self.find(Finding(
            "refusal", event.refusal_id, event.agency_id, REFUSED_ALLOWED,
            f"{event.command} by officer {event.officer_id}, refused under {event.rule_id}, is within authority "
            f"under the other policy: {decision.sentence} (jem.own_facility, checked after authority, was not "
            "reached: the refusal does not record the booking)", decision.rule.id, decision.rule.cite))

    def refused_training(self, event: ActionRefused, at: datetime, zone: ZoneInfo | None) -> None:
        """A certification refused for too few training hours: the hours counted again (officers._require_training)."""
        assert event.officer_id is not None and zone is not None
        self.of(event.agency_id).refusals += 1
        model = _TRAINING_RULES[event.rule_id]
        try:
            view = self.view(at, zone)
            required, exam = view.training(model), view.training_exam
        except (DomainError, KeyError) as error:
            self.undetermined("refusal", event.refusal_id, event.agency_id, f"certify_officer: {_reason(error)}")
            return
        done = sum(t.hours for t in self.world.children("training", "officer_id", event.officer_id)
                   if t.model is model and t.completed_on <= view.day and exam.passed(t.exam_score))
        if done < required.value:
            return
        self.find(Finding(
            "refusal", event.refusal_id, event.agency_id, REFUSED_ALLOWED,
            f"certify_officer ({model.value}) for officer {event.officer_id}, refused under {event.rule_id}: "
            f"{done:g} training hours meet the other policy's {required.value:g} (the checks after training, the "
            "supervisor and the agreement, were not reached: the refusal does not record them)",
            required.rule.id, required.rule.cite))

    def refused_otherwise(self, event: ActionRefused) -> None:
        self.of(event.agency_id).refusals += 1
        record = _LIMIT_RULES.get(event.rule_id)
        if record is not None:
            self.undetermined("refusal", event.refusal_id, event.agency_id,
                              f"{event.command} refused under {event.rule_id}, which reads the custody limit: "
                              f"re-judging it needs the {record}, which the refusal does not record")
        elif event.rule_id in self.other.parameter_rules:
            self.undetermined("refusal", event.refusal_id, event.agency_id,
                              f"{event.command} refused under {event.rule_id}, a value of the policy: re-judging "
                              "it needs the command's fields, which the refusal does not record")
        # Any other rule states a fact about the records (wso.own_facility, warrant.servable, ...), which no
        # policy value changes: the act stays refused.

    # --- the holds, once every event is read --------------------------------------------------------------------

    def close_holds(self) -> None:
        for hold in self.holds.values():
            if not hold.excluded:
                self.close(hold)

    def close(self, hold: _Hold) -> None:
        opened, figures = hold.opened, self.of(hold.opened.agency_id)
        until = self.until(hold.zone)
        ended = hold.ended_at is not None and hold.ended_at <= until
        end = hold.ended_at if ended and hold.ended_at is not None else until
        recorded = hold.past_limit if ended else clock.is_overdue(opened.deadline, end)
        other = clock.is_overdue(hold.other_deadline, end)
        figures.alerts_recorded += hold.alerts_recorded
        if hold.other_deadline is not None:
            moments = watch.moments(opened.arrested_at, hold.other_deadline, hold.alert_leads, hold.grace)
            figures.alerts_other += sum(1 for m in moments if m.kind is WatchKind.ALERT_RAISED and m.due_at < end)
        if other:
            figures.would_breach += 1
            figures.breach_new += 0 if recorded else 1
        elif recorded:
            figures.breach_gone += 1
        if other or recorded:
            self.findings.append(self.breach_finding(hold, end, ended, other, recorded))

    def breach_finding(self, hold: _Hold, end: datetime, ended: bool, other: bool, recorded: bool) -> Finding:
        opened = hold.opened
        started = self.other.at(opened.clock_started_at, hold.zone)
        limit = started.custody_limit
        terms = f"{limit.limit.total_seconds() / 3600:g} h, {limit.counting.value}"
        try:
            rule: Rule | None = started.rule("custody.violation")
        except KeyError:
            rule = None  # a policy without the violation rule still has its limit (custody.limit)
        how = "at its end" if ended else f"still open at {end.isoformat()}"
        if other:
            assert hold.other_deadline is not None
            what = (f"held {_span(end - hold.other_deadline)} past the other deadline "
                    f"{hold.other_deadline.astimezone(hold.zone).isoformat()} ({terms}), {how}; "
                    + ("also past the recorded deadline" if recorded else "within the recorded deadline "
                       f"{_local(opened.deadline, hold.zone)}"))
        else:
            what = (f"past the recorded deadline {_local(opened.deadline, hold.zone)} {how}, within the other "
                    f"deadline {_local(hold.other_deadline, hold.zone)} ({terms})")
        rule = rule or limit.rule
        return Finding("hold", opened.hold_id, opened.agency_id, BREACH, what, rule.id, rule.cite)


def _local(instant: datetime | None, zone: ZoneInfo) -> str:
    return "none (IGSA)" if instant is None else instant.astimezone(zone).isoformat()


def _span(span: timedelta) -> str:
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"{hours} h {rest // 60:02d} min"


def _reason(error: DomainError | KeyError) -> str:
    text = error.message if isinstance(error, DomainError) else str(error.args[0])
    return f"the other policy cannot judge it ({text})"


def replay(engine: Engine, other: Policy, start: date, end: date, *, now: datetime,
           agency: str | None = None) -> Replay:
    """Re-judge the acts of the days `start`..`end` (each on its own calendar) under `other`; writes nothing.

    Raises NotFound when `agency` is named but has no record in the ledger."""
    now = clock.require_utc("now", now)
    judge = _Judge(other, start, end, now, agency)
    count, head = 0, codec.GENESIS
    with read_only(engine) as conn:
        for batch in command_batches(conn):
            judge.judge(batch.key, batch.events, batch.occurred_at)
            count, head = batch.seq, batch.hash
    if agency is not None and judge.world.load("agency", agency_id=agency) is None:
        raise NotFound.of("agency_id", agency)
    judge.close_holds()
    if agency is not None:
        judge.of(agency)
    agencies = sorted(judge.figures.values(), key=lambda a: a.agency_id)
    findings = sorted(judge.findings, key=lambda f: (f.agency_id or "", f.kind, f.ident))
    return Replay(other.source, start, end, judge.until(None), count, head, agencies, findings)


def figures_by_agency(result: Replay) -> Mapping[str, AgencyFigures]:
    return {a.agency_id: a for a in result.agencies}
