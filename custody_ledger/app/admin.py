"""Opening a database, upgrading its schema, verifying its chain: the CLI's non-command needs."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from custody_ledger.ledger import db, migrate
from custody_ledger.ledger.verify import Report
from custody_ledger.ledger.verify import verify as verify_chain


def open_engine(url: str | None, *, upgrade: bool = True) -> Engine:
    engine = db.make_engine(url)
    if upgrade:
        migrate.upgrade(engine)
    return engine


def verify(engine: Engine) -> Report:
    return verify_chain(engine)
