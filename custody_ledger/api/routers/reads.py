"""GET routes: each parses its filters and hands them to a scoped reader of app/reads.py.

Plain `def` routes: every one reads the database, and FastAPI runs them in its thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from custody_ledger.app import reads
from custody_ledger.domain.model import (
    AgreementModel,
    AgreementStatus,
    BookingStatus,
    HoldStatus,
    WarrantStatus,
)
from custody_ledger.domain.parse import parse_window

from .. import views as s
from ..deps import EngineDep, IdPath, IdQuery, NowDep, PageDep, PolicyDep, PrincipalDep, SeqPageDep, SettingsDep

router = APIRouter(tags=["reads"])

DueWithin = Annotated[str | None, Query(max_length=20, description="How far ahead, with a unit: 30m, 4h, 2d")]


@router.get("/field-offices", response_model=s.Page[s.FieldOffice])
def list_field_offices(engine: EngineDep, who: PrincipalDep, page: PageDep) -> reads.Page:
    return reads.run(engine, reads.field_offices, who, after=page.after, limit=page.limit)


@router.get("/agencies", response_model=s.Page[s.Agency])
def list_agencies(engine: EngineDep, who: PrincipalDep, page: PageDep, field_office_id: IdQuery = None) -> reads.Page:
    return reads.run(engine, reads.agencies, who, field_office_id=field_office_id, after=page.after, limit=page.limit)


@router.get("/facilities", response_model=s.Page[s.Facility])
def list_facilities(engine: EngineDep, who: PrincipalDep, page: PageDep, agency_id: IdQuery = None) -> reads.Page:
    return reads.run(engine, reads.facilities, who, agency_id=agency_id, after=page.after, limit=page.limit)


@router.get("/agreements", response_model=s.Page[s.Agreement])
def list_agreements(engine: EngineDep, who: PrincipalDep, page: PageDep, agency_id: IdQuery = None,
                    model: AgreementModel | None = None, status: AgreementStatus | None = None) -> reads.Page:
    return reads.run(engine, reads.agreements, who, agency_id=agency_id, model=model, status=status,
                     after=page.after, limit=page.limit)


@router.get("/officers", response_model=s.Page[s.Officer])
def list_officers(engine: EngineDep, who: PrincipalDep, page: PageDep, agency_id: IdQuery = None) -> reads.Page:
    return reads.run(engine, reads.officers, who, agency_id=agency_id, after=page.after, limit=page.limit)


@router.get("/officers/{officer_id}", response_model=s.OfficerDetail)
def get_officer(officer_id: IdPath, engine: EngineDep, who: PrincipalDep) -> reads.Item:
    """With trainings, certificates, and each certificate's history from the ledger."""
    return reads.run(engine, reads.officer, who, officer_id)


@router.get("/bookings", response_model=s.Page[s.Booking])
def list_bookings(engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep, policy: PolicyDep,
                  page: PageDep, facility_id: IdQuery = None, agency_id: IdQuery = None,
                  status: BookingStatus | None = None) -> reads.Page:
    """Person records: the read is logged, and needs the second factor when MFA is on. A sealed person's data is
    shown only to the roles the policy names (person.sealed_access); an expunged person's to no one."""
    return reads.run(engine, reads.bookings, who, now=now, mfa_required=settings.mfa_required, policy=policy,
                     facility_id=facility_id, agency_id=agency_id, status=status, after=page.after, limit=page.limit)


@router.get("/bookings/{booking_id}", response_model=s.Booking)
def get_booking(booking_id: IdPath, engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep,
                policy: PolicyDep) -> reads.Item:
    return reads.run(engine, reads.booking, who, booking_id, now=now, mfa_required=settings.mfa_required,
                     policy=policy)


@router.post("/persons/search", response_model=s.Page[s.Booking])
def search_persons(body: s.PersonSearch, engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep,
                   policy: PolicyDep) -> reads.Page:
    """The bookings in your scope of the person with this name and date of birth (spelling of accents, case and
    spacing aside), for a jail's look-up of earlier bookings. A read, sent as POST so the name travels in the
    body, never in a URL or a server log; logged by a keyed token of the query, not the name."""
    return reads.run(engine, reads.person_search, who, name=body.name, dob=body.dob, now=now,
                     mfa_required=settings.mfa_required, policy=policy, limit=body.limit)


@router.get("/warrants", response_model=s.Page[s.Warrant])
def list_warrants(engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep, page: PageDep,
                  booking_id: IdQuery = None, agency_id: IdQuery = None,
                  status: WarrantStatus | None = None) -> reads.Page:
    return reads.run(engine, reads.warrants, who, now=now, mfa_required=settings.mfa_required,
                     booking_id=booking_id, agency_id=agency_id, status=status, after=page.after, limit=page.limit)


@router.get("/warrants/{warrant_id}", response_model=s.Warrant)
def get_warrant(warrant_id: IdPath, engine: EngineDep, who: PrincipalDep, now: NowDep,
                settings: SettingsDep) -> reads.Item:
    return reads.run(engine, reads.warrant, who, warrant_id, now=now, mfa_required=settings.mfa_required)


@router.get("/holds", response_model=s.Page[s.Hold])
def list_holds(engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep, page: PageDep,
               status: HoldStatus | None = None, facility_id: IdQuery = None, agency_id: IdQuery = None,
               due_within: DueWithin = None) -> reads.Page:
    """Each hold with its deadline in UTC and facility time and the seconds left; `due_within` keeps open holds."""
    window = None if due_within is None else parse_window(due_within, "due_within")
    return reads.run(engine, reads.holds, who, now=now, mfa_required=settings.mfa_required, status=status,
                     facility_id=facility_id, agency_id=agency_id, due_within=window, after=page.after,
                     limit=page.limit)


@router.get("/holds/{hold_id}", response_model=s.Hold)
def get_hold(hold_id: IdPath, engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep) -> reads.Item:
    return reads.run(engine, reads.hold, who, hold_id, now=now, mfa_required=settings.mfa_required)


@router.get("/events", response_model=s.SeqPage[s.Event])
def list_events(engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep,
                page: SeqPageDep) -> reads.Page:
    """The ledger by sequence number, payloads included: auditors and program administrators only."""
    return reads.run(engine, reads.events, who, now=now, mfa_required=settings.mfa_required, after=page.after,
                     limit=page.limit)


@router.get("/alerts", response_model=s.Page[s.Alert])
def list_alerts(engine: EngineDep, who: PrincipalDep, now: NowDep, settings: SettingsDep, policy: PolicyDep,
                page: PageDep, agency_id: IdQuery = None, hold_id: IdQuery = None, open_only: bool = True,
                unacknowledged: bool = False) -> reads.Page:
    """The alerts the watchdog raised (custody.alerts before a deadline, the hold's limit rule at it,
    custody.limit_exceeded past it), of holds still open unless `open_only=false`. Lists people: logged, MFA."""
    return reads.run(engine, reads.alerts, who, now=now, mfa_required=settings.mfa_required, policy=policy,
                     agency_id=agency_id, hold_id=hold_id, open_only=open_only, unacknowledged=unacknowledged,
                     after=page.after, limit=page.limit)


@router.get("/access-log", response_model=s.SeqPage[s.AccessRecord])
def list_access_log(engine: EngineDep, who: PrincipalDep, page: SeqPageDep, principal: IdQuery = None,
                    action: IdQuery = None) -> reads.Page:
    """Who read or changed what, when, from where, with what outcome: auditors only."""
    return reads.run(engine, reads.access_log, who, principal_id=principal, action=action, after=page.after,
                     limit=page.limit)
