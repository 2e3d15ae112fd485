"""Accounts, API keys and the server from the command line, as an administrator uses them."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from custody_ledger.app import auth
from custody_ledger.app.demo_accounts import DEMO_PASSWORD
from custody_ledger.cli import app
from custody_ledger.ledger import db
from custody_ledger.ledger.schema import access_log, users
from custody_ledger.settings import load_settings

RUNNER = CliRunner()
PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "demo.db"
    RUNNER.invoke(app, ["init", "--db", str(path)])
    run = RUNNER.invoke(app, ["seed", "--db", str(path), "--agencies", "2", "--years", "0.1", "--bookings", "5"])
    assert run.exit_code == 0, run.output
    with sqlite3.connect(path) as conn:  # fold the WAL into the file, so a copy of the file is the database
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def database(seeded: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    copy.write_bytes(seeded.read_bytes())
    return str(copy)


def _agency(database: str) -> str:
    with db.make_engine(database).connect() as conn:
        return str(conn.execute(sa.text("SELECT min(agency_id) FROM agencies")).scalar_one())


def _log(database: str) -> list[tuple[str, str, str | None]]:
    with db.make_engine(database).connect() as conn:
        rows = conn.execute(sa.select(access_log.c.action, access_log.c.outcome, access_log.c.resource)
                            .where(access_log.c.principal == "cli").order_by(access_log.c.seq))
        return [tuple(r) for r in rows]


def _can_log_in(database: str, user: str, password: str) -> bool:
    try:
        auth.login(db.make_engine(database), load_settings(mfa_required=False), user, password, None,
                   now=datetime.now(UTC))
    except auth.Unauthorized:
        return False
    return True


def test_user_add_reset_role_disable_each_take_effect_and_are_logged(database: str) -> None:
    agency = _agency(database)
    add = RUNNER.invoke(app, ["user", "add", "clerk", "--role", "facility_staff", "--agency", agency, "--no-mfa",
                              "--db", database], input=f"{PASSWORD}\n{PASSWORD}\n")
    reset = RUNNER.invoke(app, ["user", "reset", "clerk", "--db", database], input="another-password-9\n" * 2)
    logins = (_can_log_in(database, "clerk", PASSWORD), _can_log_in(database, "clerk", "another-password-9"))
    role = RUNNER.invoke(app, ["user", "role", "clerk", "--role", "auditor", "--db", database])
    with db.make_engine(database).connect() as conn:
        now_role = conn.execute(sa.select(users.c.role).where(users.c.user_id == "clerk")).scalar_one()
    disable = RUNNER.invoke(app, ["user", "disable", "clerk", "--db", database])
    assert ([r.exit_code for r in (add, reset, role, disable)], logins, now_role,
            _can_log_in(database, "clerk", "another-password-9"), [a for a, _, _ in _log(database)]) == (
        [0, 0, 0, 0], (False, True), "auditor", False,
        ["user_added", "password_reset", "role_changed:auditor", "user_disabled"])


def test_user_commands_refuse_bad_input_in_one_line(database: str) -> None:
    short = RUNNER.invoke(app, ["user", "add", "x", "--role", "auditor", "--db", database], input="short\nshort\n")
    nobody = RUNNER.invoke(app, ["user", "disable", "nobody", "--db", database])
    no_scope = RUNNER.invoke(app, ["user", "add", "y", "--role", "facility_staff", "--db", database],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert [(r.exit_code, r.stderr.count("\n")) for r in (short, nobody, no_scope)] == [(2, 1)] * 3
    assert ("password" in short.stderr, "nobody" in nobody.stderr, "agency" in no_scope.stderr) == (True, True, True)


def test_key_add_prints_a_key_once_for_one_agency_and_key_disable_revokes_it(database: str) -> None:
    agency = _agency(database)
    added = RUNNER.invoke(app, ["key", "add", "jms-1", "--agency", agency, "--db", database])
    key = added.stdout.strip()
    settings = load_settings()
    principal = auth.authenticate_key(db.make_engine(database), settings, key)
    again = RUNNER.invoke(app, ["key", "add", "jms-1", "--agency", agency, "--db", database])
    unknown_agency = RUNNER.invoke(app, ["key", "add", "jms-2", "--agency", "AG-NOWHERE", "--db", database])
    disabled = RUNNER.invoke(app, ["key", "disable", "jms-1", "--db", database])
    with pytest.raises(auth.Unauthorized):
        auth.authenticate_key(db.make_engine(database), settings, key)
    assert ((added.exit_code, key.startswith("clk_"), principal.agency_id, principal.role.value),
            (again.exit_code, unknown_agency.exit_code, disabled.exit_code), [a for a, _, _ in _log(database)]) == (
        (0, True, agency, "integration"), (2, 2, 0), ["api_key_added", "api_key_disabled"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_listens_on_the_host_and_port_given_and_serves_docs_and_a_demo_log_in(database: str) -> None:
    accounts = RUNNER.invoke(app, ["demo-accounts", "--db", database])
    port = _free_port()
    env = {**os.environ, "CUSTODY_LEDGER_MFA_REQUIRED": "false"}
    server = subprocess.Popen([sys.executable, "-m", "custody_ledger", "serve", "--db", database, "--port", str(port)],
                              env=env, stderr=subprocess.PIPE, text=True)
    docs = 0
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                docs = urllib.request.urlopen(f"{base}/docs", timeout=2).status
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        body = json.dumps({"username": "records", "password": DEMO_PASSWORD}).encode()
        login = urllib.request.Request(f"{base}/auth/login", method="POST", data=body,
                                       headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(login, timeout=5))["token"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert (accounts.exit_code, "X-API-Key: clk_" in accounts.stdout, docs, bool(token),
            f"http://127.0.0.1:{port}/ " in stderr, "MFA is OFF" in stderr) == (0, True, 200, True, True, True)


@pytest.mark.parametrize(("args", "named"), [
    (["--role", "facility_staff", "--agency", "AG-NOWHERE"], "agency AG-NOWHERE does not exist"),
    (["--role", "ice_supervisor", "--field-office", "FO-NOWHERE"], "field office FO-NOWHERE does not exist"),
    (["--role", "certified_officer", "--agency", "{agency}", "--officer", "O-NOWHERE"], "officer O-NOWHERE does not"),
    (["--role", "certified_officer", "--agency", "{agency}"], "officer record"),
    (["--role", "integration"], "key add"),
])
def test_user_add_checks_everything_before_reading_a_password(database: str, args: list[str], named: str) -> None:
    # The password given is too short: were it read first, the refusal would name the password instead.
    given = [a.format(agency=_agency(database)) for a in args]
    run = RUNNER.invoke(app, ["user", "add", "z", "--db", database, *given], input="short\n")
    assert (run.exit_code, run.stderr.count("\n"), named in run.stderr) == (2, 1, True)


def test_user_add_refuses_a_taken_name_before_reading_a_password(database: str) -> None:
    RUNNER.invoke(app, ["user", "add", "taken", "--role", "auditor", "--no-mfa", "--db", database],
                  input=f"{PASSWORD}\n")
    again = RUNNER.invoke(app, ["user", "add", "taken", "--role", "auditor", "--db", database], input="short\n")
    assert (again.exit_code, "already exists" in again.stderr) == (2, True)


def test_user_add_reads_a_piped_password_once_without_a_warning(database: str) -> None:
    run = subprocess.run([sys.executable, "-m", "custody_ledger", "user", "add", "piped", "--role", "auditor",
                          "--no-mfa", "--db", database], input=f"{PASSWORD}\n", capture_output=True, text=True,
                         check=False)
    assert (run.returncode, "arning" in run.stderr, "password" in run.stdout + run.stderr.replace("piped", ""),
            _can_log_in(database, "piped", PASSWORD)) == (0, False, False, True)
