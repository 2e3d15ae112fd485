"""real data in and out (issue 13): county and ORI optional, the agency's jurisdiction, an agreement's place on
ICE's public list, and its documents (MOA, addenda); program-wide API keys for that list

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ICE's lists carry no ORI and often no county: unknown is null, never a made-up value.
    with op.batch_alter_table("agencies") as batch:
        batch.alter_column("county", existing_type=sa.Text(), nullable=True)
        batch.alter_column("ori", existing_type=sa.String(length=9), nullable=True)
        batch.add_column(sa.Column("jurisdiction", sa.String(length=20), nullable=True))
    with op.batch_alter_table("agreements") as batch:
        batch.add_column(sa.Column("listed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("delisted_on", sa.Date(), nullable=True))
    # An integration key with no agency: the program's public data (ICE's list) in and out, nobody's records.
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("agency_id", existing_type=sa.String(length=100), nullable=True)
    op.create_table(
        "agreement_documents",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("document_id", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("dated_on", sa.Date(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("agreement_id", "document_id", name="pk_agreement_documents"),
    )


def downgrade() -> None:
    op.drop_table("agreement_documents")
    op.execute("DELETE FROM api_keys WHERE agency_id IS NULL")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("agency_id", existing_type=sa.String(length=100), nullable=False)
    with op.batch_alter_table("agreements") as batch:
        batch.drop_column("delisted_on")
        batch.drop_column("listed_on")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("jurisdiction")
        batch.alter_column("ori", existing_type=sa.String(length=9), nullable=False)
        batch.alter_column("county", existing_type=sa.Text(), nullable=False)
