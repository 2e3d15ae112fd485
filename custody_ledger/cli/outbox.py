"""The alert outbox: what was sent, what waits for a retry, what is dead; and a dead message sent again."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from custody_ledger.app import notify
from custody_ledger.domain.instants import present_instant

from . import common
from .common import DbOption, err


class Status(StrEnum):
    PENDING = notify.PENDING
    SENT = notify.SENT
    DEAD = notify.DEAD


COLUMNS = ("message", "status", "attempts", "channel", "target", "next attempt", "last error")


def _when(row: dict[str, Any]) -> str:
    # A sent message has no next attempt; when it went is what its reader wants instead.
    if row["status"] == notify.SENT and row["sent_at"] is not None:
        return f"sent {present_instant(row['sent_at'])}"
    return present_instant(row["next_attempt_at"])


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["message_id"], row["status"], str(row["attempts"]), row["channel"], row["target"], _when(row),
            row["last_error"] or "-")


def _show(rows: list[dict[str, Any]]) -> None:
    console = Console()
    if not console.is_terminal:
        sys.stdout.writelines("  ".join(_cells(row)) + "\n" for row in rows)
        return
    shown = Table(title="Outbox, newest first")
    for column in COLUMNS:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*_cells(row))
    console.print(shown)


def outbox_list(
    status: Annotated[Status | None, typer.Option(help="Only messages of this status.", case_sensitive=False)] = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option(help="At most this many, the newest first.", min=1,
                                       max=notify.MAX_LIMIT)] = 100,
) -> None:
    """Alert messages, the newest first: status, attempts, where each goes, when it is next tried, what failed.

    One message per line, fields separated by two spaces, when not on a terminal."""
    with common.refusing():
        rows = notify.messages(common.engine(db), status=None if status is None else status.value, limit=limit)
    _show(rows)
    if len(rows) == limit:
        err.print(f"showing the newest {limit}; --limit shows more", highlight=False)


def outbox_replay(
    message_id: Annotated[str, typer.Argument(help="The message to send again (from `outbox list`).")],
    db: DbOption = None,
) -> None:
    """Put a dead message back in line: pending, attempts reset, due now. A sent message is refused."""
    with common.refusing():
        notify.replay(common.engine(db), message_id, now=common.now())
    err.print(f"message {message_id} is pending again and goes on the next delivery pass", highlight=False)
