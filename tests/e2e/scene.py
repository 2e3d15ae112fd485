"""The web tests' world, anchored on the real clock (countdowns must move): one field office; agency AG-A (a Texas
jail, WSO agreement, no IGSA) with open holds due in 30 min, 3 h, 18 h and 28 h, people released ten and five
minutes ago with lodged warrants, and one released 49 h ago whose limit has run out; agency AG-B (Florida, with
an IGSA) with one hold under it. The watchdog has run once, so the holds due soonest have alerts. One user per
role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.app import auth, watchdog
from custody_ledger.app.auth import Role
from custody_ledger.domain.policy import Policy
from tests.support.world import World, add_agreement, booked_with_warrant, certified_officer

PASSWORD = "correct-horse-battery-staple"
USERS: dict[str, tuple[Role, dict[str, str]]] = {
    "records": (Role.FACILITY_STAFF, {"agency_id": "AG-A"}),
    "agency-admin": (Role.AGENCY_ADMIN, {"agency_id": "AG-A"}),
    "wso": (Role.CERTIFIED_OFFICER, {"agency_id": "AG-A", "officer_id": "OFF-A1"}),
    "supervisor": (Role.ICE_SUPERVISOR, {"field_office_id": "FO-1"}),
    "admin": (Role.PROGRAM_ADMIN, {}),
    "auditor": (Role.AUDITOR, {}),
}
# Open holds of AG-A by how long ago the person was released (and arrested): 48 h minus that is left.
HOLDS_A = {"H-DUE": timedelta(hours=47, minutes=30), "H-SOON": timedelta(hours=45),
           "H-LATER": timedelta(hours=30), "H-SPARE": timedelta(hours=20)}


def _hold(w: World, hold: str, officer: str, agency: str, released: datetime) -> None:
    booking = f"BK-{hold}"
    warrant = booked_with_warrant(w, booking, agency)
    w.ok("release_from_criminal_custody", at=released, booking_id=booking, reason="bail")
    w.ok("serve_warrant", at=released, hold_id=hold, warrant_id=warrant, officer_id=officer)


def build(engine: Engine, policy: Policy, now: datetime | None = None) -> datetime:
    """The scene as of `now` (default: this second); returns that moment."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    w = World(engine, policy, now - timedelta(days=5))
    w.ok("register_field_office", field_office_id="FO-1", name="Houston ERO", timezone="America/Chicago")
    for agency, state, tz, igsa in (("AG-A", "TX", "America/Chicago", False), ("AG-B", "FL", "America/New_York", True)):
        w.ok("register_agency", agency_id=agency, name=f"{agency} Sheriff's Office", kind="sheriff", state=state,
             county="Harris", ori=f"{state}1010000", field_office_id="FO-1")
        w.ok("register_facility", facility_id=f"{agency}-JAIL", agency_id=agency, name=f"{agency} County Jail",
             timezone=tz)
        add_agreement(w, agency, igsa=igsa)
        certified_officer(w, f"OFF-{agency[-1]}1", agency=agency)
    w.ok("request_agreement", agreement_id="AGR-AG-A-JEM", agency_id="AG-A", model="JEM")
    w.ok("nominate_officer", officer_id="OFF-A2", agency_id="AG-A", name="Officer Nominee", badge="A2")
    for hold, ago in sorted(HOLDS_A.items(), key=lambda item: -item[1]):
        w.clock = now - ago - timedelta(hours=3)
        _hold(w, hold, "OFF-A1", "AG-A", now - ago)
    w.clock = now - timedelta(hours=50)
    late = booked_with_warrant(w, "BK-LATE")
    w.ok("release_from_criminal_custody", at=now - timedelta(hours=49), booking_id="BK-LATE", reason="bail")
    w.clock = now - timedelta(hours=30)
    _hold(w, "H-IGSA", "OFF-B1", "AG-B", now - timedelta(hours=26))
    w.clock = now - timedelta(hours=2)
    serve = booked_with_warrant(w, "BK-SERVE")
    w.ok("release_from_criminal_custody", at=now - timedelta(minutes=10), booking_id="BK-SERVE", reason="bail")
    spare = booked_with_warrant(w, "BK-NEXT")
    w.ok("release_from_criminal_custody", at=now - timedelta(minutes=5), booking_id="BK-NEXT", reason="bail")
    assert (late, serve, spare) == ("WR-BK-LATE", "WR-BK-SERVE", "WR-BK-NEXT")
    watchdog.raise_due(engine, now=now, policy=policy)
    for user, (role, scope) in USERS.items():
        auth.add_user(engine, user, PASSWORD, role, now=now, by="e2e", with_mfa=False, **scope)
    return now


def run(engine: Engine, policy: Policy, command: str, **payload: Any) -> dict[str, Any]:
    """A command from outside the browser (another clerk at another desk), now."""
    from custody_ledger.app.execute import execute

    raw = {"command": command, "idempotency_key": f"side-{command}-{payload}", "actor": "other-desk", **payload}
    return execute(engine, raw, now=datetime.now(UTC), policy=policy).to_dict()
