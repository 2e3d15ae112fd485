"""The oversight report's figures against hand-computed ones, on a small fixed history (issue 15 point 6).

The history, in America/Chicago (CST until 2026-03-08 02:00, CDT after):
- H1 (AG-A): released and arrested 2026-03-07 18:00 CST (00:00Z on the 8th), transferred 2026-03-08 23:00 CDT
  (04:00Z on the 9th): 29 hours on the wall clock, 28 hours held — durations are counted in UTC.
- H2 (AG-A): released and arrested 2026-03-10 10:00Z, deadline 48 h later, released at the limit 3 h late: 51 h,
  past the limit by 3 h; the watchdog, run once at 12:00Z on the 12th, raises its late moments.
- H4 (AG-A): released 2026-03-20 10:00Z, arrested an hour later (an hour without authority), the arrest
  recorded 30 hours after it happened (a late entry), transferred 10 h after the arrest: 11 h from the clock.
- H5 (AG-A): arrested 2026-03-31 23:30 CDT (04:30Z on 1 April) — a March arrest on the facility's calendar —
  and transferred two hours later, on 1 April local time: an April end of 2 hours.
- H3 (AG-B, under an IGSA): arrested 2026-03-15 12:00Z, transferred 100 hours later: no limit, so no duration
  against the limit.
- A WSO of AG-A tries to interview someone about status: refused by authority.wso.
AG-A's hold durations ending in March: 11, 28, 51 h — median 28, p90 46.4 (linear between ranks), p95 48.7, max 51.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.app import watchdog
from custody_ledger.domain.policy import Policy
from custody_ledger.reports import columnar, oversight
from tests.support.world import World, booked_with_warrant, build_agency, certified_officer, open_hold

MARCH = (date(2026, 3, 1), date(2026, 4, 30))


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _transfer(w: World, hold: str, at: datetime) -> None:
    w.ok("transfer_custody", at=at, hold_id=hold, receiving_officer="DO Smith, ERO", field_office_id="FO-1")


@pytest.fixture
def history(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    build_agency(w, "AG-B", igsa=True, state="LA")
    certified_officer(w, "OFF-A1", "AG-A")
    certified_officer(w, "OFF-B1", "AG-B")
    open_hold(w, "H1", "OFF-A1", released_at=_z("2026-03-07T18:00:00-06:00"))
    _transfer(w, "H1", _z("2026-03-08T23:00:00-05:00"))
    open_hold(w, "H2", "OFF-A1", released_at=_z("2026-03-10T10:00:00+00:00"))
    watchdog.run_pass(engine, now=_z("2026-03-12T12:00:00+00:00"), policy=policy)
    w.ok("release_hold", at=_z("2026-03-12T13:00:00+00:00"), hold_id="H2", reason="limit_reached")
    open_hold(w, "H3", "OFF-B1", "AG-B", released_at=_z("2026-03-15T12:00:00+00:00"))
    _transfer(w, "H3", _z("2026-03-15T12:00:00+00:00") + timedelta(hours=100))
    warrant = booked_with_warrant(w, "BK-H4", "AG-A")
    released = _z("2026-03-20T10:00:00+00:00")
    w.ok("release_from_criminal_custody", at=released, booking_id="BK-H4", reason="bail")
    arrested = released + timedelta(hours=1)
    w.ok("serve_warrant", at=arrested, now=arrested + timedelta(hours=30), hold_id="H4", warrant_id=warrant,
         officer_id="OFF-A1")
    _transfer(w, "H4", arrested + timedelta(hours=10))
    refused = w.run("interview_status", at=_z("2026-03-25T12:00:00+00:00"), booking_id="BK-H4", officer_id="OFF-A1")
    assert refused["error"]["rule_id"] == "authority.wso"
    open_hold(w, "H5", "OFF-A1", released_at=_z("2026-03-31T23:30:00-05:00"))
    _transfer(w, "H5", _z("2026-04-01T01:30:00-05:00"))
    return w


def _figures(engine: Engine, period: tuple[date, date] = MARCH) -> dict[tuple[str, str, str, str, str], float]:
    with columnar.opened(engine, None) as mirror:
        figs = oversight.figures(mirror, mirror.through.through, period, None)
    return {(f.agency_id, f.model, f.month, f.measure, f.key): f.value for f in figs}


def test_arrests_are_counted_in_the_facility_month_they_happened(history: World) -> None:
    got = _figures(history.engine)
    assert got[("AG-A", "WSO", "2026-03", "arrests", "")] == 4
    assert ("AG-A", "WSO", "2026-04", "arrests", "") not in got


def test_hold_durations_are_utc_hours_from_the_clock_start_and_leave_out_igsa_holds(history: World) -> None:
    got = _figures(history.engine)
    march = {k: round(got[("AG-A", "WSO", "2026-03", "hold_hours", k)], 2) for k in ("p50", "p90", "p95", "max")}
    assert march == {"p50": 28.0, "p90": 46.4, "p95": 48.7, "max": 51.0}
    assert got[("AG-A", "WSO", "2026-04", "hold_hours", "max")] == pytest.approx(2.0)
    assert not [k for k in got if k[0] == "AG-B" and k[3] == "hold_hours"]


def test_ends_split_into_transfers_and_releases_with_releases_at_the_limit(history: World) -> None:
    got = _figures(history.engine)
    assert [got.get(("AG-A", "WSO", "2026-03", m, k)) for m, k in (
        ("holds_ended", "transfer"), ("holds_ended", "release"), ("releases_at_limit", ""))] == [2, 1, 1]


def test_a_hold_past_its_limit_is_a_violation_with_its_hours(history: World) -> None:
    got = _figures(history.engine)
    assert (got[("AG-A", "WSO", "2026-03", "ended_past_limit", "")],
            got[("AG-A", "WSO", "2026-03", "hours_past_limit", "")],
            got[("AG-A", "WSO", "2026-03", "limit_exceeded", "")]) == (1, 3.0, 1)


def test_an_igsa_hold_counts_as_an_arrest_under_igsa_and_never_as_a_violation(history: World) -> None:
    got = _figures(history.engine)
    assert got[("AG-B", "WSO", "2026-03", "arrests_under_igsa", "")] == 1
    assert not [k for k in got if k[0] == "AG-B" and k[3] in ("ended_past_limit", "limit_exceeded")]


def test_time_without_authority_late_entries_and_refusals_are_counted(history: World) -> None:
    got = _figures(history.engine)
    assert (got[("AG-A", "WSO", "2026-03", "time_without_authority", "")],
            got[("AG-A", "WSO", "2026-03", "hours_without_authority", "")],
            got[("AG-A", "", "2026-03", "late_entries", "")],
            got[("AG-A", "WSO", "2026-03", "refusals", "authority.wso")]) == (1, 1.0, 1, 1)


def test_late_alerts_are_told_apart_from_alerts_on_time(history: World) -> None:
    got = _figures(history.engine)
    # One pass 2 h after H2's deadline: every moment due by then was raised late (none on time).
    assert got.get(("AG-A", "WSO", "2026-03", "alerts_raised", "on_time")) is None
    assert got[("AG-A", "WSO", "2026-03", "alerts_raised", "late")] >= 1


def test_the_program_side_agreements_officers_and_certificates(history: World) -> None:
    got = _figures(history.engine)
    assert [got.get(("AG-A", m, "2026-03", measure, k)) for m, measure, k in (
        ("WSO", "agreements", "active"), ("", "officers_nominated", ""), ("WSO", "officers_trained", ""),
        ("WSO", "training_hours_completed", ""), ("WSO", "certificates_issued", ""),
        ("WSO", "certificates_in_force", ""))] == [1, 1, 1, 8, 1, 1]


def test_a_report_on_an_earlier_range_ignores_what_was_recorded_after_it(history: World) -> None:
    with columnar.opened(history.engine, None) as mirror:
        before = mirror.through.through
    open_hold(history, "H6", "OFF-A1", released_at=_z("2026-04-02T00:00:00+00:00"))
    with columnar.opened(history.engine, None) as mirror:
        now = oversight.figures(mirror, mirror.through.through, MARCH, None)
        then = oversight.figures(mirror, before, MARCH, None)
    arrests = {f.month: f.value for f in now if f.measure == "arrests" and f.agency_id == "AG-A"}
    assert arrests == {"2026-03": 4, "2026-04": 1}
    assert {f.month: f.value for f in then if f.measure == "arrests" and f.agency_id == "AG-A"} == {"2026-03": 4}


def test_a_late_program_record_is_counted_for_its_agency(engine: Engine, policy: Policy) -> None:
    w = World(engine, policy)
    build_agency(w, "AG-A")
    at = _z("2026-03-10T15:00:00+00:00")
    w.ok("nominate_officer", at=at, now=at + timedelta(days=3), officer_id="OFF-LATE", agency_id="AG-A",
         name="Officer Late", badge="L1")
    got = _figures(engine)
    assert (got[("AG-A", "", "2026-03", "late_entries", "")], got.get(("", "", "2026-03", "late_entries", ""))) == (
        1, None)


def test_the_programs_growth_by_model_agrees_with_the_agreements_as_of_each_month_end(
        engine: Engine, policy: Policy) -> None:
    from custody_ledger.app import listings
    from tests.integration.test_ice_import import _all

    World(engine, policy, start=_z("2020-01-01T00:00:00+00:00")).ok(
        "register_field_office", field_office_id="HQ", name="Program-wide", timezone="America/New_York")
    _all(engine, policy)  # three editions of ICE's list (tests/fixtures/ice)
    got = _figures(engine, (date(2025, 3, 1), date(2025, 5, 31)))
    listed = {m: sum(v for k, v in got.items() if k[2] == m and k[3] == "agreements_listed")
              for m in ("2025-03", "2025-04", "2025-05")}
    ends = {"2025-03": date(2025, 3, 31), "2025-04": date(2025, 4, 30), "2025-05": date(2025, 5, 31)}
    assert listed == {m: sum(1 for x in listings.as_of(engine, d) if x["listed"]) for m, d in ends.items()}
    assert listed == {"2025-03": 6, "2025-04": 8, "2025-05": 9}


def test_costs_by_payer_complaints_and_steering_meetings_are_counted_per_agency(
        engine: Engine, policy: Policy) -> None:
    """Costs: detention 30.5 h borne by the agency (and $91.50), officer hours 1.75 + 2.25 by the agency, training
    8 h by ICE, an IGSA per-diem of $120 billed to ICE. Complaints: two received (use of force, other), one
    referred to ICE's OPR and to internal affairs, one closed not sustained. One steering meeting, its minutes
    published a week later."""
    w = World(engine, policy)
    build_agency(w, "AG-A", igsa=True)
    day = "2026-03-10"
    at = _z("2026-03-12T15:00:00+00:00")
    for cost_id, kind, payer, extra in (
            ("C1", "detention_hours", "agency", {"hours": 30.5, "amount_cents": 9150}),
            ("C2", "officer_hours", "agency", {"hours": 1.75}), ("C3", "officer_hours", "agency", {"hours": 2.25}),
            ("C4", "training_hours", "ice", {"hours": 8}),
            ("C5", "per_diem_billed", "ice", {"amount_cents": 12000, "agreement_id": "AGR-AG-A-WSO"})):
        w.ok("record_cost", at=at, cost_id=cost_id, agency_id="AG-A", kind=kind, payer=payer, incurred_from=day,
             incurred_to=day, **extra)
    for complaint, category in (("CP1", "use_of_force"), ("CP2", "other")):
        w.ok("record_complaint", at=at, complaint_id=complaint, agency_id="AG-A", received_on=day, category=category)
    w.ok("refer_complaint", at=at, complaint_id="CP1", referred_to="ice_opr", referred_on="2026-03-11")
    w.ok("refer_complaint", at=at, complaint_id="CP1", referred_to="internal_affairs", referred_on="2026-03-11")
    w.ok("close_complaint", at=at, complaint_id="CP2", outcome="not_sustained", closed_on="2026-03-12")
    w.ok("record_steering_meeting", at=at, meeting_id="SM1", agency_id="AG-A", agreement_id="AGR-AG-A-WSO",
         held_on="2026-03-05")
    w.ok("publish_steering_minutes", at=at, meeting_id="SM1", published_on="2026-03-12")
    got = {k: v for k, v in _figures(engine).items() if k[0] == "AG-A" and k[2] == "2026-03"}
    assert {k[3:]: v for k, v in got.items() if k[3].startswith("cost")} == {
        ("cost_hours", "detention_hours:agency"): 30.5, ("cost_hours", "officer_hours:agency"): 4.0,
        ("cost_hours", "training_hours:ice"): 8.0, ("cost_usd", "detention_hours:agency"): 91.5,
        ("cost_usd", "per_diem_billed:ice"): 120.0}
    assert {k[3:]: v for k, v in got.items() if k[3].startswith(("complaints", "steering"))} == {
        ("complaints_received", "use_of_force"): 1, ("complaints_received", "other"): 1,
        ("complaints_referred", "ice_opr"): 1, ("complaints_referred", "internal_affairs"): 1,
        ("complaints_closed", "not_sustained"): 1, ("steering_meetings_held", ""): 1,
        ("steering_minutes_published", ""): 1}
