"""The watchdog's rules (domain/watch.py, app/watchdog.py): every moment of an open hold, once, in order, on
time; none for a hold that ended or runs under an IGSA; the lead times of the policy in force when the clock
started; each alert queued for its routes in the transaction that records it. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.app import admin, notify, watchdog
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import alert_routes, events, holds, outbox
from custody_ledger.settings import Settings, load_settings
from tests.scenarios.scenario import load_scenario_policy
from tests.support.receivers import WebhookReceiver
from tests.support.world import T0, World, build_agency, certified_officer, open_hold

WATCH_TYPES = ("alert_raised", "release_due", "limit_exceeded")


@pytest.fixture
def wso(world: World) -> str:
    return certified_officer(world, "OFF-1")


def _raised(engine: Engine) -> list[tuple[str, str, str]]:
    """(hold, type, threshold) of every watch event, in ledger order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.payload).where(events.c.type.in_(WATCH_TYPES))
                            .order_by(events.c.seq)).all()
    return [(json.loads(r.payload)["hold_id"], r.type, json.loads(r.payload)["threshold"]) for r in rows]


def _pass(world: World, at: datetime) -> list[str]:
    done = watchdog.run_pass(world.engine, now=at, policy=world.policy)
    assert all(r.result.ok for r in done.raised), [r.result.error for r in done.raised]
    return [r.threshold for r in done.raised]


def test_each_moment_is_raised_once_when_it_falls_due_and_never_before(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0)  # deadline T0 + 48 h
    passes = [(23 * 60 + 59, []), (24 * 60, ["24h"]), (24 * 60, []), (36 * 60 - 1, []), (36 * 60, ["12h"]),
              (44 * 60, ["4h"]), (47 * 60, ["1h"]), (48 * 60 - 1, []), (48 * 60, ["deadline"]), (48 * 60 + 14, []),
              (48 * 60 + 15, ["exceeded"]), (96 * 60, [])]
    seen = [(minutes, _pass(world, T0 + timedelta(minutes=minutes))) for minutes, _ in passes]
    assert seen == passes
    assert [t for _, kind, t in _raised(world.engine)] == ["24h", "12h", "4h", "1h", "deadline", "exceeded"]
    assert [kind for _, kind, _ in _raised(world.engine)] == ["alert_raised"] * 4 + ["release_due", "limit_exceeded"]
    assert admin.verify(world.engine).ok


def test_a_hold_opened_inside_its_lead_times_gets_one_alert_at_once_not_a_late_burst(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0 + timedelta(hours=40))  # 8 hours left
    assert _pass(world, T0 + timedelta(hours=40, minutes=1)) == ["12h"]
    assert _pass(world, T0 + timedelta(hours=44)) == ["4h"]
    with world.engine.connect() as conn:
        late = json.loads(conn.execute(sa.select(events.c.payload).where(events.c.type == "alert_raised")
                                       .order_by(events.c.seq)).scalars().first())["late_seconds"]
    assert late == 60


def test_an_ended_hold_gets_nothing_more_and_leaves_the_watchdogs_index(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0)
    assert _pass(world, T0 + timedelta(hours=25)) == ["24h"]
    world.ok("release_hold", at=T0 + timedelta(hours=26), hold_id="H-1", reason="ice_declined")
    assert _pass(world, T0 + timedelta(hours=60)) == []
    with world.engine.connect() as conn:
        assert conn.execute(sa.select(holds.c.next_alert_at)).scalar_one() is None
    refused = world.run("record_alert", at=T0 + timedelta(hours=60), actor=watchdog.ACTOR, hold_id="H-1",
                        threshold="12h")
    assert (refused["ok"], refused["error"]["kind"], refused["error"]["rule_id"]) == (False, "conflict", "watch.due")


def test_a_hold_under_an_igsa_has_no_deadline_and_no_alert(engine: Engine, policy: Policy) -> None:
    w = World(engine, policy)
    build_agency(w, "AG-I", igsa=True)
    certified_officer(w, "OFF-I", "AG-I")
    open_hold(w, "H-I", "OFF-I", "AG-I", released_at=T0 + timedelta(days=1))
    assert _pass(w, T0 + timedelta(days=30)) == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(holds.c.next_alert_at)).scalar_one() is None


def test_a_moment_is_refused_before_its_time_out_of_order_and_twice(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0)
    at = T0 + timedelta(hours=30)

    def attempt(threshold: str, key: str) -> str:
        result = world.run("record_alert", at=at, key=key, actor=watchdog.ACTOR, hold_id="H-1", threshold=threshold)
        return "ok" if result["ok"] else result["error"]["message"]

    assert "comes first" in attempt("12h", "a")
    assert attempt("24h", "b") == "ok"
    assert "already raised" in attempt("24h", "c")
    assert "not yet" in attempt("12h", "d")
    assert "threshold must be one of" in attempt("2h", "e")
    assert [t for _, _, t in _raised(world.engine)] == ["24h"]


