"""The command line, wired in one place: each command is declared in its topic's module and registered here.

ledger.py (init, apply, seed, verify, serve, commands), interop.py (import ice-agreements, import jms,
agreements, export), board.py (holds, board), watch.py (watch), outbox.py (outbox list, replay), persons.py
(persons rotate-key, searched), trust.py (checkpoint-key new, checkpoint, prove), policy.py (policy show),
people.py (user, key, demo-accounts), reports.py (report oversight, report transparency), replay.py (replay:
history under another policy); common.py holds what they share (errors, database, moments, progress).
"""

from __future__ import annotations

import typer

from . import board, interop, ledger, outbox, people, persons, policy, replay, reports, trust, watch
from .common import Command, Group

app = typer.Typer(help="Custody Ledger: the 287(g) program's tamper-evident custody records.", no_args_is_help=True,
                  cls=Group)
policy_app = typer.Typer(help="The policy in force: rules, limits, citations.", cls=Group, no_args_is_help=True)
user_app = typer.Typer(help="Accounts: add, disable, change role, reset a password.", cls=Group,
                       no_args_is_help=True)
key_app = typer.Typer(help="API keys of integration clients (a jail management system): add, disable.", cls=Group,
                      no_args_is_help=True)

app.command(cls=Command)(ledger.init)
app.command(cls=Command)(ledger.apply)
app.command(cls=Command)(ledger.seed)
app.command(cls=Command)(board.holds)
app.command(cls=Command)(board.board)
app.command(cls=Command)(ledger.verify)
app.command(cls=Command)(interop.export)
app.command(cls=Command)(interop.agreements)
app.command(cls=Command)(replay.replay)
import_app = typer.Typer(help="Data in: ICE's list of 287(g) agencies; a jail's bookings.", cls=Group,
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
import_app.command("ice-agreements", cls=Command)(interop.import_ice_agreements)
import_app.command("jms", cls=Command)(interop.import_jms)
report_app = typer.Typer(help="Reports: oversight (full detail) and transparency (public, small counts suppressed).",
                         cls=Group, no_args_is_help=True)
app.add_typer(report_app, name="report")
report_app.command("oversight", cls=Command)(reports.oversight)
report_app.command("transparency", cls=Command)(reports.transparency)
app.command(cls=Command)(trust.checkpoint)
app.command(cls=Command)(trust.prove)
checkpoint_key_app = typer.Typer(help="The Ed25519 key that signs checkpoints.", cls=Group, no_args_is_help=True)
app.add_typer(checkpoint_key_app, name="checkpoint-key")
checkpoint_key_app.command("new", cls=Command)(trust.checkpoint_key_new)
app.command(cls=Command)(ledger.serve)
app.command(cls=Command)(watch.watch)
app.command(cls=Command)(ledger.commands)
app.command("demo-accounts", cls=Command)(people.demo_accounts)
app.add_typer(policy_app, name="policy")
policy_app.command("show", cls=Command)(policy.show)
app.add_typer(user_app, name="user")
user_app.command("add", cls=Command)(people.user_add)
user_app.command("disable", cls=Command)(people.user_disable)
user_app.command("role", cls=Command)(people.user_role)
user_app.command("reset", cls=Command)(people.user_reset)
user_app.command("sessions", cls=Command)(people.user_sessions)
user_app.command("logout", cls=Command)(people.user_logout)
outbox_app = typer.Typer(help="Alert messages to webhooks and e-mail: list them, replay a dead letter.", cls=Group,
                         no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
outbox_app.command("list", cls=Command)(outbox.outbox_list)
outbox_app.command("replay", cls=Command)(outbox.outbox_replay)
persons_app = typer.Typer(help="The encrypted person store: re-wrap its data keys under a new master key.",
                          cls=Group, no_args_is_help=True)
app.add_typer(persons_app, name="persons")
persons_app.command("rotate-key", cls=Command)(persons.rotate_key)
persons_app.command("searched", cls=Command)(persons.searched)
db_app = typer.Typer(help="The database's own protection (PostgreSQL roles).", cls=Group, no_args_is_help=True)
app.add_typer(db_app, name="db")
db_app.command("grant-service-role", cls=Command)(ledger.grant_service_role)
app.add_typer(key_app, name="key")
key_app.command("add", cls=Command)(people.key_add)
key_app.command("disable", cls=Command)(people.key_disable)


def main() -> None:
    app()


__all__ = ["app", "main"]
