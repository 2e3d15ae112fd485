"""people out of the chain: subjects, the encrypted person store, and the chain re-issued once

Each `person_booked` event named its person in plain text. This migration moves every person into the
encrypted person store (app/persons.py, under the master key of the environment it runs in), rewrites
each such event to name an opaque subject and a keyed commitment instead, and re-issues the hash chain
from the first rewritten event, with the receipts in command_results. No ledger exists outside tests and
demos yet; this is the one time the chain is re-issued (README, SECURITY.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import rfc8785
import sqlalchemy as sa
from alembic import op

from custody_ledger.ledger.guards import append_only, drop_append_only

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("booking_id", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("court_order", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name="pk_subjects"),
    )
    op.create_index("ix_subjects_booking_id", "subjects", ["booking_id"])
    op.create_index("ix_subjects_agency_id", "subjects", ["agency_id"])
    op.create_table(
        "persons",
        sa.Column("subject_id", sa.String(100), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        sa.Column("ciphertext", sa.Text(), nullable=True),
        sa.Column("match_token", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject_id", name="pk_persons"),
    )
    op.create_index("ix_persons_match_token", "persons", ["match_token"])
    with op.batch_alter_table("bookings") as bookings:
        bookings.add_column(sa.Column("subject_id", sa.String(100), nullable=True))
    drop_append_only("events")
    drop_append_only("command_results")
    _move_people(op.get_bind())
    append_only("events")
    append_only("command_results")
    with op.batch_alter_table("bookings") as bookings:
        bookings.drop_column("person_name")
        bookings.drop_column("person_dob")
        bookings.drop_column("a_number")
        bookings.alter_column("subject_id", existing_type=sa.String(100), nullable=False)
        bookings.create_index("ix_bookings_subject_id", ["subject_id"])


def _move_people(conn: sa.Connection) -> None:
    # The app's person store, imported here only: the migration is the one place the storage layer reaches
    # for the keys, once.
    from custody_ledger.app import persons

    keys, now = persons.keyring(), datetime.now(UTC)

    def rewrite(old: dict[str, Any]) -> dict[str, Any] | None:
        return None if "person_name" not in old else _subject_of(conn, old, keys, now, persons)

    _reissue(conn, rewrite)


def _reissue(conn: sa.Connection, rewrite: Any) -> None:
    """Rewrite each person_booked payload `rewrite` changes, re-issue the chain from the first change on, and
    bring every receipt in command_results to the re-issued hashes."""
    from custody_ledger.ledger import codec
    from custody_ledger.ledger.schema import command_results, events

    prev, reissued = codec.GENESIS, {}
    for row in conn.execute(sa.select(events).order_by(events.c.seq)).all():
        payload = row.payload
        if row.type == "person_booked" and (changed := rewrite(json.loads(row.payload))) is not None:
            payload = rfc8785.dumps(changed).decode("utf-8")
        new_hash = codec.chain_hash(prev, codec.record_bytes(_Row(row, payload, prev)))
        if new_hash != row.hash:
            conn.execute(events.update().where(events.c.seq == row.seq),
                         {"payload": payload, "prev_hash": prev, "hash": new_hash})
            reissued[row.seq] = new_hash
        prev = new_hash
    if not reissued:
        return
    for key, result in conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result)).all():
        stored = json.loads(result)
        receipts = stored.get("events", [])
        if any(r["seq"] in reissued for r in receipts):
            for receipt in receipts:
                receipt["hash"] = reissued.get(receipt["seq"], receipt["hash"])
            conn.execute(command_results.update().where(command_results.c.idempotency_key == key),
                         {"result": json.dumps(stored, sort_keys=True)})


def _subject_of(conn: sa.Connection, old: dict[str, Any], keys: Any, now: datetime, persons: Any) -> dict[str, Any]:
    """The person into the store, the subject into its projection, the booking onto its subject."""
    subject_id = persons.new_subject_id()
    person = persons.PersonData(old["person_name"], date.fromisoformat(old["person_dob"]), old.get("a_number"))
    protected = persons.protect(person, subject_id, keys)
    persons.store(conn, protected, now)
    conn.execute(sa.text("INSERT INTO subjects (subject_id, booking_id, agency_id, state) VALUES (:s, :b, :a, 'open')"),
                 {"s": subject_id, "b": old["booking_id"], "a": old["agency_id"]})
    conn.execute(sa.text("UPDATE bookings SET subject_id = :s WHERE booking_id = :b"),
                 {"s": subject_id, "b": old["booking_id"]})
    return {"booking_id": old["booking_id"], "facility_id": old["facility_id"], "agency_id": old["agency_id"],
            "subject_id": subject_id, "commitment": protected.commitment, "charge_status": old["charge_status"]}


class _Row:
    """An events row as it will be: the new payload, linked to the re-issued previous hash."""

    def __init__(self, row: Any, payload: str, prev_hash: str) -> None:
        self.seq, self.event_id, self.stream, self.type = row.seq, row.event_id, row.stream, row.type
        self.occurred_at, self.recorded_at, self.actor = row.occurred_at, row.recorded_at, row.actor
        self.idempotency_key, self.payload, self.prev_hash = row.idempotency_key, payload, prev_hash


def downgrade() -> None:
    """People back into the chain, as before 0007; an expunged person's data is gone and stays gone."""
    from custody_ledger.app import persons

    conn = op.get_bind()
    keys = persons.keyring()
    subject_ids = [row.subject_id for row in conn.execute(sa.text("SELECT subject_id FROM subjects"))]
    people = persons.reveal(conn, subject_ids, keys)
    with op.batch_alter_table("bookings") as bookings:
        bookings.add_column(sa.Column("person_name", sa.Text(), nullable=True))
        bookings.add_column(sa.Column("person_dob", sa.Date(), nullable=True))
        bookings.add_column(sa.Column("a_number", sa.String(12), nullable=True))

    def rewrite(new: dict[str, Any]) -> dict[str, Any] | None:
        if "subject_id" not in new:
            return None
        person = people.get(new["subject_id"]) or persons.PersonData(EXPUNGED, date(1900, 1, 1))
        conn.execute(sa.text("UPDATE bookings SET person_name = :n, person_dob = :d, a_number = :a "
                             "WHERE booking_id = :b"),
                     {"n": person.name, "d": person.dob, "a": person.a_number, "b": new["booking_id"]})
        # As 0006 wrote it: a_number always present, null when there is none, so the chain comes back byte for byte.
        return {"booking_id": new["booking_id"], "facility_id": new["facility_id"], "agency_id": new["agency_id"],
                "person_name": person.name, "person_dob": person.dob.isoformat(), "charge_status": new["charge_status"],
                "a_number": person.a_number}

    drop_append_only("events")
    drop_append_only("command_results")
    _reissue(conn, rewrite)
    append_only("events")
    append_only("command_results")
    with op.batch_alter_table("bookings") as bookings:
        bookings.drop_index("ix_bookings_subject_id")
        bookings.drop_column("subject_id")
        bookings.alter_column("person_name", existing_type=sa.Text(), nullable=False)
        bookings.alter_column("person_dob", existing_type=sa.Date(), nullable=False)
    op.drop_table("persons")
    op.drop_table("subjects")


EXPUNGED = "(expunged)"  # what a downgrade can say of a person whose data was destroyed
