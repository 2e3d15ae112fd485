"""People's data kept apart from the chain (issue 10), end to end on the real backends.

The ledger names a booked person only by an opaque subject id and a keyed commitment; the person is in the
encrypted person store. These tests look for the people where they must not be (the export, the database
file's bytes), expunge one and look for what is left of them, move an old-format ledger through migration
0007 and back, and find a person again by name and date of birth.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import admin
from custody_ledger.app import persons as people
from custody_ledger.app.execute import fingerprint
from custody_ledger.cli import app
from custody_ledger.domain.events import EVENT_TYPES
from custody_ledger.domain.model import ChargeStatus
from custody_ledger.ledger import codec, db, migrate, verify
from custody_ledger.ledger.schema import bookings, command_results, events, holds, persons, subjects
from custody_ledger.ledger.store import EventRow
from tests.support.backends import pg_admin, pg_url, require_postgres
from tests.support.world import World, open_hold

RUNNER = CliRunner()
SEED_ARGS = ["--agencies", "2", "--years", "0.25", "--now", "2026-11-01"]


# --- 1. no personal data in the chain or at rest -------------------------------------------------------------


def _booked_people(commands_file: Path) -> tuple[set[str], set[str], set[str], int]:
    """Names, dates of birth and A-numbers of the seed's book_person commands, and how many there are. A value
    that also appears in some other command (a demo officer may share a name with a booked person) is left
    out: it is in the chain lawfully, as that other thing."""
    commands = [json.loads(line) for line in commands_file.read_text(encoding="utf-8").splitlines() if line]
    booked = [c["person"] for c in commands if c["command"] == "book_person"]
    others = "\n".join(json.dumps(c, ensure_ascii=False) for c in commands if c["command"] != "book_person")
    names = {p["name"] for p in booked} - {n for n in {p["name"] for p in booked} if n in others}
    dobs = {p["dob"] for p in booked if p["dob"] not in others}
    a_numbers = {p["a_number"] for p in booked if p.get("a_number") and p["a_number"] not in others}
    return names, dobs, a_numbers, len(booked)


def _found_in(text: str | bytes, values: set[str]) -> list[str]:
    if isinstance(text, bytes):
        return sorted(v for v in values if v.encode("utf-8") in text)
    return sorted(v for v in values if v in text)


def test_no_person_data_in_the_export_or_in_the_database_file(tmp_path: Path) -> None:
    database, commands, export = tmp_path / "demo.db", tmp_path / "commands.jsonl", tmp_path / "ledger.jsonl"
    assert RUNNER.invoke(app, ["init", "--db", str(database)]).exit_code == 0
    seeded = RUNNER.invoke(app, ["seed", "--db", str(database), *SEED_ARGS])
    written = RUNNER.invoke(app, ["seed", *SEED_ARGS, "--out", str(commands)])
    exported = RUNNER.invoke(app, ["export", "--db", str(database), "--out", str(export)])
    assert (seeded.exit_code, written.exit_code, exported.exit_code) == (0, 0, 0), (seeded.stderr, exported.stderr)
    names, dobs, a_numbers, booked = _booked_people(commands)
    assert (booked > 100, len(names) > 100, len(dobs) > 100, len(a_numbers) > 50) == (True,) * 4
    # The control: names that are lawfully in the ledger (officers') are found by the very same search.
    officers = {json.loads(line)["name"] for line in commands.read_text(encoding="utf-8").splitlines()
                if json.loads(line)["command"] == "nominate_officer"}
    assert len(officers) > 3

    # The export is the ledger: every booking is in it, by subject and commitment.
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    bookings = [line["payload"] for line in lines if line["type"] == "person_booked"]
    assert len(bookings) > 100
    # `source` names an importer's file and line (null here), never the person.
    assert all(set(p) == {"booking_id", "facility_id", "agency_id", "subject_id", "commitment", "charge_status",
                          "source"} and p["source"] is None for p in bookings)
    assert len({p["subject_id"] for p in bookings}) == len(bookings)
    text = export.read_text(encoding="utf-8")
    assert (_found_in(text, names), _found_in(text, dobs), _found_in(text, a_numbers)) == ([], [], [])
    assert _found_in(text, officers) == sorted(officers)

    # At rest: the file's bytes, once the WAL is folded into it, hold the people only encrypted.
    engine = db.make_engine(str(database))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            stored = conn.execute(sa.select(sa.func.count()).select_from(persons)
                                  .where(persons.c.ciphertext.is_not(None))).scalar_one()
    finally:
        engine.dispose()
    assert stored > 100
    raw = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("demo.db*")))
    assert (_found_in(raw, names), _found_in(raw, dobs), _found_in(raw, a_numbers)) == ([], [], [])
    assert _found_in(raw, officers) == sorted(officers)

    verified = RUNNER.invoke(app, ["verify", "--db", str(database)])
    assert verified.exit_code == 0, verified.stderr


# --- 2. expunge ------------------------------------------------------------------------------------------------

ORDER = "Expunction order, Harris County 2026-CV-0042"


def _row(engine: Engine, table: sa.Table, **where: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(table).where(*(table.c[k] == v for k, v in where.items()))).one()
    return dict(row._mapping)


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _booked_event(engine: Engine, booking: str) -> dict[str, Any]:
    with engine.connect() as conn:
        payload = conn.execute(sa.select(events.c.payload).where(
            events.c.type == "person_booked", events.c.stream == f"booking:{booking}")).scalar_one()
    return json.loads(payload)


def _everything(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an expunge must not touch or only touches as it says (for 'changes nothing')."""
    tables = (events, command_results, bookings, holds, subjects, persons)
    with engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(sa.select(t))), key=repr) for t in tables}


