"""The demo history goes through the real write path: all of it is accepted but the refusals it stages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from custody_ledger.app.execute import execute_batch
from custody_ledger.demo.generator import generate
from custody_ledger.domain.parse import parse_instant
from custody_ledger.domain.policy import Policy

# The generator's staged attempts: an officer not yet certified, and a WSO asking about status.
STAGED = {("serve_warrant", "certificate.current_required"), ("interview_status", "authority.wso")}


def test_every_generated_command_is_accepted_except_the_staged_refusals(engine: Engine, policy: Policy) -> None:
    # An evening in the Americas, when UTC already has tomorrow's date.
    now = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    commands = list(generate(11, now, agencies=12, years=0.75, bookings_per_agency_month=6))
    outcomes: Counter[tuple[str, str | None]] = Counter()
    for start in range(0, len(commands), 500):
        group = commands[start:start + 500]
        recorded = min(now, parse_instant(group[-1]["occurred_at"], "occurred_at") + timedelta(minutes=2))
        for raw, result in zip(group, execute_batch(engine, group, now=recorded, policy=policy), strict=True):
            if not result.ok:
                outcomes[(raw["command"], (result.error or {}).get("rule_id"))] += 1
    assert set(outcomes) <= STAGED and sum(outcomes.values()) > 0, outcomes
