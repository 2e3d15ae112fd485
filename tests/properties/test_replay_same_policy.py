"""Replaying any history under the policy it was recorded under changes nothing (reports/replay.py).

The histories are the demo generator's (custody_ledger/demo/generator.py): agreements with and without an IGSA,
certifications, arrests minutes after release, transfers, releases at the limit, staged refusals and violations,
applied through the real write path. Judged again under the same policy, no hold's breach, no accepted act and no
refusal may come out differently, and no accepted act may be beyond the replay's judgment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custody_ledger.app.seeding import load_history
from custody_ledger.demo.generator import generate
from custody_ledger.ledger import db, migrate
from custody_ledger.policy import default_policy
from custody_ledger.reports.replay import replay


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), agencies=st.integers(1, 3), days=st.integers(20, 120),
       now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 1)))
def test_replay_under_the_recorded_policy_reports_no_change(seed: int, agencies: int, days: int,
                                                             now: datetime) -> None:
    now = now.replace(second=0, microsecond=0, tzinfo=UTC)
    policy = default_policy()
    engine = db.make_engine("sqlite://")
    migrate.upgrade(engine)
    commands = list(generate(seed, now, agencies=agencies, years=days / 365.25, bookings_per_agency_month=40))
    load_history(engine, commands, policy, now=now + timedelta(hours=1))
    result = replay(engine, policy, date(2000, 1, 1), date(2100, 1, 1), now=now + timedelta(hours=1))
    engine.dispose()
    assert (result.changes, [f for f in result.findings if f.kind == "act"]) == (0, [])
