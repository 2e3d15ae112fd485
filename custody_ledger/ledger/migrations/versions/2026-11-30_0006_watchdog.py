"""watchdog: each hold's next alert moment, the alerts raised, acknowledgements, routes and the outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("holds", sa.Column("alert_stage", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("holds", sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_holds_next_alert_at", "holds", ["next_alert_at"])
    # Holds opened before the watchdog recorded no schedule: their next moment is set to the start of
    # their clock, so the first pass looks at each of them once and raises whatever fell due.
    op.execute("UPDATE holds SET next_alert_at = clock_started_at WHERE status = 'open' AND deadline IS NOT NULL")
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(250), primary_key=True),
        sa.Column("hold_id", sa.String(100), nullable=False),
        sa.Column("booking_id", sa.String(100), nullable=False),
        sa.Column("facility_id", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("threshold", sa.String(20), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late_seconds", sa.BigInteger(), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_hold_id", "alerts", ["hold_id"])
    op.create_index("ix_alerts_agency_id", "alerts", ["agency_id"])
    op.create_table(
        "alert_acknowledgements",
        sa.Column("alert_id", sa.String(250), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "user_id", name="pk_alert_acknowledgements"),
    )
    op.create_table(
        "alert_routes",
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=True),
        sa.Column("field_office_id", sa.String(100), nullable=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("secret_env", sa.String(100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("route_id", name="pk_alert_routes"),
    )
    op.create_index("ix_alert_routes_agency_id", "alert_routes", ["agency_id"])
    op.create_index("ix_alert_routes_field_office_id", "alert_routes", ["field_office_id"])
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("route_id", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("secret_env", sa.String(100), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("alert_routes")
    op.drop_table("alert_acknowledgements")
    op.drop_table("alerts")
    op.drop_index("ix_holds_next_alert_at", "holds")
    op.drop_column("holds", "next_alert_at")
    op.drop_column("holds", "alert_stage")
