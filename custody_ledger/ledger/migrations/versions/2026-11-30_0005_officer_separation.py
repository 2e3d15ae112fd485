"""officers: the departure from the agency (separate_officer)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null while the officer is with the agency; the ledger, not this row, says when authority ended.
    op.add_column("officers", sa.Column("separation_reason", sa.Text(), nullable=True))
    op.add_column("officers", sa.Column("separated_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("officers", "separated_on")
    op.drop_column("officers", "separation_reason")
