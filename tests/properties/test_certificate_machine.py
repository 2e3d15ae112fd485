"""An officer's certificate and its agreement through the real write path, against a model kept by hand.

ICE certifies, renews, suspends and revokes (at once or from a later day named in the notice), the
agreement is suspended, reinstated and terminated, time passes across DST and local midnights; and
at random moments, now or recorded late for an earlier moment, the officer tries to serve a warrant
on someone just released. Each command goes through `app.execute` on a fresh SQLite database.

The model is a list of dated facts kept in the test, read the way DOMAIN.md says authority is judged:
as of the act. A fact takes effect at the later of its own moment and the start (local midnight, on the
agency's calendar) of the day its notice names; the latest recorded fact about the certificate that has
taken effect at the moment of the act decides its status then. The officer may serve exactly when, at
that moment, the certificate is current (certified, not suspended or revoked, not past its expiry day),
the agreement is active and within its dates, and the training is within the refresher period the policy
file names. A late record is judged by its own moment: a serve
dated while the certificate stood is accepted though recorded after the revocation; one dated before
the certification is refused.
"""

from __future__ import annotations

import calendar
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.ledger.schema import refusals
from custody_ledger.policy import DEFAULT_POLICY, default_policy
from tests.support.scratch_db import ScratchDatabase

# The field office and the facility share a zone, so one local calendar judges every date here.
ZONES = ("America/Los_Angeles", "America/Chicago", "America/New_York", "Pacific/Guam")
BASE = datetime(2026, 2, 23, 18, 0, tzinfo=UTC)  # a Monday two weeks before the clocks go forward
FIRST_ACT = BASE + timedelta(hours=3)  # acts and attempts from here on; the setup lies before
TICK = timedelta(microseconds=1)
EXPIRY = st.one_of(st.none(), st.integers(1, 12))  # days from the certification to the certificate's expiry
# The day a notice names, in days after its own: none, its own day, the day before (refused), or later.
NAMED_DAY = st.one_of(st.none(), st.just(0), st.just(-1), st.integers(1, 6))
POLICY = default_policy()
_FILE = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
WSO_HOURS = _FILE["parameters"]["training_hours"]["WSO"][-1]["value"]  # the training the file requires now
REFRESHER_MONTHS = _FILE["parameters"]["training_refresher_months"][-1]["value"]  # how long training stays current


def months_later(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 January + 1 month: the end of February)."""
    year, month = day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

# What a certificate command does to the status, and from which statuses the lifecycle allows it.
STATUS_AFTER = {"certify": "current", "suspend": "suspended", "revoke": "revoked"}
ALLOWED_FROM = {"certify": {None, "current", "suspended", "revoked"}, "suspend": {"current"},
                "revoke": {"current", "suspended"}}
AGREEMENT_AFTER = {"suspend": "suspended", "reinstate": "active", "terminate": "terminated"}
AGREEMENT_FROM = {"suspend": {"active"}, "reinstate": {"suspended"}, "terminate": {"active", "suspended"}}


@dataclass(frozen=True)
class Fact:
    """A recorded fact: what it makes the status, when it occurred, and the day its notice names, if any."""

    status: str
    occurred: datetime
    effective_on: date | None = None
    expires_on: date | None = None  # for a certification


@dataclass
class Model:
    zone: ZoneInfo
    agreement_from: date
    agreement_until: date | None
    training_lapses: date  # the first day on which the officer's one training is no longer current
    agreement: list[Fact] = field(default_factory=list)  # in recording order
    certificate: list[Fact] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # rule ids of every refusal the ledger must show

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def takes_effect(self, fact: Fact) -> datetime:
        """The later of the fact's moment and the local midnight that starts the day it names."""
        return fact.occurred if fact.effective_on is None else max(fact.occurred, self.start_of(fact.effective_on))

    def standing(self, facts: list[Fact], at: datetime) -> Fact | None:
        """The latest recorded fact that had taken effect at `at`."""
        in_effect = [f for f in facts if self.takes_effect(f) <= at]
        return in_effect[-1] if in_effect else None

    def certificate_current(self, at: datetime) -> bool:
        fact = self.standing(self.certificate, at)
        return (fact is not None and fact.status == "current"
                and (fact.expires_on is None or self.day(at) < fact.expires_on))

    def agreement_in_force(self, at: datetime) -> bool:
        fact = self.standing(self.agreement, at)
        return (fact is not None and fact.status == "active" and self.agreement_from <= self.day(at)
                and (self.agreement_until is None or self.day(at) < self.agreement_until))

    def training_current(self, at: datetime) -> bool:
        return self.day(at) < self.training_lapses

    def recorded(self, facts: list[Fact]) -> str | None:
        """The status as recorded last, whenever it takes effect: what the lifecycle moves from."""
        return facts[-1].status if facts else None

    def moments_that_matter(self) -> list[tuple[object, datetime]]:
        """Where the answer can change, each under its own key: each fact taking effect, each notice naming a
        day being given (the answer must not change then), each expiry day and the agreement's first day
        beginning."""
        facts = list(enumerate(self.agreement + self.certificate))
        days = [self.agreement_from, self.agreement_until, self.training_lapses,
                *(f.expires_on for f in self.certificate)]
        return [*((("fact", i), self.takes_effect(f)) for i, f in facts),
                *((("notice", i), f.occurred) for i, f in facts if f.effective_on is not None),
                *((("day", d), self.start_of(d)) for d in days if d is not None)]


class CertificateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = ScratchDatabase()
        self.keys = (f"k{n}" for n in itertools.count(1))
        self.people = itertools.count(1)

    def teardown(self) -> None:
        self.db.close()

    def raw(self, command: str, at: datetime, **payload: Any) -> dict[str, Any]:
        """A command dated in the agency's own offset."""
        return {"command": command, "idempotency_key": next(self.keys), "actor": "tester",
                "occurred_at": at.astimezone(self.model.zone).isoformat(), **payload}

    def run(self, command: str, at: datetime, now: datetime | None = None, **payload: Any) -> dict[str, Any]:
        """Through the write path, recorded a minute after `at`, or at `now` for a late record."""
        raw = self.raw(command, at, **payload)
        return execute(self.db.engine, raw, now=now or at + timedelta(minutes=1), policy=POLICY).to_dict()

    @initialize(zone=st.sampled_from(ZONES), until=st.one_of(st.none(), st.integers(4, 30)),
                certified=st.sampled_from([True, True, False]), expires_in=EXPIRY)
    def an_agency_with_an_agreement_and_a_trained_officer(self, zone: str, until: int | None, certified: bool,
                                                          expires_in: int | None) -> None:
        tz = ZoneInfo(zone)
        signed = BASE.astimezone(tz).date() - timedelta(days=1)
        self.model = Model(tz, signed, None if until is None else signed + timedelta(days=until),
                           months_later(signed, REFRESHER_MONTHS))
        until_day = None if self.model.agreement_until is None else self.model.agreement_until.isoformat()
        setup = [
            self.raw("register_field_office", BASE, field_office_id="FO-1", name="ERO", timezone=zone),
            self.raw("register_agency", BASE, agency_id="AG-1", name="Sheriff", kind="sheriff", state="TX",
                     county="Harris", ori="TX1010000", field_office_id="FO-1"),
            self.raw("register_facility", BASE, facility_id="JAIL-1", agency_id="AG-1", name="Jail", timezone=zone),
            self.raw("request_agreement", BASE, agreement_id="AGR-1", agency_id="AG-1", model="WSO"),
            self.raw("review_agreement", BASE, agreement_id="AGR-1", decision="suitable", reasons="suitable"),
            self.raw("sign_agreement", BASE, agreement_id="AGR-1", signed_on=signed.isoformat(),
                     effective_from=signed.isoformat(), expires_on=until_day, igsa=False),
            self.raw("nominate_officer", BASE, officer_id="OFF-1", agency_id="AG-1", name="Officer", badge="1"),
            self.raw("record_background_check", BASE, officer_id="OFF-1", result="passed"),
            self.raw("record_training", BASE, officer_id="OFF-1", model="WSO", course="WSO", hours=WSO_HOURS,
                     completed_on=signed.isoformat()),
        ]
        done = execute_batch(self.db.engine, setup, now=BASE + timedelta(minutes=1), policy=POLICY)
        assert [r.ok for r in done] == [True] * len(setup), done
        self.model.agreement.append(Fact("active", BASE))
        self.now = FIRST_ACT
        self.tried: set[tuple[datetime, int, int]] = set()
        self.judged: set[object] = set()
        if certified:
            self.certify(expires_in)

    # --- ICE and the agency act, in order of time ------------------------------------------------------

    # One rule for every act, so that each example mixes them (hypothesis enables a random subset of rules
    # per example): the certificate's acts most often, the agreement's termination (final) least.
    @rule(act=st.sampled_from(["certify", "certify", "certify", "suspend", "suspend", "revoke", "revoke",
                               "suspend_agreement", "reinstate_agreement", "reinstate_agreement",
                               "terminate_agreement"]),
          expires_in=EXPIRY, effective_in=NAMED_DAY, after=st.sampled_from([0, 0, 1, 7, 30]))
    def ice_or_the_agency_acts(self, act: str, expires_in: int | None, effective_in: int | None, after: int) -> None:
        """After some hours or none (so that the moment before an act is one when the facts before it stood)."""
        self.now += timedelta(hours=after, minutes=after)
        if act == "certify":
            self.certify(expires_in)
        elif act in ("suspend", "revoke"):
            self.withdraw(act, effective_in)
        else:
            self.change_agreement(act.removesuffix("_agreement"))

    def certify(self, expires_in: int | None) -> None:
        """Certify, or renew: allowed only under an agreement in force that day (certification.agreement)."""
        expires_on = None if expires_in is None else self.model.day(self.now) + timedelta(days=expires_in)
        result = self.run("certify_officer", self.now, officer_id="OFF-1", model="WSO", agreement_id="AGR-1",
                          credential_no="CR-1", supervisor="SDDO",
                          expires_on=None if expires_on is None else expires_on.isoformat())
        if not self.model.agreement_in_force(self.now):
            assert (result["ok"], result["error"]["rule_id"]) == (False, "certification.agreement"), result
            self.model.refused.append("certification.agreement")
            return
        assert result["ok"], result
        self.model.certificate.append(Fact("current", self.now, None, expires_on))

    def withdraw(self, action: str, effective_in: int | None) -> None:
        """A written notice, effective now or from a named day; a day before the notice's own is refused."""
        effective_on = None if effective_in is None else self.model.day(self.now) + timedelta(days=effective_in)
        result = self.run(f"{action}_certificate", self.now, officer_id="OFF-1", model="WSO", reason="notice",
                          effective_on=None if effective_on is None else effective_on.isoformat())
        error = result.get("error") or {}
        status = self.model.recorded(self.model.certificate)
        if status is None:
            assert (result["ok"], error.get("kind")) == (False, "not_found"), result
        elif status not in ALLOWED_FROM[action]:
            assert (result["ok"], error.get("rule_id")) == (False, "lifecycle.certificate"), result
        elif effective_in is not None and effective_in < 0:
            assert (result["ok"], error.get("rule_id")) == (False, "notice.effective_date"), result
        else:
            assert result["ok"], result
            event(f"{action}, effective {'at once' if effective_in is None else 'from a named day'}")
            self.model.certificate.append(Fact(STATUS_AFTER[action], self.now, effective_on))

    def change_agreement(self, action: str) -> None:
        """Terminating the agreement revokes the certificate under it at once."""
        result = self.run(f"{action}_agreement", self.now, agreement_id="AGR-1", reason="notice")
        if self.model.recorded(self.model.agreement) not in AGREEMENT_FROM[action]:
            assert (result["ok"], (result.get("error") or {}).get("rule_id")) == (False, "lifecycle.agreement"), (
                result)
            return
        assert result["ok"], result
        self.model.agreement.append(Fact(AGREEMENT_AFTER[action], self.now))
        if action == "terminate" and self.model.recorded(self.model.certificate) not in (None, "revoked"):
            self.model.certificate.append(Fact("revoked", self.now))

    @rule(hours=st.one_of(st.integers(1, 48), st.integers(2, 20).map(lambda days: 24 * days), st.none()),
          tick=st.sampled_from([-TICK, timedelta(0), TICK]))
    def time_passes(self, hours: int | None, tick: timedelta) -> None:
        """Some hours, or to a microsecond either side of the next local midnight: where a named day, an
        expiry day or the agreement's last day begins."""
        if hours is not None:
            self.now += timedelta(hours=hours)
        else:
            midnight = self.model.start_of(self.model.day(self.now) + timedelta(days=1))
            self.now = max(self.now, midnight + tick)

    # --- the officer acts ---------------------------------------------------------------------------------

    @rule(share=st.one_of(st.none(), st.floats(0, 1)))
    def serve(self, share: float | None) -> None:
        """A serve now, or one recorded now for any earlier moment since the first act."""
        if share is None:
            self.attempt_serve(self.now)
        else:
            self.attempt_serve(FIRST_ACT + (self.now - FIRST_ACT) * share, recorded=self.now + timedelta(minutes=1))

    def attempt_serve(self, at: datetime, recorded: datetime | None = None) -> None:
        """Someone booked two hours before `at`, wanted by ICE, released at `at`; the officer serves at once.
        Not twice for one moment while no fact has been recorded in between: the answer cannot have changed."""
        tried = (at, len(self.model.certificate), len(self.model.agreement))
        if tried in self.tried:
            return
        self.tried.add(tried)
        n = next(self.people)
        booking, warrant = f"BK-{n}", f"WR-{n}"
        prepared = execute_batch(self.db.engine, [
            self.raw("book_person", at - timedelta(hours=2), booking_id=booking, facility_id="JAIL-1",
                     person={"name": f"Person {n}", "dob": "1990-01-01"}, charge_status="pending"),
            self.raw("lodge_warrant", at - timedelta(hours=1), warrant_id=warrant, booking_id=booking, form="I-200",
                     number=f"N-{n}", issued_on=self.model.day(at - timedelta(hours=1)).isoformat()),
            self.raw("release_from_criminal_custody", at, booking_id=booking, reason="bail"),
        ], now=(recorded or at) + timedelta(minutes=1), policy=POLICY)
        assert [r.ok for r in prepared] == [True] * 3, prepared
        result = self.run("serve_warrant", at, now=recorded, hold_id=f"H-{n}", warrant_id=warrant,
                          officer_id="OFF-1")
        # The first condition that fails names the refusal; none failing, the serve stands.
        conditions = (("certificate.current_required", self.model.certificate_current(at)),
                      ("agreement.active_required", self.model.agreement_in_force(at)),
                      ("training.refresher", self.model.training_current(at)))
        expected = next((rule for rule, holds in conditions if not holds), None)
        event(f"serve {'recorded late' if recorded else 'now'}: {expected or 'allowed'}")
        if expected is None:
            assert result["ok"], (at, self.model, result)
            return
        assert (result["ok"], result["error"]["rule_id"]) == (False, expected), (at, self.model, result)
        self.model.refused.append(expected)

    @invariant()
    def each_moment_that_matters_is_judged_right_once_past(self) -> None:
        """A microsecond before and at each moment the answer can change, recorded now, whatever has been
        recorded since (a serve dated while the certificate stood stays lawful after its revocation)."""
        for key, moment in self.model.moments_that_matter():
            if moment <= self.now and key not in self.judged:
                self.judged.add(key)
                for at in (moment - TICK, moment):
                    if at >= FIRST_ACT:
                        self.attempt_serve(at, recorded=self.now + timedelta(minutes=1))

    @invariant()
    def every_refusal_is_on_the_ledger_with_its_rule(self) -> None:
        with self.db.engine.connect() as conn:
            ids = conn.execute(sa.select(refusals.c.rule_id)).scalars().all()
        assert sorted(ids) == sorted(self.model.refused)


CertificateMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=25, deadline=None)
TestCertificateLifecycle = CertificateMachine.TestCase
