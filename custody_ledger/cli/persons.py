"""People's data (issue 10): moving every data key to a new master key; who searched for a person."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from custody_ledger.app import admin, persons
from custody_ledger.settings import SettingsError

from . import common
from .common import DbOption, err

BatchOption = Annotated[int, typer.Option(min=1, help="Rows re-wrapped per transaction.")]


def rotate_key(db: DbOption = None, batch: BatchOption = 500) -> None:
    """Re-wrap every person's data key under CUSTODY_LEDGER_MASTER_KEY, unwrapping those still under
    CUSTODY_LEDGER_PREVIOUS_MASTER_KEY. Safe to stop and run again; every process must have both keys
    while it runs, and the previous key may be retired once it reports none left to move."""
    engine = common.engine(db)
    try:
        keys = persons.keyring()
    except SettingsError as exc:
        common.fail(str(exc))
    try:
        rewrapped, current = persons.rotate(engine, keys, batch=batch)
    except persons.PersonCryptoError as exc:
        common.fail(str(exc))
    print(f"{rewrapped} data keys re-wrapped, {current} already under the current master key {keys.key_id}")
    if keys.previous is not None:
        err.print(f"no data key is left under {keys.previous_key_id}: CUSTODY_LEDGER_PREVIOUS_MASTER_KEY can be unset "
                  "everywhere (backups made before now still need it)", highlight=False)


def searched(
    name: Annotated[str, typer.Option("--name", help="The person's full name, as searched.")],
    dob: Annotated[str, typer.Option("--dob", help="Their date of birth, YYYY-MM-DD.")],
    db: DbOption = None,
) -> None:
    """Who searched for this person by name (POST /persons/search): the access log keeps a keyed token of each
    search, never the name, so an auditor with the master key asks here. One line per search."""
    try:
        born = date.fromisoformat(dob)
    except ValueError:
        common.fail(f"--dob must be a date, YYYY-MM-DD; got {dob!r}")
    for row in admin.searches_for(common.engine(db), name, born):
        print(f"{row['at']:%Y-%m-%d %H:%M:%S} UTC  {row['principal']} ({row['role']}, {row['agency_id'] or '-'})"
              f"  from {row['remote'] or '-'}  showed {row['shown'] or '[]'}")
