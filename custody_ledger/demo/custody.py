"""Custody: bookings, warrants, JEM processing, WSO arrests and how each hold ends.

Each booking schedules its whole future at once (every command at or after the booking moment), so
the heap stays ordered as arrivals advance. The only holds open at `now` are the 5–15 that
`open_holds` makes, with deadlines just ahead; any other hold ends before `now`.

A warrant invites nothing unlawful: at the release from criminal custody it is served by an officer
who may act then, or ICE lifts it (cancel_warrant) in that same minute. Only a person still in
criminal custody at `now` has a lodged warrant; none is left for a WSO to serve after the limit.
"""

from __future__ import annotations

import random
from datetime import timedelta

from .world import (
    DAY,
    HOUR,
    MINUTE,
    Agency,
    Payload,
    World,
    align,
    between,
    day_of,
    minutes,
    person_name,
)

LIMIT = 48 * HOUR  # policy custody.limit, elapsed hours: the demo aims around it, the product judges
SERVING = frozenset({"WSO", "JEM"})  # certificates that allow serve_warrant (policy authority.*)
JAIL_FUNCTIONS = frozenset({"JEM"})  # interview_status, enter_ice_data, issue_detainer
WSO_ONLY = frozenset({"WSO"})
CANCEL_REASONS = (
    "Immigration case closed", "Warrant issued in error (identity mismatch)",
    "Relief granted by an immigration judge", "ICE will not pursue custody",
)
# Lifted at the release (ICE's FOIA outcome "Lifted"): a detainer no WSO may serve, or a warrant no
# officer could serve in time.
LIFT_DETAINER = "Lifted: released from criminal custody; an I-247A detainer is not served by a 287(g) officer"
LIFT_UNSERVED = "Lifted: released from criminal custody with no 287(g) officer able to serve the warrant"
# The labels of what is staged to break a rule (generator.STAGED): the rule that refuses it, or flags it.
STAGED_UNCERTIFIED = "refusal-certificate.current_required"
STAGED_WSO_INTERVIEW = "refusal-authority.wso"
STAGED_PAST_LIMIT = "violation-custody.violation"


def booking(world: World, agency: Agency, booked: int) -> None:
    rng = world.rng
    booking_id, pending = _book(world, agency, booked)
    released = booked + _custody(rng, pending)
    detained = _jail_processing(world, agency, booking_id, booked)
    lodged = None
    if rng.random() < (0.85 if detained else 0.22):
        lodged = _lodge(world, agency, booking_id, detained or booked, released, _form(rng, detained))
    # About one booking in 200 carries a refused attempt, for the oversight reports; an attempt drawn
    # where none fits is owed to the next booking where one does.
    if rng.random() < 0.005:
        world.attempts_owed += 1
    wso_try = world.attempts_owed > 0 and agency.role.model == "WSO" and rng.random() < 0.5
    if wso_try and _refused_interview(world, agency, booking_id, booked):
        world.attempts_owed -= 1
    reason = _release(world, agency, booking_id, released, pending)
    if lodged is None and reason == "charges_dropped":
        _court_orders(world, agency, booking_id, released)
    if lodged is None or released > world.now:  # no warrant left, or the person is still held at `now`
        return
    warrant_id, servable = lodged
    if servable and world.attempts_owed > 0 and _refused_serve(world, agency, warrant_id, released):
        world.attempts_owed -= 1
    if not (servable and _serve(world, agency, warrant_id, released)):
        reason = LIFT_UNSERVED if servable else LIFT_DETAINER
        world.sink.push(released, "cancel_warrant", agency.supervisor, {"warrant_id": warrant_id, "reason": reason})


def _book(world: World, agency: Agency, at: int) -> tuple[str, bool]:
    rng = world.rng
    booking_id = agency.next_id("BK")
    born = day_of(at) - timedelta(days=rng.randint(18 * 365, 70 * 365))
    person: Payload = {"name": person_name(rng), "dob": born.isoformat()}
    if rng.random() < 0.7:
        person["a_number"] = f"A{rng.randint(200_000_000, 249_999_999)}"
    facility = agency.facilities[0] if rng.random() < 0.6 else rng.choice(agency.facilities)
    pending = rng.random() < 0.75
    world.sink.push(at, "book_person", agency.records, {
        "booking_id": booking_id, "facility_id": facility, "person": person,
        "charge_status": "pending" if pending else "convicted"})
    return booking_id, pending


def _custody(rng: random.Random, pending: bool) -> int:
    """Time in criminal custody: 1 to 120 days, short for pending charges."""
    days = 1 + min(119.0, rng.expovariate(1 / 12)) if pending else rng.uniform(10, 120)
    return align(int(days * DAY))


def _release(world: World, agency: Agency, booking_id: str, at: int, pending: bool) -> str:
    if pending:
        reason = world.rng.choices(("bail", "charges_dropped", "court_order", "other"), (50, 25, 17, 8))[0]
    else:
        reason = world.rng.choices(("sentence_served", "court_order", "other"), (85, 10, 5))[0]
    payload: Payload = {"booking_id": booking_id, "reason": reason}
    world.sink.push(at, "release_from_criminal_custody", agency.records, payload)
    return reason


