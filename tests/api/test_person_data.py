"""A person's data over HTTP (issue 10): sealed records shown only to the roles the policy names (rule
person.sealed_access), expunged ones to no one, every read in the access log, and the search by name and
date of birth that keeps the name out of the log.

The world of tests/api/conftest.py, plus one more person of agency A under a hold (booking BK-S, hold H-S)
with an A-number, and a second booking of Jane Roe in agency A (BK-A2).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app import admin, persons, watchdog
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import holds
from tests.api.conftest import Api, build_world
from tests.support.world import World

# Every role that can see agency A's records, and the one that may read a sealed one (person.sealed_access).
READERS = ("staff-a", "admin-a", "wso-a", "sup-fo1", "program-admin", "auditor")
SEALED_READERS = {"admin-a"}
ANA = {"name": "Ana Lucía Torres", "dob": "1985-05-05", "a_number": "A234567890"}
SHOWN = (ANA["name"], ANA["dob"], ANA["a_number"])
HIDDEN = (None, None, None)


@pytest.fixture
def world(engine: Engine, policy: Policy) -> World:
    """The API's world, with Ana booked, held (H-S) and Jane Roe booked a second time in agency A."""
    w = build_world(engine, policy)
    w.ok("book_person", booking_id="BK-S", facility_id="AG-A-JAIL", person=ANA, charge_status="pending")
    w.ok("lodge_warrant", warrant_id="WR-BK-S", booking_id="BK-S", form="I-200", number="N-BK-S",
         issued_on=w.clock.date().isoformat())
    release = w.later(hours=1)
    w.ok("release_from_criminal_custody", at=release, booking_id="BK-S", reason="bail")
    w.ok("serve_warrant", at=release, hold_id="H-S", warrant_id="WR-BK-S", officer_id="OFF-A")
    w.ok("book_person", booking_id="BK-A2", facility_id="AG-A-JAIL",
         person={"name": "JANE  ROE", "dob": "1990-01-01"}, charge_status="convicted")
    return w


def _order(api: Api, command: str, user: str, booking: str) -> Any:
    return api.command(command, user, booking_id=booking, court_order=f"{command} order, case 2026-CV-7")


def _ok(response: Any) -> None:
    assert (response.status_code, response.json()["ok"]) == (200, True), response.text


def _person(item: dict[str, Any]) -> tuple[Any, ...]:
    return item["person_name"], item["person_dob"], item["a_number"]


def _detail(api: Api) -> dict[str, tuple[Any, ...]]:
    """What GET /bookings/BK-S shows each reader: the person, and the record's state."""
    seen = {}
    for user in READERS:
        response = api.client.get("/bookings/BK-S", headers=api.headers(user))
        assert response.status_code == 200, (user, response.text)
        seen[user] = (*_person(response.json()), response.json()["person_state"])
    return seen


def _listed(api: Api) -> dict[str, tuple[Any, ...]]:
    """What GET /bookings shows each reader of BK-S."""
    seen = {}
    for user in READERS:
        response = api.client.get("/bookings", params={"agency_id": "AG-A", "limit": 500}, headers=api.headers(user))
        assert response.status_code == 200, (user, response.text)
        [item] = [i for i in response.json()["items"] if i["booking_id"] == "BK-S"]
        seen[user] = (*_person(item), item["person_state"])
    return seen


def _alerted(api: Api) -> dict[str, set[tuple[Any, ...]]]:
    """The name and state on each of H-S's alerts, for each reader."""
    seen = {}
    for user in READERS:
        response = api.client.get("/alerts", params={"hold_id": "H-S", "limit": 500}, headers=api.headers(user))
        assert response.status_code == 200, (user, response.text)
        items = response.json()["items"]
        assert items, user
        seen[user] = {(i["person_name"], i["person_state"]) for i in items}
    return seen


def _expect(state: str, shown_to: set[str] | frozenset[str]) -> dict[str, tuple[Any, ...]]:
    return {user: (*(SHOWN if user in shown_to else HIDDEN), state) for user in READERS}


def _expect_alerts(state: str, shown_to: set[str] | frozenset[str]) -> dict[str, set[tuple[Any, ...]]]:
    return {user: {(ANA["name"] if user in shown_to else None, state)} for user in READERS}


def _access_log(api: Api) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    after: Any = None
    while True:
        params = {"limit": 500, **({"after": after} if after is not None else {})}
        page = api.client.get("/access-log", params=params, headers=api.headers("auditor"))
        assert page.status_code == 200, page.text
        records += page.json()["items"]
        after = page.json()["next"]
        if after is None:
            return records


def _at_the_deadline(api: Api) -> datetime:
    """The app's clock to H-S's deadline, before anyone logs in (a session would idle out over the jump), and
    a watchdog pass there: H-S has its alerts."""
    with api.world.engine.connect() as conn:
        deadline = conn.execute(sa.select(holds.c.deadline).where(holds.c.hold_id == "H-S")).scalar_one()
    api.clock.now = deadline
    watchdog.run_pass(api.world.engine, now=api.clock.now, policy=api.world.policy)
    return deadline


