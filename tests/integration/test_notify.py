"""The alert outbox against real receivers: a local HTTP server for webhooks and aiosmtpd for e-mail.

Every pass is driven by an explicit `now`, so retries and leases are tested by moving the clock, not by
sleeping; the only real waits are a webhook timeout (half a second) and a worker process killed mid-send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.app import notify
from custody_ledger.cli import outbox as outbox_cli
from custody_ledger.domain.errors import Conflict, NotFound
from custody_ledger.ledger import db
from custody_ledger.ledger.schema import outbox
from custody_ledger.settings import Settings, SettingsError, load_settings
from tests.support.receivers import WebhookReceiver, free_port, smtp_server

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET_ENV = "CL_TEST_HOOK_SECRET"
SECRET = "a-webhook-secret-for-tests"


def _body(n: int = 1) -> dict[str, Any]:
    return {
        "event_id": f"ev-{n}", "type": "alert_raised", "alert_id": f"H-{n}:24h", "hold_id": f"H-{n}",
        "booking_id": f"B-{n}", "agency_id": "AG-A", "facility_id": "FAC-A", "threshold": "24h",
        "due_at": "2026-11-30T12:00:00Z", "raised_at": "2026-11-30T12:00:05Z", "deadline": "2026-12-01T12:00:00Z",
        "deadline_local": "2026-12-01T06:00:00-06:00", "timezone": "America/Chicago", "seconds_left": 86_395 - 12_000,
        "late_seconds": 5, "rule_id": "custody.48h", "citation": "8 CFR 287.7(d)",
        "message": "hold H-1 reaches its limit within 24 hours", "next_step": "arrange transfer to ICE custody",
    }


def _put(engine: Engine, n: int, *, channel: str = "webhook", target: str = "", secret_env: str | None = SECRET_ENV,
         now: datetime = T0) -> str:
    message_id = f"ev-{n}:route-1"
    with db.write_transaction(engine) as conn:
        notify.enqueue(conn, message_id=message_id, event_id=f"ev-{n}", route_id="route-1", agency_id="AG-A",
                       channel=channel, target=target, secret_env=secret_env, body=_body(n), now=now)
    return message_id


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"webhook_secret": None, "webhook_timeout_seconds": 5, "outbox_backoff_seconds": 30,
                              "outbox_backoff_max_seconds": 3600, "outbox_max_attempts": 8,
                              "outbox_lease_seconds": 300}
    return load_settings(**{**values, **overrides})


def _row(engine: Engine, message_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(outbox).where(outbox.c.message_id == message_id)).mappings().one())


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return SECRET


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


def _expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    # Recomputed here from the documented recipe, not with notify.sign, so a wrong recipe cannot agree with itself.
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


# --- webhooks -----------------------------------------------------------------------------------------


def test_a_webhook_goes_once_with_a_signature_that_verifies_and_its_message_id(
        engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    message_id = _put(engine, 1, target=receiver.url)

    first = notify.deliver_due(engine, now=T0, worker="w1", settings=_settings())
    again = notify.deliver_due(engine, now=T0 + timedelta(hours=1), worker="w1", settings=_settings())

    assert first == [notify.Delivery(message_id, "webhook", receiver.url, True, None, "sent")]
    assert again == []
    [request] = receiver.requests
    timestamp = str(int(T0.timestamp()))
    assert request.body == json.dumps(_body(1), sort_keys=True).encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-custody-ledger-message-id"] == message_id
    assert request.headers["x-custody-ledger-timestamp"] == timestamp
    assert request.headers["x-custody-ledger-signature"] == _expected_signature(secret, timestamp, request.body)
    row = _row(engine, message_id)
    assert (row["status"], row["attempts"], row["sent_at"], row["claimed_until"]) == ("sent", 0, T0, None)


def test_enqueue_writes_in_the_callers_transaction_and_keeps_the_first_of_one_id(engine: Engine) -> None:
    with pytest.raises(RuntimeError), db.write_transaction(engine) as conn:
        notify.enqueue(conn, message_id="ev-9:route-1", event_id="ev-9", route_id="route-1", agency_id="AG-A",
                       channel="webhook", target="http://127.0.0.1:9/a", secret_env=None, body=_body(9), now=T0)
        raise RuntimeError("the alert's transaction fails")
    assert notify.messages(engine) == []

    message_id = _put(engine, 1, target="http://127.0.0.1:9/first")
    with db.write_transaction(engine) as conn:
        notify.enqueue(conn, message_id=message_id, event_id="ev-1", route_id="route-1", agency_id="AG-A",
                       channel="email", target="second@example.org", secret_env=None, body={"other": 1},
                       now=T0 + timedelta(minutes=5))

    [row] = notify.messages(engine)
    assert (row["target"], row["channel"], row["body"], row["status"], row["attempts"], row["next_attempt_at"]) == (
        "http://127.0.0.1:9/first", "webhook", _body(1), "pending", 0, T0)


def test_a_failing_then_hanging_receiver_is_retried_later_each_time_and_sent_once_it_recovers(
        engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    message_id = _put(engine, 1, target=receiver.url)
    receiver.script = ["fail", "hang", "fail"]
    settings = _settings(webhook_timeout_seconds=0.5)
    now, waits, errors = T0, [], []

    for _ in range(3):
        [failed] = notify.deliver_due(engine, now=now, worker="w1", settings=settings)
        row = _row(engine, message_id)
        assert notify.deliver_due(engine, now=row["next_attempt_at"] - timedelta(seconds=1), worker="w1",
                                  settings=settings) == []
        waits.append((row["next_attempt_at"] - now).total_seconds())
        errors.append(failed.error)
        now = row["next_attempt_at"]
    [sent] = notify.deliver_due(engine, now=now, worker="w1", settings=settings)

    assert waits == [30, 60, 120]
    assert errors == ["webhook answered HTTP 500 Internal Server Error", "webhook timed out after 0.5 s",
                      "webhook answered HTTP 500 Internal Server Error"]
    assert (sent.ok, sent.status) == (True, "sent")
    assert [r.answer for r in receiver.requests] == ["fail", "hang", "fail", "ok"]
    assert [r.message_id for r in receiver.accepted] == [message_id]
    row = _row(engine, message_id)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 3, now)
    assert row["last_error"] == errors[-1]


def test_the_wait_doubles_after_each_failure_up_to_its_cap() -> None:
    settings = _settings(outbox_backoff_seconds=30, outbox_backoff_max_seconds=100)
    assert [notify.backoff(n, settings).total_seconds() for n in (1, 2, 3, 4, 40)] == [30, 60, 100, 100, 100]


def test_after_max_attempts_a_message_is_dead_listed_and_sent_when_replayed(
        engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    message_id = _put(engine, 1, target=receiver.url)
    receiver.script = ["fail"] * 3
    settings = _settings(outbox_max_attempts=3)
    now, statuses = T0, []
    for _ in range(3):
        [delivery] = notify.deliver_due(engine, now=now, worker="w1", settings=settings)
        statuses.append(delivery.status)
        now = _row(engine, message_id)["next_attempt_at"]

    assert statuses == ["pending", "pending", "dead"]
    assert [m["message_id"] for m in notify.messages(engine, status="dead")] == [message_id]
    assert notify.messages(engine, status="pending") == []
    assert notify.deliver_due(engine, now=now + timedelta(days=30), worker="w1", settings=settings) == []

    later = now + timedelta(days=1)
    notify.replay(engine, message_id, now=later)
    row = _row(engine, message_id)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", 0, later)
    [sent] = notify.deliver_due(engine, now=later, worker="w1", settings=settings)
    assert (sent.ok, sent.status, len(receiver.requests), len(receiver.accepted)) == (True, "sent", 4, 1)


def test_replay_refuses_an_unknown_or_already_sent_message(
        engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    message_id = _put(engine, 1, target=receiver.url)
    notify.deliver_due(engine, now=T0, worker="w1", settings=_settings())

    with pytest.raises(NotFound, match="message nope does not exist"):
        notify.replay(engine, "nope", now=T0)
    with pytest.raises(Conflict, match="already sent"):
        notify.replay(engine, message_id, now=T0)
    assert len(receiver.requests) == 1


def test_a_missing_secret_is_a_failure_naming_the_variables_and_counted_and_the_deployments_is_the_fallback(
        engine: Engine, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    named = _put(engine, 1, target=receiver.url)
    unnamed = _put(engine, 2, target=receiver.url, secret_env=None)

    failures = notify.deliver_due(engine, now=T0, worker="w1", settings=_settings(webhook_secret=None))
    with_fallback = notify.deliver_due(engine, now=T0 + timedelta(seconds=30), worker="w1",
                                       settings=_settings(webhook_secret="the-service-wide-secret"))

    assert {d.message_id: (d.ok, d.error) for d in failures} == {
        named: (False, f"no webhook secret: neither {SECRET_ENV} nor CUSTODY_LEDGER_WEBHOOK_SECRET is set"),
        unnamed: (False, "no webhook secret: no route variable and no CUSTODY_LEDGER_WEBHOOK_SECRET is set"),
    }
    # A route's own variable unset: the deployment's secret signs (routes are told it in docs/watchdog.md).
    assert {d.message_id: d.ok for d in with_fallback} == {named: True, unnamed: True}
    assert (_row(engine, named)["attempts"], _row(engine, named)["status"]) == (1, "sent")  # one failure counted
    timestamp = str(int((T0 + timedelta(seconds=30)).timestamp()))
    signed = [r.headers["x-custody-ledger-signature"] == _expected_signature("the-service-wide-secret", timestamp,
                                                                              r.body) for r in receiver.requests]
    assert signed == [True, True]


# --- leases and concurrency ---------------------------------------------------------------------------

_WORKER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from custody_ledger.app import notify
    from custody_ledger.ledger import db
    from custody_ledger.settings import load_settings

    url, now = sys.argv[1], datetime.fromisoformat(sys.argv[2])
    settings = load_settings(webhook_timeout_seconds=60, outbox_lease_seconds=300)
    notify.deliver_due(db.make_engine(url), now=now, worker="doomed", settings=settings)
""")


