"""The hold lifecycle through the real write path (app.execute on SQLite), against a model kept by hand.

Each example builds an agency (any of five facility zones, with or without an IGSA) under a policy read
from the policy file: the shipped one, or the same file with a later custody limit of other hours or
another counting method coming into force in the middle of the simulated days. People are released
from criminal custody and WSO arrests recorded at random moments: before the release, at it, later,
a microsecond either side of the end of the limit, or long after it; a warrant may be tried again.
Transfers and releases then arrive in any order, at any moment, and a microsecond either side of a
deadline. After every step the holds and flags in the database must be what the model says.

The model knows the law, not the code: the clock starts at the earlier of release and arrest; the limit
is the one the policy file has in force on the facility's day the clock started, counted as the file
says (elapsed, or on workdays by the slow walk of tests/support/clock_oracle.py); an arrest at or after
the end of that limit opens nothing (custody.serve_within_limit); a hold ends once; an end before the
arrest is invalid; an end after the deadline is held past the limit, at the deadline exactly is not;
"limit reached" is a reason only at or after a deadline (release.limit_reached).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from custody_ledger.domain.calendar import holiday_checker, parse_holiday_rule
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import flags, holds
from custody_ledger.policy import DEFAULT_POLICY
from tests.support.clock_oracle import counted_deadline, every_day, workdays
from tests.support.scratch_db import ScratchDatabase
from tests.support.world import World, build_agency, certified_officer

ZONES = ("America/Chicago", "America/Los_Angeles", "America/New_York", "Pacific/Guam", "America/Phoenix")
# Mondays a week before the clocks go forward and before they go back in the United States.
BASES = (datetime(2026, 3, 2, 14, 0, tzinfo=UTC), datetime(2026, 10, 26, 14, 0, tzinfo=UTC))
# A later limit takes effect this long after the base: releases are drawn on both sides of it.
CHANGE_AFTER = timedelta(days=5)
VARIANTS = {  # name -> the custody limit a later entry of the policy file sets (None: the file as shipped)
    "shipped": None,
    "24 h elapsed": {"hours": 24, "counting": "elapsed"},
    "48 h on workdays": {"hours": 48, "counting": "excluding_weekends_and_holidays"},
    "30 h on workdays": {"hours": 30, "counting": "excluding_weekends_and_holidays"},
}
MICROSECOND = timedelta(microseconds=1)


@cache
def policy_file(variant: str, base: datetime) -> dict[str, Any]:
    """The policy file as data: shipped, or with one more custody limit from CHANGE_AFTER past `base`."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    change = VARIANTS[variant]
    if change is not None:
        entries = data["parameters"]["custody_limit"]
        entries.append({**copy.deepcopy(entries[-1]), **change, "from": (base + CHANGE_AFTER).date()})
    return data


@cache
def policy(variant: str, base: datetime) -> Policy:
    return Policy.from_mapping(policy_file(variant, base), f"{DEFAULT_POLICY} ({variant})")


@cache
def federal_holidays(variant: str, base: datetime) -> Any:
    """The holiday rules the file has in force now (its last entry), read with the product's calendar reader."""
    raw = policy_file(variant, base)["parameters"]["federal_holidays"][-1]["value"]
    return holiday_checker([parse_holiday_rule(r, f"holiday[{i}]") for i, r in enumerate(raw)])


@dataclass(frozen=True)
class Limit:
    """The custody limit as the policy file writes it, and where it runs out for a given start."""

    rule_id: str
    hours: float
    counting: str

    def end(self, start: datetime, zone: ZoneInfo, is_holiday: Any) -> datetime:
        counts = every_day if self.counting == "elapsed" else workdays(is_holiday)
        return counted_deadline(start, timedelta(hours=self.hours), zone, counts)


def limit_in_force(data: dict[str, Any], day: date) -> Limit:
    """The file's custody limit whose `from` is the latest on or before `day`."""
    entry = max((e for e in data["parameters"]["custody_limit"] if e["from"] <= day), key=lambda e: e["from"])
    return Limit(entry["id"], entry["hours"], entry["counting"])


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class ModelHold:
    """What the law says about one hold."""

    hold_id: str
    arrested: datetime
    clock_start: datetime
    deadline: datetime | None
    limit_rule_id: str
    gap: timedelta
    status: str = "open"
    ended: datetime | None = None
    past_limit: bool = False