def _court_orders(world: World, agency: Agency, booking_id: str, released: int) -> None:
    """Dropped charges, a petition: one such record in 15 is sealed a month or two later, and one sealed record in
    three expunged some months after that (state sealing and expunction laws)."""
    rng = world.rng
    if rng.random() >= 1 / 15:
        return
    sealed = align(released + int(rng.uniform(30, 60) * DAY))
    if sealed > world.now:
        return
    case = f"{agency.agency_id}-{booking_id[-6:]}"
    world.sink.push(sealed, "seal_person", agency.admin, {"booking_id": booking_id,
                                                          "court_order": f"Sealing order, case {case}"})
    expunged = align(sealed + int(rng.uniform(90, 240) * DAY))
    if rng.random() < 1 / 3 and expunged <= world.now:
        world.sink.push(expunged, "expunge_person", agency.admin, {"booking_id": booking_id,
                                                                    "court_order": f"Expunction order, case {case}"})


def _jail_processing(world: World, agency: Agency, booking_id: str, booked: int) -> int | None:
    """JEM officers interview, enter data and issue a detainer; the moment after, or None."""
    rng = world.rng
    if agency.role.model != "JEM" or rng.random() >= 0.4:
        return None
    at = booked + minutes(rng, 60, 8 * 60)
    officers = agency.acting(at, JAIL_FUNCTIONS)
    if not officers:
        return None
    officer = rng.choice(officers)
    steps = ["interview_status"]
    if rng.random() < 0.6:  # found removable: data entry and a detainer follow
        steps += ["enter_ice_data", "issue_detainer"]
    payload: Payload = {"booking_id": booking_id, "officer_id": officer}
    for step in steps:
        if officer not in agency.acting(at, JAIL_FUNCTIONS):
            return None
        if not world.sink.push(at, step, f"jem-{officer}", dict(payload)):
            return None
        at += minutes(rng, 5, 45)
    return at if len(steps) == 3 else None


def _form(rng: random.Random, detained: int | None) -> str:
    if detained is not None:  # the JEM detainer is backed by an administrative warrant (policy 10074.2)
        return rng.choices(("I-200", "I-205"), (80, 20))[0]
    return rng.choices(("I-200", "I-205", "I-247A"), (70, 20, 10))[0]


