"""Append-only for real (issue 11): no statement form rewrites the ledger, its receipts or the access log on
SQLite; on PostgreSQL the service's role may only read and insert them; verify names a dropped or altered
guard, a dropped table, and a deleted or edited access-log row (the access log is hash-chained)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import access_chain, db, guards, migrate
from custody_ledger.ledger.schema import access_log, command_results, events
from custody_ledger.ledger.verify import verify
from tests.support.backends import PostgresTemplate, SqliteTemplate, pg_admin
from tests.support.world import T0, World, build_agency

# Each append-only table: the column a rewrite would change, and the row it aims at.
TARGETS = {"events": ("actor", "seq = 1"), "command_results": ("result", "idempotency_key = 'k1'"),
           "access_log": ("outcome", "seq = 1")}


def _log(conn: sa.Connection, n: int, principal: str = "auditor") -> None:
    for i in range(n):
        access_chain.append(conn, {"at": T0 + timedelta(minutes=i), "principal": principal, "role": "auditor",
                                   "action": "read:holds", "outcome": "ok", "shown": f'["H-{i}"]'})


def _fill(engine: Engine, policy: Policy) -> None:
    """Rows in every append-only table: a few commands (events, receipts) and three access-log rows."""
    build_agency(World(engine, policy), "AG-A")
    with db.write_transaction(engine) as conn:
        _log(conn, 3)


def _dump(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
                for t in (events, command_results, access_log)}


# --- SQLite: every statement form refused -------------------------------------------------------------

@pytest.fixture
def sqlite_engine(sqlite_template: SqliteTemplate, tmp_path: Path, policy: Policy) -> Iterator[Engine]:
    with sqlite_template.copy(tmp_path) as url:
        engine = db.make_engine(url)
        _fill(engine, policy)
        yield engine
        engine.dispose()


def _rewrites(table: str) -> dict[str, str]:
    """Every statement form that could change or remove a row, each aimed at an existing row."""
    target = {"events": events, "command_results": command_results, "access_log": access_log}[table]
    column, where = TARGETS[table]
    names = [c.name for c in target.columns]
    cols = ", ".join(names)
    changed = ", ".join("'mallory'" if n == column else n for n in names)
    key = target.primary_key.columns[0].name
    forms = {
        "update": f"UPDATE {table} SET {column} = 'mallory' WHERE {where}",
        "update_or_replace": f"UPDATE OR REPLACE {table} SET {column} = 'mallory' WHERE {where}",
        "delete": f"DELETE FROM {table} WHERE {where}",
        "replace": f"REPLACE INTO {table} ({cols}) SELECT {changed} FROM {table} WHERE {where}",
        "insert_or_replace": f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {changed} FROM {table} WHERE {where}",
        "upsert": (f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {table} WHERE {where} "
                   f"ON CONFLICT ({key}) DO UPDATE SET {column} = 'mallory'"),
    }
    if table == "events":  # the other unique key: a fresh seq, an existing event_id
        fresh = ", ".join("999999" if n == "seq" else n for n in names)
        forms["replace_by_event_id"] = f"REPLACE INTO events ({cols}) SELECT {fresh} FROM events WHERE seq = 1"
    return forms


CASES = [(table, form) for table in TARGETS for form in _rewrites(table)]


@pytest.mark.parametrize(("table", "form"), CASES, ids=[f"{t}-{f}" for t, f in CASES])
def test_sqlite_refuses_every_statement_form_on_our_connections(sqlite_engine: Engine, table: str,
                                                                form: str) -> None:
    before = _dump(sqlite_engine)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.write_transaction(sqlite_engine) as conn:
        conn.exec_driver_sql(_rewrites(table)[form])
    assert _dump(sqlite_engine) == before


@pytest.mark.parametrize(("table", "form"), CASES, ids=[f"{t}-{f}" for t, f in CASES])
def test_sqlite_refuses_every_statement_form_on_any_connection(sqlite_engine: Engine, table: str,
                                                               form: str) -> None:
    """A plain sqlite3 connection (no recursive_triggers pragma): the insert guards hold on their own."""
    before = _dump(sqlite_engine)
    path = sqlite_engine.url.database
    assert path is not None
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(_rewrites(table)[form])
    finally:
        raw.close()
    assert _dump(sqlite_engine) == before


def test_recursive_triggers_make_replace_fire_the_delete_guard(sqlite_engine: Engine) -> None:
    """Without the insert guard, REPLACE passes on a connection without the pragma and is refused on ours."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER events_no_replace")
    replace = _rewrites("events")["replace"]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.write_transaction(sqlite_engine) as conn:
        conn.exec_driver_sql(replace)
    path = sqlite_engine.url.database
    assert path is not None
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        raw.execute(replace)
        actor = raw.execute("SELECT actor FROM events WHERE seq = 1").fetchone()[0]
    finally:
        raw.close()
    assert actor == "mallory"


