"""Open holds by time left: `holds` once, `board` live. Deadlines in facility time with their zone."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from custody_ledger.app import reads
from custody_ledger.domain.parse import parse_window

from . import common
from .common import DbOption, err

CAPTION = "overdue = release now (no IGSA)"


def _window(text: str) -> timedelta:
    with common.refusing():
        return parse_window(text, "--due-within")


def left(seconds: int | None) -> str:
    """Time left as a person reads it: '1 d 3 h', '3 h 05 m', '4 m 09 s', or 'overdue by 2 d 4 h'."""
    if seconds is None:
        return "IGSA: no limit"
    rest = abs(seconds)
    days, hours, minutes, secs = rest // 86400, rest % 86400 // 3600, rest % 3600 // 60, rest % 60
    text = (f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} m" if hours
            else f"{minutes} m {secs:02d} s")
    return f"overdue by {text}" if seconds < 0 else text


def _style(seconds: int | None) -> str:
    if seconds is None:
        return "dim"
    hours = seconds / 3600
    return "bold white on red" if hours < 0 else "bold red" if hours < 4 else "yellow" if hours < 12 else "green"


def deadline(hold: dict[str, Any]) -> str:
    """The full date and time in the facility's zone, with the zone's abbreviation."""
    local: datetime | None = hold["deadline_local"]
    return "-" if local is None else f"{local:%Y-%m-%d %H:%M %Z}"


_ALERTS = {"alert_raised": "{} alert", "release_due": "DEADLINE: release or transfer",
           "limit_exceeded": "PAST THE LIMIT"}


def alert(hold: dict[str, Any]) -> str:
    """The newest alert the watchdog raised for the hold, as the ledger records it."""
    kind = hold.get("alert_kind")
    return "-" if kind is None else _ALERTS[kind].format(hold["alert_threshold"])


def _title(now: datetime) -> str:
    return f"Open holds at {now:%Y-%m-%d %H:%M:%S} UTC, soonest deadline first"


def table(rows: list[dict[str, Any]], now: datetime) -> Table:
    # What a records unit acts on (time left, the deadline) never wraps; ids and names fold, so 80 columns hold it.
    shown = Table(title=_title(now), caption=CAPTION)
    shown.add_column("time left", no_wrap=True)
    shown.add_column("hold", overflow="fold", min_width=6)
    shown.add_column("deadline (facility time)", no_wrap=True)
    shown.add_column("facility", overflow="fold", min_width=8)
    shown.add_column("alert", overflow="fold", min_width=8)
    for row in rows:
        shown.add_row(left(row["seconds_left"]), row["hold_id"], deadline(row), row["facility_name"], alert(row),
                      style=_style(row["seconds_left"]))
    return shown


def lines(rows: list[dict[str, Any]], now: datetime) -> str:
    """Plain lines for a pipe or a file: one hold per line, fields separated by two spaces."""
    out = [_title(now)]
    out += [f"{left(r['seconds_left'])}  {r['hold_id']}  {deadline(r)}  {r['facility_name']}  {alert(r)}"
            for r in rows]
    return "\n".join(out) + "\n"


def _show(rows: list[dict[str, Any]], now: datetime) -> None:
    console = Console()
    if console.is_terminal:
        console.print(table(rows, now))
    else:
        sys.stdout.write(lines(rows, now))


def holds(
    db: DbOption = None,
    due_within: Annotated[str | None, typer.Option("--due-within", help="Only holds due within: 30m, 4h, 2d.")] = None,
) -> None:
    """Open holds by time left, each deadline in facility time (plain lines when not on a terminal)."""
    window = _window(due_within) if due_within else None
    now = common.now()
    rows = reads.open_holds(common.engine(db), now, window)
    _show(rows, now)


def board(
    db: DbOption = None,
    refresh: Annotated[float, typer.Option(help="Seconds between database reads.")] = 5.0,
) -> None:
    """The live board of open holds: countdowns tick every second until Ctrl-C.

    Without a terminal it prints the holds once, as plain lines."""
    engine = common.engine(db)
    rows, read_at = reads.open_holds(engine, common.now()), time.monotonic()
    console = Console()
    if not console.is_terminal:
        sys.stdout.write(lines(rows, common.now()))
        return
    try:
        with Live(table(rows, common.now()), console=console, refresh_per_second=2, screen=False) as live:
            while True:
                time.sleep(1)
                if time.monotonic() - read_at >= refresh:
                    rows, read_at = reads.open_holds(engine, common.now()), time.monotonic()
                live.update(table(_tick(rows, read_at), common.now()))
    except KeyboardInterrupt:
        err.print("board closed")


def _tick(rows: list[dict[str, Any]], read_at: float) -> list[dict[str, Any]]:
    """The countdown between reads: seconds left less the seconds since the rows were read."""
    gone = int(time.monotonic() - read_at)
    return [{**r, "seconds_left": None if r["seconds_left"] is None else r["seconds_left"] - gone} for r in rows]