def _lodge(world: World, agency: Agency, booking_id: str, after: int, released: int, form: str, *,
           cancellable: bool = True) -> tuple[str, bool] | None:
    """Lodge a warrant before the release: its id and whether a WSO may serve it (an I-200/I-205, not an
    I-247A), or None if it was not lodged by `now` or ICE cancelled it before the release."""
    rng, sink = world.rng, world.sink
    low = after + 30 * MINUTE
    at = between(rng, low, min(low + 5 * DAY, released - HOUR))
    warrant_id = agency.next_id("WR")
    world.warrants += 1
    if not sink.push(at, "lodge_warrant", agency.supervisor, {
        "warrant_id": warrant_id, "booking_id": booking_id, "form": form,
        "number": f"{agency.office.code}{day_of(at):%y}{world.warrants:07d}",
        "issued_on": (day_of(at) - timedelta(days=rng.randint(0, 2))).isoformat()}):
        return None
    if cancellable and rng.random() < 0.08:
        cancelled = between(rng, at + (released - at) // 10, released - (released - at) // 10)
        if sink.push(cancelled, "cancel_warrant", agency.supervisor,
                     {"warrant_id": warrant_id, "reason": rng.choice(CANCEL_REASONS)}):
            return None
    return warrant_id, form != "I-247A"


def _serve(world: World, agency: Agency, warrant_id: str, released: int) -> bool:
    """The WSO arrest at (or just after) the release and how the hold ends before `now`; False if no
    officer may serve the warrant then."""
    rng = world.rng
    served = released + _arrest_delay(rng)
    officers = agency.acting(served, SERVING)
    if agency.agreement is None or not officers or served > world.now:
        return False
    igsa = agency.agreement.igsa
    end = _hold_end(world, agency, igsa, released, served)
    if end is None:
        return False
    ended, command, payload = end
    hold_id = agency.next_id("H")
    _push_serve(world, agency, hold_id, warrant_id, rng.choice(officers), served)
    actor = agency.supervisor if command == "transfer_custody" else agency.records
    reason = payload.get("reason")
    if reason == "warrant_cancelled":  # ICE cancels the served warrant first (policy release.warrant_cancelled)
        world.sink.push(ended - minutes(rng, 5, 50), "cancel_warrant", agency.supervisor,
                        {"warrant_id": warrant_id, "reason": rng.choice(CANCEL_REASONS)})
    staged = STAGED_PAST_LIMIT if reason == "limit_reached" else ""
    world.sink.push(ended, command, actor, {"hold_id": hold_id, **payload}, staged=staged)
    agency.held.append((released, ended))  # the clock started at the release; costed with its month (oversight.py)
    world.plain_holds += 0 if igsa else 1
    world.limit_releases += 1 if reason == "limit_reached" else 0
    return True


def _arrest_delay(rng: random.Random) -> int:
    """Mostly the same minute as the release; rarely 10–40 minutes later (custody.unauthorized_gap)."""
    draw = rng.random()
    if draw < 0.03:
        return minutes(rng, 10, 40)
    return minutes(rng, 1, 9) if draw < 0.45 else 0


def _hold_end(
    world: World, agency: Agency, igsa: bool, released: int, served: int
) -> tuple[int, str, Payload] | None:
    """Transfer within 2–24 h mostly, a tail at 40–47 h; some releases; ≈1 % past the limit.

    A hold that would still be open at `now` is transferred before it instead (None if there is no
    hour for that), so the holds open at `now` stay the ones `open_holds` makes.
    """
    rng = world.rng
    draw = rng.random()
    if not igsa and (draw < 0.012 or (world.plain_holds >= 40 and world.limit_releases == 0)):
        end: tuple[int, str, Payload] = (released + LIMIT + minutes(rng, 5, 90), "release_hold",
                                         {"reason": "limit_reached"})
    elif draw > 0.96:
        reason = rng.choice(("ice_declined", "court_order", "warrant_cancelled", "other"))
        end = served + minutes(rng, 60, 30 * 60), "release_hold", {"reason": reason}
    else:
        if igsa and draw > 0.80:
            hours = rng.uniform(72, 21 * 24)  # detention continues under the IGSA
        elif not igsa and draw > 0.90:
            hours = rng.uniform(40, 47)
        else:
            hours = rng.uniform(2, 24)
        end = released + align(int(hours * HOUR)), "transfer_custody", _transfer(world, agency)
    if end[0] <= world.now:
        return end
    latest = world.now if igsa else min(world.now, released + LIMIT - HOUR)
    if latest < served + HOUR:
        return None
    return between(rng, served + HOUR, latest), "transfer_custody", _transfer(world, agency)


def _transfer(world: World, agency: Agency) -> Payload:
    receiving = f"{person_name(world.rng)}, Deportation Officer, ERO {agency.office.city}"
    return {"receiving_officer": receiving, "field_office_id": agency.office.field_office_id}


def _push_serve(world: World, agency: Agency, hold_id: str, warrant_id: str, officer: str, at: int, *,
                staged: str = "") -> bool:
    payload: Payload = {"hold_id": hold_id, "warrant_id": warrant_id, "officer_id": officer}
    return world.sink.push(at, "serve_warrant", f"{agency.role.model.lower()}-{officer}", payload, staged=staged)


def _refused_interview(world: World, agency: Agency, booking_id: str, booked: int) -> bool:
    """A WSO questioning someone about status: refused (policy authority.wso)."""
    at = booked + minutes(world.rng, 60, 6 * 60)
    officers = agency.acting(at, WSO_ONLY)
    if not officers:
        return False
    officer = world.rng.choice(officers)
    payload: Payload = {"booking_id": booking_id, "officer_id": officer}
    return world.sink.push(at, "interview_status", f"wso-{officer}", payload, staged=STAGED_WSO_INTERVIEW)


def _refused_serve(world: World, agency: Agency, warrant_id: str, released: int) -> bool:
    """An officer without a certificate tries to serve: refused (policy certificate.current_required)."""
    nominees = [officer for officer, nominated in agency.nominees if nominated < released]
    if not nominees:
        return False
    return _push_serve(world, agency, agency.next_id("H"), warrant_id, world.rng.choice(nominees), released,
                       staged=STAGED_UNCERTIFIED)


def open_holds(world: World) -> None:
    """5–15 holds open at `now`, served 30–47 h before it: their deadlines fall in the next hours."""
    rng = world.rng
    for _ in range(rng.randint(5, 15)):
        served = align(world.now - int(rng.uniform(30, 47) * HOUR))
        ready = [agency for agency in world.agencies if agency.acting(served, SERVING)]
        plain = [agency for agency in ready if agency.agreement is not None and not agency.agreement.igsa]
        if ready:
            _open_hold(world, rng.choice(plain or ready), served)


def _open_hold(world: World, agency: Agency, served: int) -> None:
    rng = world.rng
    released = served - minutes(rng, 0, 5)
    booked = align(released - int(rng.uniform(1.5, 45) * DAY))
    if booked < world.start + DAY:
        return
    booking_id, pending = _book(world, agency, booked)
    form = rng.choice(("I-200", "I-205"))
    lodged = _lodge(world, agency, booking_id, booked, released, form, cancellable=False)
    _release(world, agency, booking_id, released, pending)
    if lodged is not None:
        officer = rng.choice(agency.acting(served, SERVING))
        _push_serve(world, agency, agency.next_id("H"), lodged[0], officer, served)