def test_an_altered_sqlite_guard_is_named_by_verify(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER command_results_no_delete")
        conn.exec_driver_sql("CREATE TRIGGER command_results_no_delete BEFORE DELETE ON command_results WHEN 0 "
                             "BEGIN SELECT RAISE(ABORT, 'command_results is append-only'); END")
    report = verify(sqlite_engine)
    assert (report.ok, report.part, report.reason) == (
        False, "schema", "trigger command_results_no_delete on command_results is not the append-only guard (altered)")


# --- verify names what was dropped, on both backends -----------------------------------------------------

def test_verify_passes_with_every_guard_in_place(engine: Engine, policy: Policy) -> None:
    _fill(engine, policy)
    report = verify(engine)
    assert (report.ok, report.part, report.access_checked) == (True, "access_log", 3)


def test_verify_names_a_dropped_trigger(engine: Engine, policy: Policy) -> None:
    _fill(engine, policy)
    name = "events_no_delete" if engine.dialect.name == "sqlite" else "events_no_truncate"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER {name}" if engine.dialect.name == "sqlite"
                             else f"DROP TRIGGER {name} ON events")
    report = verify(engine)
    assert (report.ok, report.part) == (False, "schema")
    assert report.reason == f"trigger {name} on events is missing (dropped)"


def test_verify_names_a_dropped_table(engine: Engine, policy: Policy) -> None:
    _fill(engine, policy)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE access_log")
    report = verify(engine)
    assert (report.ok, report.part) == (False, "schema")
    assert report.reason is not None and report.reason.startswith("table access_log is missing")
    assert "trigger access_log_no_" in report.reason


# --- the access log's chain ----------------------------------------------------------------------------

