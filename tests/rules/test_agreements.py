"""No agreement, no delegated authority (INA § 287(g)(1)); termination ends every delegation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from tests.support.world import World, add_agreement, booked_with_warrant, certified_officer, serve_attempt


def test_officer_is_refused_while_the_agreement_is_suspended(world: World) -> None:
    certified_officer(world, "OFF-1")
    world.ok("suspend_agreement", agreement_id="AGR-AG-A-WSO", reason="ICE review")
    result = serve_attempt(world, "H-1", "OFF-1")
    assert result["error"]["rule_id"] == "agreement.active_required"


def test_officer_may_act_again_once_the_agreement_is_reinstated(world: World) -> None:
    certified_officer(world, "OFF-1")
    world.ok("suspend_agreement", agreement_id="AGR-AG-A-WSO", reason="ICE review")
    world.ok("reinstate_agreement", agreement_id="AGR-AG-A-WSO", reason="review closed")
    assert serve_attempt(world, "H-1", "OFF-1")["ok"]


def test_terminating_an_agreement_ends_every_certificate_under_it(world: World) -> None:
    certified_officer(world, "OFF-1")
    certified_officer(world, "OFF-2")
    result = world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="written notice")
    revoked = [e["stream"] for e in result["events"] if e["type"] == "certificate_revoked"]
    assert revoked == ["certificate:OFF-1:WSO", "certificate:OFF-2:WSO"]


def test_certificates_ended_by_termination_cite_the_termination_rule(world: World, engine) -> None:
    import sqlalchemy as sa

    from custody_ledger.ledger.schema import events

    certified_officer(world, "OFF-1")
    world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="written notice")
    with engine.connect() as conn:
        payload = conn.execute(sa.select(events.c.payload).where(events.c.type == "certificate_revoked")).scalar_one()
    assert '"rule_id":"agreement.termination_ends_certificates"' in payload


def test_officer_is_refused_after_the_agreement_is_terminated(world: World) -> None:
    certified_officer(world, "OFF-1")
    world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="written notice")
    result = serve_attempt(world, "H-1", "OFF-1")
    assert result["error"]["rule_id"] == "certificate.current_required"


def test_agreement_not_yet_effective_gives_no_authority(world: World) -> None:
    certified_officer(world, "OFF-1")
    world.ok("request_agreement", agreement_id="AGR-LATE", agency_id="AG-A", model="JEM")
    world.ok("review_agreement", agreement_id="AGR-LATE", decision="suitable", reasons="ok")
    start = (world.clock + timedelta(days=30)).date().isoformat()
    world.ok("sign_agreement", agreement_id="AGR-LATE", signed_on=world.clock.date().isoformat(),
             effective_from=start, igsa=False)
    world.ok("record_training", officer_id="OFF-1", model="JEM", course="JEM basic", hours=160,
             completed_on=world.clock.date().isoformat())
    result = world.run("certify_officer", officer_id="OFF-1", model="JEM", agreement_id="AGR-LATE",
                       credential_no="CR-J", supervisor="SDDO")
    assert result["error"]["rule_id"] == "certification.agreement"


def test_a_declined_agreement_cannot_be_signed(world: World) -> None:
    world.ok("request_agreement", agreement_id="AGR-X", agency_id="AG-A", model="JEM")
    world.ok("review_agreement", agreement_id="AGR-X", decision="declined", reasons="state law limits cooperation")
    result = world.run("sign_agreement", agreement_id="AGR-X", signed_on="2026-03-01", effective_from="2026-03-01",
                       igsa=False)
    assert (result["error"]["kind"], result["error"]["rule_id"]) == ("conflict", "lifecycle.agreement")


def test_an_officer_of_another_agency_cannot_act_under_this_agreement(world: World) -> None:
    world.ok("register_agency", agency_id="AG-B", name="B Sheriff", kind="sheriff", state="TX", county="Dallas",
             ori="TX0570000", field_office_id="FO-1")
    world.ok("nominate_officer", officer_id="OFF-B", agency_id="AG-B", name="B", badge="B1")
    world.ok("record_background_check", officer_id="OFF-B", result="passed")
    world.ok("record_training", officer_id="OFF-B", model="WSO", course="WSO", hours=8,
             completed_on=world.clock.date().isoformat())
    result = world.run("certify_officer", officer_id="OFF-B", model="WSO", agreement_id="AGR-AG-A-WSO",
                       credential_no="CR-B", supervisor="SDDO")
    assert result["error"]["rule_id"] == "certification.agreement"


def test_jem_officer_with_full_training_under_a_jem_agreement_is_certified(world: World) -> None:
    add_agreement(world, "AG-A", model="JEM")
    certified_officer(world, "OFF-J", model="JEM")
    result = world.run("interview_status", booking_id=booked_with_warrant(world, "BK-1").removeprefix("WR-"),
                       officer_id="OFF-J")
    assert result["ok"], result


# --- an agreement's dates are days on the agency's calendar, not UTC's -----------------------------------

LOS_ANGELES = "America/Los_Angeles"


def _west_coast(engine: Engine, policy: Policy, *, effective: str, expires: str | None) -> World:
    """A Los Angeles agency and jail under a Los Angeles field office, with a WSO agreement of the given dates."""
    w = World(engine, policy, start=datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    w.ok("register_field_office", field_office_id="FO-LA", name="Los Angeles ERO", timezone=LOS_ANGELES)
    w.ok("register_agency", agency_id="AG-W", name="West County Sheriff", kind="sheriff", state="CA",
         county="Los Angeles", ori="CA0190000", field_office_id="FO-LA")
    w.ok("register_facility", facility_id="AG-W-JAIL", agency_id="AG-W", name="West Jail", timezone=LOS_ANGELES)
    w.ok("request_agreement", agreement_id="AGR-AG-W-WSO", agency_id="AG-W", model="WSO")
    w.ok("review_agreement", agreement_id="AGR-AG-W-WSO", decision="suitable", reasons="ok")
    w.ok("sign_agreement", agreement_id="AGR-AG-W-WSO", signed_on="2026-03-01", effective_from=effective,
         igsa=False, **({"expires_on": expires} if expires else {}))
    return w


def _serve_at(w: World, hold: str, at: datetime) -> dict:
    booking = f"BK-{hold}"
    warrant = booked_with_warrant(w, booking, "AG-W")
    w.ok("release_from_criminal_custody", at=at, booking_id=booking, reason="bail")
    return w.run("serve_warrant", at=at, hold_id=hold, warrant_id=warrant, officer_id="OFF-W")


def test_an_agreement_expiring_tomorrow_still_reaches_an_arrest_tonight_in_los_angeles(engine: Engine,
                                                                                     policy: Policy) -> None:
    w = _west_coast(engine, policy, effective="2026-03-01", expires="2026-03-10")
    certified_officer(w, "OFF-W", agency="AG-W")
    # 05:00 UTC on 10 March is 22:00 on 9 March in Los Angeles (PDT since 8 March); 08:00 UTC is 01:00 on the 10th.
    tonight = _serve_at(w, "H-1", datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
    after_midnight = _serve_at(w, "H-2", datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    assert (tonight["ok"], (after_midnight.get("error") or {}).get("rule_id")) == (True, "agreement.active_required")


def test_certification_waits_for_the_effective_date_on_the_field_offices_calendar(engine: Engine,
                                                                                 policy: Policy) -> None:
    w = _west_coast(engine, policy, effective="2026-03-05", expires=None)
    w.ok("nominate_officer", officer_id="OFF-W", agency_id="AG-W", name="Officer W", badge="W1")
    w.ok("record_background_check", officer_id="OFF-W", result="passed")
    w.ok("record_training", officer_id="OFF-W", model="WSO", course="WSO basic", hours=8, completed_on="2026-03-02")

    def certify(at: datetime, key: str) -> dict:
        return w.run("certify_officer", at=at, key=key, officer_id="OFF-W", model="WSO",
                     agreement_id="AGR-AG-W-WSO", credential_no="CR-W", supervisor="SDDO, Los Angeles ERO")

    # 03:00 UTC on 5 March is still 4 March (19:00 PST) in Los Angeles.
    early = certify(datetime(2026, 3, 5, 3, 0, tzinfo=UTC), "c1")
    on_the_day = certify(datetime(2026, 3, 5, 9, 0, tzinfo=UTC), "c2")
    assert ((early.get("error") or {}).get("rule_id"), on_the_day["ok"]) == ("certification.agreement", True)
