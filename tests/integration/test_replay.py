"""What-if replay (issue 15, point 3): history re-judged under another policy, figures computed by hand, nothing
written. One small history, built through the real write path on SQLite and PostgreSQL (America/Chicago: CST,
UTC-6, until 2026-03-08 02:00, then CDT, UTC-5):

AG-A (WSO, no IGSA), officer OFF-1; the example policy docs/examples/policy-24h-weekdays.yaml counts 24 hours of
weekdays, the recorded one (the shipped policy) 48 elapsed hours.
- H1: arrest Mon 03-02 16:00Z, transferred after 30 h (Tue 22:00Z). 48 h: fine. 24 h weekdays: deadline Tue
  16:00Z, held 6 h past it.
- H2: arrest Mon 03-02 18:00Z, transferred after 20 h (Tue 14:00Z): fine under both (24 h deadline Tue 18:00Z).
- H3: arrest Fri 03-06 20:00Z (14:00 CST), transferred Mon 03-09 12:00Z (64 h). 48 h: deadline Sun 20:00Z, held
  16 h past it. Weekdays: 10 h on Friday, Saturday and Sunday do not count, 14 h from Monday 00:00 CDT (05:00Z):
  deadline Mon 19:00Z, so not past it.
- H5: released Tue 03-03 16:00Z, arrested 30 h later (Wed 22:00Z), transferred Thu 10:00Z. 48 h: accepted. 24 h:
  the limit ran out Wed 16:00Z, before the arrest: refused (custody.serve_within_limit).
- H6: arrest Mon 03-09 20:00Z, still open at the window's end (--to 2026-03-10: Wed 03-11 00:00 CDT = 05:00Z).
  48 h: deadline Wed 20:00Z, fine. Weekdays: deadline Tue 20:00Z, 9 h past it.
- OFF-1 tries interview_status on Tue 03-03 (a JEM function): refused (authority.wso), still refused.
AG-B (WSO with an IGSA), officer OFF-2:
- H4: arrest Mon 03-02 17:00Z, transferred after 60 h: under an IGSA there is no deadline under either.
Alert moments under the example's leads (12 h and 2 h before the deadline) before each hold ended: H1 2, H2 1, H3
1, H6 2 (the watchdog did not run: none recorded).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import schema
from custody_ledger.ledger.db import make_engine
from custody_ledger.ledger.folded import read_only
from custody_ledger.policy import DEFAULT_POLICY, load_policy
from custody_ledger.reports.replay import Replay, figures_by_agency, replay
from tests.support.world import World, booked_with_warrant, build_agency, certified_officer, open_hold

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "policy-24h-weekdays.yaml"
NOW = datetime(2026, 3, 12, tzinfo=UTC)
FROM, TO = date(2026, 3, 2), date(2026, 3, 10)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def transfer(w: World, hold: str, when: datetime) -> None:
    w.ok("transfer_custody", at=when, hold_id=hold, receiving_officer="ICE Deportation Officer", field_office_id="FO-1")


def build_history(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    build_agency(w, "AG-B", igsa=True)
    certified_officer(w, "OFF-1")
    certified_officer(w, "OFF-2", "AG-B")
    open_hold(w, "H1", "OFF-1", released_at=at(2, 16))
    open_hold(w, "H4", "OFF-2", "AG-B", released_at=at(2, 17))
    open_hold(w, "H2", "OFF-1", released_at=at(2, 18))
    interview = w.run("interview_status", at=at(3, 9), booking_id="BK-H2", officer_id="OFF-1")
    assert interview["error"]["rule_id"] == "authority.wso"
    transfer(w, "H2", at(3, 14))
    open_hold(w, "H5", "OFF-1", released_at=at(3, 16), arrested_at=at(4, 22))
    transfer(w, "H1", at(3, 22))
    transfer(w, "H4", at(5, 5))
    transfer(w, "H5", at(5, 10))
    open_hold(w, "H3", "OFF-1", released_at=at(6, 20))
    transfer(w, "H3", at(9, 12))
    open_hold(w, "H6", "OFF-1", released_at=at(9, 20))
    return w


def figures(result: Replay) -> dict[str, tuple[int, ...]]:
    return {a.agency_id: (a.holds, a.acts, a.refusals, a.would_breach, a.breach_new, a.breach_gone, a.accepted_refused,
                          a.refused_allowed, a.undetermined, a.alerts_recorded, a.alerts_other)
            for a in result.agencies}


def test_replay_under_24_weekday_hours_counts_per_agency_what_changes(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW)
    assert figures(result) == {
        # holds, acts (5 arrests, 1 certification), refusals, would breach, of which not today, today only,
        # accepted->refused, refused->allowed, undetermined, alerts recorded, alerts under the other policy
        "AG-A": (5, 6, 1, 2, 2, 1, 1, 0, 0, 0, 6),
        "AG-B": (1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    }


def test_replay_details_name_each_changed_hold_and_act_with_the_other_policys_rule(
        engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW)
    assert [(f.ident, f.outcome, f.rule_id) for f in result.findings] == [
        ("H5", "accepted_refused", "custody.serve_within_limit"),
        ("H1", "breach", "custody.violation"),
        ("H3", "breach", "custody.violation"),
        ("H6", "breach", "custody.violation"),
    ]


def test_the_breach_detail_says_by_how_much_and_against_which_deadline(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW)
    h1 = next(f for f in result.findings if f.ident == "H1")
    assert h1.what.startswith("held 6 h 00 min past the other deadline 2026-03-03T10:00:00-06:00 (24 h, "
                              "excluding_weekends_and_holidays), at its end; within the recorded deadline")


def test_replay_under_the_recorded_policy_changes_nothing(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, policy, FROM, TO, now=NOW)
    assert (result.changes, [f.outcome for f in result.findings]) == (0, ["breach"])  # H3, as recorded


def test_replay_of_one_agency_reports_that_agency_only(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW, agency="AG-B")
    assert list(figures_by_agency(result)) == ["AG-B"]


def test_a_window_before_the_holds_judges_none_of_them(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    result = replay(engine, load_policy(EXAMPLE), date(2026, 2, 1), date(2026, 2, 28), now=NOW)
    assert result.agencies == []


def _generous(policy: Policy) -> Policy:
    """The shipped policy, but a WSO may also interview, and 4 hours of WSO training certify."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["parameters"]["authority"]["WSO"][0]["value"].append("interview_status")
    data["parameters"]["training_hours"]["WSO"][0]["value"] = 4
    return Policy.from_mapping(data, "generous.yaml")


