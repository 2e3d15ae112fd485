"""The command line: custody-ledger init | apply | seed | holds | board | verify | policy show."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from sqlalchemy.engine import Engine, make_url

from custody_ledger.app import admin, queries
from custody_ledger.app.execute import execute, execute_batch
from custody_ledger.app.seeding import load_history
from custody_ledger.domain.errors import DomainError
from custody_ledger.domain.parse import parse_instant, parse_window
from custody_ledger.domain.policy import Policy, PolicyError
from custody_ledger.ledger.db import normalize_url
from custody_ledger.policy import load_policy
from custody_ledger.settings import Settings, SettingsError, check_production, load_settings

app = typer.Typer(help="Custody Ledger: the 287(g) program's tamper-evident custody records.", no_args_is_help=True)
policy_app = typer.Typer(help="The policy in force: rules, limits, citations.")
app.add_typer(policy_app, name="policy")
user_app = typer.Typer(help="Accounts: add, disable, reset a password.")
app.add_typer(user_app, name="user")
key_app = typer.Typer(help="API keys of integration clients (a jail management system): add, disable.")
app.add_typer(key_app, name="key")
err = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line, whatever the width

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite path (env CUSTODY_LEDGER_DB).")]
PolicyOption = Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped policy).")]


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc))
        raise


def _db(url: str | None) -> str:
    return url or _settings().db


def _engine(db: str | None, *, upgrade: bool = True, existing: bool = False) -> Engine:
    """The database, or a one-line error naming it: a wrong URL, an unreachable server, a missing file."""
    url = _db(db)
    location = make_url(normalize_url(url))
    if existing and location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        _fail(f"no database at {location.database} (create one with `custody-ledger init`)")
    try:
        engine = admin.open_engine(url, upgrade=upgrade)
        with engine.connect():
            pass
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot open database {location.render_as_string(hide_password=True)}: {reason}")
        raise
    return engine


def _policy(path: Path | None) -> Policy:
    try:
        return load_policy(path or _settings().policy_file)
    except PolicyError as exc:
        _fail(str(exc))
        raise


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def init(db: DbOption = None) -> None:
    """Create or upgrade the database schema."""
    _engine(db)
    err.print(f"database ready: {_db(db)}")


def _read_commands(path: Path) -> list[dict[str, Any]]:
    """Read the whole file first: unreadable input is refused before anything is applied."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read: {exc}")
    commands = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            _fail(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); nothing was applied")
        if not isinstance(value, dict):
            _fail(f"{path}:{number}: a command must be a JSON object; nothing was applied")
        commands.append(value)
    return commands


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


@app.command()
def apply(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one command per line.")],
    db: DbOption = None,
    policy: PolicyOption = None,
    batch: Annotated[int, typer.Option(help="Commands per transaction (savepoint each); 1 = durable each.")] = 1,
) -> None:
    """Apply commands; print one JSON result per line. Refusals are results, not failures."""
    commands = _read_commands(file)
    rules = _policy(policy)
    engine = _engine(db)
    if batch <= 1:
        for command in commands:
            _emit(execute(engine, command, now=_now(), policy=rules).to_dict())
        return
    for start in range(0, len(commands), batch):
        for result in execute_batch(engine, commands[start:start + batch], now=_now(), policy=rules):
            _emit(result.to_dict())


