"""The ledger itself: init, apply, seed, verify, serve, and the command reference."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from custody_ledger.app import admin, checkpoints, persons, vocabulary, watchdog
from custody_ledger.app.execute import Result, execute, execute_batch
from custody_ledger.app.seeding import load_history
from custody_ledger.domain.commands import COMMANDS
from custody_ledger.settings import (
    DEFAULT_MASTER_KEY,
    DEFAULT_SECRET_KEY,
    SettingsError,
    check_production,
    master_key_text,
)

from . import common
from .common import DbOption, PolicyOption, TzOption, err, fail

# What `apply` counts, in the order its summary line names them; only ok and replayed lines exit 0.
OUTCOMES = ("ok", "replayed", "refused", "invalid", "not_found", "conflict")


def init(db: DbOption = None) -> None:
    """Create or upgrade the database schema (the only command that creates a database)."""
    common.engine(db, create=True)
    err.print(f"database ready: {common.db_url(db)}", highlight=False)


def _read_commands(path: Path) -> list[dict[str, Any]]:
    """Read the whole file first: unreadable input is refused before anything is applied."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read: {exc}")
    commands = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            fail(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); nothing was applied")
        if not isinstance(value, dict):
            fail(f"{path}:{number}: a command must be a JSON object; nothing was applied")
        commands.append(value)
    return commands


def _outcome(result: Result) -> str:
    return "replayed" if result.replayed else "ok" if result.ok else str((result.error or {}).get("kind"))


def apply(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one command per line.")],
    db: DbOption = None,
    policy: PolicyOption = None,
    batch: Annotated[int, typer.Option(help="Commands per transaction; 1 = durable each.")] = 1,
) -> None:
    """Apply commands: one JSON result per line on stdout, a summary line on stderr.

    Exit 0 when every line is ok or replayed, 1 when some line failed, 2 for a usage or I/O error."""
    commands = _read_commands(file)
    rules = common.policy(policy)
    engine = common.engine(db)
    counts: Counter[str] = Counter()
    size = max(batch, 1)
    with common.progress(len(commands), "applying") as bar:
        for start in range(0, len(commands), size):
            group = commands[start:start + size]
            results = ([execute(engine, group[0], now=common.now(), policy=rules)] if size == 1
                       else execute_batch(engine, group, now=common.now(), policy=rules))
            for result in results:
                sys.stdout.write(json.dumps(result.to_dict(), sort_keys=True) + "\n")
                counts[_outcome(result)] += 1
            sys.stdout.flush()
            bar.advance(bar.task_ids[0], len(group))
    err.print(f"{len(commands)} lines: " + ", ".join(f"{name.replace('_', ' ')} {counts[name]}" for name in OUTCOMES),
              highlight=False)
    if counts["ok"] + counts["replayed"] != len(commands):
        raise typer.Exit(1)


def seed(
    db: DbOption = None,
    policy: PolicyOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data.")] = 287,
    agencies: Annotated[int, typer.Option(help="How many agencies.")] = 12,
    years: Annotated[float, typer.Option(help="Years of history before now.")] = 2.0,
    bookings: Annotated[int, typer.Option(help="Bookings per agency per month.")] = 30,
    now: Annotated[str | None, typer.Option(help=f"Anchor: {common.MOMENT_HELP}; default now.")] = None,
    tz: TzOption = None,
    out: Annotated[Path | None, typer.Option(help="Write the commands as JSON Lines instead of applying.")] = None,
) -> None:
    """Generate realistic synthetic history (deterministic for a seed) and apply it to an initialised database."""
    from custody_ledger.demo.generator import generate

    anchor = common.moment(now, "--now", common.zone(tz)) if now else common.now().replace(microsecond=0)
    commands = generate(seed, anchor, agencies=agencies, years=years, bookings_per_agency_month=bookings)
    if out is not None:
        with out.open("w", encoding="utf-8") as handle:
            for command in commands:
                handle.write(json.dumps(command) + "\n")
        err.print(f"wrote {out}", highlight=False)
        return
    engine = common.engine(db)
    rules = common.policy(policy)
    history = list(commands)
    with common.progress(len(history), "seeding") as bar:
        counts = load_history(engine, history, rules, now=max(anchor, common.now()),
                              progress=lambda done: bar.advance(bar.task_ids[0], done))
    err.print("seeded: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), highlight=False)


def verify(
    db: DbOption = None,
    checkpoints_log: Annotated[Path | None, typer.Option("--checkpoints", help="A checkpoint log (custody-ledger "
                                                         "checkpoint): the database must still match each.")] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="The verifier key (PATH.pub) that "
                                                    "signed the checkpoints.")] = None,
    projections: Annotated[bool, typer.Option("--projections", help="Also rebuild every projection from the "
                                              "events and name the first row that differs.")] = False,
    through: Annotated[int | None, typer.Option("--through", min=1, help="Walk the chain to this event only and "
                                                "print its hash: the range a report names.")] = None,
) -> None:
    """Recompute the hash chain; exit 1 and name the first broken event if anything was altered. With
    --checkpoints and --public-key, also hold the database against checkpoints signed outside it."""
    if (checkpoints_log is None) != (public_key is None):
        fail("--checkpoints and --public-key go together")
    engine = common.engine(db, upgrade=False)
    report = admin.verify(engine, through)
    if not report.ok:
        fail(_broken(report), code=1)
    err.print(f"ledger verified: {report.checked} events, head {report.head_hash}; access log: "
              f"{report.access_checked} records", highlight=False)
    if projections:
        rebuilt = admin.verify_projections(engine)
        if not rebuilt.ok:
            fail(_broken(rebuilt), code=1)
        err.print("projections verified: every table matches the ledger rebuilt", highlight=False)
    if checkpoints_log is not None and public_key is not None:
        held = checkpoints.verify_against(engine, checkpoints_log, public_key)
        if not held.ok:
            fail(f"checkpoint {held.first_bad} (tree size {held.tree_size}) does not hold: {held.reason} "
                 f"({held.checked} checkpoints verified before it)", code=1)
        err.print(f"checkpoints verified: {held.checked} in {checkpoints_log}", highlight=False)