def test_a_claim_left_by_a_killed_worker_is_sent_again_once_its_lease_runs_out_and_not_before(
        engine: Engine, db_url: str, secret: str) -> None:
    with WebhookReceiver(hang_seconds=60).running() as receiver:
        message_id = _put(engine, 1, target=receiver.url)
        receiver.script = ["hang"]
        worker = subprocess.Popen([sys.executable, "-c", _WORKER, db_url, T0.isoformat()])
        try:
            deadline = time.monotonic() + 30
            while not receiver.requests and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.05)
        finally:
            worker.kill()  # mid-send: the claim is committed, no outcome ever will be
            worker.wait()
        claimed = _row(engine, message_id)
        settings = _settings()

        early = notify.deliver_due(engine, now=T0 + timedelta(seconds=299), worker="w2", settings=settings)
        on_time = notify.deliver_due(engine, now=T0 + timedelta(seconds=300), worker="w2", settings=settings)

    assert (claimed["status"], claimed["attempts"], claimed["claimed_by"], claimed["claimed_until"]) == (
        "pending", 0, "doomed", T0 + timedelta(seconds=300))
    assert early == []
    assert [(d.message_id, d.ok) for d in on_time] == [(message_id, True)]
    assert [r.answer for r in receiver.requests] == ["hang", "ok"]
    assert _row(engine, message_id)["status"] == "sent"


