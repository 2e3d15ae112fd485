"""People's data in the `persons` table on SQLite and PostgreSQL: store and reveal, crypto-shredding, look-ups
by match token, and rotating the master key (whole, interrupted and resumed, and from the command line)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import persons as people
from custody_ledger.app.persons import (
    Keyring,
    PersonData,
    Protected,
    TamperedError,
    UnknownKeyError,
    check,
    new_subject_id,
    protect,
    reveal,
    rotate,
    shred,
    store,
    subjects_matching,
)
from custody_ledger.cli.persons import rotate_key
from custody_ledger.ledger import db
from custody_ledger.ledger.schema import persons

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
JOSE = PersonData(name="José Pérez", dob=date(1990, 4, 1), a_number="A123456789")
JOSE_AGAIN = PersonData(name="JOSE  PEREZ", dob=date(1990, 4, 1))  # a later booking, typed another way
MARIA = PersonData(name="María Gómez", dob=date(1990, 4, 1), a_number="A987654321")
KEY_A, KEY_B = os.urandom(32), os.urandom(32)


@pytest.fixture
def engine_with_persons(engine: Engine) -> Iterator[Engine]:
    # The migration that creates `persons` is being written alongside; until it lands, create the table here.
    persons.create(engine, checkfirst=True)
    yield engine


def _store(engine: Engine, person: PersonData, keys: Keyring) -> Protected:
    protected = protect(person, new_subject_id(), keys)
    with db.write_transaction(engine) as conn:
        store(conn, protected, NOW)
    return protected


def _rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {row.subject_id: row for row in conn.execute(sa.select(persons))}


def _table_text(engine: Engine) -> str:
    with engine.connect() as conn:
        return "\n".join(" ".join(map(str, row)) for row in conn.execute(sa.text("SELECT * FROM persons")))


def _key_ids(engine: Engine) -> list[str]:
    return sorted(row.key_id for row in _rows(engine).values())


def test_store_and_reveal(engine_with_persons: Engine) -> None:
    keys = Keyring.of(KEY_A)
    jose, maria = _store(engine_with_persons, JOSE, keys), _store(engine_with_persons, MARIA, keys)
    with engine_with_persons.connect() as conn:
        found = reveal(conn, [jose.subject_id, maria.subject_id, "S-unknown"], keys)
        assert found == {jose.subject_id: JOSE, maria.subject_id: MARIA}
        assert reveal(conn, [], keys) == {}
        assert check(conn, jose.subject_id, jose.commitment, keys)
        assert not check(conn, jose.subject_id, maria.commitment, keys)
        assert not check(conn, "S-unknown", jose.commitment, keys)
    row = _rows(engine_with_persons)[jose.subject_id]
    assert (row.key_id, row.created_at, row.shredded_at) == (keys.key_id, NOW, None)
    assert "Jos" not in _table_text(engine_with_persons) and "A123456789" not in _table_text(engine_with_persons)


def test_a_row_altered_in_the_table_no_longer_checks(engine_with_persons: Engine) -> None:
    keys = Keyring.of(KEY_A)
    jose, maria = _store(engine_with_persons, JOSE, keys), _store(engine_with_persons, MARIA, keys)
    with db.write_transaction(engine_with_persons) as conn:  # one subject's data pasted into another's row
        conn.execute(persons.update().where(persons.c.subject_id == jose.subject_id)
                     .values(ciphertext=maria.ciphertext))
    with engine_with_persons.connect() as conn:
        assert not check(conn, jose.subject_id, jose.commitment, keys)
        with pytest.raises(TamperedError):
            reveal(conn, [jose.subject_id], keys)
        assert check(conn, maria.subject_id, maria.commitment, keys)


def test_shredding_destroys_the_data_for_good(engine_with_persons: Engine) -> None:
    keys = Keyring.of(KEY_A)
    jose, maria = _store(engine_with_persons, JOSE, keys), _store(engine_with_persons, MARIA, keys)
    with db.write_transaction(engine_with_persons) as conn:
        shred(conn, jose.subject_id, NOW)
    with db.write_transaction(engine_with_persons) as conn:
        shred(conn, jose.subject_id, datetime(2027, 1, 1, tzinfo=UTC))  # again: nothing changes
    with engine_with_persons.connect() as conn:
        assert reveal(conn, [jose.subject_id, maria.subject_id], keys) == {jose.subject_id: None,
                                                                            maria.subject_id: MARIA}
        assert not check(conn, jose.subject_id, jose.commitment, keys)
        assert subjects_matching(conn, JOSE.name, JOSE.dob, keys) == []
    row = _rows(engine_with_persons)[jose.subject_id]
    assert (row.wrapped_key, row.ciphertext, row.match_token, row.shredded_at) == (None, None, None, NOW)
    text = _table_text(engine_with_persons)
    for gone in (jose.ciphertext, jose.wrapped_key, jose.match_token):
        assert gone not in text
    for name in ("José", "Jose", "Pérez", "A123456789", "María"):
        assert name not in text


def test_shredding_an_unknown_subject_is_an_error(engine_with_persons: Engine) -> None:
    with pytest.raises(LookupError, match="S-unknown"), db.write_transaction(engine_with_persons) as conn:
        shred(conn, "S-unknown", NOW)


def test_subjects_matching_finds_the_bookings_of_one_person(engine_with_persons: Engine) -> None:
    keys = Keyring.of(KEY_A)
    first, again = _store(engine_with_persons, JOSE, keys), _store(engine_with_persons, JOSE_AGAIN, keys)
    maria = _store(engine_with_persons, MARIA, keys)
    with engine_with_persons.connect() as conn:
        assert subjects_matching(conn, "jose perez", date(1990, 4, 1), keys) == sorted(
            [first.subject_id, again.subject_id])
        assert subjects_matching(conn, "Maria Gomez", date(1990, 4, 1), keys) == [maria.subject_id]
        assert subjects_matching(conn, "Jose Perez", date(1990, 4, 2), keys) == []
        assert subjects_matching(conn, "Jose Perez", date(1990, 4, 1), Keyring.of(KEY_B)) == []


def test_rotation_moves_every_data_key_to_the_new_master(engine_with_persons: Engine) -> None:
    a = Keyring.of(KEY_A)
    stored = [_store(engine_with_persons, p, a) for p in (JOSE, JOSE_AGAIN, MARIA)]
    assert rotate(engine_with_persons, Keyring.of(KEY_B, previous=KEY_A)) == (3, 0)
    b = Keyring.of(KEY_B)
    assert _key_ids(engine_with_persons) == [b.key_id] * 3
    with engine_with_persons.connect() as conn:
        assert reveal(conn, [p.subject_id for p in stored], b) == {
            stored[0].subject_id: JOSE, stored[1].subject_id: JOSE_AGAIN, stored[2].subject_id: MARIA}
        assert all(check(conn, p.subject_id, p.commitment, b) for p in stored)  # the chain's commitments hold
        assert subjects_matching(conn, "jose perez", JOSE.dob, b) == sorted(p.subject_id for p in stored[:2])
        with pytest.raises(UnknownKeyError):
            reveal(conn, [stored[0].subject_id], a)
    assert rotate(engine_with_persons, Keyring.of(KEY_B, previous=KEY_A)) == (0, 3)
    assert rotate(engine_with_persons, b) == (0, 3)  # with the previous key gone too


def test_rotation_refuses_a_row_under_neither_key_and_changes_nothing(engine_with_persons: Engine) -> None:
    jose = _store(engine_with_persons, JOSE, Keyring.of(KEY_A))
    before = _rows(engine_with_persons)
    with pytest.raises(UnknownKeyError) as caught:
        rotate(engine_with_persons, Keyring.of(KEY_B))  # the previous key was not given
    assert jose.subject_id in str(caught.value) and Keyring.of(KEY_A).key_id in str(caught.value)
    assert "Jos" not in str(caught.value)
    assert _rows(engine_with_persons) == before


def test_rotation_moves_a_shredded_row_by_its_key_id_only(engine_with_persons: Engine) -> None:
    a = Keyring.of(KEY_A)
    jose, maria = _store(engine_with_persons, JOSE, a), _store(engine_with_persons, MARIA, a)
    with db.write_transaction(engine_with_persons) as conn:
        shred(conn, jose.subject_id, NOW)
    assert rotate(engine_with_persons, Keyring.of(KEY_B, previous=KEY_A)) == (2, 0)
    row = _rows(engine_with_persons)[jose.subject_id]
    assert (row.key_id, row.wrapped_key, row.ciphertext, row.match_token) == (Keyring.of(KEY_B).key_id, None, None,
                                                                             None)
    with engine_with_persons.connect() as conn:
        assert reveal(conn, [jose.subject_id, maria.subject_id], Keyring.of(KEY_B)) == {
            jose.subject_id: None, maria.subject_id: MARIA}


def test_an_interrupted_rotation_leaves_everything_readable_and_finishes(
        engine_with_persons: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    a, rotating = Keyring.of(KEY_A), Keyring.of(KEY_B, previous=KEY_A)
    stored = [_store(engine_with_persons, p, a) for p in (JOSE, JOSE_AGAIN, MARIA)]
    batches = 0
    real_batch = people._rotate_batch

    def crash_after_first(engine: Engine, keys: Keyring, batch: int) -> int:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the process killed, between two batches
        return real_batch(engine, keys, batch)

    monkeypatch.setattr(people, "_rotate_batch", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        rotate(engine_with_persons, rotating, batch=1)
    monkeypatch.undo()
    assert _key_ids(engine_with_persons) == sorted([a.key_id, a.key_id, rotating.key_id])
    ids = [p.subject_id for p in stored]
    with engine_with_persons.connect() as conn:
        assert reveal(conn, ids, rotating) == dict(zip(ids, (JOSE, JOSE_AGAIN, MARIA), strict=True))
        assert subjects_matching(conn, "Jose Perez", JOSE.dob, rotating) == sorted(ids[:2])  # across both keys
        assert all(check(conn, p.subject_id, p.commitment, rotating) for p in stored)
        with pytest.raises(UnknownKeyError):
            reveal(conn, ids, Keyring.of(KEY_B))  # half done: the previous key is still needed
    assert rotate(engine_with_persons, rotating, batch=1) == (2, 1)
    with engine_with_persons.connect() as conn:
        assert reveal(conn, ids, Keyring.of(KEY_B)) == dict(zip(ids, (JOSE, JOSE_AGAIN, MARIA), strict=True))
        assert subjects_matching(conn, "Jose Perez", JOSE.dob, Keyring.of(KEY_B)) == sorted(ids[:2])


def _key_text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    app = typer.Typer()
    app.command("rotate-key")(rotate_key)
    for name in ("MASTER_KEY_FILE", "PREVIOUS_MASTER_KEY_FILE", "ENVIRONMENT"):
        monkeypatch.delenv(f"CUSTODY_LEDGER_{name}", raising=False)
    monkeypatch.setenv("CUSTODY_LEDGER_MASTER_KEY", _key_text(KEY_B))
    monkeypatch.setenv("CUSTODY_LEDGER_PREVIOUS_MASTER_KEY", _key_text(KEY_A))
    people.keyring.cache_clear()
    yield app
    people.keyring.cache_clear()


def test_rotate_key_from_the_command_line(engine_with_persons: Engine, db_url: str, cli: typer.Typer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    stored = [_store(engine_with_persons, p, Keyring.of(KEY_A)) for p in (JOSE, MARIA)]
    runner = CliRunner()
    run = runner.invoke(cli, ["--db", db_url])
    assert run.exit_code == 0, run.output
    b = Keyring.of(KEY_B)
    assert f"2 data keys re-wrapped, 0 already under the current master key {b.key_id}" in run.stdout
    with engine_with_persons.connect() as conn:
        assert reveal(conn, [p.subject_id for p in stored], b) == {stored[0].subject_id: JOSE,
                                                                   stored[1].subject_id: MARIA}
    again = runner.invoke(cli, ["--db", db_url])
    assert again.exit_code == 0 and "0 data keys re-wrapped, 2 already under" in again.stdout

    monkeypatch.delenv("CUSTODY_LEDGER_PREVIOUS_MASTER_KEY")  # rows under A, and A not given: a clear refusal
    _store(engine_with_persons, JOSE, Keyring.of(KEY_A))
    people.keyring.cache_clear()
    refused = runner.invoke(cli, ["--db", db_url])
    assert refused.exit_code == 2 and Keyring.of(KEY_A).key_id in refused.output and "Jos" not in refused.output

    monkeypatch.setenv("CUSTODY_LEDGER_MASTER_KEY", "not-a-key")
    people.keyring.cache_clear()
    malformed = runner.invoke(cli, ["--db", db_url])
    assert malformed.exit_code == 2 and "CUSTODY_LEDGER_MASTER_KEY must be" in malformed.output