def _broken(report: admin.Report) -> str:
    """One line naming what failed: the part of the database, and the event, record or row."""
    if report.part == "schema":
        return f"schema broken: {report.reason}"
    if report.part == "access_log":
        return f"access log broken at record {report.first_broken}: {report.reason}"
    if report.part == "projections" and report.difference is not None:
        d = report.difference
        where = ", ".join(f"{k}={v}" for k, v in d.key.items())
        return (f"projection {d.table} ({where}) differs from the ledger: {d.column or 'the row'} is {d.live!r}, "
                f"rebuilt {d.rebuilt!r}")
    return (f"ledger broken at event {report.first_broken}: {report.reason} ({report.checked} events verified "
            "before it)")


def grant_service_role(
    name: Annotated[str, typer.Argument(help="The PostgreSQL role the service connects as.")],
    db: DbOption = None,
) -> None:
    """PostgreSQL: create or update the role the service connects as: it may only SELECT and INSERT the ledger,
    its receipts and the access log, so not even the service can rewrite them. Run as the tables' owner, after
    every upgrade; the role's password, if it needs one, is read from CUSTODY_LEDGER_SERVICE_ROLE_PASSWORD."""
    engine = common.engine(db)
    if engine.dialect.name != "postgresql":
        fail("SQLite has no roles: protect the database file instead (SECURITY.md)")
    with common.refusing():
        admin.grant_service_role(engine, name, password=os.environ.get("CUSTODY_LEDGER_SERVICE_ROLE_PASSWORD"))
    err.print(f"role {name}: SELECT and INSERT on events, command_results, access_log; read and write on the "
              "rest", highlight=False)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    policy: PolicyOption = None,
    no_watch: Annotated[bool, typer.Option("--no-watch", help="Do not run the watchdog in this process.")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (PostgreSQL: one per core).")] = 1,
) -> None:
    """Start the web UI (at /), the HTTP API (docs at /docs) and, unless --no-watch, the watchdog."""
    import uvicorn

    from custody_ledger.api.main import create_app
    settings = common.settings()
    try:
        check_production(settings)
        persons.Keyring.from_settings(settings)  # a malformed master key stops the server now, not a booking later
    except SettingsError as exc:
        fail(str(exc))
    if settings.secret_key == DEFAULT_SECRET_KEY:
        err.print("[bold red]WARNING: the default secret key is in use[/]: anyone can forge session digests; set "
                  "CUSTODY_LEDGER_SECRET_KEY (production refuses to start without it).")
    master = master_key_text(settings)
    if master is None or master[1].rstrip("=") == DEFAULT_MASTER_KEY.rstrip("="):
        err.print("[bold red]WARNING: the development master key is in use[/]: it is published, so it protects no "
                  "person's data; set CUSTODY_LEDGER_MASTER_KEY (SECURITY.md; production refuses to start without it).")
    if not settings.mfa_required:
        err.print("[bold yellow]MFA is OFF[/]: demo only; production requires TOTP (CJIS Security Policy).")
    engine = common.engine(db)
    if not _port_free(host, port):
        fail(f"cannot listen on {host}:{port}: the port is in use or not available (choose another with --port)")
    err.print(f"Custody Ledger on http://{host}:{port}/  (the web UI: log in there; API docs at /docs; database "
              f"{common.db_url(db)})", highlight=False)
    rules = common.policy(policy or settings.policy_file)  # the API and its watchdog judge by one policy
    stop = None
    if not no_watch:
        _, stop = watchdog.start_background(engine, policy=rules, settings=settings, clock=common.now)
        err.print(f"watchdog: a pass every {settings.watch_interval_seconds:g} s (--no-watch to run it apart)",
                  highlight=False)
    try:
        if workers == 1:
            uvicorn.run(create_app(settings, engine=engine, policy=rules), host=host, port=port, log_level="warning")
        else:
            # Each worker process builds its own app from the environment; the watchdog runs here, once.
            os.environ["CUSTODY_LEDGER_DB"] = common.db_url(db)
            if policy is not None:
                os.environ["CUSTODY_LEDGER_POLICY_FILE"] = str(policy)
            uvicorn.run("custody_ledger.api.main:create_app", factory=True, workers=workers, host=host, port=port,
                        log_level="warning")
    finally:
        if stop is not None:
            stop.set()


def commands(name: Annotated[str | None, typer.Argument(help="One command, e.g. serve_warrant.")] = None) -> None:
    """The command vocabulary: every command (or the one named), its fields and who may issue it."""
    if name is not None and name not in COMMANDS:
        fail(f"no command {name!r}; the commands are: {', '.join(sorted(COMMANDS))}")
    sys.stdout.write(vocabulary.render(name))
