"""verify() notices any one-character edit of any stored column of any event."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from functools import cache

import rfc8785
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from custody_ledger.ledger import codec, db, migrate
from custody_ledger.ledger.schema import events
from custody_ledger.ledger.store import EventRow
from custody_ledger.ledger.verify import check_rows
from custody_ledger.policy import default_policy
from tests.support.world import World, build_agency, certified_officer, open_hold

TEXT_COLUMNS = ("event_id", "stream", "type", "actor", "idempotency_key", "payload", "prev_hash", "hash")


@cache
def ledger_rows() -> tuple[EventRow, ...]:
    engine = db.make_engine("sqlite://")
    migrate.upgrade(engine)
    w = World(engine, default_policy())
    build_agency(w, "AG-A")
    certified_officer(w, "OFF-1")
    open_hold(w, "H-1", "OFF-1")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events).order_by(events.c.seq)).all()
    return tuple(EventRow(**r._mapping) for r in rows)


def test_an_untouched_chain_verifies() -> None:
    assert check_rows(ledger_rows()).ok


def test_record_bytes_are_the_rfc8785_form_of_the_whole_record() -> None:
    row = ledger_rows()[3]
    record = {k: v for k, v in row.columns().items() if k != "hash"}
    record |= {"payload": json.loads(row.payload), "occurred_at": codec.format_instant(row.occurred_at),
               "recorded_at": codec.format_instant(row.recorded_at)}
    assert codec.record_bytes(row) == rfc8785.dumps(record)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_one_character_edit_is_caught_at_that_event(data: st.DataObject) -> None:
    rows = list(ledger_rows())
    index = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(TEXT_COLUMNS))
    text: str = getattr(rows[index], column)
    at = data.draw(st.integers(0, len(text) - 1))
    new = data.draw(st.characters(codec=None).filter(lambda c: c != text[at]))
    rows[index] = replace(rows[index], **{column: text[:at] + new + text[at + 1:]})
    assert check_rows(rows).first_broken == index + 1


@given(index=st.integers(0, 20), seconds=st.integers(1, 10**6))
def test_any_moved_timestamp_is_caught(index: int, seconds: int) -> None:
    rows = list(ledger_rows())
    index %= len(rows)
    rows[index] = replace(rows[index], recorded_at=rows[index].recorded_at + timedelta(microseconds=seconds))
    assert check_rows(rows).first_broken == index + 1