def _drop_access_guards(engine: Engine) -> None:
    """As the owner, what an attacker with the owner's password would do first."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for action in ("update", "delete", "replace"):
                conn.exec_driver_sql(f"DROP TRIGGER access_log_no_{action}")
        else:
            conn.exec_driver_sql("DROP TRIGGER access_log_no_rewrite ON access_log")


def test_the_access_log_is_chained_row_by_row(engine: Engine) -> None:
    with db.write_transaction(engine) as conn:
        _log(conn, 3)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(access_log).order_by(access_log.c.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert [r.prev_hash for r in rows] == [access_chain.GENESIS, rows[0].hash, rows[1].hash]
    assert all(access_chain.row_hash(r._mapping) == r.hash for r in rows)


@pytest.mark.parametrize("seq", [1, 2])
def test_verify_names_a_deleted_access_log_row(engine: Engine, seq: int) -> None:
    with db.write_transaction(engine) as conn:
        _log(conn, 3)
    _drop_access_guards(engine)
    with engine.begin() as conn:
        conn.execute(access_log.delete().where(access_log.c.seq == seq))
    report = verify(engine)
    assert (report.ok, report.part, report.first_broken) == (False, "access_log", seq)
    assert report.reason is not None and report.reason.startswith(f"access_log row {seq} is missing (deleted)")


def test_verify_names_an_edited_access_log_row(engine: Engine) -> None:
    with db.write_transaction(engine) as conn:
        _log(conn, 3)
    _drop_access_guards(engine)
    with engine.begin() as conn:
        conn.execute(access_log.update().where(access_log.c.seq == 2).values(principal="someone-else"))
    report = verify(engine)
    assert (report.ok, report.part, report.first_broken) == (False, "access_log", 2)
    assert report.reason is not None
    assert report.reason.startswith("access_log row 2: content does not match its hash (altered); and trigger ")


def test_verify_names_a_row_written_outside_the_chain(engine: Engine) -> None:
    with db.write_transaction(engine) as conn:
        _log(conn, 2)
        conn.execute(access_log.insert(), {"seq": 3, "at": T0, "principal": "p", "action": "a", "outcome": "ok"})
    report = verify(engine)
    assert (report.ok, report.first_broken) == (False, 3)
    assert report.reason is not None and "not chained" in report.reason


def test_the_migration_chains_the_rows_already_logged(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0007")
    with engine.begin() as conn:
        for seq in (1, 2, 5):  # PostgreSQL's sequences leave gaps: the chain covers them
            conn.exec_driver_sql("INSERT INTO access_log (seq, at, principal, action, outcome) "
                                 f"VALUES ({seq}, '2026-11-23 08:00:00', 'old', 'login', 'ok')")
    migrate.upgrade(engine)
    with db.write_transaction(engine) as conn:
        _log(conn, 1)
    report = verify(engine)
    assert (report.ok, report.access_checked) == (True, 4)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.max(access_log.c.seq))).scalar_one() == 6


# --- PostgreSQL: the service role may only read and insert the append-only tables -------------------------

@pytest.fixture
def service(postgresql_template: PostgresTemplate, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """(owner engine, service engine) on a fresh database; the role is dropped afterwards."""
    role = f"cl_svc_{uuid.uuid4().hex[:10]}"
    with postgresql_template.copy(tmp_path) as url:
        owner = db.make_engine(url)
        with owner.begin() as conn:
            guards.grant_service_role(conn, role)
        as_service = db.make_engine(sa.make_url(url).set(username=role, password=None)
                                    .render_as_string(hide_password=False))
        try:
            yield owner, as_service
        finally:
            as_service.dispose()
            with owner.begin() as conn:
                conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            owner.dispose()
            with pg_admin().connect() as conn:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def test_the_service_role_writes_through_the_product(service: tuple[Engine, Engine], policy: Policy) -> None:
    owner, as_service = service
    _fill(as_service, policy)  # commands through execute(), access-log rows through access_chain.append
    report = verify(owner)
    assert (report.ok, report.checked > 0, report.access_checked) == (True, True, 3)


@pytest.mark.parametrize("table", sorted(TARGETS))
@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = 'mallory'", "DELETE FROM {t}", "TRUNCATE {t}",
                                       "ALTER TABLE {t} DISABLE TRIGGER ALL", "DROP TABLE {t}"])
def test_postgresql_itself_refuses_the_service_role_rewriting(service: tuple[Engine, Engine], policy: Policy,
                                                              table: str, statement: str) -> None:
    """Refused by privilege, not by trigger: the owner has even dropped the triggers."""
    owner, as_service = service
    _fill(as_service, policy)
    with owner.begin() as conn:
        for t in TARGETS:
            conn.exec_driver_sql(f"DROP TRIGGER {t}_no_rewrite ON {t}")
            conn.exec_driver_sql(f"DROP TRIGGER {t}_no_truncate ON {t}")
    before = _dump(owner)
    with pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|must be owner"), \
            as_service.begin() as conn:
        conn.exec_driver_sql(statement.format(t=table, c=TARGETS[table][0]))
    assert _dump(owner) == before


def test_the_service_role_cannot_turn_triggers_off(service: tuple[Engine, Engine]) -> None:
    _, as_service = service
    with pytest.raises(sa.exc.DBAPIError, match="permission denied"), as_service.begin() as conn:
        conn.exec_driver_sql("SET session_replication_role = replica")


def test_granting_is_refused_on_sqlite(sqlite_engine: Engine) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"), sqlite_engine.begin() as conn:
        guards.grant_service_role(conn, "svc")
