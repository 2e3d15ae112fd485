"""trainings: the exam score of each course

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Null for records made before scores were kept: their hours count as they always did.
    op.add_column("trainings", sa.Column("exam_score", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("trainings", "exam_score")
