"""DDL that makes tables append-only in the database itself, shared by the migrations and checked by verify.

The ledger, its receipts and the access log reject UPDATE, DELETE (and on PostgreSQL TRUNCATE), so
not even a bug in our own code can rewrite history (DESIGN.md guarantee 4).

SQLite: BEFORE UPDATE and BEFORE DELETE triggers, and (migration 0008) a BEFORE INSERT trigger that aborts
an insert whose key is already taken. Without it `REPLACE INTO` / `INSERT OR REPLACE` deleted the old row
without firing the delete trigger (SQLite fires delete triggers on REPLACE only with recursive_triggers,
which db.py also turns on for every connection of ours, but not every connection to a file is ours).

PostgreSQL: row and statement triggers, and — the real barrier — the service connects as a role that may
only SELECT and INSERT these tables (`grant_service_role`): it owns no table, so it can neither UPDATE,
DELETE, TRUNCATE nor disable, drop or alter a trigger. Migrations run as the owner.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

# The append-only tables, with the columns that identify a row (primary key and unique constraints).
APPEND_ONLY: dict[str, tuple[str, ...]] = {
    "events": ("seq", "event_id"),
    "command_results": ("idempotency_key",),
    "access_log": ("seq",),
}

PG_FUNCTION = "cl_append_only"
PG_FUNCTION_BODY = " BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END "


def sqlite_rewrite_triggers(table: str) -> dict[str, str]:
    """Trigger name -> DDL of the UPDATE and DELETE guards (migrations 0001, 0002)."""
    return {
        f"{table}_no_{action.lower()}": (
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
        for action in ("UPDATE", "DELETE")
    }


def sqlite_replace_trigger(table: str) -> tuple[str, str]:
    """The INSERT guard (migration 0008): an insert may only add a row, never take an existing row's key."""
    taken = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key})" for key in APPEND_ONLY[table])
    name = f"{table}_no_replace"
    return name, (f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {taken} "
                  f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def expected_sqlite_triggers() -> dict[str, tuple[str, str]]:
    """Every guard trigger of a current schema: name -> (table, DDL)."""
    found: dict[str, tuple[str, str]] = {}
    for table in APPEND_ONLY:
        for name, ddl in (*sqlite_rewrite_triggers(table).items(), sqlite_replace_trigger(table)):
            found[name] = (table, ddl)
    return found


def expected_pg_triggers() -> dict[str, tuple[str, str]]:
    """Every guard trigger of a current schema: name -> (table, the part of its definition that matters)."""
    found: dict[str, tuple[str, str]] = {}
    for table in APPEND_ONLY:
        found[f"{table}_no_rewrite"] = (table, f"BEFORE DELETE OR UPDATE ON {table} FOR EACH ROW "
                                               f"EXECUTE FUNCTION {PG_FUNCTION}()")
        found[f"{table}_no_truncate"] = (table, f"BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                                                f"EXECUTE FUNCTION {PG_FUNCTION}()")
    return found


def append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for ddl in sqlite_rewrite_triggers(table).values():
            op.execute(ddl)
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $${PG_FUNCTION_BODY}$$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_rewrite BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
    )


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_rewrite ON {table}")
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def refuse_replace(table: str) -> None:
    """SQLite only (PostgreSQL has no REPLACE; its ON CONFLICT DO UPDATE fires the UPDATE guard)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sqlite_replace_trigger(table)[1])


def drop_refuse_replace(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")


# --- PostgreSQL: the service role --------------------------------------------------------------------

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Tables the service may read but never change (alembic_version: only migrations move the schema).
_READ_ONLY = ("alembic_version",)


def grant_service_role(conn: Connection, role: str, *, password: str | None = None) -> None:
    """Create (if missing) the PostgreSQL role the service connects as, and set its privileges on every table
    of the current schema: SELECT and INSERT only on the append-only tables, SELECT on alembic_version,
    SELECT, INSERT, UPDATE and DELETE on the rest (projections, person store, accounts, outbox).

    Run it as the owner of the tables (the role that runs `init`), after every upgrade: it grants on the
    tables that exist, and grants afresh each time (REVOKE ALL first), so running it again is harmless. The
    role owns nothing, so it cannot disable or drop a trigger, alter or drop a table, or TRUNCATE.
    """
    if conn.dialect.name != "postgresql":
        raise ValueError("a service role is a PostgreSQL feature; SQLite has no roles")
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"role name {role!r}: lower-case letters, digits and _ only, at most 63")
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    if exists is None:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS')
    elif conn.execute(sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :r"),
                      {"r": role}).scalar_one():
        raise ValueError(f"role {role} is a superuser or bypasses row security: it cannot be the service role")
    if password is not None:
        statement = conn.execute(sa.text("SELECT format('ALTER ROLE %I PASSWORD %L', :r, :p)"),
                                 {"r": role, "p": password}).scalar_one()
        conn.exec_driver_sql(statement)
    schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    owned = conn.execute(sa.text("SELECT 1 FROM pg_tables WHERE schemaname = :s AND tableowner = :r"),
                         {"s": schema, "r": role}).first()
    if owned is not None:
        raise ValueError(f"role {role} owns tables of schema {schema}: the service role must own none")
    conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
                          {"s": schema}).scalars().all()
    for table in tables:
        conn.exec_driver_sql(f'REVOKE ALL ON "{schema}"."{table}" FROM "{role}"')
        if table in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        elif table in _READ_ONLY:
            privileges = "SELECT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        conn.exec_driver_sql(f'GRANT {privileges} ON "{schema}"."{table}" TO "{role}"')
    # Serial keys (access_log.seq's default) need their sequences.
    conn.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
