"""access log: the ids a list showed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Adding a column is not an UPDATE, so the append-only triggers on access_log allow it.
    op.add_column("access_log", sa.Column("shown", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("access_log", "shown")
