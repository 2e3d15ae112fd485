"""Hypothesis state machine over the hold lifecycle, through the domain's own decide/evolve functions.

Whatever order transfers and releases arrive in, and whenever: a hold ends exactly once, its end is
never before its arrest, and it is marked past its limit exactly when it ended after the deadline
without an IGSA.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from custody_ledger.domain import custody
from custody_ledger.domain.commands import ReleaseHold, TransferCustody
from custody_ledger.domain.errors import DomainError, IllegalTransition
from custody_ledger.domain.events import HoldOpened, RecordFlagged
from custody_ledger.domain.ids import AgencyId, BookingId, FacilityId, FieldOfficeId, HoldId, OfficerId, WarrantId
from custody_ledger.domain.model import FieldOffice, Hold, HoldStatus, ReleaseReason
from custody_ledger.policy import default_policy

POLICY = default_policy()
START = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
OFFICE = FieldOffice(FieldOfficeId("FO-1"), "Houston ERO", "America/Chicago")


class HoldMachine(RuleBasedStateMachine):
    hold: Hold
    ends: int

    @initialize(igsa=st.booleans(), gap=st.integers(0, 3600))
    def open(self, igsa: bool, gap: int) -> None:
        released = START
        arrested = START + timedelta(seconds=gap)
        deadline = None if igsa else released + timedelta(hours=48)
        opened = HoldOpened(HoldId("H-1"), WarrantId("W-1"), BookingId("B-1"), FacilityId("F-1"), AgencyId("A-1"),
                            OfficerId("O-1"), released, arrested, released, igsa, "custody.limit", deadline)
        self.hold = custody.evolve_hold(None, opened, arrested)
        self.ends = 0

    def _end(self, events: list, at: datetime) -> None:
        for event in events:
            if not isinstance(event, RecordFlagged):
                self.hold = custody.evolve_hold(self.hold, event, at)
        self.ends += 1

    @rule(hours=st.floats(0, 120, allow_nan=False))
    def transfer(self, hours: float) -> None:
        at = self.hold.arrested_at + timedelta(hours=hours)
        try:
            command = TransferCustody(self.hold.hold_id, "ICE DO", OFFICE.field_office_id)
            events = custody.decide_transfer_custody(command, self.hold, OFFICE, at, POLICY.at(at))
        except IllegalTransition:
            assert self.hold.status is not HoldStatus.OPEN
            return
        self._end(events, at)

    @rule(hours=st.floats(-2, 120, allow_nan=False), reason=st.sampled_from(ReleaseReason))
    def release(self, hours: float, reason: ReleaseReason) -> None:
        at = self.hold.arrested_at + timedelta(hours=hours)
        try:
            events = custody.decide_release_hold(ReleaseHold(self.hold.hold_id, reason), self.hold, at, POLICY.at(at))
        except DomainError:
            assert self.hold.status is not HoldStatus.OPEN or at < self.hold.arrested_at
            return
        self._end(events, at)

    @invariant()
    def ends_at_most_once(self) -> None:
        assert self.ends <= 1

    @invariant()
    def ended_exactly_when_not_open(self) -> None:
        assert (self.hold.status is HoldStatus.OPEN) == (self.ends == 0) == (self.hold.ended_at is None)

    @invariant()
    def past_limit_exactly_when_ended_after_the_deadline(self) -> None:
        late = (self.hold.ended_at is not None and self.hold.deadline is not None
                and self.hold.ended_at > self.hold.deadline)
        assert self.hold.past_limit == late

    @invariant()
    def never_ends_before_the_arrest(self) -> None:
        assert self.hold.ended_at is None or self.hold.ended_at >= self.hold.arrested_at


HoldMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=12, deadline=None)
TestHoldLifecycle = HoldMachine.TestCase