def test_refusals_the_other_policy_would_allow_and_those_it_cannot_judge(engine: Engine, policy: Policy) -> None:
    w = build_history(engine, policy)
    # Too little training under the shipped policy (8 hours), enough under the generous one (4).
    w.ok("nominate_officer", at=at(10, 1), officer_id="OFF-3", agency_id="AG-A", name="Officer 3", badge="3")
    w.ok("record_background_check", at=at(10, 1), officer_id="OFF-3", result="passed")
    w.ok("record_training", at=at(10, 1), officer_id="OFF-3", model="WSO", course="part", hours=6,
         completed_on="2026-03-09")
    certify = w.run("certify_officer", at=at(10, 2), officer_id="OFF-3", model="WSO", agreement_id="AGR-AG-A-WSO",
                    credential_no="CR-3", supervisor="SDDO")
    # An arrest 50 hours after the release: refused under the limit, which the refusal cannot be re-judged on.
    warrant = booked_with_warrant(w, "BK-LATE")
    w.ok("release_from_criminal_custody", at=at(10, 3), booking_id="BK-LATE", reason="bail")
    late = w.run("serve_warrant", at=at(12, 3), hold_id="H-LATE", warrant_id=warrant,
                 officer_id="OFF-1")
    assert (certify["error"]["rule_id"], late["error"]["rule_id"]) == ("training.wso", "custody.serve_within_limit")
    result = replay(engine, _generous(policy), FROM, date(2026, 3, 12), now=at(13, 0))
    assert sorted((f.outcome, f.rule_id or "") for f in result.findings if f.kind == "refusal") == [
        ("refused_allowed", "authority.wso"), ("refused_allowed", "training.wso"), ("undetermined", "")]


def test_an_accepted_certification_the_other_policy_would_refuse(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    data = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    data["parameters"]["training_hours"]["WSO"][0]["value"] = 16
    result = replay(engine, Policy.from_mapping(data, "strict.yaml"), FROM, TO, now=NOW)
    assert [(f.agency_id, f.outcome, f.rule_id) for f in result.findings if f.kind == "act"] == [
        ("AG-A", "accepted_refused", "training.wso"), ("AG-B", "accepted_refused", "training.wso")]


def _everything(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the schema declares, in a fixed order."""
    with engine.connect() as conn:
        return {table.name: sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(table)))
                for table in schema.metadata.sorted_tables}


def test_replay_writes_nothing(engine: Engine, policy: Policy) -> None:
    build_history(engine, policy)
    before = _everything(engine)
    with engine.connect() as conn:
        head = conn.execute(sa.select(sa.func.count(), sa.func.max(schema.events.c.seq))).one()
        last = conn.execute(sa.select(schema.events.c.hash).where(schema.events.c.seq == head[1])).scalar_one()
    result = replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW)
    assert (_everything(engine), result.events, result.head) == (before, head[0], last)


def test_replay_leaves_the_sqlite_file_byte_identical(sqlite_template: Any, tmp_path: Path, policy: Policy) -> None:
    with sqlite_template.copy(tmp_path) as url:
        engine = make_engine(url)
        build_history(engine, policy)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        path = Path(url)  # the template's copy is a plain file path
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        engine = make_engine(url)
        replay(engine, load_policy(EXAMPLE), FROM, TO, now=NOW)
        engine.dispose()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_the_replays_connection_refuses_any_write_in_the_database_itself(engine: Engine) -> None:
    with read_only(engine) as conn, pytest.raises(sa.exc.DBAPIError):
        conn.exec_driver_sql("CREATE TABLE replay_probe (x INTEGER)")
