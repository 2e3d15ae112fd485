"""Load generated history through the one write path, recorded as if entered when it happened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.domain.parse import parse_instant
from custody_ledger.domain.policy import Policy

from .execute import execute_batch

# Commands a little apart in time share one transaction; each batch is recorded shortly after
# its last command occurred, so history does not read as late entries.
_WINDOW = timedelta(hours=1)
_RECORDING_DELAY = timedelta(minutes=2)


def _windows(commands: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    start: datetime | None = None
    for command in commands:
        at = parse_instant(command["occurred_at"], "occurred_at")
        if batch and (len(batch) >= size or start is None or at - start > _WINDOW):
            yield batch
            batch, start = [], None
        start = start or at
        batch.append(command)
    if batch:
        yield batch


def load_history(
    engine: Engine, commands: Iterable[Mapping[str, Any]], policy: Policy, *, now: datetime, batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> Counter[str]:
    """Apply commands in time order; returns counts of ok / refused / invalid / not_found / conflict.
    `progress` is told how many commands each committed batch held."""
    counts: Counter[str] = Counter()
    for group in _windows(commands, batch):
        last = parse_instant(group[-1]["occurred_at"], "occurred_at")
        recorded = min(now, last + _RECORDING_DELAY)
        for result in execute_batch(engine, group, now=recorded, policy=policy):
            counts["ok" if result.ok else str((result.error or {}).get("kind"))] += 1
        if progress is not None:
            progress(len(group))
    return counts