def test_a_sealed_person_is_shown_only_to_the_sealed_record_roles_and_an_expunged_one_to_no_one(api: Api) -> None:
    everyone = frozenset(READERS)
    deadline = _at_the_deadline(api)
    # The premise: by default only the agency's administrator (its records custodian) reads a sealed record.
    assert set(api.world.policy.at(api.clock.now, ZoneInfo("UTC")).sealed_record_roles) == {"agency_admin"}
    assert (_detail(api), _alerted(api)) == (_expect("open", everyone), _expect_alerts("open", everyone))

    _ok(_order(api, "seal_person", "admin-a", "BK-S"))
    logged_before = len(_access_log(api))
    assert _detail(api) == _expect("sealed", SEALED_READERS)
    assert _listed(api) == _expect("sealed", SEALED_READERS)
    assert _alerted(api) == _expect_alerts("sealed", SEALED_READERS)

    # Every one of those reads of the sealed record is in the access log, with the record among what it showed.
    log = _access_log(api)[logged_before:]
    for user in READERS:
        mine = [(r["action"], r["outcome"], r["resource"], r["shown"]) for r in log if r["principal"] == user]
        assert [(action, outcome, resource.partition("&")[0]) for action, outcome, resource, _ in mine] == [
            ("read_booking", "ok", "booking:BK-S"), ("list_bookings", "ok", "bookings?agency_id=AG-A"),
            ("list_alerts", "ok", "alerts?hold_id=H-S")], (user, mine)
        assert "BK-S" in mine[1][3] and mine[2][3] and all(a.startswith("H-S:") for a in mine[2][3]), mine

    _ok(_order(api, "unseal_person", "admin-a", "BK-S"))
    assert _detail(api) == _expect("open", everyone)
    assert _listed(api) == _expect("open", everyone)
    assert _alerted(api) == _expect_alerts("open", everyone)

    _ok(_order(api, "expunge_person", "admin-a", "BK-S"))
    assert _detail(api) == _expect("expunged", frozenset())
    assert _listed(api) == _expect("expunged", frozenset())
    assert _alerted(api) == _expect_alerts("expunged", frozenset())
    # Custody is untouched: the hold and its deadline are as they were.
    hold = api.client.get("/holds/H-S", headers=api.headers("program-admin")).json()
    assert (hold["status"], datetime.fromisoformat(hold["deadline"])) == ("open", deadline)


def _search(api: Api, user: str, name: str, dob: str) -> list[tuple[str, str | None]]:
    response = api.client.post("/persons/search", json={"name": name, "dob": dob}, headers=api.headers(user))
    assert response.status_code == 200, (user, response.text)
    return [(item["booking_id"], item["person_name"]) for item in response.json()["items"]]


def test_search_finds_a_persons_bookings_in_scope_and_logs_a_token_never_the_name(api: Api) -> None:
    jane_a = [("BK-A2", "JANE  ROE"), ("BK-H-A", "Jane Roe")]
    assert _search(api, "staff-a", "jane roe", "1990-01-01") == jane_a  # not BK-H-B: agency B's
    assert _search(api, "sup-fo2", "Jane Roe", "1990-01-01") == [("BK-H-B", "Jane Roe")]
    assert _search(api, "program-admin", "Jane  Roe", "1990-01-01") == [*jane_a, ("BK-H-B", "Jane Roe")]
    assert _search(api, "staff-a", "jane roe", "1990-01-02") == []

    token = persons.match_token("jane roe", date(1990, 1, 1), persons.keyring())
    log = _access_log(api)
    searches = [(r["principal"], r["action"], r["resource"], r["outcome"], r["shown"]) for r in log
                if r["action"] == "search_persons"]
    assert searches[0] == ("staff-a", "search_persons", f"persons?match={token}", "ok", ["BK-A2", "BK-H-A"])
    assert searches[1][2] == f"persons?match={token}"  # another spelling, the same token
    text = json.dumps(log).casefold()
    assert [word for word in ("jane", "roe", "1990-01-01") if word in text] == []
    # An auditor with the master key asks the access log by name: who searched for this person.
    asked = admin.searches_for(api.world.engine, "Jane Roe", date(1990, 1, 1))
    other = admin.searches_for(api.world.engine, "Jane Roe", date(1990, 1, 2))
    assert ([r["principal"] for r in asked], [r["principal"] for r in other]) == (
        ["staff-a", "sup-fo2", "program-admin"], ["staff-a"])


def test_a_sealed_person_is_found_only_by_the_sealed_record_roles(api: Api) -> None:
    assert _search(api, "staff-a", ANA["name"], ANA["dob"]) == [("BK-S", ANA["name"])]
    _ok(_order(api, "seal_person", "admin-a", "BK-S"))
    assert _search(api, "staff-a", "ana lucia torres", ANA["dob"]) == []
    assert _search(api, "admin-a", "ana lucia torres", ANA["dob"]) == [("BK-S", ANA["name"])]
    _ok(_order(api, "expunge_person", "admin-a", "BK-S"))
    assert _search(api, "admin-a", ANA["name"], ANA["dob"]) == []


def test_only_an_agency_admin_of_the_agency_carries_out_a_court_order(api: Api) -> None:
    """The role matrix covers every role; here, that a refused order changes nothing. There is no admin of
    agency B among the users, so admin-a acting on B's booking stands for an admin out of scope."""
    assert _order(api, "seal_person", "staff-a", "BK-S").status_code == 403
    assert _order(api, "expunge_person", "staff-a", "BK-S").status_code == 403
    assert _order(api, "seal_person", "admin-a", "BK-H-B").status_code == 404
    assert _detail(api) == _expect("open", frozenset(READERS))
    b = api.client.get("/bookings/BK-H-B", headers=api.headers("program-admin")).json()
    assert (b["person_name"], b["person_state"]) == ("Jane Roe", "open")