def test_lead_times_are_those_in_force_when_the_hold_s_clock_started(engine: Engine, tmp_path: Path) -> None:
    reform = tmp_path / "six_hours_from_march_4.yaml"
    reform.write_text(
        "title: one alert six hours ahead, from 4 March 2026\nreform_of: default\nparameters:\n"
        "  alert_before_hours:\n"
        "    - {from: 2017-04-02, id: custody.alerts, value: [24, 12, 4, 1], cite: standard, text: before}\n"
        "    - {from: 2026-03-04, id: custody.alerts, value: [6], cite: reform, text: after}\n")
    policy = load_scenario_policy(reform)
    w = World(engine, policy)
    build_agency(w)
    certified_officer(w, "OFF-1")
    open_hold(w, "H-OLD", "OFF-1", released_at=T0, arrested_at=T0)  # 2 March: the old leads, to the end
    open_hold(w, "H-NEW", "OFF-1", released_at=T0 + timedelta(days=2), arrested_at=T0 + timedelta(days=2))
    for hour in range(0, 5 * 24, 1):
        watchdog.run_pass(engine, now=T0 + timedelta(hours=hour), policy=policy)
    by_hold: dict[str, list[str]] = {}
    for hold, _, threshold in _raised(engine):
        by_hold.setdefault(hold, []).append(threshold)
    assert by_hold == {"H-OLD": ["24h", "12h", "4h", "1h", "deadline", "exceeded"],
                       "H-NEW": ["6h", "deadline", "exceeded"]}


def test_an_alert_is_queued_for_its_routes_in_the_transaction_that_records_it(world: World, wso: str,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    world.ok("set_alert_route", route_id="desk", channel="webhook", target="http://127.0.0.1:9/hook",
             agency_id="AG-A")
    world.ok("set_alert_route", route_id="ero", channel="email", target="ero-duty@ice.example",
             field_office_id="FO-1", kinds=["limit_exceeded"])
    world.ok("set_alert_route", route_id="gone", channel="email", target="old@county.example", agency_id="AG-A")
    world.ok("remove_alert_route", route_id="gone", reason="desk closed")
    open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0)
    _pass(world, T0 + timedelta(hours=49))
    with world.engine.connect() as conn:
        queued = conn.execute(sa.select(outbox.c.route_id, outbox.c.body).order_by(outbox.c.created_at,
                                                                                   outbox.c.message_id)).all()
        watch_ids = set(conn.execute(sa.select(events.c.event_id).where(events.c.type.in_(WATCH_TYPES))).scalars())
    routes = sorted((row.route_id, json.loads(row.body)["type"]) for row in queued)
    assert routes == sorted([("desk", "alert_raised")] * 4 + [("desk", "release_due"), ("desk", "limit_exceeded"),
                                                              ("ero", "limit_exceeded")])
    bodies = [json.loads(row.body) for row in queued]
    assert {b["event_id"] for b in bodies} <= watch_ids
    exceeded = next(b for b in bodies if b["type"] == "limit_exceeded")
    assert (exceeded["deadline_local"], exceeded["rule_id"], exceeded["seconds_left"], "release" in
            exceeded["next_step"]) == ("2026-03-04T08:00:00-06:00", "custody.limit_exceeded", -3600, True)
    assert not any("Jane Roe" in row.body for row in queued), "a name never leaves in a webhook or an e-mail"


def test_a_routed_alert_reaches_a_real_webhook_signed(world: World, wso: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTODY_LEDGER_WEBHOOK_SECRET_DESK", "s3cret-desk")  # the route's own, by its id
    with WebhookReceiver().running() as receiver:
        world.ok("set_alert_route", route_id="desk", channel="webhook", target=receiver.url, agency_id="AG-A",
                 kinds=["release_due"])
        open_hold(world, "H-1", wso, released_at=T0, arrested_at=T0)
        at = T0 + timedelta(hours=48, minutes=1)
        _pass(world, at)
        sent = notify.deliver_due(world.engine, now=at, worker="test", settings=load_settings())
        assert [d.ok for d in sent] == [True]
        (request,) = receiver.accepted
    timestamp = request.headers["x-custody-ledger-timestamp"]
    expected = hmac.new(b"s3cret-desk", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    body = json.loads(request.body)
    assert (request.headers["x-custody-ledger-signature"], body["hold_id"], body["type"], body["threshold"]) == (
        f"sha256={expected}", "H-1", "release_due", "deadline")


def test_a_route_is_not_taken_over_from_another_scope_and_its_secret_is_fixed_by_its_id(world: World) -> None:
    world.ok("set_alert_route", route_id="desk", channel="webhook", target="https://jail.example/a", agency_id="AG-A")
    taken = world.run("set_alert_route", route_id="desk", channel="webhook", target="https://elsewhere.example/",
                      field_office_id="FO-1")
    with world.engine.connect() as conn:
        route = conn.execute(sa.select(alert_routes)).one()
    assert (taken["ok"], taken["error"]["field"], route.target, route.secret_env) == (
        False, "route_id", "https://jail.example/a", "CUSTODY_LEDGER_WEBHOOK_SECRET_DESK")


@pytest.mark.parametrize(("target", "refused"), [
    ("http://hooks.example/a", "https"), ("https://127.0.0.1/a", "private"), ("https://10.1.2.3/a", "private"),
    ("https://localhost:8443/a", "private"), ("https://[::1]/a", "private"), ("https://hooks.example/a", None)])
def test_in_production_a_webhook_is_https_and_never_a_local_or_private_address(target: str, refused: str | None
                                                                              ) -> None:
    production = Settings(environment="production")
    try:
        notify._require_outside_target(target, production)
        outcome = None
    except notify.DeliveryFailed as failure:
        outcome = "https" if "https://" in str(failure) else "private"
    notify._require_outside_target(target, Settings())  # development: the tests' local receivers are allowed
    assert outcome == refused
