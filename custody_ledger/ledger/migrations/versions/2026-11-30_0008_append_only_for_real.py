"""append-only for real: no REPLACE on SQLite, and the access log hash-chained

SQLite's REPLACE (and INSERT OR REPLACE) removed the conflicting row without firing the delete guard; a
BEFORE INSERT guard on each append-only table now refuses an insert whose key is taken (ledger/guards.py).
The access log gains prev_hash and hash (ledger/access_chain.py); its existing rows are chained here, in
their order, once: the only UPDATE this table ever takes, with its guards lifted for the length of it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from custody_ledger.ledger.guards import (
    APPEND_ONLY,
    append_only,
    drop_append_only,
    drop_refuse_replace,
    refuse_replace,
)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("access_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("access_log", sa.Column("hash", sa.String(64), nullable=True))
    drop_append_only("access_log")
    _chain_existing(op.get_bind())
    append_only("access_log")
    for table in APPEND_ONLY:
        refuse_replace(table)


def _chain_existing(conn: sa.Connection) -> None:
    from custody_ledger.ledger import access_chain
    from custody_ledger.ledger.schema import access_log

    prev = access_chain.GENESIS
    for row in conn.execute(sa.select(access_log).order_by(access_log.c.seq)).all():
        linked = {**row._mapping, "prev_hash": prev}
        prev = access_chain.row_hash(linked)
        conn.execute(access_log.update().where(access_log.c.seq == row.seq), {"prev_hash": linked["prev_hash"],
                                                                               "hash": prev})


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_refuse_replace(table)
    op.drop_column("access_log", "hash")
    op.drop_column("access_log", "prev_hash")
