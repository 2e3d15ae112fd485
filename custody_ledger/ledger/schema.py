"""The database: one append-only `events` table, idempotency results, and projection tables.

Projection columns carry the field names of the domain entities, so a row folds straight back
into its dataclass. Instants are stored in UTC (DESIGN.md guarantee 8).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on SQLite (which keeps no zone) as on PostgreSQL (timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.String(100)


def _id(name: str, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, Id, **kw)


events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("stream", sa.String(250), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_events_stream_seq", "stream", "seq"),
)

command_results = sa.Table(
    "command_results",
    metadata,
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("command", sa.String(64), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

field_offices = sa.Table(
    "field_offices", metadata,
    _id("field_office_id", primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
)

agencies = sa.Table(
    "agencies", metadata,
    _id("agency_id", primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("county", sa.Text),  # null: unknown (ICE's lists often lack it), never invented
    sa.Column("ori", sa.String(9)),  # null: unknown
    _id("field_office_id", nullable=False, index=True),
    sa.Column("jurisdiction", sa.String(20)),
)

facilities = sa.Table(
    "facilities", metadata,
    _id("facility_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
)

agreements = sa.Table(
    "agreements", metadata,
    _id("agreement_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("model", sa.String(3), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("igsa", sa.Boolean, nullable=False),
    sa.Column("signed_on", sa.Date),
    sa.Column("effective_from", sa.Date),
    sa.Column("expires_on", sa.Date),
    sa.Column("status_reason", sa.Text),
    sa.Column("listed_on", sa.Date),
    sa.Column("delisted_on", sa.Date),
)

agreement_documents = sa.Table(
    "agreement_documents", metadata,
    _id("agreement_id", primary_key=True),
    sa.Column("document_id", sa.String(50), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("sha256", sa.String(64)),
    sa.Column("dated_on", sa.Date),
    sa.Column("title", sa.Text),
)

officers = sa.Table(
    "officers", metadata,
    _id("officer_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("badge", sa.Text, nullable=False),
    sa.Column("background", sa.String(10)),
    sa.Column("separation_reason", sa.Text),
    sa.Column("separated_on", sa.Date),
)

trainings = sa.Table(
    "trainings", metadata,
    _id("training_id", primary_key=True),
    _id("officer_id", nullable=False, index=True),
    sa.Column("model", sa.String(3), nullable=False),
    sa.Column("course", sa.Text, nullable=False),
    sa.Column("hours", sa.Integer, nullable=False),
    sa.Column("completed_on", sa.Date, nullable=False),
    sa.Column("exam_score", sa.Integer),
)

certificates = sa.Table(
    "certificates", metadata,
    _id("officer_id", primary_key=True),
    sa.Column("model", sa.String(3), primary_key=True),
    _id("agreement_id", nullable=False, index=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("credential_no", sa.Text, nullable=False),
    sa.Column("supervisor", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("certified_at", UTCDateTime, nullable=False),
    sa.Column("expires_on", sa.Date),
    sa.Column("status_reason", sa.Text),
)

bookings = sa.Table(
    "bookings", metadata,
    _id("booking_id", primary_key=True),
    _id("facility_id", nullable=False, index=True),
    _id("agency_id", nullable=False, index=True),
    _id("subject_id", nullable=False, index=True),
    sa.Column("charge_status", sa.String(20), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("booked_at", UTCDateTime, nullable=False),
    sa.Column("released_at", UTCDateTime),
    sa.Column("release_reason", sa.String(30)),
)

warrants = sa.Table(
    "warrants", metadata,
    _id("warrant_id", primary_key=True),
    _id("booking_id", nullable=False, index=True),
    _id("facility_id", nullable=False),
    _id("agency_id", nullable=False, index=True),
    sa.Column("form", sa.String(8), nullable=False),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("lodged_at", UTCDateTime, nullable=False),
    sa.Column("status_reason", sa.Text),
)

holds = sa.Table(
    "holds", metadata,
    _id("hold_id", primary_key=True),
    _id("warrant_id", nullable=False),
    _id("booking_id", nullable=False, index=True),
    _id("facility_id", nullable=False, index=True),
    _id("agency_id", nullable=False, index=True),
    _id("officer_id", nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("released_from_criminal_at", UTCDateTime, nullable=False),
    sa.Column("arrested_at", UTCDateTime, nullable=False),
    sa.Column("clock_started_at", UTCDateTime, nullable=False),
    sa.Column("igsa", sa.Boolean, nullable=False),
    sa.Column("limit_rule_id", sa.String(64), nullable=False),
    sa.Column("deadline", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("release_reason", sa.String(30)),
    sa.Column("receiving_officer", sa.Text),
    sa.Column("receiving_field_office_id", Id),
    sa.Column("past_limit", sa.Boolean, nullable=False),
    # How many of the hold's watch moments (domain/watch.py) have been raised, and when the next falls due:
    # null once the hold ended, under an IGSA, or when every moment was raised.
    sa.Column("alert_stage", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_alert_at", UTCDateTime),
    sa.Index("ix_holds_status_deadline", "status", "deadline"),
    # The watchdog's hot path: only open holds carry a next_alert_at, so a pass reads what is due and
    # nothing of the history of closed holds.
    sa.Index("ix_holds_next_alert_at", "next_alert_at"),
)

refusals = sa.Table(
    "refusals", metadata,
    sa.Column("refusal_id", sa.String(200), primary_key=True),
    sa.Column("command", sa.String(64), nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False, index=True),
    sa.Column("citation", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("field", sa.String(100)),
    _id("officer_id"),
    _id("agency_id", index=True),
)

flags = sa.Table(
    "flags", metadata,
    sa.Column("flag_id", sa.String(250), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False, index=True),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(250), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("seconds", sa.BigInteger),
)

# --- who pays, and who watches (issue 15) ----------------------------------------------------------------

costs = sa.Table(
    "costs", metadata,
    _id("cost_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("payer", sa.String(10), nullable=False),
    sa.Column("incurred_from", sa.Date, nullable=False),
    sa.Column("incurred_to", sa.Date, nullable=False),
    sa.Column("hours_hundredths", sa.BigInteger),  # 7.25 hours: 725, exact on every backend
    sa.Column("amount_cents", sa.BigInteger),
    _id("agreement_id"),
    _id("hold_id"),
    sa.Column("note", sa.Text),
)

complaints = sa.Table(
    "complaints", metadata,
    _id("complaint_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("category", sa.String(20), nullable=False),
    _id("officer_id"),
    sa.Column("ice_opr_referred_on", sa.Date),
    sa.Column("internal_affairs_referred_on", sa.Date),
    sa.Column("outcome", sa.String(20)),
    sa.Column("closed_on", sa.Date),
)

steering_meetings = sa.Table(
    "steering_meetings", metadata,
    _id("meeting_id", primary_key=True),
    _id("agency_id", nullable=False, index=True),
    _id("agreement_id", nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("minutes_published_on", sa.Date),
)

# --- people (issue 10): the ledger names a person only by an opaque subject id and a keyed commitment -----

subjects = sa.Table(
    "subjects", metadata,  # a projection: what the ledger says of each subject (booked, sealed, expunged)
    _id("subject_id", primary_key=True),
    _id("booking_id", nullable=False, index=True),
    _id("agency_id", nullable=False, index=True),
    sa.Column("state", sa.String(10), nullable=False),  # open, sealed, expunged
    sa.Column("court_order", sa.Text),
)

persons = sa.Table(
    "persons", metadata,  # not a projection: the person's data, encrypted; never in the chain
    _id("subject_id", primary_key=True),
    sa.Column("key_id", sa.String(16), nullable=False),  # which master key wraps the data key
    sa.Column("wrapped_key", sa.Text),  # base64; null once expunged (crypto-shredded)
    sa.Column("ciphertext", sa.Text),  # base64 nonce + AES-GCM ciphertext of the person's data; null once expunged
    sa.Column("match_token", sa.String(64), index=True),  # keyed token of name and date of birth, for look-ups
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("shredded_at", UTCDateTime),
)

# --- the watchdog (issue 9): alerts raised, who acknowledged them, who is told, and the outbox ---------

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("alert_id", sa.String(250), primary_key=True),  # "<hold_id>:<threshold>"
    _id("hold_id", nullable=False, index=True),
    _id("booking_id", nullable=False),
    _id("facility_id", nullable=False),
    _id("agency_id", nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("threshold", sa.String(20), nullable=False),
    sa.Column("stage", sa.Integer, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("raised_at", UTCDateTime, nullable=False),
    sa.Column("deadline", UTCDateTime, nullable=False),
    sa.Column("late_seconds", sa.BigInteger, nullable=False),
    sa.Column("rule_id", sa.String(64), nullable=False),
)

alert_acknowledgements = sa.Table(
    "alert_acknowledgements", metadata,
    sa.Column("alert_id", sa.String(250), primary_key=True),
    sa.Column("user_id", sa.String(200), primary_key=True),
    sa.Column("acknowledged_at", UTCDateTime, nullable=False),
)

alert_routes = sa.Table(
    "alert_routes", metadata,
    _id("route_id", primary_key=True),
    _id("agency_id", index=True),
    _id("field_office_id", index=True),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("kinds", sa.Text, nullable=False),  # comma-separated event types
    sa.Column("secret_env", sa.String(100)),
    sa.Column("active", sa.Boolean, nullable=False),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("message_id", sa.String(250), primary_key=True),  # "<event_id>:<route_id>", the receiver's de-dup id
    sa.Column("event_id", sa.String(36), nullable=False),
    _id("route_id", nullable=False),
    _id("agency_id", nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("secret_env", sa.String(100)),
    sa.Column("body", sa.Text, nullable=False),  # the message as JSON, fixed when the alert was raised
    sa.Column("status", sa.String(10), nullable=False),  # pending, sent, dead
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- people who use the system (issue 3): accounts, sessions, integration keys, the access log --------

users = sa.Table(
    "users", metadata,
    sa.Column("user_id", sa.String(100), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(30), nullable=False),
    _id("agency_id"),
    _id("field_office_id"),
    _id("officer_id"),
    sa.Column("mfa_secret", sa.String(64)),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Issue 11: the TOTP time step of the last accepted code; a code of that step or an earlier one is refused.
    sa.Column("totp_last_step", sa.BigInteger),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(100), nullable=False, index=True),
    sa.Column("mfa_passed", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("remote", sa.String(100)),  # the address the session was opened from (issue 11: listed to its user)
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String(100), primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    _id("agency_id"),  # null: a program-wide key for ICE's public list (imports, agreements), no agency's records
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

access_log = sa.Table(
    "access_log", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("principal", sa.String(100), nullable=False),
    sa.Column("role", sa.String(30)),
    _id("agency_id"),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("resource", sa.String(250)),
    sa.Column("outcome", sa.String(30), nullable=False),
    sa.Column("remote", sa.String(100)),
    # The ids of the person records a list showed (JSON array), so a list read is as traceable as a detail read.
    sa.Column("shown", sa.Text),
    # The hash chain (ledger/access_chain.py, migration 0008): hash = sha256(prev_hash || canonical row).
    # Nullable only so a row written without the chain is stored and then named by verify, not lost.
    sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
    sa.Index("ix_access_log_principal_at", "principal", "at"),
)