def test_expunge_shreds_the_person_and_leaves_custody_and_the_chain(world: World, engine: Engine) -> None:
    open_hold(world, "H-1", "OFF-1")  # Jane Roe, 1990-01-01: booking BK-H-1, hold H-1
    world.ok("book_person", booking_id="BK-OTHER", facility_id="AG-A-JAIL",
             person={"name": "Jane Roe", "dob": "1990-01-01", "a_number": "A123456789"}, charge_status="pending")
    subject = _row(engine, bookings, booking_id="BK-H-1")["subject_id"]
    other = _row(engine, bookings, booking_id="BK-OTHER")["subject_id"]
    commitment = _booked_event(engine, "BK-H-1")["commitment"]
    keys = people.keyring()
    with engine.connect() as conn:
        assert people.check(conn, subject, commitment, keys)  # before: the store matches the chain
        assert people.subjects_matching(conn, "Jane Roe", date(1990, 1, 1), keys) == sorted([subject, other])
    booking_before, hold_before = _row(engine, bookings, booking_id="BK-H-1"), _row(engine, holds, hold_id="H-1")
    assert hold_before["deadline"] is not None

    result = world.ok("expunge_person", actor="admin", booking_id="BK-H-1", court_order=ORDER)

    with engine.connect() as conn:
        assert people.reveal(conn, [subject, other], keys) == {
            subject: None, other: people.PersonData("Jane Roe", date(1990, 1, 1), "A123456789")}
        assert people.check(conn, subject, commitment, keys) is False
        assert people.subjects_matching(conn, "Jane Roe", date(1990, 1, 1), keys) == [other]
    shredded = _row(engine, persons, subject_id=subject)
    assert (shredded["wrapped_key"], shredded["ciphertext"], shredded["match_token"]) == (None, None, None)
    assert shredded["shredded_at"] is not None
    assert _row(engine, bookings, booking_id="BK-H-1") == booking_before
    assert _row(engine, holds, hold_id="H-1") == hold_before  # status, clock, deadline: all as they were
    assert (_row(engine, subjects, subject_id=subject)["state"], _row(engine, subjects, subject_id=subject)[
        "court_order"]) == ("expunged", ORDER)
    report = admin.verify(engine)
    assert report.ok, report
    [receipt] = result["events"]
    with engine.connect() as conn:
        expunged = conn.execute(sa.select(events).where(events.c.seq == receipt["seq"])).one()
    assert (expunged.type, expunged.actor, json.loads(expunged.payload)) == (
        "person_expunged", "admin", {"subject_id": subject, "court_order": ORDER})

    # Gone for good: a second expunge and a seal are refused, and change nothing at all.
    before = _everything(engine)
    for command in ("expunge_person", "seal_person"):
        refused = world.run(command, actor="admin", booking_id="BK-H-1", court_order="Another order")
        assert (refused["ok"], refused["error"]["kind"], refused["error"]["rule_id"]) == (
            False, "conflict", "lifecycle.subject"), refused
    assert _everything(engine) == before
    assert admin.verify(engine).ok


