"""Boundaries of the rules (first and last days, exact limits, one-off cases): each test fails if its rule is broken.

Found by hand-made mutation testing: every test here killed a mutant the rest of the suite let live.

Behaviour-level, through the real write path where the rule is reachable there; through the domain's
own functions where the write path can never produce the state (defence in depth in authority.decide).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from custody_ledger.domain import authority, clock
from custody_ledger.domain.clock import Counting
from custody_ledger.domain.ids import AgencyId, AgreementId, OfficerId, TrainingId
from custody_ledger.domain.model import (
    Agreement,
    AgreementModel,
    AgreementStatus,
    BackgroundResult,
    Certificate,
    CertificateStatus,
    Officer,
    Training,
)
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import certificates, flags
from custody_ledger.policy import default_policy
from tests.support.world import (
    World,
    booked_with_warrant,
    build_agency,
    certified_officer,
    serve_attempt,
)

# --- helpers -----------------------------------------------------------------------------------------


def _error(result: dict[str, Any]) -> tuple[bool, str | None, str | None]:
    error = result.get("error") or {}
    return result["ok"], error.get("rule_id"), error.get("field")


def _flag_kinds(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(flags.c.kind).order_by(flags.c.flag_id)).scalars())


def _sign(world: World, agreement: str, model: str, *, effective_from: date, signed_on: date | None = None,
          expires_on: date | None = None) -> dict[str, Any]:
    world.ok("request_agreement", agreement_id=agreement, agency_id="AG-A", model=model)
    world.ok("review_agreement", agreement_id=agreement, decision="suitable", reasons="no state law limits")
    payload: dict[str, Any] = {"agreement_id": agreement, "signed_on": (signed_on or effective_from).isoformat(),
                               "effective_from": effective_from.isoformat(), "igsa": False}
    if expires_on is not None:
        payload["expires_on"] = expires_on.isoformat()
    return world.run("sign_agreement", **payload)


def _nominated(world: World, officer: str, *, background: str | None = "passed") -> None:
    world.ok("nominate_officer", officer_id=officer, agency_id="AG-A", name="N. Officer", badge="77")
    if background is not None:
        world.ok("record_background_check", officer_id=officer, result=background)


def _certify(world: World, officer: str, model: str = "WSO", agreement: str = "AGR-AG-A-WSO",
             **kw: Any) -> dict[str, Any]:
    return world.run("certify_officer", officer_id=officer, model=model, agreement_id=agreement,
                     credential_no=f"CR-{officer}", supervisor="SDDO, Houston ERO", **kw)


# --- authority.decide: a certificate acts only under an agreement of its model, for the officer's agency ---

AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
VIEW = default_policy().at(AT, UTC)
# Each model's course passed a month before AT: training is current, so only what a test varies decides.
TRAININGS = tuple(Training(TrainingId(f"O-1/T{i}"), OfficerId("O-1"), m, f"{m} basic", 160, date(2026, 2, 2), 90)
                  for i, m in enumerate(AgreementModel))
WSO = AgreementModel.WSO
OFFICER = Officer(OfficerId("O-1"), AgencyId("A-1"), "Officer One", "17", BackgroundResult.PASSED)


def _agreement(agency: str = "A-1", model: AgreementModel = WSO) -> Agreement:
    return Agreement(AgreementId("AGR-1"), AgencyId(agency), model, AgreementStatus.ACTIVE, False,
                     date(2025, 1, 1), date(2025, 1, 1))


def _wso_certificate(officer: str = "O-1") -> Certificate:
    return Certificate(OfficerId(officer), WSO, AgreementId("AGR-1"), AgencyId("A-1"), "CR-1", "SDDO",
                       CertificateStatus.CURRENT, AT)


def _serve(*certs: Certificate, agreement: Agreement) -> authority.Decision:
    return authority.decide("serve_warrant", officer=OFFICER, certificates=certs,
                            agreements={agreement.agreement_id: agreement}, at=AT, trainings=TRAININGS, view=VIEW)


def test_a_certificate_under_another_agencys_agreement_gives_no_authority() -> None:
    decision = _serve(_wso_certificate(), agreement=_agreement(agency="A-2"))
    assert (decision.allowed, decision.rule_id) == (False, "agreement.active_required")


def test_a_wso_certificate_resting_on_an_agreement_of_another_model_gives_no_authority() -> None:
    decision = _serve(_wso_certificate(), agreement=_agreement(model=AgreementModel.JEM))
    assert (decision.allowed, decision.rule_id) == (False, "agreement.active_required")


def test_another_officers_certificate_gives_this_officer_no_authority() -> None:
    decision = _serve(_wso_certificate(officer="O-2"), agreement=_agreement())
    assert (decision.allowed, decision.rule_id) == (False, "certificate.current_required")


# --- dates: a certificate or agreement ends at the start of its expiry date, begins on its effective date ---


def test_a_certificate_is_no_longer_current_on_its_expiry_date(world: World) -> None:
    _nominated(world, "OFF-E")
    world.ok("record_training", officer_id="OFF-E", model="WSO", course="WSO", hours=8,
             completed_on=world.clock.date().isoformat())
    world.ok("certify_officer", officer_id="OFF-E", model="WSO", agreement_id="AGR-AG-A-WSO", credential_no="CR-E",
             supervisor="SDDO", expires_on=(world.clock + timedelta(days=2)).date().isoformat())
    world.later(days=2)  # the expiry date itself (serve_attempt acts an hour later, still that day)
    assert _error(serve_attempt(world, "H-1", "OFF-E"))[:2] == (False, "certificate.current_required")


def test_an_agreement_is_in_force_on_its_effective_date(world: World) -> None:
    assert _sign(world, "AGR-AG-A-JEM", "JEM", effective_from=world.clock.date())["ok"]
    world.ok("nominate_officer", officer_id="OFF-J", agency_id="AG-A", name="J", badge="J1")
    world.ok("record_background_check", officer_id="OFF-J", result="passed")
    world.ok("record_training", officer_id="OFF-J", model="JEM", course="JEM", hours=160,
             completed_on=world.clock.date().isoformat())
    assert _error(_certify(world, "OFF-J", "JEM", "AGR-AG-A-JEM")) == (True, None, None)


def test_an_agreement_is_no_longer_in_force_on_its_expiry_date(world: World) -> None:
    today = world.clock.date()
    assert _sign(world, "AGR-AG-A-JEM", "JEM", effective_from=today - timedelta(days=1),
                 expires_on=today + timedelta(days=2))["ok"]
    certified_officer(world, "OFF-J", model="JEM")
    world.later(days=2)
    booked_with_warrant(world, "BK-1")
    result = world.run("interview_status", booking_id="BK-1", officer_id="OFF-J")
    assert _error(result)[:2] == (False, "agreement.active_required")


def test_a_dated_policy_value_applies_on_its_own_first_day() -> None:
    """training.tfm fell from 160 to 40 hours from 2025-01-20: that day already counts 40."""
    first_day = datetime(2025, 1, 20, 0, 0, tzinfo=UTC)
    assert default_policy().at(first_day, UTC).training(AgreementModel.TFM).value == 40


# --- signing and changing agreements -----------------------------------------------------------------


def test_an_agreement_cannot_take_effect_before_it_is_signed(world: World) -> None:
    today = world.clock.date()
    result = _sign(world, "AGR-X", "JEM", signed_on=today, effective_from=today - timedelta(days=1))
    assert _error(result) == (False, None, "effective_from")


def test_an_agreement_cannot_expire_on_the_day_it_takes_effect(world: World) -> None:
    today = world.clock.date()
    result = _sign(world, "AGR-X", "JEM", effective_from=today, expires_on=today)
    assert _error(result) == (False, None, "expires_on")


@pytest.mark.parametrize("action", ["reinstate_agreement", "suspend_agreement", "terminate_agreement"])
def test_a_terminated_agreement_stays_terminated(world: World, action: str) -> None:
    world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="written notice")
    result = world.run(action, agreement_id="AGR-AG-A-WSO", reason="again")
    assert (result["ok"], (result.get("error") or {}).get("rule_id")) == (False, "lifecycle.agreement")


def test_terminating_an_agreement_does_not_revoke_an_already_revoked_certificate_again(world: World) -> None:
    certified_officer(world, "OFF-1")
    certified_officer(world, "OFF-2")
    world.ok("revoke_certificate", officer_id="OFF-1", model="WSO", reason="left the agency")
    result = world.ok("terminate_agreement", agreement_id="AGR-AG-A-WSO", reason="written notice")
    revoked = [e["stream"] for e in result["events"] if e["type"] == "certificate_revoked"]
    assert revoked == ["certificate:OFF-2:WSO"]


# --- certification: background check, training done by then, agreement of the same model -------------


def test_an_officer_without_a_recorded_background_check_cannot_be_certified(world: World) -> None:
    _nominated(world, "OFF-N", background=None)
    world.ok("record_training", officer_id="OFF-N", model="WSO", course="WSO", hours=8,
             completed_on=world.clock.date().isoformat())
    assert _error(_certify(world, "OFF-N")) == (False, "certification.background_check", "officer_id")


def test_training_completed_after_the_certification_does_not_count(world: World) -> None:
    _nominated(world, "OFF-L")
    trained_on = world.clock + timedelta(days=3)
    world.ok("record_training", at=trained_on, officer_id="OFF-L", model="WSO", course="WSO", hours=8,
             completed_on=trained_on.date().isoformat())
    result = _certify(world, "OFF-L", at=trained_on - timedelta(days=2))  # certified, backdated, before training
    assert _error(result)[:2] == (False, "training.wso")


def test_training_cannot_be_completed_after_it_is_recorded(world: World) -> None:
    _nominated(world, "OFF-F")
    result = world.run("record_training", officer_id="OFF-F", model="WSO", course="WSO", hours=8,
                       completed_on=(world.clock + timedelta(days=1)).date().isoformat())
    assert _error(result) == (False, None, "completed_on")


def test_a_wso_certificate_cannot_rest_on_a_jem_agreement(world: World) -> None:
    assert _sign(world, "AGR-AG-A-JEM", "JEM", effective_from=world.clock.date() - timedelta(days=1))["ok"]
    _nominated(world, "OFF-W")
    world.ok("record_training", officer_id="OFF-W", model="WSO", course="WSO", hours=8,
             completed_on=world.clock.date().isoformat())
    assert _error(_certify(world, "OFF-W", "WSO", "AGR-AG-A-JEM")) == (False, "certification.agreement",
                                                                       "agreement_id")


# --- certificate lifecycle -----------------------------------------------------------------------------


def test_a_suspended_certificate_is_suspended_not_revoked_and_may_still_be_revoked(world: World, engine) -> None:
    certified_officer(world, "OFF-1")
    world.ok("suspend_certificate", officer_id="OFF-1", model="WSO", reason="ICE review")
    with engine.connect() as conn:
        status = conn.execute(sa.select(certificates.c.status)).scalar_one()
    revoked = world.run("revoke_certificate", officer_id="OFF-1", model="WSO", reason="review found misconduct")
    assert (status, revoked["ok"]) == ("suspended", True)


@pytest.mark.parametrize("action", ["suspend_certificate", "revoke_certificate"])
def test_a_certificate_is_not_withdrawn_twice_the_same_way(world: World, action: str) -> None:
    certified_officer(world, "OFF-1")
    world.ok(action, officer_id="OFF-1", model="WSO", reason="notice")
    result = world.run(action, officer_id="OFF-1", model="WSO", reason="notice again")
    assert (result["ok"], (result.get("error") or {}).get("rule_id")) == (False, "lifecycle.certificate")


# --- holds and the 48-hour clock -------------------------------------------------------------------------


def test_a_second_warrant_cannot_open_a_second_hold_while_one_is_open(world: World) -> None:
    officer = certified_officer(world, "OFF-1")
    first = booked_with_warrant(world, "BK-1", form="I-200")
    world.ok("lodge_warrant", warrant_id="WR-2", booking_id="BK-1", form="I-205", number="N-2",
             issued_on=world.clock.date().isoformat())
    world.ok("release_from_criminal_custody", at=world.later(hours=1), booking_id="BK-1", reason="bail")
    world.ok("serve_warrant", hold_id="H-1", warrant_id=first, officer_id=officer)
    result = world.run("serve_warrant", hold_id="H-2", warrant_id="WR-2", officer_id=officer)
    assert (result["ok"], (result.get("error") or {}).get("kind"), (result.get("error") or {}).get("rule_id")) == (
        False, "conflict", "hold.one_open_per_booking")


def test_a_detainer_whose_only_warrant_was_cancelled_is_flagged(world: World, engine) -> None:
    warrant = booked_with_warrant(world, "BK-D", form="I-200")
    world.ok("cancel_warrant", warrant_id=warrant, reason="ICE lifted the warrant")
    world.ok("lodge_warrant", warrant_id="WR-D2", booking_id="BK-D", form="I-247A", number="D-2",
             issued_on=world.clock.date().isoformat())
    assert _flag_kinds(engine) == ["detainer_without_warrant"]


def test_excluding_weekends_a_limit_ending_at_friday_midnight_ends_there_not_on_monday() -> None:
    """Thursday 00:00 local + 48 counted hours = Saturday 00:00 local (the end of Friday)."""
    chicago = ZoneInfo("America/Chicago")
    start = datetime(2026, 3, 12, 0, 0, tzinfo=chicago).astimezone(UTC)
    view = default_policy().at(start, UTC)
    end = clock.deadline(start, timedelta(hours=48), Counting.EXCLUDING_WEEKENDS_AND_HOLIDAYS, chicago,
                         view.is_holiday)
    assert end == datetime(2026, 3, 14, 0, 0, tzinfo=chicago).astimezone(UTC)


# --- when an event may be dated, and when it is late -------------------------------------------------------


def _book(world: World, booking: str, *, at: datetime, now: datetime) -> dict[str, Any]:
    return world.run("book_person", at=at, now=now, booking_id=booking, facility_id="AG-A-JAIL",
                     person={"name": "A", "dob": "1980-01-01"}, charge_status="pending")


def test_occurred_at_just_beyond_the_five_minute_skew_is_refused(world: World) -> None:
    now = world.clock
    result = _book(world, "BK-F", at=now + timedelta(seconds=301), now=now)
    assert _error(result) == (False, "time.future_skew", "occurred_at")


def test_occurred_at_exactly_at_the_skew_is_accepted(world: World) -> None:
    now = world.clock
    assert _book(world, "BK-S", at=now + timedelta(seconds=300), now=now)["ok"]


def test_an_entry_recorded_a_little_over_24_hours_late_is_flagged(world: World, engine) -> None:
    at = world.clock
    assert _book(world, "BK-L", at=at, now=at + timedelta(hours=25))["ok"]
    assert _flag_kinds(engine) == ["late_entry"]


def test_an_entry_recorded_exactly_24_hours_later_is_not_flagged(world: World, engine) -> None:
    at = world.clock
    assert _book(world, "BK-P", at=at, now=at + timedelta(hours=24))["ok"]
    assert _flag_kinds(engine) == []


def test_a_late_entry_is_judged_by_the_policy_in_force_when_it_occurred(engine, policy: Policy) -> None:
    """A TFM certification dated 2025-01-10 (160 h then) but recorded 2025-01-25 (40 h by then) needs 160 h."""
    w = World(engine, policy, start=datetime(2025, 1, 6, 14, 0, tzinfo=UTC))
    build_agency(w, "AG-A", model="TFM")
    _nominated(w, "OFF-T")
    w.ok("record_training", officer_id="OFF-T", model="TFM", course="TFM", hours=40,
         completed_on=w.clock.date().isoformat())
    result = _certify(w, "OFF-T", "TFM", "AGR-AG-A-TFM", at=datetime(2025, 1, 10, 14, 0, tzinfo=UTC),
                      now=datetime(2025, 1, 25, 14, 0, tzinfo=UTC))
    assert _error(result)[:2] == (False, "training.tfm")


def test_every_stream_an_event_touches_keeps_its_order(world: World) -> None:
    """Terminating revokes certificates: a termination dated before a certificate's last event is refused."""
    certified_officer(world, "OFF-1")
    suspended_at = world.later(hours=5)
    world.ok("suspend_certificate", at=suspended_at, officer_id="OFF-1", model="WSO", reason="ICE review")
    result = world.run("terminate_agreement", at=suspended_at - timedelta(hours=3), agreement_id="AGR-AG-A-WSO",
                       reason="written notice")
    assert _error(result) == (False, "time.stream_order", "occurred_at")
