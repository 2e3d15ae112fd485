"""The outbox: alert messages written in the alert's own transaction, delivered after it commits.

Delivery is at least once. A worker claims due rows with a lease (claimed_until) and commits the claim
before it sends anything, so a worker that dies mid-send loses nothing: once the lease runs out the row
is claimed again. The price is that a receiver may see a message twice, which is why every message
carries its id (X-Custody-Ledger-Message-Id) for the receiver to de-duplicate on.

A failed send waits longer each time (exponential backoff, capped) and after `outbox_max_attempts`
failures the message is dead: it stays in the table, listed by `messages(status="dead")`, until someone
replays it. Every moment comes from the caller's `now`; secrets come from the environment, never the
database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from custody_ledger.domain.errors import Conflict, Invalid, NotFound
from custody_ledger.ledger import db
from custody_ledger.ledger.schema import outbox
from custody_ledger.settings import Settings, SettingsError

WEBHOOK, EMAIL = "webhook", "email"
PENDING, SENT, DEAD = "pending", "sent", "dead"
STATUSES = (PENDING, SENT, DEAD)
MAX_LIMIT = 1000
# last_error is read by a person in a list; a whole stack trace or an HTML error page helps nobody there.
_ERROR_CHARS = 300


@dataclass(frozen=True)
class Delivery:
    """What one send did to one message: `status` is the message's status afterwards."""

    message_id: str
    channel: str
    target: str
    ok: bool
    error: str | None
    status: str


@dataclass(frozen=True)
class _Claimed:
    message_id: str
    channel: str
    target: str
    secret_env: str | None
    body: str
    attempts: int
    claimed_until: datetime  # the claim's token: a failure is recorded only while this claim still stands


class DeliveryFailed(Exception):
    """One attempt failed; the message says what, in one line, for last_error."""


# --- writing ------------------------------------------------------------------------------------------


def enqueue(conn: Connection, *, message_id: str, event_id: str, route_id: str, agency_id: str, channel: str,
            target: str, secret_env: str | None, body: Mapping[str, Any], now: datetime) -> None:
    """One pending message, in the caller's open write transaction (not committed here).

    A message id already there is left as it is, so writing the same alert twice sends it once."""
    row = {
        "message_id": message_id, "event_id": event_id, "route_id": route_id, "agency_id": agency_id,
        "channel": channel, "target": target, "secret_env": secret_env,
        "body": json.dumps(dict(body), sort_keys=True),
        "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
    # ON CONFLICT rather than a look first: two writers of one alert cannot both pass a look on PostgreSQL.
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(insert(outbox).values(**row).on_conflict_do_nothing(index_elements=["message_id"]))


def replay(engine: Engine, message_id: str, *, now: datetime) -> None:
    """A dead (or pending) message back in line: pending, no attempts counted, due at `now`.

    A sent message is refused: it reached its receiver, and replaying it would only send it again."""
    with db.write_transaction(engine) as conn:
        status = conn.execute(sa.select(outbox.c.status).where(outbox.c.message_id == message_id)).scalar()
        if status is None:
            raise NotFound.of("message_id", message_id)
        if status == SENT:
            raise Conflict(f"message {message_id} was already sent; it is not sent again", field="message_id")
        conn.execute(outbox.update().where(outbox.c.message_id == message_id)
                     .values(status=PENDING, attempts=0, next_attempt_at=now))


# --- reading ------------------------------------------------------------------------------------------


def messages(engine: Engine, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Messages, the newest first, optionally of one status; each with its body as the receiver gets it."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}; got {status!r}", field="status")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}; got {limit}", field="limit")
    query = sa.select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.message_id).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**row, "body": json.loads(row["body"])} for row in rows]


# --- delivering ---------------------------------------------------------------------------------------


def deliver_due(engine: Engine, *, now: datetime, worker: str, settings: Settings,
                limit: int = 100) -> list[Delivery]:
    """One pass at `now`: claim what is due, send each, record each outcome as soon as it is known."""
    _check_lease(settings)
    claimed = _claim(engine, now=now, worker=worker, lease=timedelta(seconds=settings.outbox_lease_seconds),
                     limit=limit)
    if not claimed:
        return []
    deliveries = []
    started = time.monotonic()
    with httpx.Client(timeout=settings.webhook_timeout_seconds) as client:
        for message in claimed:
            if _lease_spent(started, settings):
                # A send begun now could still run when its claim lapses and another worker takes the row,
                # which would deliver it twice. The rest is left; its claims lapse and a later pass sends it.
                break
            error = _send(message, client=client, settings=settings, now=now)
            deliveries.append(_record(engine, message, error, now=now, worker=worker, settings=settings))
    return deliveries