def test_a_pass_stops_sending_before_its_claims_run_out(engine: Engine, secret: str) -> None:
    with WebhookReceiver(hang_seconds=5).running() as receiver:
        ids = [_put(engine, n, target=receiver.url) for n in range(6)]
        receiver.script = ["hang"] * 6
        settings = _settings(outbox_lease_seconds=1, webhook_timeout_seconds=0.2, smtp_timeout_seconds=0.2)
        # Six sends that each hang for the whole timeout cannot all begin inside a one-second lease.
        tried = notify.deliver_due(engine, now=T0, worker="w1", settings=settings)
        untried = [i for i in ids if i not in {d.message_id for d in tried}]
        left = [_row(engine, i) for i in untried]
        receiver.script = []
        retaken = notify.deliver_due(engine, now=T0 + timedelta(seconds=1), worker="w2", settings=settings)

    assert 1 <= len(tried) < 6
    assert [d.message_id for d in tried] == ids[:len(tried)]
    assert {(r["attempts"], r["claimed_by"], r["claimed_until"]) for r in left} == {
        (0, "w1", T0 + timedelta(seconds=1))}
    assert [(d.message_id, d.ok) for d in retaken] == [(i, True) for i in untried]


def test_a_lease_no_longer_than_a_send_is_refused(engine: Engine) -> None:
    message_id = _put(engine, 1, target="http://127.0.0.1:9/hook")
    with pytest.raises(SettingsError, match="CUSTODY_LEDGER_OUTBOX_LEASE_SECONDS"):
        notify.deliver_due(engine, now=T0, worker="w1",
                           settings=_settings(outbox_lease_seconds=10, webhook_timeout_seconds=10))
    assert _row(engine, message_id)["claimed_until"] is None


