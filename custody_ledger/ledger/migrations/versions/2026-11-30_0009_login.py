"""log-in hardening (issue 11): the last accepted TOTP step per user, the address a session was opened from

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("remote", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("remote")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
