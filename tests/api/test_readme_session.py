"""The README's curl session, run as it stands: log in, list the holds due within 4 hours, serve a warrant.

The block is read from README.md's "The HTTP API" section; only the variables it tells the reader to set
(BASE, OFFICER) are replaced. The database is made as the start script makes the demo (init, seed,
demo-accounts), anchored three hours back so that some open holds fall due within the next 4 hours,
and the API runs under uvicorn on a free local port, as `custody-ledger serve` runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from custody_ledger.ledger import db
from custody_ledger.ledger.schema import users

README = Path(__file__).resolve().parents[2] / "README.md"
FOUR_HOURS = 4 * 3600

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the README session needs curl")


def readme_session() -> str:
    """The first ```sh block of README.md's section "The HTTP API"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## The HTTP API\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert match is not None, "README's HTTP API section has no ```sh block"
    return match.group(1)


def with_variables(script: str, **values: str) -> str:
    for name, value in values.items():
        script, count = re.subn(rf"^{name}=\S+", f"{name}={value}", script, flags=re.MULTILINE)
        assert count == 1, f"README session sets {name} {count} times"
    return script


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "custody_ledger", *args], env=env, check=True, capture_output=True,
                   timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, the officer of the demo log-in "wso") of a live server on a freshly seeded demo database."""
    path = tmp_path_factory.mktemp("readme") / "demo.db"
    env = {**os.environ, "CUSTODY_LEDGER_DB": str(path), "CUSTODY_LEDGER_MFA_REQUIRED": "false"}
    anchor = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0).isoformat()
    _cli(env, "init")
    _cli(env, "seed", "--agencies", "2", "--years", "0.25", "--now", anchor)
    _cli(env, "demo-accounts")
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        officer = conn.execute(sa.select(users.c.officer_id).where(users.c.user_id == "wso")).scalar_one()
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "custody_ledger.api.main:create_app",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, officer
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server exited"
        try:
            with urllib.request.urlopen(f"{base}/openapi.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the API did not answer at {base}")


@pytest.fixture(scope="module")
def responses(demo: tuple[str, str]) -> list[dict[str, Any]]:
    """The session's printed responses: the holds page, the release's result, the serve's result."""
    base, officer = demo
    script = with_variables(readme_session(), BASE=base, OFFICER=officer)
    run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert (run.returncode, run.stderr) == (0, "")
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def test_the_session_prints_three_responses(responses: list[dict[str, Any]]) -> None:
    assert len(responses) == 3


def test_the_holds_listed_are_open_due_within_4_hours_nearest_first(responses: list[dict[str, Any]]) -> None:
    left = [(h["status"], h["seconds_left"]) for h in responses[0]["items"]]
    assert left and left == sorted(left, key=lambda s: s[1]) and all(
        status == "open" and 0 < seconds <= FOUR_HOURS for status, seconds in left)


def test_the_jail_releases_the_person(responses: list[dict[str, Any]]) -> None:
    release = responses[1]
    assert (release["ok"], [e["type"] for e in release["events"]]) == (True, ["released_from_criminal_custody"])


def test_the_wso_serves_the_warrant_at_the_release_and_a_hold_opens_with_its_deadline(
        responses: list[dict[str, Any]]) -> None:
    serve = responses[2]
    hours = (datetime.fromisoformat(serve["deadline"]) - datetime.fromisoformat(serve["clock_started_at"]))
    assert (serve["ok"], [e["type"] for e in serve["events"]], serve["deadline"][-1], hours) == (
        True, ["warrant_served", "hold_opened"], "Z", timedelta(hours=48))


def test_the_readme_marks_its_variables_and_the_body_drops_the_envelope() -> None:
    script = readme_session()
    bodies = re.findall(r"<<JSON\n(.*?)\nJSON", script, re.DOTALL)
    assert (len(bodies), [b for b in bodies if re.search(r'"(command|idempotency_key|actor)"', b)],
            "Idempotency-Key:" in script) == (2, [], True)