@dataclass
class ModelBooking:
    booking_id: str
    warrant_id: str
    released: datetime
    served: bool = False


class HoldMachine(RuleBasedStateMachine):
    """People released and arrested at random moments; their holds ended at random moments, in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.db = ScratchDatabase()
        self.bookings: list[ModelBooking] = []
        self.holds: dict[str, ModelHold] = {}
        self.never_opened: list[str] = []  # hold ids of refused arrests: nothing to end
        self.hold_ids = (f"H-{n}" for n in itertools.count(1))

    def teardown(self) -> None:
        self.db.close()

    # Two agencies in three without an IGSA: their holds have the deadlines that most rules turn on.
    @initialize(zone=st.sampled_from(ZONES), igsa=st.sampled_from([False, False, True]),
                variant=st.sampled_from(sorted(VARIANTS)), base=st.sampled_from(BASES), data=st.data())
    def an_agency_and_its_certified_officer(self, zone: str, igsa: bool, variant: str, base: datetime,
                                           data: st.DataObject) -> None:
        self.zone, self.igsa, self.base = ZoneInfo(zone), igsa, base
        self.file, self.holidays = policy_file(variant, base), federal_holidays(variant, base)
        self.world = World(self.db.engine, policy(variant, base), start=base)
        build_agency(self.world, "AG-A", igsa=igsa, tz=zone)
        certified_officer(self.world, "OFF-1")
        for _ in range(data.draw(st.integers(2, 4), label="people")):
            self.release_and_arrest(data)

    # --- the model -----------------------------------------------------------------------------------

    def run(self, command: str, at: datetime, **payload: Any) -> dict[str, Any]:
        """Through the write path, dated in the facility's own offset as its staff would write it, and
        recorded a minute later."""
        return self.world.run(command, at=at.astimezone(self.zone), now=at + timedelta(minutes=1), **payload)

    def limit_from(self, start: datetime) -> tuple[Limit, datetime]:
        limit = limit_in_force(self.file, start.astimezone(self.zone).date())
        return limit, limit.end(start, self.zone, self.holidays)

    def arrest_moment(self, data: st.DataObject, released: datetime) -> datetime:
        """Around the release, well within the limit, a tick either side of its end, or long after it."""
        _, end = self.limit_from(released)
        where = data.draw(st.sampled_from(["near the release", "within the limit", "within the limit",
                                           "at the end", "after the end"]))
        if where == "near the release":
            return released + timedelta(seconds=data.draw(st.integers(-3600, 3600)))
        if where == "within the limit":
            return released + (end - released) * data.draw(st.floats(0, 1, exclude_max=True))
        if where == "at the end":
            return end + data.draw(st.sampled_from([-MICROSECOND, timedelta(0), MICROSECOND]))
        return end + timedelta(seconds=data.draw(st.integers(1, 3 * 86_400)))

    def end_moment(self, data: st.DataObject, hold: ModelHold) -> datetime:
        """Before the arrest, before the deadline, a tick either side of it, or after it."""
        deadline = hold.deadline or hold.arrested + timedelta(days=3)  # under an IGSA, any few days
        where = data.draw(st.sampled_from(["before the arrest", "before the deadline", "before the deadline",
                                           "at the deadline", "at the deadline", "after the deadline"]))
        if where == "before the arrest":
            return hold.arrested - timedelta(seconds=data.draw(st.integers(1, 7200)))
        if where == "before the deadline":
            return hold.arrested + (deadline - hold.arrested) * data.draw(st.floats(0, 1))
        if where == "at the deadline":
            return deadline + data.draw(st.sampled_from([-MICROSECOND, timedelta(0), MICROSECOND]))
        return deadline + timedelta(seconds=data.draw(st.integers(1, 10 * 86_400)))

    # --- arrests -------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.bookings) < 6)  # then the steps go to ending the holds
    @rule(data=st.data())
    def arrest(self, data: st.DataObject) -> None:
        """A new person released and arrested, or another arrest recorded on a warrant already tried (after a
        refusal, a timely one may still open the hold; after a hold, nothing may)."""
        if data.draw(st.sampled_from(["a new person", "a new person", "a warrant already tried"])) == "a new person":
            self.release_and_arrest(data)
        else:
            self.serve(data, data.draw(st.sampled_from(self.bookings)))

    def release_and_arrest(self, data: st.DataObject) -> None:
        """Someone booked and wanted by ICE is released from criminal custody, and the WSO tries to arrest."""
        n = len(self.bookings) + 1
        # Any of ten days, the day before a later limit comes into force (arrests then fall on both sides of it)
        # weighted as much as all the others together.
        day = data.draw(st.one_of(st.integers(1, 10), st.just(CHANGE_AFTER.days - 1)))
        released = self.base + timedelta(days=day, seconds=data.draw(st.integers(0, 86_399)))
        booking = ModelBooking(f"BK-{n}", f"WR-{n}", released)
        assert self.run("book_person", released - timedelta(hours=20), booking_id=booking.booking_id,
                        facility_id="AG-A-JAIL", person={"name": f"Person {n}", "dob": "1990-01-01"},
                        charge_status="pending")["ok"]
        lodged = released - timedelta(hours=10)
        assert self.run("lodge_warrant", lodged, warrant_id=booking.warrant_id, booking_id=booking.booking_id,
                        form="I-200", number=f"N-{n}", issued_on=lodged.astimezone(self.zone).date().isoformat())["ok"]
        assert self.run("release_from_criminal_custody", released, booking_id=booking.booking_id,
                        reason="bail")["ok"]
        self.bookings.append(booking)
        self.serve(data, booking)

    def serve(self, data: st.DataObject, booking: ModelBooking) -> None:
        arrested = self.arrest_moment(data, booking.released)
        hold_id = next(self.hold_ids)
        result = self.run("serve_warrant", arrested, hold_id=hold_id, warrant_id=booking.warrant_id,
                          officer_id="OFF-1")
        if booking.served:  # a warrant opens one hold, once
            event("serve: warrant already served")
            assert (result["ok"], result.get("error", {}).get("kind")) == (False, "conflict"), result
            self.never_opened.append(hold_id)
            return
        start = min(booking.released, arrested)
        limit, end = self.limit_from(start)
        if arrested >= end:  # the person had to be set free at the end: no hold may begin
            event("serve: at or after the limit's end")
            assert (result["ok"], result["error"]["rule_id"]) == (False, "custody.serve_within_limit"), result
            self.never_opened.append(hold_id)
            return
        assert result["ok"], result
        event(f"serve: opened, arrest {'before' if arrested < booking.released else 'at or after'} the release")
        booking.served = True
        hold = ModelHold(hold_id, arrested, start, None if self.igsa else end, limit.rule_id,
                         max(arrested - booking.released, timedelta(0)))
        self.holds[hold_id] = hold
        deadline_local = instant(result["deadline_local"])
        assert (instant(result["clock_started_at"]), instant(result["deadline"]), deadline_local) == (
            start, hold.deadline, hold.deadline)
        if deadline_local is not None:  # written in the facility's offset on that day
            assert deadline_local.utcoffset() == deadline_local.astimezone(self.zone).utcoffset()

    # --- how holds end ---------------------------------------------------------------------------------

    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        self.transfer_at(*self.end_of(data))

    @rule(data=st.data(), reason=st.sampled_from(["limit_reached", "ice_declined", "court_order", "other"]))
    def release(self, data: st.DataObject, reason: str) -> None:
        self.release_at(*self.end_of(data), reason)

    def with_a_deadline(self) -> list[str]:
        return [h for h, hold in self.holds.items() if hold.status == "open" and hold.deadline is not None]

    @precondition(lambda self: self.with_a_deadline())
    @rule(data=st.data(), end=st.sampled_from(["transfer", "limit_reached", "court_order"]),
          tick=st.sampled_from([-MICROSECOND, timedelta(0), MICROSECOND]))
    def end_a_tick_from_the_deadline(self, data: st.DataObject, end: str, tick: timedelta) -> None:
        """The moments the law turns on: a microsecond before the deadline, at it, a microsecond after."""
        hold_id = data.draw(st.sampled_from(self.with_a_deadline()))
        deadline = self.holds[hold_id].deadline
        assert deadline is not None
        if end == "transfer":
            self.transfer_at(hold_id, deadline + tick)
        else:
            self.release_at(hold_id, deadline + tick, end)

    def transfer_at(self, hold_id: str, at: datetime) -> None:
        result = self.run("transfer_custody", at, hold_id=hold_id, receiving_officer="ICE DO Smith",
                          field_office_id="FO-1")
        if self.may_end(result, hold_id, at):
            assert result["ok"], result
            self.ended(hold_id, "transferred", at)

    def release_at(self, hold_id: str, at: datetime, reason: str) -> None:
        result = self.run("release_hold", at, hold_id=hold_id, reason=reason)
        if not self.may_end(result, hold_id, at):
            return
        deadline = self.holds[hold_id].deadline
        if reason == "limit_reached" and (deadline is None or at < deadline):
            # "Limit reached" is a fact: under an IGSA there is no limit, and before the deadline it is false.
            event("release: limit not reached")
            assert (result["ok"], result["error"]["rule_id"]) == (False, "release.limit_reached"), result
            return
        assert result["ok"], result
        self.ended(hold_id, "released", at)

    def end_of(self, data: st.DataObject) -> tuple[str, datetime]:
        """Which hold to end (mostly an open one; sometimes one already ended, or one never opened) and when."""
        kinds = {"open": [h for h, hold in self.holds.items() if hold.status == "open"],
                 "ended": [h for h, hold in self.holds.items() if hold.status != "open"],
                 "never opened": self.never_opened}
        kind = data.draw(st.sampled_from([k for k in ("open", "open", "open", "ended", "never opened") if kinds[k]]))
        hold_id = data.draw(st.sampled_from(kinds[kind]))
        if hold_id not in self.holds:
            return hold_id, self.base + timedelta(days=2)
        return hold_id, self.end_moment(data, self.holds[hold_id])

    def may_end(self, result: dict[str, Any], hold_id: str, at: datetime) -> bool:
        """Check the refusals any end meets; True when the end may go ahead as far as they go."""
        error = result.get("error") or {}
        hold = self.holds.get(hold_id)
        if hold is None:
            event("end: no such hold")
            assert (result["ok"], error.get("kind"), error.get("field")) == (False, "not_found", "hold_id"), result
            return False
        if hold.status != "open":
            event("end: second end")
            assert (result["ok"], error.get("kind"), error.get("rule_id")) == (False, "conflict", "hold.ends_once"), (
                result)
            return False
        if at < hold.arrested:
            event("end: before the arrest")
            assert (result["ok"], error.get("kind"), error.get("field")) == (False, "invalid", "occurred_at"), result
            return False
        return True

    def ended(self, hold_id: str, status: str, at: datetime) -> None:
        hold = self.holds[hold_id]
        hold.status, hold.ended = status, at
        hold.past_limit = hold.deadline is not None and at > hold.deadline
        event(f"end: {status} " + ("under an IGSA" if hold.deadline is None else "past the limit" if hold.past_limit
                                   else "at the deadline" if at == hold.deadline else "before the deadline"))

    # --- what the database must show after every step --------------------------------------------------

    @invariant()
    def the_holds_in_the_database_are_the_model_holds(self) -> None:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(holds.c.hold_id, holds.c.status, holds.c.arrested_at,
                                          holds.c.clock_started_at, holds.c.deadline, holds.c.limit_rule_id,
                                          holds.c.ended_at, holds.c.past_limit).order_by(holds.c.hold_id)).all()
        expected = [(h.hold_id, h.status, h.arrested, h.clock_start, h.deadline, h.limit_rule_id, h.ended, h.past_limit)
                    for h in sorted(self.holds.values(), key=lambda h: h.hold_id)]
        assert [tuple(row) for row in rows] == expected

    @invariant()
    def flags_count_the_time_without_authority_and_the_time_past_the_limit(self) -> None:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(flags.c.subject, flags.c.kind, flags.c.rule_id, flags.c.seconds)
                                .where(flags.c.kind.in_(["time_without_authority", "held_past_limit"]))).all()
        expected = set()
        for hold in self.holds.values():
            if hold.past_limit:
                assert hold.ended is not None and hold.deadline is not None
                expected.add((f"hold:{hold.hold_id}", "held_past_limit", "custody.violation",
                              int((hold.ended - hold.deadline).total_seconds())))
            if hold.gap > timedelta(0):
                expected.add((f"hold:{hold.hold_id}", "time_without_authority", "custody.unauthorized_gap",
                              int(hold.gap.total_seconds())))
        assert (len(rows), set(map(tuple, rows))) == (len(expected), expected)


HoldMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
TestHoldLifecycle = HoldMachine.TestCase