def backoff(attempts: int, settings: Settings) -> timedelta:
    """The wait after the `attempts`-th failure: the base, doubled after each further failure, capped."""
    seconds = settings.outbox_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.outbox_backoff_max_seconds))


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>." + body: the timestamp is signed so an old request cannot be replayed."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _claim(engine: Engine, *, now: datetime, worker: str, lease: timedelta, limit: int) -> list[_Claimed]:
    """Take up to `limit` due rows for `worker` until now + lease, in a transaction that commits at once."""
    until = now + lease
    due = (
        sa.select(outbox.c.message_id, outbox.c.channel, outbox.c.target, outbox.c.secret_env, outbox.c.body,
                  outbox.c.attempts)
        .where(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now,
               sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now))
        .order_by(outbox.c.next_attempt_at, outbox.c.message_id)
        .limit(limit)
        # PostgreSQL: rows another worker is claiming right now are passed over, not waited for and never
        # taken twice. SQLite renders no FOR UPDATE; its write transaction already excludes every other writer.
        .with_for_update(skip_locked=True)
    )
    with db.write_transaction(engine) as conn:
        rows = conn.execute(due).all()
        if rows:
            conn.execute(outbox.update().where(outbox.c.message_id.in_([r.message_id for r in rows]))
                         .values(claimed_by=worker, claimed_until=until))
    return [_Claimed(r.message_id, r.channel, r.target, r.secret_env, r.body, r.attempts, until) for r in rows]


def _longest_send(settings: Settings) -> float:
    return max(settings.webhook_timeout_seconds, settings.smtp_timeout_seconds)


def _check_lease(settings: Settings) -> None:
    """A lease no longer than a send would let every slow send go twice, or none go at all: refuse it."""
    if settings.outbox_lease_seconds <= _longest_send(settings):
        raise SettingsError(f"CUSTODY_LEDGER_OUTBOX_LEASE_SECONDS ({settings.outbox_lease_seconds}) must be longer "
                            f"than the longest send timeout ({_longest_send(settings):g} s)")


def _lease_spent(started: float, settings: Settings) -> bool:
    """Whether a send begun now could outlast the claim taken at `started` (elapsed real time, not `now`)."""
    return time.monotonic() - started + _longest_send(settings) >= settings.outbox_lease_seconds


def _record(engine: Engine, message: _Claimed, error: str | None, *, now: datetime, worker: str,
            settings: Settings) -> Delivery:
    row = outbox.c
    if error is None:
        # Sent is sent, even if the claim lapsed meanwhile: the receiver has it.
        where = [row.message_id == message.message_id, row.status == PENDING]
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "claimed_until": None}
        status = SENT
    else:
        attempts = message.attempts + 1
        status = DEAD if attempts >= settings.outbox_max_attempts else PENDING
        # Only while our claim stands: a worker that took over a lapsed claim owns the row's schedule now.
        where = [row.message_id == message.message_id, row.status == PENDING, row.claimed_by == worker,
                 row.claimed_until == message.claimed_until]
        values = {"status": status, "attempts": attempts, "last_error": error, "claimed_until": None,
                  "next_attempt_at": now + backoff(attempts, settings)}
    with db.write_transaction(engine) as conn:
        conn.execute(outbox.update().where(*where).values(**values))
    return Delivery(message.message_id, message.channel, message.target, error is None, error, status)


def _send(message: _Claimed, *, client: httpx.Client, settings: Settings, now: datetime) -> str | None:
    """None when the message went; else what failed, in one line."""
    try:
        if message.channel == WEBHOOK:
            _post(message, client=client, settings=settings, now=now)
        elif message.channel == EMAIL:
            _mail(message, settings=settings, now=now)
        else:
            raise DeliveryFailed(f"unknown channel {message.channel!r} (expected {WEBHOOK} or {EMAIL})")
    except DeliveryFailed as failure:
        return _one_line(str(failure))
    except Exception as exc:  # a bug met by one message must not stall the batch behind it
        return _one_line(f"unexpected {type(exc).__name__}: {exc}")
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:_ERROR_CHARS]


# --- webhooks -----------------------------------------------------------------------------------------


