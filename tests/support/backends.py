"""Real databases for tests: a migrated SQLite file or a fresh PostgreSQL database per test.

Each backend is migrated once per session into a template; every test gets its own copy, so
tests never share state and a run never collides with another (databases are cl_test_<random>).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.ledger import db, migrate

PG_ADMIN_URL = os.environ.get("CL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pg_admin() -> Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def require_postgres() -> None:
    """In CI a missing server is a failure, never a skip."""
    try:
        with pg_admin().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver or network error means no server
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} (set CI=true to make this a failure)")


def pg_url(name: str) -> str:
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class SqliteTemplate:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.db"
        engine = db.make_engine(str(self.path))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    @contextmanager
    def copy(self, folder: Path) -> Iterator[str]:
        target = folder / f"cl_test_{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.path, target)
        yield str(target)


class PostgresTemplate:
    def __init__(self) -> None:
        require_postgres()
        self.name = f"cl_tmpl_{uuid.uuid4().hex[:10]}"
        admin = pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        engine = db.make_engine(pg_url(self.name), poolclass=sa.NullPool)
        migrate.upgrade(engine)
        engine.dispose()

    @contextmanager
    def copy(self, _folder: Path) -> Iterator[str]:
        name = f"cl_test_{uuid.uuid4().hex[:10]}"
        admin = pg_admin()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        try:
            yield pg_url(name)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self) -> None:
        with pg_admin().connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
