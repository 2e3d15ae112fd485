"""The 48-hour clock: when it starts, when it ends, and what a hold past its limit is."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import flags, holds
from tests.support.world import T0, World, build_agency, certified_officer, open_hold


@pytest.fixture
def wso(world: World) -> str:
    return certified_officer(world, "OFF-1")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _flag_kinds(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(flags.c.kind).order_by(flags.c.flag_id)).scalars())


def _flag_rules(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(flags.c.rule_id).order_by(flags.c.flag_id)).scalars())


def test_hold_without_igsa_has_its_deadline_48_hours_after_the_clock_starts(world: World, wso: str) -> None:
    result = open_hold(world, "H-1", wso)
    assert _instant(result["deadline"]) - _instant(result["clock_started_at"]) == timedelta(hours=48)


def test_a_hold_records_the_limit_rule_it_is_judged_by(world: World, wso: str, engine) -> None:
    open_hold(world, "H-1", wso)
    with engine.connect() as conn:
        assert conn.execute(sa.select(holds.c.limit_rule_id)).scalar_one() == "custody.limit"


def test_deadline_is_also_given_in_facility_time(world: World, wso: str) -> None:
    result = open_hold(world, "H-1", wso, released_at=T0 + timedelta(hours=5))
    assert result["deadline_local"] == "2026-03-04T13:00:00-06:00"


def test_the_earlier_of_release_and_arrest_starts_the_clock(world: World, wso: str) -> None:
    release = T0 + timedelta(hours=3)
    result = open_hold(world, "H-1", wso, released_at=release, arrested_at=release + timedelta(minutes=25))
    assert _instant(result["clock_started_at"]) == release


def test_a_gap_between_release_and_arrest_is_flagged_as_time_without_authority(world: World, wso: str,
                                                                                engine) -> None:
    release = T0 + timedelta(hours=3)
    open_hold(world, "H-1", wso, released_at=release, arrested_at=release + timedelta(minutes=25))
    assert (_flag_kinds(engine), _flag_rules(engine)) == (["time_without_authority"], ["custody.unauthorized_gap"])


def test_an_arrest_at_the_moment_of_release_is_not_flagged(world: World, wso: str, engine) -> None:
    open_hold(world, "H-1", wso)
    assert _flag_kinds(engine) == []


def test_hold_under_an_igsa_has_no_deadline(engine, policy: Policy) -> None:
    w = World(engine, policy)
    build_agency(w, "AG-I", igsa=True)
    officer = certified_officer(w, "OFF-I", agency="AG-I")
    assert open_hold(w, "H-I", officer, agency="AG-I")["deadline"] is None


def test_a_hold_ends_once_transfer_then_release_is_refused(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    world.ok("transfer_custody", at=world.later(hours=3), hold_id="H-1", receiving_officer="ICE DO Smith",
             field_office_id="FO-1")
    result = world.run("release_hold", at=world.later(hours=1), hold_id="H-1", reason="other")
    assert (result["error"]["kind"], result["error"]["rule_id"]) == ("conflict", "hold.ends_once")


def test_a_hold_ends_once_release_then_transfer_is_refused(world: World, wso: str) -> None:
    open_hold(world, "H-1", wso)
    world.ok("release_hold", at=world.later(hours=3), hold_id="H-1", reason="ice_declined")
    result = world.run("transfer_custody", at=world.later(hours=1), hold_id="H-1", receiving_officer="ICE DO",
                       field_office_id="FO-1")
    assert result["error"]["rule_id"] == "hold.ends_once"


def test_release_after_the_limit_without_igsa_is_recorded_as_a_violation(world: World, wso: str, engine) -> None:
    opened = open_hold(world, "H-1", wso)
    late = _instant(opened["deadline"]) + timedelta(minutes=30)
    world.ok("release_hold", at=late, hold_id="H-1", reason="limit_reached")
    with engine.connect() as conn:
        past_limit = conn.execute(sa.select(holds.c.past_limit)).scalar_one()
    assert (past_limit, _flag_kinds(engine), _flag_rules(engine)) == (True, ["held_past_limit"], ["custody.violation"])


def test_transfer_after_the_limit_is_recorded_as_a_violation(world: World, wso: str, engine) -> None:
    opened = open_hold(world, "H-1", wso)
    late = _instant(opened["deadline"]) + timedelta(seconds=1)
    world.ok("transfer_custody", at=late, hold_id="H-1", receiving_officer="ICE DO", field_office_id="FO-1")
    assert _flag_kinds(engine) == ["held_past_limit"]


def test_release_at_the_limit_exactly_is_not_a_violation(world: World, wso: str, engine) -> None:
    opened = open_hold(world, "H-1", wso)
    world.ok("release_hold", at=_instant(opened["deadline"]), hold_id="H-1", reason="limit_reached")
    assert _flag_kinds(engine) == []


def test_a_hold_under_igsa_is_never_past_a_limit(engine, policy: Policy) -> None:
    w = World(engine, policy)
    build_agency(w, "AG-I", igsa=True)
    officer = certified_officer(w, "OFF-I", agency="AG-I")
    open_hold(w, "H-I", officer, agency="AG-I")
    w.ok("transfer_custody", at=w.later(days=9), hold_id="H-I", receiving_officer="ICE DO", field_office_id="FO-1")
    assert _flag_kinds(engine) == []


def test_a_hold_keeps_the_limit_in_force_when_its_clock_started(engine, policy: Policy) -> None:
    """A later policy change (24 h from 2026-06-01) does not shorten or lengthen holds already open."""
    changed = _with_limit_from(policy, "2026-06-01", 24)
    w = World(engine, changed)
    build_agency(w, "AG-A")
    officer = certified_officer(w, "OFF-1")
    before = open_hold(w, "H-OLD", officer)
    w.clock = datetime.fromisoformat("2026-06-02T10:00:00+00:00")
    after = open_hold(w, "H-NEW", officer)
    spans = [_instant(r["deadline"]) - _instant(r["clock_started_at"]) for r in (before, after)]
    assert spans == [timedelta(hours=48), timedelta(hours=24)]


def test_a_hold_released_before_a_change_and_arrested_after_it_keeps_the_old_limit(engine, policy: Policy) -> None:
    """The clock starts at the release, the earlier moment; the arrest's date does not pick the rule."""
    changed = _with_limit_from(policy, "2026-06-01", 24)
    w = World(engine, changed)
    build_agency(w, "AG-A")
    officer = certified_officer(w, "OFF-1")
    w.clock = datetime.fromisoformat("2026-05-31T20:00:00+00:00")
    released = w.later(hours=1)  # 21:00 on 31 May, under the 48 h rule
    hold = open_hold(w, "H-EDGE", officer, released_at=released, arrested_at=released + timedelta(hours=4))
    assert (_instant(hold["clock_started_at"]), _instant(hold["deadline"]) - released) == (
        released, timedelta(hours=48))


def _with_limit_from(policy: Policy, day: str, hours: int) -> Policy:
    import yaml

    from custody_ledger.policy import DEFAULT_POLICY

    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    first = dict(data["parameters"]["custody_limit"][0])
    data["parameters"]["custody_limit"].append({**first, "from": day, "hours": hours})
    return Policy.from_mapping(data, f"{policy.source} + {hours} h from {day}")