def test_an_expunged_person_cannot_be_confirmed_by_a_guess_against_the_database(world: World,
                                                                               engine: Engine) -> None:
    """Once expunged, nothing stored lets someone holding the database, but not the master key, confirm a guess
    of who the person was (SECURITY.md). Every other field of the command is in the same database in plain
    text, so an unkeyed hash of the command would confirm the guess; the stored fingerprint is keyed."""
    world.ok("book_person", at=world.later(minutes=5), key="book-guess", actor="clerk-1", booking_id="BK-GUESS",
             facility_id="AG-A-JAIL", person={"name": "Ana Guess", "dob": "1984-07-14"}, charge_status="pending")
    world.ok("expunge_person", actor="admin", booking_id="BK-GUESS", court_order=ORDER)
    with engine.connect() as conn:
        booked = conn.execute(sa.select(events).where(events.c.type == "person_booked",
                                                      events.c.stream == "booking:BK-GUESS")).one()
        stored = set(conn.execute(sa.select(command_results.c.fingerprint)).scalars())
    known = json.loads(booked.payload)

    def command(name: str, dob: str) -> dict[str, Any]:
        return {"command": "book_person", "idempotency_key": booked.idempotency_key, "actor": booked.actor,
                "occurred_at": booked.occurred_at.astimezone(UTC).isoformat(), "booking_id": known["booking_id"],
                "facility_id": known["facility_id"], "person": {"name": name, "dob": dob},
                "charge_status": known["charge_status"]}

    def unkeyed(name: str, dob: str) -> str:  # all that someone without the master key can compute
        return hashlib.sha256(rfc8785.dumps(command(name, dob))).hexdigest()

    # The control: the command is rebuilt exactly, since the product's own (keyed) fingerprint finds it.
    assert fingerprint(command("Ana Guess", "1984-07-14")) in stored
    assert (unkeyed("Ana Wrong", "1984-07-14") in stored, unkeyed("Ana Guess", "1984-07-14") in stored) == (
        False, False), "the booking's fingerprint confirms the expunged person"


# --- 3. migration 0007 -----------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
JOSE = {"name": "José Pérez", "dob": "1980-02-29", "a_number": "A123456789"}
MARY = {"name": "Mary O'Brien", "dob": "1975-12-31", "a_number": None}


def _old_booking(booking: str, person: dict[str, Any]) -> dict[str, Any]:
    # The 0006 payload as the code of that revision encoded it: every field, a_number null when unknown.
    return {"booking_id": booking, "facility_id": "AG-A-JAIL", "agency_id": "AG-A", "person_name": person["name"],
            "person_dob": person["dob"], "charge_status": "pending", "a_number": person["a_number"]}


# (idempotency key, type, stream, payload): one command each, as at revision 0006.
LEGACY = [
    ("m1", "field_office_registered", "field_office:FO-1",
     {"field_office_id": "FO-1", "name": "Houston ERO", "timezone": "America/Chicago"}),
    ("m2", "agency_registered", "agency:AG-A",
     {"agency_id": "AG-A", "name": "AG-A Sheriff", "kind": "sheriff", "state": "TX", "county": "Harris",
      "ori": "TX1010000", "field_office_id": "FO-1"}),
    ("m3", "facility_registered", "facility:AG-A-JAIL",
     {"facility_id": "AG-A-JAIL", "agency_id": "AG-A", "name": "AG-A Jail", "timezone": "America/Chicago"}),
    ("m4", "person_booked", "booking:BK-1", _old_booking("BK-1", JOSE)),
    ("m5", "person_booked", "booking:BK-2", _old_booking("BK-2", MARY)),
    ("m6", "released_from_criminal_custody", "booking:BK-1", {"booking_id": "BK-1", "reason": "bail"}),
]
COMMANDS = {"m1": "register_field_office", "m2": "register_agency", "m3": "register_facility", "m4": "book_person",
            "m5": "book_person", "m6": "release_from_criminal_custody"}


def _at(seq: int) -> datetime:
    return T0 + timedelta(minutes=10 * seq)


