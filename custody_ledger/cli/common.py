"""What every command shares: one-line errors, the database, the policy, the clock and reading a moment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import Engine, make_url
from typer.core import TyperCommand, TyperGroup

from custody_ledger.app import admin
from custody_ledger.domain.errors import DomainError
from custody_ledger.domain.policy import Policy, PolicyError
from custody_ledger.ledger.db import normalize_url
from custody_ledger.policy import load_policy
from custody_ledger.settings import Settings, SettingsError, load_settings

err = Console(stderr=True, soft_wrap=True)  # one-line errors stay one line, whatever the width

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite path (env CUSTODY_LEDGER_DB).")]
PolicyOption = Annotated[Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped policy).")]
TzOption = Annotated[str | None, typer.Option("--tz", help="IANA zone for a date or a time without offset "
                                                             "(default: this machine's).")]
MOMENT_HELP = "a date (2015-01-01), a local date-time (2015-01-01T08:30, read in --tz) or an ISO instant"


def _hide_flag_types(params: list[Any]) -> None:
    # A flag takes no value: its help line shows no `<bool>` placeholder (issue 8).
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""


class Command(TyperCommand):
    """A command whose --help shows no value placeholder for flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_flag_types(self.get_params(ctx))
        super().format_help(ctx, formatter)


class Group(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_flag_types(self.get_params(ctx))
        super().format_help(ctx, formatter)


@contextmanager
def progress(total: int, what: str) -> Iterator[Progress]:
    """A progress bar on a terminal (stderr); nothing at all when piped or redirected."""
    bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                   transient=True, disable=not err.is_terminal)
    with bar:
        bar.add_task(what, total=total)
        yield bar


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def day(text: str, option: str) -> date:
    """A date option (YYYY-MM-DD), or exit 2 naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} must be a date (YYYY-MM-DD); got {text!r}")


def period(start: str, end: str) -> tuple[date, date]:
    """--from and --to, the days of a report or a replay, running forward; or exit 2 naming both."""
    first, last = day(start, "--from"), day(end, "--to")
    if first > last:
        fail(f"--from ({first}) is after --to ({last}): the period must run forward")
    return first, last


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def db_url(url: str | None) -> str:
    return url or settings().db


def engine(db: str | None, *, create: bool = False, upgrade: bool = True) -> Engine:
    """The database, or a one-line error naming it: a wrong URL, an unreachable server, a missing file,
    no schema. Only `init` passes `create`: no other command makes a database where none was."""
    url = db_url(db)
    location = make_url(normalize_url(url))
    shown = location.render_as_string(hide_password=True)
    is_file = location.get_backend_name() == "sqlite" and location.database not in (None, "", ":memory:")
    if not create and is_file and not Path(location.database or "").is_file():
        fail(f"no database at {location.database} (create one with `custody-ledger init`)")
    try:
        opened = admin.open_engine(url, upgrade=False)
        if not create and not admin.has_schema(opened):
            fail(f"no Custody Ledger schema in database {shown} (create it with `custody-ledger init`)")
        if create or upgrade:
            admin.upgrade(opened)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        fail(f"cannot open database {shown}: {reason}")
    return opened


def policy(path: Path | None) -> Policy:
    try:
        return load_policy(path or settings().policy_file)
    except PolicyError as exc:
        fail(str(exc))


def now() -> datetime:
    return datetime.now(UTC)


def machine_zone() -> tzinfo:
    """This machine's zone with its DST rules: $TZ, else /etc/localtime, else the current offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        return datetime.now().astimezone().tzinfo or UTC


def zone(name: str | None, option: str = "--tz") -> tzinfo:
    if name is None:
        return machine_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"{option} must be an IANA time zone such as America/Chicago; got {name!r}")


def moment(text: str, option: str, tz: tzinfo) -> datetime:
    """A date (its midnight in `tz`), a local date-time (read in `tz`) or an instant with an offset, in UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tz).astimezone(UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be {MOMENT_HELP}; got {text!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def refused(error: DomainError) -> NoReturn:
    """The one translation of the domain's errors on the command line: the message on one line, exit 2."""
    fail(error.message)


@contextmanager
def refusing() -> Iterator[None]:
    """A block whose domain error ends the command as `refused` says."""
    try:
        yield
    except DomainError as error:
        refused(error)
