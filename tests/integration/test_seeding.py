"""The demo history goes through the real write path: every command meets the outcome it is labelled with.

A command the generator stages to be refused carries `-staged-refusal-<rule id>` in its idempotency key;
every other command must be accepted. Nothing is not found, invalid or a conflict, and the history
leaves no warrant lodged that would invite a WSO to serve it after the limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app.execute import Result, execute_batch
from custody_ledger.demo.generator import generate
from custody_ledger.domain.parse import parse_instant
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import db
from custody_ledger.ledger.schema import bookings, refusals, warrants

# An evening in the Americas, when UTC already has tomorrow's date.
NOW = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
STAGED_REFUSAL = "-staged-refusal-"
Outcome = tuple[str, str | None]  # ("ok", None) or (error kind, rule id)


@dataclass(frozen=True)
class Seeded:
    engine: Engine
    results: list[tuple[Mapping[str, Any], Result]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, policy: Policy
) -> Iterator[Seeded]:
    """A small demo history (seed 12 stages both kinds of refusal) applied once per backend."""
    template: Any = request.getfixturevalue(f"{request.param}_template")
    with template.copy(tmp_path_factory.mktemp("seeded")) as url:
        engine = db.make_engine(url)
        commands = list(generate(12, NOW, agencies=12, years=0.75, bookings_per_agency_month=6))
        results: list[tuple[Mapping[str, Any], Result]] = []
        for start in range(0, len(commands), 500):
            group = commands[start:start + 500]
            recorded = min(NOW, parse_instant(group[-1]["occurred_at"], "occurred_at") + timedelta(minutes=2))
            results += zip(group, execute_batch(engine, group, now=recorded, policy=policy), strict=True)
        yield Seeded(engine, results)
        engine.dispose()


def _labelled(raw: Mapping[str, Any]) -> Outcome:
    _, staged, rule_id = str(raw["idempotency_key"]).partition(STAGED_REFUSAL)
    return ("refused", rule_id) if staged else ("ok", None)


def _outcome(result: Result) -> Outcome:
    error = result.error or {}
    return ("ok", None) if result.ok else (str(error.get("kind")), error.get("rule_id"))


def test_every_generated_command_meets_the_outcome_its_label_names(seeded: Seeded) -> None:
    wrong = [(raw["idempotency_key"], raw["command"], _outcome(result)) for raw, result in seeded.results
             if _outcome(result) != _labelled(raw)]
    assert wrong == []


def test_the_staged_refusals_are_recorded_as_refusals_under_their_own_keys(seeded: Seeded) -> None:
    staged = {str(raw["idempotency_key"]): _labelled(raw)[1] for raw, _ in seeded.results
              if _labelled(raw)[0] == "refused"}
    with seeded.engine.connect() as conn:
        recorded = dict(conn.execute(sa.select(refusals.c.refusal_id, refusals.c.rule_id)).all())
    assert (recorded, set(recorded.values())) == (staged, {"certificate.current_required", "authority.wso"})


def test_no_lodged_warrant_belongs_to_a_booking_released_longer_ago_than_the_limit(
    seeded: Seeded, policy: Policy
) -> None:
    limit = policy.at(NOW, ZoneInfo("America/Chicago")).custody_limit.limit
    with seeded.engine.connect() as conn:
        lodged = conn.execute(
            sa.select(warrants.c.warrant_id, bookings.c.released_at)
            .join(bookings, bookings.c.booking_id == warrants.c.booking_id)
            .where(warrants.c.status == "lodged")
        ).all()
    stale = [warrant for warrant, released in lodged if released is not None and released <= NOW - limit]
    # Some warrants stay lodged on people still in criminal custody at NOW: the query does find lodged ones.
    assert (stale, any(released is None for _, released in lodged)) == ([], True)