def _post(message: _Claimed, *, client: httpx.Client, settings: Settings, now: datetime) -> None:
    _require_outside_target(message.target, settings)
    secret = _secret(message.secret_env, settings)
    body = message.body.encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-Custody-Ledger-Message-Id": message.message_id,
        "X-Custody-Ledger-Timestamp": timestamp,
        "X-Custody-Ledger-Signature": f"sha256={sign(secret, timestamp, body)}",
    }
    try:
        response = client.post(message.target, content=body, headers=headers)
    except httpx.TimeoutException:
        raise DeliveryFailed(f"webhook timed out after {settings.webhook_timeout_seconds:g} s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DeliveryFailed(f"webhook not reached ({type(exc).__name__}): {exc}") from None
    if not response.is_success:
        raise DeliveryFailed(f"webhook answered HTTP {response.status_code} {response.reason_phrase}")


def _require_outside_target(url: str, settings: Settings) -> None:
    """In production a webhook is an HTTPS address outside this host and its private networks: an agency admin
    sets routes, and must not make the server POST to its own or its neighbours' internal services."""
    if settings.environment != "production":
        return
    parsed = urlsplit(url)
    if parsed.scheme != "https":
        raise DeliveryFailed("in production a webhook must be an https:// address")
    host = (parsed.hostname or "").lower()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    internal = host in ("localhost", "") or host.endswith((".localhost", ".local", ".internal"))
    if internal or (literal is not None and not literal.is_global):
        raise DeliveryFailed(f"in production a webhook may not target {host or 'no host'}: a local or private address")


def _secret(secret_env: str | None, settings: Settings) -> bytes:
    """The signing key: the route's own variable (CUSTODY_LEDGER_WEBHOOK_SECRET_<ROUTE_ID>) when set, else the
    deployment's CUSTODY_LEDGER_WEBHOOK_SECRET."""
    value = os.environ.get(secret_env, "") if secret_env else ""
    if value:
        return value.encode()
    fallback = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not fallback:
        named = f"neither {secret_env} nor" if secret_env else "no route variable and no"
        raise DeliveryFailed(f"no webhook secret: {named} CUSTODY_LEDGER_WEBHOOK_SECRET is set")
    return fallback.encode()


# --- e-mail -------------------------------------------------------------------------------------------


def _mail(message: _Claimed, *, settings: Settings, now: datetime) -> None:
    try:
        email = _email(message, settings=settings, now=now)
    except ValueError as exc:  # a header the e-mail package refuses, e.g. an address with a line break
        raise DeliveryFailed(f"e-mail not built: {exc}") from None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, password)
            smtp.send_message(email, from_addr=settings.smtp_from, to_addrs=[message.target])
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"e-mail via {settings.smtp_host}:{settings.smtp_port} failed "
                             f"({type(exc).__name__}): {exc}") from None


def _email(message: _Claimed, *, settings: Settings, now: datetime) -> EmailMessage:
    body: dict[str, Any] = json.loads(message.body)
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.target
    email["Subject"] = _subject(body)
    email["Date"] = format_datetime(now)
    email["X-Custody-Ledger-Message-Id"] = message.message_id
    email.set_content(_text(body, message.message_id))
    return email


def _subject(body: Mapping[str, Any]) -> str:
    """"[Custody Ledger] release_due hold H-1: deadline" — what happened to which hold, at a glance."""
    line = f"[Custody Ledger] {body.get('type', 'alert')} hold {body.get('hold_id', '?')}"
    if body.get("threshold"):
        line += f": {body['threshold']}"
    return _one_line(line)


# What a records unit acts on comes first, in this order and with these labels; any other field follows.
_LABELS = {
    "message": "What", "deadline_local": "Deadline (facility time)", "timezone": "Time zone",
    "seconds_left": "Time left", "next_step": "Next step", "rule_id": "Rule", "citation": "Citation",
    "hold_id": "Hold", "booking_id": "Booking", "facility_id": "Facility", "agency_id": "Agency",
    "threshold": "Threshold", "type": "Event", "alert_id": "Alert", "deadline": "Deadline (UTC)",
    "due_at": "Due at", "raised_at": "Raised at", "late_seconds": "Raised late by", "event_id": "Event id",
}


def _text(body: Mapping[str, Any], message_id: str) -> str:
    """The e-mail's plain text: one labelled line per field of the body, durations in hours and minutes."""
    keys = [k for k in _LABELS if k in body] + sorted(k for k in body if k not in _LABELS)
    lines = [f"{_LABELS.get(k, k)}: {_field(k, body[k])}" for k in keys]
    return "\n".join([*lines, "", f"Message id: {message_id}", ""])


def _field(key: str, value: Any) -> str:
    if key in ("seconds_left", "late_seconds") and isinstance(value, int):
        return _duration(value)
    return "-" if value is None else str(value)


def _duration(seconds: int) -> str:
    """'1 d 3 h 05 m', '2 h 05 m', '4 m', or 'overdue by 1 h 00 m' for a negative time left."""
    rest = abs(seconds)
    days, hours, minutes = rest // 86400, rest % 86400 // 3600, rest % 3600 // 60
    shown = f"{days} d {hours} h {minutes:02d} m" if days else f"{hours} h {minutes:02d} m" if hours else f"{minutes} m"
    return f"overdue by {shown}" if seconds < 0 else shown