@app.command()
def seed(
    db: DbOption = None,
    policy: PolicyOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data.")] = 287,
    agencies: Annotated[int, typer.Option(help="How many agencies.")] = 12,
    years: Annotated[float, typer.Option(help="Years of history before now.")] = 2.0,
    bookings: Annotated[int, typer.Option(help="Bookings per agency per month.")] = 30,
    now: Annotated[str | None, typer.Option(help="Anchor instant (ISO 8601); default: now.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the commands as JSON Lines instead of applying.")] = None,
) -> None:
    """Generate realistic synthetic history (deterministic for a seed) and apply it."""
    from custody_ledger.demo.generator import generate

    anchor = parse_instant(now, "now") if now else _now().replace(microsecond=0)
    commands = generate(seed, anchor, agencies=agencies, years=years, bookings_per_agency_month=bookings)
    if out is not None:
        with out.open("w", encoding="utf-8") as handle:
            for command in commands:
                handle.write(json.dumps(command) + "\n")
        err.print(f"wrote {out}")
        return
    engine = _engine(db)
    counts = load_history(engine, commands, _policy(policy), now=max(anchor, _now()))
    err.print("seeded: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _duration(text: str) -> timedelta:
    try:
        return parse_window(text, "--due-within")
    except DomainError as error:
        _fail(error.message)
        raise


def _left(delta: timedelta | None) -> str:
    if delta is None:
        return "IGSA: no limit"
    sign = "-" if delta.total_seconds() < 0 else ""
    seconds = int(abs(delta.total_seconds()))
    return f"{sign}{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _style(delta: timedelta | None) -> str:
    if delta is None:
        return "dim"
    hours = delta.total_seconds() / 3600
    return "bold white on red" if hours < 0 else "bold red" if hours < 4 else "yellow" if hours < 12 else "green"


def _holds_table(rows: list[queries.OpenHold], now: datetime) -> Table:
    # What a records unit acts on comes first and never wraps; names wrap so 80 columns still show it all.
    table = Table(title=f"Open holds at {now:%Y-%m-%d %H:%M:%S} UTC", caption="overdue = release now (no IGSA)")
    table.add_column("time left", no_wrap=True)
    table.add_column("hold", overflow="fold", min_width=10)
    table.add_column("deadline, local", no_wrap=True)
    table.add_column("deadline, UTC", no_wrap=True)
    table.add_column("facility", overflow="fold", min_width=10)
    for row in rows:
        left = row.time_left(now)
        local = row.deadline_local
        table.add_row(
            _left(left), row.hold_id,
            f"{local:%m-%d %H:%M %Z}" if local else "-",
            f"{row.deadline:%m-%d %H:%M}" if row.deadline else "-",
            row.facility_name, style=_style(left),
        )
    return table


@app.command()
def holds(
    db: DbOption = None,
    due_within: Annotated[str | None, typer.Option("--due-within", help="Only holds due within, e.g. 4h.")] = None,
) -> None:
    """Open holds with their deadlines in UTC and facility time, and the time left."""
    now = _now()
    engine = _engine(db)
    rows = queries.open_holds(engine, now, _duration(due_within) if due_within else None)
    Console().print(_holds_table(rows, now))


@app.command()
def board(
    db: DbOption = None,
    refresh: Annotated[float, typer.Option(help="Seconds between database reads.")] = 5.0,
) -> None:
    """The live board of open holds: countdowns tick every second until Ctrl-C."""
    engine = _engine(db)
    rows, read_at = queries.open_holds(engine, _now()), time.monotonic()
    try:
        with Live(_holds_table(rows, _now()), refresh_per_second=2, screen=False) as live:
            while True:
                time.sleep(1)
                if time.monotonic() - read_at >= refresh:
                    rows, read_at = queries.open_holds(engine, _now()), time.monotonic()
                live.update(_holds_table(rows, _now()))
    except KeyboardInterrupt:
        err.print("board closed")


@app.command()
def verify(db: DbOption = None) -> None:
    """Recompute the hash chain; exit 1 and name the first broken event if anything was altered."""
    report = admin.verify(_engine(db, upgrade=False, existing=True))
    if not report.ok:
        _fail(f"ledger broken at event {report.first_broken}: {report.reason} ({report.checked} events verified "
              "before it)", code=1)
    err.print(f"ledger verified: {report.checked} events, head {report.head_hash}")


@policy_app.command("show")
def policy_show(
    policy: PolicyOption = None, at: Annotated[str | None, typer.Option(help="ISO 8601 instant")] = None,
    zone: Annotated[str, typer.Option(help="IANA time zone whose calendar day is read (an agency's)")] = "UTC",
) -> None:
    """The policy in force at a moment (default now) on a zone's calendar: every rule id, value and citation."""
    rules = _policy(policy)
    moment = parse_instant(at, "at") if at else _now()
    try:
        view = rules.at(moment, ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"--zone must be an IANA time zone such as America/Chicago; got {zone!r}")
    table = Table(title=f"Policy in force on {view.day} in {zone} ({rules.source})")
    for column in ("rule id", "value", "from", "citation"):
        table.add_column(column, overflow="fold")
    for _key, entries in sorted(rules.parameters.items()):
        chosen = [e for e in entries if e.rule.effective_from <= view.day]
        if chosen:
            entry = chosen[-1]
            value = entry.value if not callable(entry.value) else "(holiday rules)"
            table.add_row(entry.rule.id, _show(value), str(entry.rule.effective_from), entry.rule.cite)
    for rule_id in sorted(rules.rules):
        entries = [e for e in rules.rules[rule_id] if e.rule.effective_from <= view.day]
        if entries:
            table.add_row(rule_id, "", str(entries[-1].rule.effective_from), entries[-1].rule.cite)
    Console().print(table)


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, tuple) and not hasattr(value, "_fields"):  # alert lead times, in hours
        return ", ".join(f"{v:g} h" for v in value)
    return str(value)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Start the HTTP API (OpenAPI at /openapi.json, docs at /docs)."""
    import uvicorn

    from custody_ledger.api.main import create_app
    settings = _settings()
    try:
        check_production(settings)
    except SettingsError as exc:
        _fail(str(exc))
    if not settings.mfa_required:
        err.print("[bold yellow]MFA is OFF[/]: demo only; production requires TOTP (CJIS Security Policy).")
    engine = _engine(db)
    err.print(f"Custody Ledger API on http://{host}:{port}/docs  (database {_db(db)})")
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="warning")


@app.command("demo-accounts")
def demo_accounts(db: DbOption = None) -> None:
    """Create one demo log-in per role on a seeded database, and print them."""
    from custody_ledger.app.demo_accounts import DEMO_PASSWORD, create_demo_accounts, issue_demo_key

    engine = _engine(db)
    rows = create_demo_accounts(engine, _now())
    table = Table(title=f"Demo log-ins (password for all: {DEMO_PASSWORD})")
    for column in ("user", "role", "scope"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    issued = issue_demo_key(engine, _settings(), _now())
    if issued is not None:
        agency, key = issued
        Console().print(f"Integration client (a jail management system) of {agency}: X-API-Key: {key}",
                        highlight=False, soft_wrap=True)


RoleOption = Annotated[str, typer.Option(help="facility_staff | agency_admin | certified_officer | ice_supervisor "
                                              "| program_admin | auditor")]


@user_app.command("add")
def user_add(
    user_id: Annotated[str, typer.Argument(help="Log-in name.")],
    role: RoleOption,
    db: DbOption = None,
    agency: Annotated[str | None, typer.Option(help="Agency id (staff, officers).")] = None,
    field_office: Annotated[str | None, typer.Option(help="Field office id (ICE supervisors).")] = None,
    officer: Annotated[str | None, typer.Option(help="Officer id (certified officers).")] = None,
    no_mfa: Annotated[bool, typer.Option("--no-mfa", help="No TOTP secret (only where MFA is off).")] = False,
) -> None:
    """Add an account; the password is read from the prompt, the TOTP secret printed once."""
    from custody_ledger.app.auth import Role, add_user

    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        secret = add_user(_engine(db), user_id, password, Role(role), now=_now(), by="cli",
                          agency_id=agency, field_office_id=field_office, officer_id=officer, with_mfa=not no_mfa)
    except (DomainError, ValueError) as exc:
        _fail(str(exc))
        raise
    err.print(f"user {user_id} added as {role}")
    if secret:
        err.print(f"TOTP secret (enrol it in an authenticator app now; it is not shown again): {secret}")


@user_app.command("disable")
def user_disable(user_id: str, db: DbOption = None) -> None:
    """Disable an account and end its sessions."""
    from custody_ledger.app.auth import disable_user

    try:
        disable_user(_engine(db), user_id, now=_now(), by="cli")
    except DomainError as exc:
        _fail(str(exc))
    err.print(f"user {user_id} disabled")


@user_app.command("role")
def user_role(
    user_id: str,
    role: RoleOption,
    db: DbOption = None,
    agency: Annotated[str | None, typer.Option(help="Agency id (staff, officers).")] = None,
    field_office: Annotated[str | None, typer.Option(help="Field office id (ICE supervisors).")] = None,
    officer: Annotated[str | None, typer.Option(help="Officer id (certified officers).")] = None,
) -> None:
    """Give an account a new role and scope; its sessions end."""
    from custody_ledger.app.auth import Role, change_role

    try:
        change_role(_engine(db), user_id, Role(role), now=_now(), by="cli", agency_id=agency,
                    field_office_id=field_office, officer_id=officer)
    except (DomainError, ValueError) as exc:
        _fail(str(exc))
    err.print(f"user {user_id} is now {role}")


@user_app.command("reset")
def user_reset(user_id: str, db: DbOption = None) -> None:
    """Set a new password (read from the prompt) and end the account's sessions."""
    from custody_ledger.app.auth import reset_password

    password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    try:
        reset_password(_engine(db), user_id, password, now=_now(), by="cli")
    except DomainError as exc:
        _fail(str(exc))
    err.print(f"password of {user_id} reset")


@key_app.command("add")
def key_add(
    key_id: Annotated[str, typer.Argument(help="A name for the client, e.g. jms-harris.")],
    agency: Annotated[str, typer.Option(help="The one agency whose records the key reaches.")],
    db: DbOption = None,
) -> None:
    """Issue an API key for a jail management system; the key is printed once, only its digest is kept."""
    from custody_ledger.app.auth import add_api_key

    try:
        key = add_api_key(_engine(db), key_id, agency, _settings(), now=_now(), by="cli")
    except DomainError as exc:
        _fail(str(exc))
        raise
    err.print(f"API key {key_id} issued for agency {agency}; send it as X-API-Key (it is not shown again):")
    print(key)


@key_app.command("disable")
def key_disable(key_id: str, db: DbOption = None) -> None:
    """Revoke an API key at once."""
    from custody_ledger.app.auth import disable_api_key

    try:
        disable_api_key(_engine(db), key_id, now=_now(), by="cli")
    except DomainError as exc:
        _fail(str(exc))
    err.print(f"API key {key_id} disabled")


def main() -> None:
    app()