def _write_legacy_ledger(engine: Engine) -> None:
    """The events, hash-chained, their receipts, and the projection rows, as a 0006 database held them."""
    meta = sa.MetaData()
    meta.reflect(engine, only=["field_offices", "agencies", "facilities", "bookings"])
    prev = codec.GENESIS
    with engine.begin() as conn:
        for seq, (key, kind, stream, payload) in enumerate(LEGACY, 1):
            row = EventRow(seq, str(uuid.uuid4()), stream, kind, _at(seq), _at(seq) + timedelta(minutes=1),
                           "clerk-1", key, rfc8785.dumps(payload).decode("utf-8"), prev)
            prev = codec.chain_hash(prev, codec.record_bytes(row))
            conn.execute(events.insert(), [{**row.columns(), "hash": prev}])
            receipt = {"command": COMMANDS[key], "idempotency_key": key, "ok": True,
                       "events": [{"seq": seq, "type": kind, "stream": stream, "hash": prev}]}
            conn.execute(command_results.insert(), [{
                "idempotency_key": key, "command": COMMANDS[key], "fingerprint": "f" * 64,
                "result": json.dumps(receipt, sort_keys=True), "recorded_at": _at(seq) + timedelta(minutes=1)}])
        t = meta.tables
        conn.execute(t["field_offices"].insert(), [LEGACY[0][3]])
        conn.execute(t["agencies"].insert(), [LEGACY[1][3]])
        conn.execute(t["facilities"].insert(), [LEGACY[2][3]])
        conn.execute(t["bookings"].insert(), [
            {"booking_id": "BK-1", "facility_id": "AG-A-JAIL", "agency_id": "AG-A", "person_name": JOSE["name"],
             "person_dob": date.fromisoformat(JOSE["dob"]), "charge_status": "pending", "status": "released",
             "booked_at": _at(4), "a_number": JOSE["a_number"], "released_at": _at(6), "release_reason": "bail"},
            {"booking_id": "BK-2", "facility_id": "AG-A-JAIL", "agency_id": "AG-A", "person_name": MARY["name"],
             "person_dob": date.fromisoformat(MARY["dob"]), "charge_status": "pending",
             "status": "in_criminal_custody", "booked_at": _at(5), "a_number": None, "released_at": None,
             "release_reason": None}])


@dataclass(frozen=True)
class OldPersonBooked:
    """person_booked as the code of revision 0006 read it: what its verifier decodes each payload with."""

    booking_id: str
    facility_id: str
    agency_id: str
    person_name: str
    person_dob: date
    charge_status: ChargeStatus
    a_number: str | None = None

    @property
    def stream(self) -> str:
        return f"booking:{self.booking_id}"


def _verify_at_0006(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, int, list[str]]:
    """What the verifier of revision 0006 checked: the hash chain, each payload readable as that revision's code
    read it, and every receipt in command_results against the chain. (The head verifier cannot be asked: it
    reads person_booked the new way and may check the head's schema.) Returns (chain ok, events checked,
    receipts that do not match)."""
    with monkeypatch.context() as patch, engine.connect() as conn:
        patch.setitem(EVENT_TYPES, "person_booked", OldPersonBooked)
        chain = verify.check_rows(conn.execute(sa.select(events).order_by(events.c.seq)))
        hashes = dict(conn.execute(sa.select(events.c.seq, events.c.hash)).all())
        results = conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result)).all()
    wrong = [f"{key}:{r['seq']}" for key, result in results for r in json.loads(result)["events"]
             if hashes.get(r["seq"]) != r["hash"]]
    assert chain.ok, chain
    return chain.ok, chain.checked, wrong


def _chain(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.seq, events.c.event_id, events.c.type, events.c.payload,
                                      events.c.prev_hash, events.c.hash).order_by(events.c.seq))
        return [tuple(row) for row in rows]


def _receipts(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(command_results.c.idempotency_key, command_results.c.result))
        return {key: json.loads(result) for key, result in rows}


