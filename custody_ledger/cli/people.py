"""People and keys: accounts (add, disable, role, reset), integration clients' API keys, demo log-ins."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from custody_ledger.app import admin
from custody_ledger.app.auth import (
    Role,
    add_api_key,
    add_user,
    change_role,
    disable_api_key,
    disable_user,
    end_sessions,
    list_sessions,
    reset_password,
)

from . import common
from .common import DbOption, err, fail

RoleOption = Annotated[Role, typer.Option(help="The account's role.", case_sensitive=False)]
AgencyOption = Annotated[str | None, typer.Option(help="Agency id (staff, officers).")]
FieldOfficeOption = Annotated[str | None, typer.Option(help="Field office id (ICE supervisors).")]
OfficerOption = Annotated[str | None, typer.Option(help="Officer id (certified officers).")]


def _password(prompt: str) -> str:
    """Typed twice, hidden, on a terminal; one line of stdin, without a warning, when piped."""
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def user_add(
    user_id: Annotated[str, typer.Argument(help="Log-in name.")],
    role: RoleOption,
    db: DbOption = None,
    agency: AgencyOption = None,
    field_office: FieldOfficeOption = None,
    officer: OfficerOption = None,
    no_mfa: Annotated[bool, typer.Option("--no-mfa", help="No TOTP secret (only where MFA is off).")] = False,
) -> None:
    """Add an account, checked in full before the password is read; the TOTP secret is printed once.

    The password is prompted for on a terminal, read as one line of stdin when piped."""
    engine = common.engine(db)
    with common.refusing():
        admin.check_account(engine, user_id, role, agency_id=agency, field_office_id=field_office, officer_id=officer)
        secret = add_user(engine, user_id, _password("password"), role, now=common.now(), by="cli",
                          agency_id=agency, field_office_id=field_office, officer_id=officer, with_mfa=not no_mfa)
    err.print(f"user {user_id} added as {role.value}", highlight=False)
    if secret:
        err.print(f"TOTP secret (enrol it in an authenticator app now; it is not shown again): {secret}",
                  highlight=False)


def user_disable(user_id: str, db: DbOption = None) -> None:
    """Disable an account and end its sessions."""
    with common.refusing():
        disable_user(common.engine(db), user_id, now=common.now(), by="cli")
    err.print(f"user {user_id} disabled", highlight=False)


def user_role(
    user_id: str,
    role: RoleOption,
    db: DbOption = None,
    agency: AgencyOption = None,
    field_office: FieldOfficeOption = None,
    officer: OfficerOption = None,
) -> None:
    """Give an account a new role and scope; its sessions end."""
    with common.refusing():
        change_role(common.engine(db), user_id, role, now=common.now(), by="cli", agency_id=agency,
                    field_office_id=field_office, officer_id=officer)
    err.print(f"user {user_id} is now {role.value}", highlight=False)


def user_reset(user_id: str, db: DbOption = None) -> None:
    """Set a new password (prompted, or one line of stdin when piped) and end the account's sessions."""
    engine = common.engine(db)
    with common.refusing():
        reset_password(engine, user_id, _password("new password"), now=common.now(), by="cli")
    err.print(f"password of {user_id} reset", highlight=False)


def user_sessions(user_id: str, db: DbOption = None) -> None:
    """List an account's open sessions: id, opened, last seen, expires, second factor, address."""
    table = Table(title=f"Open sessions of {user_id}")
    for column in ("id", "opened", "last seen", "expires", "mfa", "from"):
        table.add_column(column)
    with common.refusing():
        rows = list_sessions(common.engine(db), common.settings(), user_id, now=common.now())
    for row in rows:
        table.add_row(row.id, row.created_at.isoformat(), row.last_seen_at.isoformat(), row.expires_at.isoformat(),
                      "yes" if row.mfa_passed else "no", row.remote or "")
    Console().print(table)


def user_logout(user_id: str, db: DbOption = None) -> None:
    """End every open session of an account at once (its next request is 401)."""
    with common.refusing():
        ended = end_sessions(common.engine(db), user_id, now=common.now(), by="cli")
    err.print(f"{ended} session(s) of {user_id} ended", highlight=False)


def key_add(
    key_id: Annotated[str, typer.Argument(help="A name for the client, e.g. jms-harris.")],
    agency: Annotated[str | None, typer.Option(help="The one agency whose records the key reaches.")] = None,
    program_data: Annotated[bool, typer.Option("--program-data", help="A program-wide key for ICE's public list "
                                                                      "(imports, agreements), no agency's records.")]
    = False,
    db: DbOption = None,
) -> None:
    """Issue an API key for a jail management system (--agency) or for ICE's public list (--program-data); the key
    is printed once, only its digest is kept."""
    if (agency is None) == (not program_data):
        fail("name one agency with --agency, or give --program-data for a key to ICE's public list")
    with common.refusing():
        key = add_api_key(common.engine(db), key_id, agency, common.settings(), now=common.now(), by="cli")
    scope = f"agency {agency}" if agency else "ICE's public list (program-wide, no agency's records)"
    err.print(f"API key {key_id} issued for {scope}; send it as X-API-Key (it is not shown again):", highlight=False)
    print(key)


def key_disable(key_id: str, db: DbOption = None) -> None:
    """Revoke an API key at once."""
    with common.refusing():
        disable_api_key(common.engine(db), key_id, now=common.now(), by="cli")
    err.print(f"API key {key_id} disabled", highlight=False)


def demo_accounts(db: DbOption = None) -> None:
    """Create one demo log-in per role on a seeded database, and print them."""
    from custody_ledger.app.demo_accounts import DEMO_PASSWORD, create_demo_accounts, issue_demo_key

    engine = common.engine(db)
    rows = create_demo_accounts(engine, common.now())
    table = Table(title=f"Demo log-ins (password for all: {DEMO_PASSWORD})")
    for column in ("user", "role", "scope"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    issued = issue_demo_key(engine, common.settings(), common.now())
    if issued is not None:
        agency, key = issued
        Console().print(f"Integration client (a jail management system) of {agency}: X-API-Key: {key}",
                        highlight=False, soft_wrap=True)
