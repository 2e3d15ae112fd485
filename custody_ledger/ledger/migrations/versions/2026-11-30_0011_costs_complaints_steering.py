"""who pays, and who watches (issue 15): projections of the program's costs, the complaints about delegated
functions and the steering committee's meetings

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # New event types only: no event before this revision projects into these tables, so they start empty.
    op.create_table(
        "costs",
        sa.Column("cost_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payer", sa.String(length=10), nullable=False),
        sa.Column("incurred_from", sa.Date(), nullable=False),
        sa.Column("incurred_to", sa.Date(), nullable=False),
        sa.Column("hours_hundredths", sa.BigInteger(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("agreement_id", sa.String(length=100), nullable=True),
        sa.Column("hold_id", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("cost_id", name="pk_costs"),
    )
    op.create_index("ix_costs_agency_id", "costs", ["agency_id"])
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("officer_id", sa.String(length=100), nullable=True),
        sa.Column("ice_opr_referred_on", sa.Date(), nullable=True),
        sa.Column("internal_affairs_referred_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("complaint_id", name="pk_complaints"),
    )
    op.create_index("ix_complaints_agency_id", "complaints", ["agency_id"])
    op.create_table(
        "steering_meetings",
        sa.Column("meeting_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("minutes_published_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("meeting_id", name="pk_steering_meetings"),
    )
    op.create_index("ix_steering_meetings_agency_id", "steering_meetings", ["agency_id"])


def downgrade() -> None:
    op.drop_index("ix_steering_meetings_agency_id", table_name="steering_meetings")
    op.drop_table("steering_meetings")
    op.drop_index("ix_complaints_agency_id", table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_costs_agency_id", table_name="costs")
    op.drop_table("costs")
