"""THE write path: parse -> load state -> ask the domain -> append + project -> result, in one transaction.

Nothing else in the product opens a write transaction (DESIGN.md style 4). A command returns success
only after its transaction committed; a refusal of authority appends one `action_refused` event;
an invalid, unknown or conflicting command changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.domain import timing
from custody_ledger.domain.clock import require_utc
from custody_ledger.domain.commands import Envelope, parse_envelope
from custody_ledger.domain.errors import Conflict, DomainError, RuleViolation
from custody_ledger.domain.events import ActionRefused, PersonExpunged, event_stream
from custody_ledger.domain.history import Entry
from custody_ledger.domain.instants import present_text
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import codec, projections, store, unit

from . import alerting, calendar, persons
from .access import authorize_command, log_denial, require_role
from .auth import Principal
from .context import Outcome, Tx
from .registry import HANDLERS

# command_results.idempotency_key holds at most this many characters.
_RESULT_KEY_MAX = 200


def principal_key(principal: Principal, key: str) -> str:
    """Where an API caller's result is kept: its key in the principal's own namespace (issue 11), so the same
    key sent by two principals names two commands, and no one replays or probes another's. A key too long to
    sit beside the principal's id is stored by its SHA-256. The CLI's `apply` and the seeding have no
    principal and keep their keys as they are."""
    scoped = f"{principal.id}\x1f{key}"
    if len(scoped) <= _RESULT_KEY_MAX:
        return scoped
    return f"{principal.id}\x1f#sha256:{hashlib.sha256(key.encode()).hexdigest()}"


# The instants a command's result may carry (serve_warrant: handlers/custody.py, views.CommandResult).
RESULT_INSTANTS = ("clock_started_at", "deadline", "deadline_local")


@dataclass(frozen=True)
class Result:
    ok: bool
    command: str | None
    idempotency_key: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "command": self.command, "idempotency_key": self.idempotency_key,
                               "events": self.events, **self.data}
        # Results print instants as reads do (domain/instants.py), results stored before that included.
        for name in RESULT_INSTANTS:
            if isinstance(out.get(name), str):
                out[name] = present_text(out[name])
        if self.error is not None:
            out["error"] = self.error
        if self.replayed:
            out["replayed"] = True
        return out

    @classmethod
    def failed(cls, raw: Mapping[str, Any], error: DomainError) -> Result:
        command = raw.get("command") if isinstance(raw, Mapping) else None
        key = raw.get("idempotency_key") if isinstance(raw, Mapping) else None
        return cls(False, command if isinstance(command, str) else None, key if isinstance(key, str) else None,
                   error=error.to_dict())

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Result:
        base = {"ok", "command", "idempotency_key", "events", "error", "replayed"}
        data = {k: v for k, v in stored.items() if k not in base}
        return cls(bool(stored["ok"]), stored["command"], stored["idempotency_key"], list(stored["events"]),
                   stored.get("error"), data, replayed=True)


def execute(
    engine: Engine, raw: Mapping[str, Any], *, now: datetime, policy: Policy, principal: Principal | None = None
) -> Result:
    """Run one command in its own durable transaction.

    With a principal (the API), the role and agency scope are checked inside the same transaction,
    and the actor is the authenticated principal, never a field of the request.
    """
    now = require_utc("now", now)
    try:
        if principal is not None:
            require_role(engine, principal, raw.get("command"), now)
            raw = {**raw, "actor": principal.id}
        envelope = parse_envelope(raw)
        key = envelope.idempotency_key if principal is None else principal_key(principal, envelope.idempotency_key)
        with unit.transaction(engine, [key]) as work:
            if principal is not None:
                try:
                    authorize_command(work.conn, principal, envelope.command, envelope.payload)
                except DomainError as denial:
                    # Returning commits the access record of the attempt, and nothing else.
                    log_denial(work.conn, principal, envelope.command, denial, envelope.payload, now)
                    return Result.failed(raw, denial)
            return _apply(work, envelope, fingerprint(raw), now, policy, result_key=key)
    except DomainError as error:
        return Result.failed(raw, error)


def execute_batch(
    engine: Engine, raws: Iterable[Mapping[str, Any]], *, now: datetime, policy: Policy,
    until: Callable[[Result], bool] | None = None,
) -> list[Result]:
    """Many commands in one transaction: a refused or invalid command leaves the others intact (nothing of a
    command is staged before it is accepted whole: ledger/unit.py).

    `until`: the batch ends after the first result it holds true of; the commands after it are not run and
    have no result (an importer that stops at a bad row must not record the rows behind it).
    Results are returned only after the whole batch committed, so none is acknowledged early.
    """
    now = require_utc("now", now)
    raws = list(raws)
    results: list[Result] = []
    keys = [k for r in raws if isinstance(r, Mapping) for k in [r.get("idempotency_key")] if isinstance(k, str)]
    with unit.transaction(engine, keys) as work:
        for raw in raws:
            try:
                envelope = parse_envelope(raw)
                results.append(_apply(work, envelope, fingerprint(raw), now, policy))
            except DomainError as error:
                results.append(Result.failed(raw, error))
            if until is not None and until(results[-1]):
                break
    return results


def fingerprint(raw: Mapping[str, Any]) -> str:
    """What the idempotency key promises: the same key must come with the same command."""
    return hashlib.sha256(codec.canonical(persons.blinded(raw, persons.keyring()))).hexdigest()


def _apply(work: unit.Unit, env: Envelope, fp: str, now: datetime, policy: Policy, *,
           result_key: str | None = None) -> Result:
    """`result_key`: where the result is kept, when not under the idempotency key itself (principal_key)."""
    result_key = result_key or env.idempotency_key
    prior = work.find_result(result_key)
    if prior is not None:
        if prior[0] != fp:
            raise Conflict("idempotency_key was already used for a different command", field="idempotency_key")
        return Result.from_stored(prior[1])
    at = env.occurred_at or now
    tx = Tx(work, at, now, env.actor, env.idempotency_key, policy, policy.at(at, calendar.UTC_ZONE))
    tx = replace(tx, view=policy.at(at, calendar.zone_for(tx, env.command, env.payload)))
    timing.check_not_future(at, now, tx.view)
    error: RuleViolation | None = None
    try:
        outcome = HANDLERS[env.command](tx, env.command, env.payload)
    except RuleViolation as refusal:
        error = refusal
        outcome = Outcome([_refusal_event(tx, env, refusal)])
    return _record(tx, env, fp, outcome, error, result_key)


def _refusal_event(tx: Tx, env: Envelope, refusal: RuleViolation) -> ActionRefused:
    officer_id = getattr(env.payload, "officer_id", None)
    officer = None if officer_id is None else tx.load("officer", officer_id=officer_id)
    agency_id = officer.agency_id if officer is not None else getattr(env.payload, "agency_id", None)
    return ActionRefused(env.idempotency_key, env.command, refusal.rule.id, refusal.rule.cite, refusal.message,
                         refusal.field, officer_id if officer is not None else None, agency_id)


def _record(tx: Tx, env: Envelope, fp: str, outcome: Outcome, error: RuleViolation | None,
            result_key: str) -> Result:
    """Everything the command writes is worked out first and staged in one step, so a command refused on the
    way (stream order) leaves nothing behind; then what needs statements of its own (a shred, the outbox)."""
    events = list(outcome.events)
    streams = [event_stream(e) for e in events]
    previous = tx.unit.last_occurred(streams)
    for stream in streams:
        timing.check_stream_order(stream, previous.get(stream), tx.at, tx.view)
    late = timing.late_entry(tx.at, tx.now, streams[0], env.idempotency_key, tx.view,
                             getattr(env.payload, "source", None))
    if late is not None:
        events.append(late)
    rows = store.chain(tx.unit.head, events, occurred_at=tx.at, recorded_at=tx.now, actor=env.actor,
                       idempotency_key=env.idempotency_key)
    changed = projections.fold(tx.load, events, tx.at, env.actor, tx.known)
    receipts = [{"seq": r.seq, "type": r.type, "stream": r.stream, "hash": r.hash} for r in rows]
    result = Result(error is None, env.command, env.idempotency_key, receipts,
                    None if error is None else error.to_dict(), outcome.data)
    tx.unit.stage(rows, [Entry(e, tx.at) for e in events], changed,
                  store.result_row(result_key, env.command, fp, result.to_dict(), tx.now),
                  None if outcome.person is None else persons.row(outcome.person, tx.now))
    for event in events:
        if isinstance(event, PersonExpunged):
            # The person store changes with the events that concern it, in their transaction.
            persons.shred(tx.conn, event.subject_id, tx.now)
    alerting.enqueue(tx, rows, events)
    return result
