"""Who pays and who watches (issue 15): each agency's costs, complaints and steering committee meetings.

Costs are booked by the month, as agencies report them: officers' hours on program duties, the hours people were
held under the holds that ended in the month, the training courses recorded in it, and under an IGSA the per-diem
billed to ICE and, some weeks later, paid. A month is costed once every hold that ends in it is known (each booking
schedules its hold's end when it arrives, so that is when the bookings have passed the month's end). Complaints come
a few a year while officers act, most referred to ICE's OPR and/or internal affairs and closed months later;
steering committees rarely meet (oversight found few ever did), and fewer publish their minutes.

Every date named lies before the command's moment on the agency's calendar: a record is made between 14:00 and
22:00 UTC, daytime on every US field office's calendar, so its UTC day is the local one.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from .world import DAY, HOUR, MINUTE, Agency, Agreement, Payload, Terms, World, align, day_of, midnight

CATEGORIES = ("use_of_force", "civil_rights", "unlawful_detention", "language_access", "other")
OUTCOMES = ("not_sustained", "unfounded", "exonerated", "sustained", "withdrawn")


def plan(world: World) -> None:
    """Each agency's terms, complaints and committee meetings: all known once the program is planned."""
    world.costed_through = _month_start(world.start)
    agencies = [agency for agency in world.agencies if agency.agreement is not None]
    for agency in agencies:
        agency.terms = _terms(world)
    if agencies and not any(a.terms is not None and a.terms.meetings_per_year for a in agencies):
        # Few committees met; a history where none did would leave that section of the report empty.
        first = agencies[0].terms
        assert first is not None
        agencies[0].terms = Terms(first.detention_payer, first.training_payer, first.wage_cents,
                                  first.per_diem_cents, first.complaints_per_year, 1, first.publishes)
    for agency in agencies:
        _complaints(world, agency)
        _meetings(world, agency)


def _terms(world: World) -> Terms:
    rng = world.oversight
    return Terms(
        detention_payer=rng.choices(("agency", "ice"), (7, 3))[0],
        training_payer=rng.choices(("ice", "agency"), (6, 4))[0],
        wage_cents=rng.randint(3_200, 5_200),
        per_diem_cents=rng.randint(80, 150) * 100,
        complaints_per_year=rng.uniform(1.5, 5),
        meetings_per_year=rng.choices((0, 1, 2), (65, 25, 10))[0],
        publishes=rng.uniform(0.2, 0.8))


# --- Costs, month by month ------------------------------------------------------------------------------------


def close_months(world: World, through: int) -> None:
    """Push every agency's costs for each month that ended by `through`, at or after `through`."""
    while (following := _next_month(world.costed_through)) <= through:
        for agency in world.agencies:
            if agency.terms is not None and agency.agreement is not None:
                _month(world, agency, agency.terms, agency.agreement, world.costed_through, following, through)
        world.costed_through = following


def _month(world: World, agency: Agency, terms: Terms, agreement: Agreement, first: int, following: int,
           through: int) -> None:
    rng = world.oversight
    ended = [hold for hold in agency.held if hold[1] < following]
    agency.held = [hold for hold in agency.held if hold[1] >= following]
    courses = [course for course in agency.courses if first <= course[0] < following]
    start = max(day_of(first), day_of(agreement.active_from))
    end = min(day_of(following) - timedelta(days=1), day_of(min(agreement.end, world.now)))
    at = max(through, _daytime(world, following + rng.randint(2, 12) * DAY))
    period: Payload = {"incurred_from": start.isoformat(), "incurred_to": end.isoformat(),
              "agreement_id": agreement.agreement_id}
    if start <= end:
        officers = sum(1 for d in agency.delegations if d.start < following and first < d.end)
        hours = _quarter(officers * rng.uniform(6, 16) + len(ended) * rng.uniform(1.5, 3))
        if hours:
            _cost(world, agency, at, "officer_hours", "agency", period, hours=hours,
                  amount_cents=round(hours * terms.wage_cents),
                  note=f"Program duties of {officers} certified officers, from timesheets")
    if ended:
        held = _quarter(sum(stop - began for began, stop in ended) / HOUR)
        _cost(world, agency, at + MINUTE, "detention_hours", terms.detention_payer,
              {**period, "incurred_from": min(day_of(began) for began, _ in ended).isoformat(),
               "incurred_to": max(day_of(stop) for _, stop in ended).isoformat()},
              hours=held, note=f"{len(ended)} holds ended this month")
    for n, (_, completed, hours_taught) in enumerate(courses, 2):
        payer = terms.training_payer
        _cost(world, agency, at + n * MINUTE, "training_hours", payer,
              {"incurred_from": completed.isoformat(), "incurred_to": completed.isoformat(),
               "agreement_id": agreement.agreement_id}, hours=hours_taught)
    if agreement.igsa and ended and start <= end and _in_force_all_day(agreement, end):
        _per_diem(world, agency, terms, at + (len(courses) + 2) * MINUTE, period, ended)


