"""The program: field offices, agencies, agreements and each officer's way to a certificate.

Planned before any booking, so that custody can ask who may act at a given moment
(`Agency.acting`). Three "core" agencies guarantee that WSO, JEM and TFM are all active; among the
others one agreement is terminated, some are suspended, some declined at review.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .places import FIELD_OFFICES, PLACES, Place
from .world import (
    DAY,
    FOREVER,
    HOUR,
    MINUTE,
    Agency,
    Agreement,
    Delegation,
    Payload,
    Role,
    World,
    align,
    between,
    day_of,
    midnight,
    person_name,
)

ADMIN = "admin@ice-hq"
TFM_40_HOURS_FROM = date(2025, 1, 20)  # policy training.tfm: 160 hours before this day, 40 from it
OFFICES = {office.code: office for office in FIELD_OFFICES}
SUITABLE = "No state or local law limits cooperation; jail space and ICE supervision are available."
UNSUITABLE = "The jail lacks the secure space and ICE supervision the program requires; may reapply."
REFRESHERS = {"WSO": ("287(g) Warrant Service Officer refresher (online)", 2),
              "JEM": ("287(g) Jail Enforcement Model refresher", 4),
              "TFM": ("287(g) Task Force Model refresher", 4)}
REFRESHER_YEAR = 365 * DAY  # policy training.refresher: 12 months after the last passed course, >= 365 days
LATE_REFRESHER = 0.05


def setup(world: World, count: int) -> None:
    for n, office in enumerate(FIELD_OFFICES):
        payload: Payload = {"field_office_id": office.field_office_id, "name": office.name,
                            "timezone": office.timezone}
        world.sink.push(world.start + n * MINUTE, "register_field_office", ADMIN, payload)
    places = list(PLACES)
    world.rng.shuffle(places)
    chosen = places[:count]
    for n, (place, role) in enumerate(zip(chosen, _roles(world.rng, chosen), strict=True)):
        agency = _register(world, place, role, world.start + HOUR + n * 10 * MINUTE)
        world.agencies.append(agency)
        _agreement(world, agency)
    _fates(world)
    for agency in world.agencies:
        _officers(world, agency)


def _roles(rng: random.Random, chosen: Sequence[Place]) -> list[Role]:
    core = [n for n, place in enumerate(chosen) if not place.restrictive][:3]
    roles: list[Role] = []
    for n, place in enumerate(chosen):
        if n in core:
            roles.append(Role(("WSO", "JEM", "TFM")[core.index(n)], declined=False, core=True))
            continue
        model = rng.choices(("WSO", "JEM", "TFM"), weights=(6, 2.5, 1.5))[0]
        roles.append(Role(model, bool(place.restrictive) or rng.random() < 0.12, core=False))
    others = [role for role in roles if not role.core]
    if len(others) >= 4 and not any(role.declined for role in others):
        others[-1].declined = True
    return roles


def _register(world: World, place: Place, role: Role, at: int) -> Agency:
    agency = Agency(place, OFFICES[place.field_office], role, at)
    world.sink.push(at, "register_agency", ADMIN, {
        "agency_id": agency.agency_id, "name": place.agency, "kind": place.kind, "state": place.state,
        "county": place.county, "ori": place.ori, "field_office_id": agency.office.field_office_id})
    for n, name in enumerate(place.facility_names()[: world.rng.randint(1, 3)], 1):
        facility_id = f"FAC-{place.key}-{n}"
        agency.facilities.append(facility_id)
        world.sink.push(at + n * MINUTE, "register_facility", agency.admin, {
            "facility_id": facility_id, "agency_id": agency.agency_id, "name": name,
            "timezone": place.timezone})
    return agency


def _agreement(world: World, agency: Agency) -> None:
    rng, sink, role = world.rng, world.sink, agency.role
    agreement_id = f"AGR-{agency.place.key}-{role.model}"
    asked = agency.registered + HOUR + world.days(1, 10 if role.core else 240)
    sink.push(asked, "request_agreement", agency.admin,
              {"agreement_id": agreement_id, "agency_id": agency.agency_id, "model": role.model})
    reviewed = asked + world.days(10, 45)
    reasons = agency.place.restrictive or (UNSUITABLE if role.declined else SUITABLE)
    decision = "declined" if role.declined else "suitable"
    sink.push(reviewed, "review_agreement", agency.supervisor,
              {"agreement_id": agreement_id, "decision": decision, "reasons": reasons})
    if role.declined:
        return
    signed = reviewed + world.days(7, 40)
    effective = day_of(signed) + timedelta(days=rng.randint(0, 10))
    igsa = rng.random() < 1 / 3
    payload: Payload = {"agreement_id": agreement_id, "signed_on": day_of(signed).isoformat(),
                        "effective_from": effective.isoformat(), "igsa": igsa}
    end = FOREVER
    if role.model == "TFM":  # task-force MOAs still run three years, renewed by addendum (DOMAIN.md)
        expires = effective + timedelta(days=3 * 365)
        payload["expires_on"] = expires.isoformat()
        end = midnight(expires) - DAY
    if sink.push(signed, "sign_agreement", ADMIN, payload):
        agency.agreement = Agreement(agreement_id, role.model, igsa, signed, midnight(effective) + HOUR, end)


def _fates(world: World) -> None:
    """One agreement terminated, two or more suspended (some reinstated): never the three core ones."""
    cutoff = world.now - world.period(150)
    pool: list[Agreement] = []
    for agency in world.agencies:
        if agency.agreement is not None and not agency.role.core and agency.agreement.active_from < cutoff:
            pool.append(agency.agreement)
    world.rng.shuffle(pool)
    for n, agreement in enumerate(pool):
        if n == 0:
            at = between(world.rng, (agreement.active_from + world.now) // 2, world.now - world.period(20))
            world.sink.push(at, "terminate_agreement", ADMIN, {
                "agreement_id": agreement.agreement_id,
                "reason": "Written notice of termination after a county commission vote"})
            agreement.terminated, agreement.end = at, min(agreement.end, at - HOUR)
        elif n <= 2 or world.rng.random() < 0.1:
            _suspend(world, agreement, reinstate=n == 1 or world.rng.random() < 0.6)


def _suspend(world: World, agreement: Agreement, *, reinstate: bool) -> None:
    quarter = agreement.active_from + (world.now - agreement.active_from) // 4
    at = between(world.rng, quarter, world.now - world.period(15))
    world.sink.push(at, "suspend_agreement", ADMIN, {
        "agreement_id": agreement.agreement_id,
        "reason": "Suspended pending review of training compliance and supervision records"})
    back = at + world.days(14, 90)
    if reinstate and world.sink.push(back, "reinstate_agreement", ADMIN, {
        "agreement_id": agreement.agreement_id,
        "reason": "Corrective action plan accepted; training records brought current"}):
        agreement.pauses.append((at - HOUR, back + HOUR))
    else:
        agreement.pauses.append((at - HOUR, FOREVER))


# --- Officers: nomination, background check, training, certificate ----------------------------------


def _officers(world: World, agency: Agency) -> None:
    """Officers at every stage: nominated only, failed check, trained only, certified, withdrawn."""
    agreement, rng = agency.agreement, world.rng
    if agreement is None:
        return
    stages = ["nominated", "trained", *["certified"] * rng.randint(2, 5)]
    stages += [s for s, p in (("failed", 0.5), ("suspended", 0.4), ("revoked", 0.25)) if rng.random() < p]
    rng.shuffle(stages)
    for n, stage in enumerate(stages, 1):
        officer_id = f"OFF-{agency.place.key}-{n:02d}"
        nominated = agreement.signed + world.days(1, 45)
        payload: Payload = {"officer_id": officer_id, "agency_id": agency.agency_id, "name": person_name(rng),
                            "badge": f"{rng.randint(100, 999)}{n:02d}"}
        if nominated >= agreement.terminated or not world.sink.push(
            nominated, "nominate_officer", agency.admin, payload
        ):
            continue
        if not _qualify(world, agency, agreement, officer_id, nominated, stage):
            agency.nominees.append((officer_id, nominated))


def _qualify(world: World, agency: Agency, agreement: Agreement, officer_id: str, nominated: int,
             stage: str) -> bool:
    """Background check, training, certificate; False when the officer stops short of a certificate."""
    checked = nominated + world.days(7, 40)
    if stage == "nominated" or checked >= agreement.terminated:
        return False
    result = "failed" if stage == "failed" else "passed"
    payload: Payload = {"officer_id": officer_id, "result": result}
    if not world.sink.push(checked, "record_background_check", agency.supervisor, payload):
        return False
    if stage == "failed":
        return False
    trained = _train(world, agency, agreement, officer_id, checked, partial=stage == "trained")
    if trained is None or stage == "trained":
        return False
    return _certify(world, agency, agreement, officer_id, trained, stage)


@dataclass(frozen=True)
class Trained:
    ready: int  # when the course is over and certification may follow
    recorded: int  # when the last passed course was recorded
    completed: date  # and the day it was completed: training is current for a year from it


def _train(world: World, agency: Agency, agreement: Agreement, officer_id: str, checked: int, *,
           partial: bool) -> Trained | None:
    at = checked + world.days(3, 30)
    # Records are entered the day after a course ends, so the date is past on every field office's calendar.
    finished = day_of(at) - timedelta(days=1)
    courses = _courses(agreement.model, finished)
    if partial and len(courses) > 1:
        courses = courses[: len(courses) // 2]
    retaken = False
    recorded, completed = at, finished
    for course, hours in courses:
        # Policy training.exam: 70 % passes; a few officers fail one exam and use their one retake.
        scores = [world.rng.randint(72, 100)]
        if not retaken and world.rng.random() < 0.04:
            scores.insert(0, world.rng.randint(45, 69))
            retaken = True
        for score in scores:
            payload: Payload = {"officer_id": officer_id, "model": agreement.model, "course": course,
                                "hours": hours, "completed_on": finished.isoformat(), "exam_score": score}
            if at >= agreement.terminated:
                return None
            if not world.sink.push(at, "record_training", agency.supervisor, payload):
                return None
            agency.courses.append((at, finished, hours))
            recorded, completed = at, finished
            at += 7 * DAY if hours == 40 else 2 * DAY
            finished = day_of(at) - timedelta(days=1)
    return Trained(at, recorded, completed)


def _courses(model: str, day: date) -> list[tuple[str, int]]:
    """Enough hours for policy training.*: WSO 8; TFM 160, or 40 from 2025-01-20; JEM 160."""
    if model == "WSO":
        return [("287(g) Warrant Service Officer training (online)", 8)]
    if model == "TFM" and day >= TFM_40_HOURS_FROM:
        return [("287(g) Task Force Model training, part 1", 24),
                ("287(g) Task Force Model training, part 2", 16)]
    course = "287(g) Jail Enforcement Model basic course" if model == "JEM" else "287(g) basic course"
    return [(f"{course}, week {n}", 40) for n in range(1, 5)]


def _certify(world: World, agency: Agency, agreement: Agreement, officer_id: str, trained: Trained,
             stage: str) -> bool:
    at = max(trained.ready + world.days(2, 20), agreement.active_from + world.days(0, 5))
    for start, stop in agreement.pauses:  # never certify under a suspended agreement
        at = stop + world.days(1, 10) if start <= at < stop else at
    if at >= agreement.end - DAY:
        return False
    world.credentials += 1
    payload: Payload = {
        "officer_id": officer_id, "model": agreement.model, "agreement_id": agreement.agreement_id,
        "credential_no": f"287G-{agreement.model}-{agency.office.code}-{world.credentials:05d}",
        "supervisor": f"Supervisory Detention and Deportation Officer, {agency.office.city} ERO"}
    end = agreement.end
    if world.rng.random() < 0.3:  # refresher cadence: some certificates carry a two-year expiry
        expires = day_of(at) + timedelta(days=730)
        payload["expires_on"] = expires.isoformat()
        end = min(end, midnight(expires) - DAY)
    if not world.sink.push(at, "certify_officer", agency.supervisor, payload):
        return False
    end = _withdraw(world, agency, agreement, officer_id, at, end, stage)
    current = _refreshers(world, agency, agreement.model, officer_id, trained, end)
    agency.delegations.append(Delegation(officer_id, at + MINUTE, end, current))
    return True


def _refreshers(world: World, agency: Agency, model: str, officer_id: str, trained: Trained,
                end: int) -> tuple[tuple[int, int], ...]:
    """Yearly refresher courses while the officer may act; when each passed course keeps training current.

    Policy training.refresher: an officer acts only within 12 months of their last passed course for the
    model (never less than 365 days). Most take the refresher after 10 to 11½ months; a few take it
    weeks late and may not act in between.
    """
    rng = world.rng
    course, hours = REFRESHERS[model]
    recorded, completed = trained.recorded, trained.completed
    current: list[tuple[int, int]] = []
    while True:
        # A day early, as for certificate expiry, so the act's day on any US facility's calendar agrees.
        lapses = midnight(completed) + REFRESHER_YEAR - DAY
        current.append((recorded, lapses))
        late = rng.random() < LATE_REFRESHER
        at = align(midnight(completed) + int((rng.uniform(380, 430) if late else rng.uniform(300, 350)) * DAY))
        if lapses >= end or at >= end:
            return tuple(current)
        completed = day_of(at) - timedelta(days=1)  # recorded the day after, as every course here
        payload: Payload = {"officer_id": officer_id, "model": model, "course": course, "hours": hours,
                            "completed_on": completed.isoformat(), "exam_score": rng.randint(74, 100)}
        if not world.sink.push(at, "record_training", agency.supervisor, payload):
            return tuple(current)
        agency.courses.append((at, completed, hours))
        recorded = at


def _withdraw(world: World, agency: Agency, agreement: Agreement, officer_id: str, certified: int, end: int,
              stage: str) -> int:
    """Suspend or revoke the certificate; return the end of the officer's authority."""
    at = certified + world.days(30, 300)
    if stage not in ("suspended", "revoked") or at >= min(end, agreement.terminated):
        return end
    command = "suspend_certificate" if stage == "suspended" else "revoke_certificate"
    reason = ("Administrative leave pending an internal-affairs review" if stage == "suspended"
              else "Officer left the agency; credentials returned")
    payload: Payload = {"officer_id": officer_id, "model": agreement.model, "reason": reason}
    return min(end, at - HOUR) if world.sink.push(at, command, agency.supervisor, payload) else end

