"""A policy file that counts the limit as 8 CFR 287.7(d) did (weekends and holidays excluded), through `apply
--policy` and through the HTTP API: the deadline a clerk sees is the one that rule gives, across the DST change.

Released and arrested Friday 6 March 2026, 18:00 in Chicago: 6 weekday hours are left that Friday, Saturday and
Sunday (when clocks go forward) do not count, Monday counts 24, so the 48 hours run out Tuesday at 18:00 CDT.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.api.main import create_app
from custody_ledger.app import auth
from custody_ledger.app.auth import Role
from custody_ledger.cli import app
from custody_ledger.policy import DEFAULT_POLICY, load_policy
from custody_ledger.settings import Settings
from tests.support.world import World

FRIDAY_EVENING = "2026-03-06T18:00:00-06:00"
TUESDAY_EVENING = "2026-03-10T18:00:00-05:00"


@pytest.fixture
def weekdays_policy(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["parameters"]["custody_limit"][-1]["counting"] = "excluding_weekends_and_holidays"
    file = tmp_path / "weekdays.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return file


def _story() -> list[tuple[str, str, dict[str, Any]]]:
    """(command, occurred_at, payload): a Texas WSO agency, a certified officer, a person booked and released."""
    at = "2026-03-02T09:00:00-06:00"
    return [
        ("register_field_office", at, {"field_office_id": "FO-1", "name": "Houston ERO",
                                       "timezone": "America/Chicago"}),
        ("register_agency", at, {"agency_id": "AG-A", "name": "County Sheriff", "kind": "sheriff", "state": "TX",
                                 "county": "Harris", "ori": "TX1010000", "field_office_id": "FO-1"}),
        ("register_facility", at, {"facility_id": "JAIL", "agency_id": "AG-A", "name": "County Jail",
                                   "timezone": "America/Chicago"}),
        ("request_agreement", at, {"agreement_id": "AGR", "agency_id": "AG-A", "model": "WSO"}),
        ("review_agreement", at, {"agreement_id": "AGR", "decision": "suitable", "reasons": "no state limits"}),
        ("sign_agreement", at, {"agreement_id": "AGR", "signed_on": "2026-03-01", "effective_from": "2026-03-01",
                                "igsa": False}),
        ("nominate_officer", at, {"officer_id": "OFF-1", "agency_id": "AG-A", "name": "Officer One", "badge": "1"}),
        ("record_background_check", at, {"officer_id": "OFF-1", "result": "passed"}),
        ("record_training", at, {"officer_id": "OFF-1", "model": "WSO", "course": "WSO basic", "hours": 8,
                                 "completed_on": "2026-03-01", "exam_score": 90}),
        ("certify_officer", at, {"officer_id": "OFF-1", "model": "WSO", "agreement_id": "AGR", "credential_no": "CR-1",
                                 "supervisor": "SDDO, Houston ERO"}),
        ("book_person", at, {"booking_id": "BK-1", "facility_id": "JAIL",
                             "person": {"name": "Jane Roe", "dob": "1990-01-01"}, "charge_status": "pending"}),
        ("lodge_warrant", "2026-03-03T09:00:00-06:00", {"warrant_id": "WR-1", "booking_id": "BK-1", "form": "I-200",
                                                        "number": "N-1", "issued_on": "2026-03-03"}),
        ("release_from_criminal_custody", FRIDAY_EVENING, {"booking_id": "BK-1", "reason": "bail"}),
    ]


SERVE = {"hold_id": "AG-A.H-1", "warrant_id": "WR-1", "officer_id": "OFF-1"}  # an API caller's ids are its agency's


def test_apply_with_a_weekday_policy_gives_the_weekday_deadline(tmp_path: Path, db_url: str,
                                                               weekdays_policy: Path) -> None:
    lines = [{"command": c, "idempotency_key": f"k{i}", "actor": "clerk", "occurred_at": at, **p}
             for i, (c, at, p) in enumerate([*_story(), ("serve_warrant", FRIDAY_EVENING, SERVE)])]
    file = tmp_path / "story.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    run = CliRunner().invoke(app, ["apply", str(file), "--db", db_url, "--policy", str(weekdays_policy)])
    served = json.loads(run.stdout.splitlines()[-1])
    assert (run.exit_code, served["ok"], served["deadline_local"]) == (0, True, TUESDAY_EVENING)


def test_the_api_with_a_weekday_policy_gives_the_weekday_deadline(engine: Engine, weekdays_policy: Path) -> None:
    policy = load_policy(weekdays_policy)
    world = World(engine, policy)
    for command, at, payload in _story():
        world.ok(command, at=datetime.fromisoformat(at).astimezone(UTC), **payload)
    settings = Settings(mfa_required=False, secret_key="k" * 40)
    now = world.clock
    auth.add_user(engine, "wso", "a long enough password", Role.CERTIFIED_OFFICER, now=now, by="test",
                  agency_id="AG-A", officer_id="OFF-1")
    client = TestClient(create_app(settings, engine=engine, policy=policy, clock=lambda: now))
    token = client.post("/auth/login", json={"username": "wso", "password": "a long enough password"}).json()["token"]
    response = client.post("/commands/serve_warrant", json={**SERVE, "occurred_at": FRIDAY_EVENING},
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "serve-1"})
    assert (response.status_code, response.json()["deadline_local"]) == (200, TUESDAY_EVENING)