def test_racing_workers_never_send_one_message_twice(engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    ids = [_put(engine, n, target=receiver.url) for n in range(60)]
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while notify.deliver_due(engine, now=T0, worker=name, settings=_settings(), limit=4):
                pass
        except BaseException as exc:  # a failing thread must fail the test, not vanish
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert Counter(r.message_id for r in receiver.requests) == Counter(ids)
    assert {m["status"] for m in notify.messages(engine)} == {"sent"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has one writer: no claim runs beside another
def test_a_row_another_worker_is_claiming_is_skipped_not_waited_for(
        engine: Engine, receiver: WebhookReceiver, secret: str) -> None:
    locked, free = _put(engine, 1, target=receiver.url), _put(engine, 2, target=receiver.url)
    result: list[list[notify.Delivery]] = []
    with engine.connect() as other, other.begin():
        other.execute(sa.select(outbox.c.message_id).where(outbox.c.message_id == locked).with_for_update())
        worker = threading.Thread(target=lambda: result.append(
            notify.deliver_due(engine, now=T0, worker="w1", settings=_settings())))
        worker.start()
        worker.join(timeout=10)
        finished_while_locked = not worker.is_alive()
    worker.join(timeout=10)
    after = notify.deliver_due(engine, now=T0, worker="w1", settings=_settings())

    assert finished_while_locked
    assert [[d.message_id for d in pass_] for pass_ in result] == [[free]]
    assert [d.message_id for d in after] == [locked]


# --- e-mail -------------------------------------------------------------------------------------------


def test_an_email_reaches_the_smtp_server_to_its_address_with_subject_and_message_id(engine: Engine) -> None:
    with smtp_server() as (port, mails):
        message_id = _put(engine, 1, channel="email", target="records@agency.example", secret_env=None)
        settings = _settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="alerts@custody.example")
        [delivery] = notify.deliver_due(engine, now=T0, worker="w1", settings=settings)

    assert (delivery.ok, delivery.status) == (True, "sent")
    [mail] = mails
    assert (mail.mail_from, mail.rcpt_tos) == ("alerts@custody.example", ["records@agency.example"])
    assert mail.message["To"] == "records@agency.example"
    assert mail.message["Subject"] == "[Custody Ledger] alert_raised hold H-1: 24h"
    assert mail.message["X-Custody-Ledger-Message-Id"] == message_id
    payload = mail.message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    text = payload.decode()
    for line in ("Deadline (facility time): 2026-12-01T06:00:00-06:00", "Time left: 20 h 39 m",
                 "Rule: custody.48h", "Citation: 8 CFR 287.7(d)", "Next step: arrange transfer to ICE custody",
                 f"Message id: {message_id}"):
        assert line in text.splitlines()


def test_an_unreachable_smtp_server_is_a_counted_failure(engine: Engine) -> None:
    port = free_port()  # nothing listens there
    message_id = _put(engine, 1, channel="email", target="records@agency.example", secret_env=None)
    [delivery] = notify.deliver_due(engine, now=T0, worker="w1", settings=_settings(smtp_port=port))

    assert (delivery.ok, delivery.status) == (False, "pending")
    assert delivery.error is not None
    assert delivery.error.startswith(f"e-mail via 127.0.0.1:{port} failed (ConnectionRefusedError)")
    assert _row(engine, message_id)["attempts"] == 1


# --- the command line ---------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("list")(outbox_cli.outbox_list)
    app.command("replay")(outbox_cli.outbox_replay)
    return app


def test_outbox_list_shows_dead_messages_and_replay_puts_one_back(
        engine: Engine, db_url: str, receiver: WebhookReceiver, secret: str) -> None:
    dead = _put(engine, 1, target=receiver.url)
    sent = _put(engine, 2, target=receiver.url)
    receiver.script = ["fail"]
    notify.deliver_due(engine, now=T0, worker="w1", settings=_settings(outbox_max_attempts=1))
    runner = CliRunner()

    listed = runner.invoke(_cli(), ["list", "--status", "dead", "--db", db_url])
    replayed = runner.invoke(_cli(), ["replay", dead, "--db", db_url])
    unknown = runner.invoke(_cli(), ["replay", "nope", "--db", db_url])
    pending = runner.invoke(_cli(), ["list", "--status", "PENDING", "--db", db_url])

    assert listed.exit_code == 0, listed.output
    [line] = listed.stdout.splitlines()
    assert line.split("  ")[:5] == [dead, "dead", "1", "webhook", receiver.url]
    assert line.endswith("webhook answered HTTP 500 Internal Server Error")
    assert sent not in listed.stdout
    assert (replayed.exit_code, _row(engine, dead)["status"]) == (0, "pending")
    assert (unknown.exit_code, unknown.stderr.strip()) == (2, "error: message nope does not exist")
    assert (pending.exit_code, [ln.split("  ")[0] for ln in pending.stdout.splitlines()]) == (0, [dead])
