"""The web UI's guarantees that need no browser: headers, cookies, CSRF, scope, access logging, bad input.

Run on the same scene as the browser tests, through Starlette's test client (a second, private database)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from custody_ledger.api.main import create_app
from custody_ledger.app import auth, reads
from custody_ledger.app.admin import open_engine
from custody_ledger.app.auth import Principal, Role
from custody_ledger.policy import default_policy
from custody_ledger.settings import Settings
from tests.e2e import scene

TEMPLATES = Path(__file__).resolve().parents[2] / "custody_ledger" / "web" / "templates"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        eng = open_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'web.db'}")
        scene.build(eng, default_policy())
        yield eng
        eng.dispose()


def _client(engine: Engine, *, mfa: bool = False, https: bool = False) -> TestClient:
    settings = Settings(mfa_required=mfa, secret_key=secrets.token_hex(20))
    return TestClient(create_app(settings, engine=engine, policy=default_policy()),
                      base_url="https://testserver" if https else "http://testserver")


def _nonce(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def _login(client: TestClient, user: str) -> str:
    """Logs in; returns the CSRF token of the user's start page."""
    answer = client.post("/", data={"csrf": _nonce(client), "username": user, "password": scene.PASSWORD},
                         follow_redirects=True)
    assert answer.status_code == 200, answer.text
    return re.search(r'name="csrf" value="([^"]+)"', answer.text).group(1)  # type: ignore[union-attr]


def test_pages_carry_a_csp_without_unsafe_inline_and_are_never_cached(engine: Engine) -> None:
    client = _client(engine)
    _login(client, "records")
    answer = client.get("/ui/holds")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answer.headers["cache-control"] == "no-store"


def test_no_template_holds_an_inline_script_or_style() -> None:
    text = "\n".join(p.read_text() for p in TEMPLATES.glob("*.html"))
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=", text) == []


def test_the_session_cookie_is_httponly_strict_and_secure_over_tls(engine: Engine) -> None:
    client = _client(engine, https=True)
    answer = client.post("/", data={"csrf": _nonce(client), "username": "records", "password": scene.PASSWORD},
                         follow_redirects=False)
    cookie = answer.headers["set-cookie"].lower()
    assert "cl_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie


def test_the_log_in_page_asks_for_the_code_when_mfa_is_required(engine: Engine) -> None:
    assert 'id="totp"' in _client(engine, mfa=True).get("/").text
    assert 'id="totp"' not in _client(engine).get("/").text


def test_a_form_without_its_csrf_token_changes_nothing(engine: Engine) -> None:
    client = _client(engine)
    _login(client, "supervisor")
    answer = client.post("/ui/hold-action", data={"command": "transfer_custody", "hold_id": "H-SPARE",
                                                  "receiving_officer": "X", "field_office_id": "FO-1"})
    assert answer.status_code == 403 and "reload the page" in answer.text
    assert _hold_status(engine, "H-SPARE") == "open"


def test_a_form_posted_from_another_site_changes_nothing(engine: Engine) -> None:
    client = _client(engine)
    token = _login(client, "supervisor")
    answer = client.post("/ui/hold-action", headers={"Origin": "https://evil.example"},
                         data={"csrf": token, "command": "transfer_custody", "hold_id": "H-SPARE",
                               "receiving_officer": "X", "field_office_id": "FO-1"})
    assert answer.status_code == 403
    assert _hold_status(engine, "H-SPARE") == "open"


def test_a_hold_of_another_agency_is_answered_as_absent(engine: Engine) -> None:
    client = _client(engine)
    _login(client, "records")  # agency AG-A; H-IGSA is AG-B's
    answer = client.get("/ui/holds/H-IGSA")
    assert answer.status_code == 404 and "Traceback" not in answer.text


def test_a_role_without_the_ledger_is_refused_it(engine: Engine) -> None:
    client = _client(engine)
    _login(client, "supervisor")
    assert client.get("/ui/ledger").status_code == 403


def test_opening_a_hold_page_is_written_to_the_access_log(engine: Engine) -> None:
    client = _client(engine)
    _login(client, "agency-admin")
    assert client.get("/ui/holds/H-DUE").status_code == 200
    auditor = Principal("auditor", Role.AUDITOR)
    logged = reads.run(engine, reads.access_log, auditor, principal_id="agency-admin", limit=500).items
    assert {"read_hold", "read_booking", "read_hold_timeline"} <= {r["action"] for r in logged
                                                                   if "H-DUE" in (r["resource"] or "")
                                                                   or "BK-H-DUE" in (r["resource"] or "")}


def test_bad_input_names_the_field_and_changes_nothing(engine: Engine) -> None:
    client = _client(engine)
    token = _login(client, "supervisor")
    answer = client.post("/ui/registry-action", data={
        "csrf": token, "kind": "officer", "command": "record_training", "officer_id": "OFF-A2", "model": "WSO",
        "course": "WSO basic", "hours": "8", "completed_on": "not-a-date"})
    assert answer.status_code == 422
    assert "completed_on" in answer.text and "Nothing was changed" in answer.text
    assert 'value="not-a-date"' in answer.text  # the form keeps what was typed


def test_a_page_without_a_session_leads_to_the_log_in_page(engine: Engine) -> None:
    answer = _client(engine).get("/ui/holds", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/")


def _hold_status(engine: Engine, hold_id: str) -> str:
    admin = Principal("admin", Role.PROGRAM_ADMIN)
    item = reads.run(engine, reads.hold, admin, hold_id, now=datetime.now(UTC), mfa_required=False)
    return str(item["status"])


def test_with_mfa_the_log_in_needs_the_current_code(engine: Engine) -> None:
    import pyotp

    secret = auth.add_user(engine, "coded", scene.PASSWORD, Role.FACILITY_STAFF, now=datetime.now(UTC), by="test",
                           agency_id="AG-A")
    assert secret is not None
    client = _client(engine, mfa=True)
    form = {"username": "coded", "password": scene.PASSWORD}
    assert client.post("/", data={**form, "csrf": _nonce(client), "totp": "000000"}).status_code == 401
    answer = client.post("/", data={**form, "csrf": _nonce(client), "totp": pyotp.TOTP(secret).now()},
                         follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui/holds")


@pytest.mark.parametrize(("refresh_headers", "alive"), [({"HX-Request": "true"}, False), ({}, True)])
def test_the_boards_own_refresh_does_not_keep_an_unattended_session_alive(engine: Engine,
                                                                            refresh_headers: dict[str, str],
                                                                            alive: bool) -> None:
    """A board left open reloads itself every 30 s; only what a person does counts towards the idle limit."""
    moment = [datetime.now(UTC)]
    settings = Settings(mfa_required=False, secret_key=secrets.token_hex(20), session_idle_minutes=30)
    client = TestClient(create_app(settings, engine=engine, policy=default_policy(), clock=lambda: moment[0]))
    _login(client, "records")
    moment[0] += timedelta(minutes=20)
    assert client.get("/ui/holds/board", headers=refresh_headers).status_code == 200
    moment[0] += timedelta(minutes=15)  # 35 minutes after the log-in, 15 after the refresh
    answer = client.get("/ui/holds", follow_redirects=False)
    assert (answer.status_code == 200) is alive, answer.status_code