def _per_diem(world: World, agency: Agency, terms: Terms, at: int, period: Payload,
              ended: list[tuple[int, int]]) -> None:
    """Billed with the month's costs; paid by ICE weeks later, mostly in full (rule cost.per_diem_igsa: the
    agreement had an IGSA and was in force on the period's last day)."""
    rng = world.oversight
    days = sum(max(1, math.ceil((stop - began) / DAY)) for began, stop in ended)
    billed = days * terms.per_diem_cents
    note = f"{days} detention days at ${terms.per_diem_cents // 100} a day"
    if not _cost(world, agency, at, "per_diem_billed", "ice", period, amount_cents=billed, note=note):
        return
    if rng.random() < 0.9:
        short = rng.randint(1, days // 10) if days >= 10 and rng.random() < 0.1 else 0  # ICE disputes a few days
        paid = _daytime(world, at + rng.randint(20, 75) * DAY)
        _cost(world, agency, paid, "per_diem_paid", "ice", period,
              amount_cents=billed - short * terms.per_diem_cents)


def _cost(world: World, agency: Agency, at: int, kind: str, payer: str, period: Payload, *,
          hours: float | None = None, amount_cents: int | None = None, note: str | None = None) -> bool:
    payload: Payload = {"cost_id": agency.next_id("COST"), "agency_id": agency.agency_id, "kind": kind,
                        "payer": payer, **period}
    for name, value in (("hours", hours), ("amount_cents", amount_cents), ("note", note)):
        if value is not None:
            payload[name] = value
    # Whoever bore a cost records it; the agency bills its per-diem.
    actor = agency.supervisor if payer == "ice" and kind != "per_diem_billed" else agency.admin
    return world.sink.push(at, "record_cost", actor, payload)


def _quarter(hours: float) -> float | int:
    """To the quarter hour, as timesheets keep it: exact in a JSON number, and whole hours as integers."""
    quarters = round(hours * 4)
    return quarters // 4 if quarters % 4 == 0 else quarters / 4


def _in_force_all_day(agreement: Agreement, day: date) -> bool:
    """In force through the whole of `day` on any US calendar (UTC midnight to the next day's morning)."""
    low, high = midnight(day), midnight(day) + 2 * DAY
    return (agreement.active_from <= low and high < agreement.end
            and not any(start < high and low < stop for start, stop in agreement.pauses))


# --- Complaints and steering committees -----------------------------------------------------------------------


def _complaints(world: World, agency: Agency) -> None:
    """A few a year while the agency's officers may act, received at random (a Poisson process)."""
    rng, terms, agreement = world.oversight, agency.terms, agency.agreement
    if terms is None or agreement is None or not agency.delegations:
        return
    clock = float(min(d.start for d in agency.delegations))
    last = min(agreement.end, world.now)
    while (clock := clock + rng.expovariate(terms.complaints_per_year / (365.25 * DAY))) < last:
        _complaint(world, agency, day_of(int(clock)))


def _complaint(world: World, agency: Agency, received: date) -> None:
    rng = world.oversight
    at = _daytime(world, midnight(received) + rng.randint(1, 3) * DAY)
    named = [d.officer_id for d in agency.delegations if d.start < midnight(received)]
    payload: Payload = {"complaint_id": agency.next_id("CMP"), "agency_id": agency.agency_id,
                        "received_on": received.isoformat(),
                        "category": rng.choices(CATEGORIES, (20, 25, 25, 15, 15))[0]}
    if named and rng.random() < 0.45:
        payload["officer_id"] = rng.choice(named)
    complaint_id = payload["complaint_id"]
    if not world.sink.push(at, "record_complaint", rng.choice((agency.admin, agency.supervisor)), payload):
        return
    draw = rng.random()
    bodies = (["ice_opr", "internal_affairs"] if draw < 0.4 else ["ice_opr"] if draw < 0.65
              else ["internal_affairs"] if draw < 0.85 else [])
    latest = received
    for body in bodies:  # each once: the agency refers to its internal affairs, ICE's supervisor to its OPR
        referred = received + timedelta(days=rng.randint(1, 21))
        at = max(at + HOUR, _daytime(world, midnight(referred) + rng.randint(0, 2) * DAY))
        actor = agency.supervisor if body == "ice_opr" else agency.admin
        if not world.sink.push(at, "refer_complaint", actor,
                               {"complaint_id": complaint_id, "referred_to": body,
                                "referred_on": referred.isoformat()}):
            return
        latest = max(latest, referred)
    if rng.random() < 0.85:
        closed = latest + timedelta(days=rng.randint(20, 200))
        at = max(at + HOUR, _daytime(world, midnight(closed) + rng.randint(0, 5) * DAY))
        world.sink.push(at, "close_complaint", agency.supervisor if "ice_opr" in bodies else agency.admin,
                        {"complaint_id": complaint_id, "outcome": rng.choices(OUTCOMES, (32, 25, 13, 15, 15))[0],
                         "closed_on": closed.isoformat()})


def _meetings(world: World, agency: Agency) -> None:
    """Once or twice a year for the few committees that meet, on a weekday while the agreement is in force."""
    rng, terms, agreement = world.oversight, agency.terms, agency.agreement
    if terms is None or agreement is None or not terms.meetings_per_year:
        return
    slot = 365 * DAY // terms.meetings_per_year
    begin = agreement.active_from + 30 * DAY
    while begin < min(agreement.end, world.now):
        held = day_of(begin + int(rng.uniform(0, slot)))
        held += timedelta(days=max(0, 7 - held.weekday()) if held.weekday() >= 5 else 0)
        begin += slot
        if agreement.in_force(midnight(held) + 16 * HOUR) and midnight(held) < agreement.end:
            _meeting(world, agency, agreement, held)


def _meeting(world: World, agency: Agency, agreement: Agreement, held: date) -> None:
    rng, terms = world.oversight, agency.terms
    assert terms is not None
    waited = rng.randint(1, 10)
    at = _daytime(world, midnight(held) + waited * DAY)
    meeting_id = agency.next_id("SC")
    payload: Payload = {"meeting_id": meeting_id, "agency_id": agency.agency_id,
                        "agreement_id": agreement.agreement_id, "held_on": held.isoformat()}
    published = rng.random() < terms.publishes
    at_once = published and rng.random() < 0.3  # published by the time the meeting is recorded
    if at_once:
        payload["minutes_published_on"] = (held + timedelta(days=rng.randint(0, waited))).isoformat()
    if not world.sink.push(at, "record_steering_meeting", agency.supervisor, payload) or at_once or not published:
        return
    day = held + timedelta(days=rng.randint(14, 120))
    later = max(at + HOUR, _daytime(world, midnight(day) + rng.randint(0, 3) * DAY))
    world.sink.push(later, "publish_steering_minutes", agency.supervisor,
                    {"meeting_id": meeting_id, "published_on": day.isoformat()})


# --- Time -----------------------------------------------------------------------------------------------------


def _daytime(world: World, day_start: int) -> int:
    """A moment between 14:00 and 22:00 UTC on the day that begins at `day_start` (UTC midnight)."""
    return align(day_start + int(world.oversight.uniform(14, 22) * HOUR))


def _month_start(at: int) -> int:
    day = day_of(at)
    return midnight(day.replace(day=1))


def _next_month(first: int) -> int:
    day = day_of(first)
    return midnight(date(day.year + day.month // 12, day.month % 12 + 1, 1))

