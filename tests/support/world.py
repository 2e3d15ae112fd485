"""A small 287(g) world built through the real write path, for rule and integration tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.app.execute import execute
from custody_ledger.domain.policy import Policy

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday


class World:
    """Runs commands at chosen moments; each is recorded a minute after it occurred unless told otherwise."""

    def __init__(self, engine: Engine, policy: Policy, start: datetime = T0) -> None:
        self.engine, self.policy, self.clock = engine, policy, start
        self._keys = itertools.count(1)

    def run(self, command: str, *, at: datetime | None = None, now: datetime | None = None,
            key: str | None = None, actor: str = "tester", **payload: Any) -> dict[str, Any]:
        at = at or self.clock
        self.clock = max(self.clock, at)
        raw = {"command": command, "idempotency_key": key or f"k{next(self._keys)}", "actor": actor,
               "occurred_at": at.isoformat(), **payload}
        return execute(self.engine, raw, now=now or at + timedelta(minutes=1), policy=self.policy).to_dict()

    def ok(self, command: str, **kw: Any) -> dict[str, Any]:
        result = self.run(command, **kw)
        assert result["ok"], result
        return result

    def later(self, **delta: float) -> datetime:
        self.clock += timedelta(**delta)
        return self.clock


def build_agency(w: World, agency: str = "AG-A", *, model: str = "WSO", igsa: bool = False,
                 tz: str = "America/Chicago", state: str = "TX") -> None:
    """Field office, agency, one facility, and an agreement of `model` in force."""
    w.run("register_field_office", field_office_id="FO-1", name="Houston ERO", timezone="America/Chicago")
    w.ok("register_agency", agency_id=agency, name=f"{agency} Sheriff", kind="sheriff", state=state,
         county="Harris", ori=f"{state}1010000", field_office_id="FO-1")
    w.ok("register_facility", facility_id=f"{agency}-JAIL", agency_id=agency, name=f"{agency} Jail", timezone=tz)
    add_agreement(w, agency, model=model, igsa=igsa)


def add_agreement(w: World, agency: str, *, model: str = "WSO", igsa: bool = False) -> str:
    agreement = f"AGR-{agency}-{model}"
    w.ok("request_agreement", agreement_id=agreement, agency_id=agency, model=model)
    w.ok("review_agreement", agreement_id=agreement, decision="suitable", reasons="no state law limits cooperation")
    day = (w.clock - timedelta(days=1)).date().isoformat()
    w.ok("sign_agreement", agreement_id=agreement, signed_on=day, effective_from=day, igsa=igsa)
    return agreement


TRAINING_HOURS = {"WSO": 8, "TFM": 40, "JEM": 160}


def certified_officer(w: World, officer: str, agency: str = "AG-A", model: str = "WSO") -> str:
    w.ok("nominate_officer", officer_id=officer, agency_id=agency, name=f"Officer {officer}", badge=officer)
    w.ok("record_background_check", officer_id=officer, result="passed")
    w.ok("record_training", officer_id=officer, model=model, course=f"{model} basic",
         hours=TRAINING_HOURS[model], completed_on=(w.clock - timedelta(days=1)).date().isoformat())
    w.ok("certify_officer", officer_id=officer, model=model, agreement_id=f"AGR-{agency}-{model}",
         credential_no=f"CR-{officer}", supervisor="SDDO, Houston ERO")
    return officer


def booked_with_warrant(w: World, booking: str, agency: str = "AG-A", form: str = "I-200") -> str:
    w.ok("book_person", booking_id=booking, facility_id=f"{agency}-JAIL",
         person={"name": "Jane Roe", "dob": "1990-01-01"}, charge_status="pending")
    warrant = f"WR-{booking}"
    w.ok("lodge_warrant", warrant_id=warrant, booking_id=booking, form=form, number=f"N-{booking}",
         issued_on=w.clock.date().isoformat())
    return warrant


def open_hold(w: World, hold: str, officer: str, agency: str = "AG-A", *, released_at: datetime | None = None,
              arrested_at: datetime | None = None) -> dict[str, Any]:
    """Book, lodge, release from criminal custody, serve: the WSO arrest at release."""
    booking = f"BK-{hold}"
    warrant = booked_with_warrant(w, booking, agency)
    release = released_at or w.later(hours=2)
    w.ok("release_from_criminal_custody", at=release, booking_id=booking, reason="bail")
    return w.ok("serve_warrant", at=arrested_at or release, hold_id=hold, warrant_id=warrant, officer_id=officer)


def serve_attempt(w: World, hold: str, officer: str, agency: str = "AG-A") -> dict[str, Any]:
    """A booking with a warrant, released an hour later, then the officer tries to serve it."""
    booking = f"BK-{hold}"
    warrant = booked_with_warrant(w, booking, agency)
    w.ok("release_from_criminal_custody", at=w.later(hours=1), booking_id=booking, reason="bail")
    return w.run("serve_warrant", hold_id=hold, warrant_id=warrant, officer_id=officer)