def _old_bookings(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [(row[0], row[1], str(row[2]), row[3]) for row in conn.execute(sa.text(
            "SELECT booking_id, person_name, person_dob, a_number FROM bookings ORDER BY booking_id"))]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database with no schema at all, of each backend."""
    if request.param == "sqlite":
        engine = db.make_engine(str(tmp_path / "fresh.db"))
        yield engine
        engine.dispose()
        return
    require_postgres()
    name = f"cl_test_{uuid.uuid4().hex[:10]}"
    with pg_admin().connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(pg_url(name), poolclass=sa.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()
        with pg_admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), revision)


def test_migration_0007_moves_people_into_the_store_and_the_downgrade_puts_them_back(
        fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = fresh_engine
    migrate.upgrade(engine, "0006")
    _write_legacy_ledger(engine)
    assert _verify_at_0006(engine, monkeypatch) == (True, len(LEGACY), [])

    migrate.upgrade(engine)

    report = admin.verify(engine)  # the chain re-issued, and every receipt brought to it
    assert (report.ok, report.checked) == (True, len(LEGACY)), report
    chain = _chain(engine)
    payloads = "\n".join(row[3] for row in chain)
    assert [name for name in (JOSE["name"], MARY["name"], JOSE["dob"], MARY["dob"], JOSE["a_number"],
                              "person_name", "person_dob", "a_number") if name in payloads] == []
    with engine.connect() as conn:
        rows = {r.booking_id: r for r in conn.execute(sa.select(bookings))}
        states = dict(conn.execute(sa.select(subjects.c.subject_id, subjects.c.state)).all())
        revealed = people.reveal(conn, [r.subject_id for r in rows.values()], people.keyring())
        for booking, person in (("BK-1", JOSE), ("BK-2", MARY)):
            subject = rows[booking].subject_id
            assert revealed[subject] == people.PersonData(person["name"], date.fromisoformat(person["dob"]),
                                                          person["a_number"])
            assert states[subject] == "open"
            assert people.check(conn, subject, _booked_event(engine, booking)["commitment"], people.keyring())
    assert (rows["BK-1"].status, rows["BK-1"].release_reason, rows["BK-2"].status) == (
        "released", "bail", "in_criminal_custody")

    _downgrade(engine, "0006")

    payloads = "\n".join(row[3] for row in _chain(engine))
    assert all(value in payloads for value in (JOSE["name"], MARY["name"], JOSE["dob"], MARY["dob"],
                                               JOSE["a_number"]))
    assert "subject_id" not in payloads and "commitment" not in payloads
    assert _old_bookings(engine) == [
        ("BK-1", JOSE["name"], JOSE["dob"], JOSE["a_number"]),
        ("BK-2", MARY["name"], MARY["dob"], None)]
    assert _verify_at_0006(engine, monkeypatch) == (True, len(LEGACY), [])


def test_migration_0007_up_and_down_gives_back_the_very_chain_it_started_from(
        fresh_engine: Engine) -> None:
    """The downgrade writes each person back as revision 0006 wrote them, so the re-issued chain comes out
    identical to the original, and every receipt handed out before the upgrade holds again."""
    engine = fresh_engine
    migrate.upgrade(engine, "0006")
    _write_legacy_ledger(engine)
    chain, receipts = _chain(engine), _receipts(engine)
    migrate.upgrade(engine)
    _downgrade(engine, "0006")
    assert [row[3] for row in _chain(engine)] == [row[3] for row in chain]  # each payload as it was
    assert _chain(engine) == chain
    assert _receipts(engine) == receipts


# --- 4. matching -----------------------------------------------------------------------------------------------


def test_a_person_is_found_by_name_and_date_of_birth_across_bookings(world: World, engine: Engine) -> None:
    dob = "1980-02-29"
    for booking, name, born in (("BK-J1", "José  Pérez", dob), ("BK-J2", "JOSÉ PÉREZ", dob),
                                ("BK-M", "María Pérez", dob), ("BK-J3", "José Pérez", "1980-03-01")):
        world.ok("book_person", booking_id=booking, facility_id="AG-A-JAIL", person={"name": name, "dob": born},
                 charge_status="pending")
    with engine.connect() as conn:
        subject_of = dict(conn.execute(sa.select(bookings.c.booking_id, bookings.c.subject_id)).all())
        found = people.subjects_matching(conn, "jose perez", date(1980, 2, 29), people.keyring())
    assert len(set(subject_of.values())) == 4  # one subject per booking, even of one person
    assert found == sorted([subject_of["BK-J1"], subject_of["BK-J2"]])
