"""Agencies as the real lists show them, and what happens to agreements after signing (issue 13), on SQLite and
PostgreSQL through the write path: county and ORI unknown, states by name, amendments with their old values,
re-signing, documents, delisting that is not termination, and imported records that are not late entries."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from custody_ledger.domain.policy import Policy
from custody_ledger.ledger import projections
from custody_ledger.ledger.schema import events
from tests.support.world import World, add_agreement

SOURCE = {"file": "participating.csv", "sha256": "a" * 64, "row": 7, "as_of": "2025-05-01"}


def _world(engine: Engine, policy: Policy) -> World:
    w = World(engine, policy)
    w.ok("register_field_office", field_office_id="FO-1", name="Houston ERO", timezone="America/Chicago")
    return w


def _agency(engine: Engine, agency_id: str) -> Any:
    with engine.connect() as conn:
        return projections.load(conn, "agency", agency_id=agency_id)


def _agreement(engine: Engine, agreement_id: str) -> Any:
    with engine.connect() as conn:
        return projections.load(conn, "agreement", agreement_id=agreement_id)


def _payloads(engine: Engine, event_type: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.payload).where(events.c.type == event_type).order_by(events.c.seq))
        return [json.loads(r.payload) for r in rows]


def test_an_agency_without_ori_or_county_is_registered_with_both_unknown(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-C", name="Pine Hollow Constable Precinct 1", kind="constable",
         state="TX", field_office_id="FO-1", jurisdiction="municipality")
    agency = _agency(engine, "AG-C")
    assert (agency.county, agency.ori, agency.kind.value, agency.jurisdiction.value) == (
        None, None, "constable", "municipality")


def test_a_state_given_by_its_full_name_is_stored_as_its_code(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-G", name="Guam Department of Corrections", kind="corrections",
         state="GUAM", field_office_id="FO-1", jurisdiction="territory")
    assert _agency(engine, "AG-G").state == "GU"


def test_an_unknown_state_is_refused_naming_the_field(engine: Engine, policy: Policy) -> None:
    result = _world(engine, policy).run("register_agency", agency_id="AG-X", name="X", kind="police",
                                         state="ATLANTIS", field_office_id="FO-1")
    assert (result["ok"], result["error"]["field"]) == (False, "state")


def test_an_ori_given_must_start_with_the_states_code(engine: Engine, policy: Policy) -> None:
    result = _world(engine, policy).run("register_agency", agency_id="AG-X", name="X", kind="police", state="TX",
                                         ori="FL1010000", field_office_id="FO-1")
    assert (result["ok"], result["error"]["field"]) == (False, "ori")


def test_amending_an_agency_records_each_old_value(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-A", name="Frankin County Sheriff", kind="sheriff", state="OH",
         field_office_id="FO-1")
    w.ok("amend_agency", agency_id="AG-A", name="Franklin County Sheriff's Office", county="Franklin County",
         reason="Respelled in ICE's list")
    changes = _payloads(engine, "agency_amended")[0]["changes"]
    assert (changes, _agency(engine, "AG-A").name) == (
        [{"field": "name", "old": "Frankin County Sheriff", "new": "Franklin County Sheriff's Office"},
         {"field": "county", "old": None, "new": "Franklin County"}], "Franklin County Sheriff's Office")


def test_an_amendment_that_changes_nothing_is_refused_and_records_nothing(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-A", name="A Sheriff", kind="sheriff", state="TX", county="Harris",
         field_office_id="FO-1")
    result = w.run("amend_agency", agency_id="AG-A", county="Harris", reason="same")
    assert (result["ok"], result["error"]["kind"], _payloads(engine, "agency_amended")) == (False, "invalid", [])


def _signed(engine: Engine, policy: Policy) -> tuple[World, str]:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-A", name="A Sheriff", kind="sheriff", state="TX", field_office_id="FO-1")
    return w, add_agreement(w, "AG-A")


def test_re_signing_an_agreement_keeps_the_previous_signing_date(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    before = _agreement(engine, agreement).signed_on
    w.ok("resign_agreement", agreement_id=agreement, signed_on=(before + timedelta(days=30)).isoformat())
    assert (_payloads(engine, "agreement_resigned")[0]["previous_signed_on"], _agreement(engine, agreement).signed_on) \
        == (before.isoformat(), before + timedelta(days=30))


def test_an_agreement_not_yet_signed_cannot_be_re_signed(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    w.ok("register_agency", agency_id="AG-A", name="A Sheriff", kind="sheriff", state="TX", field_office_id="FO-1")
    w.ok("request_agreement", agreement_id="AGR", agency_id="AG-A", model="WSO")
    result = w.run("resign_agreement", agreement_id="AGR", signed_on="2026-01-01")
    assert (result["ok"], result["error"]["rule_id"]) == (False, "lifecycle.agreement")


def test_an_amendment_of_terms_records_the_old_value(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    w.ok("amend_agreement", agreement_id=agreement, expires_on="2029-06-30", reason="Addendum extending the term")
    assert (_payloads(engine, "agreement_amended")[0]["changes"], str(_agreement(engine, agreement).expires_on)) == (
        [{"field": "expires_on", "old": None, "new": "2029-06-30"}], "2029-06-30")


def test_a_document_is_named_by_url_or_hash_and_attached_once(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    nameless = w.run("attach_agreement_document", agreement_id=agreement, document_id="MOA", kind="moa")
    w.ok("attach_agreement_document", agreement_id=agreement, document_id="MOA", kind="moa",
         url="https://example.org/moa.pdf", dated_on="2026-03-01")
    again = w.run("attach_agreement_document", agreement_id=agreement, document_id="MOA", kind="moa",
                  sha256="b" * 64)
    assert (nameless["error"]["field"], again["error"]["kind"]) == ("url", "conflict")


def test_a_delisted_agreement_stays_in_force_and_says_it_was_inferred(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    w.ok("delist_agreement", agreement_id=agreement, delisted_on="2026-03-02", inferred=True,
         reason="Missing from the list of 2026-03-02")
    found = _agreement(engine, agreement)
    assert (found.status.value, str(found.delisted_on), _payloads(engine, "agreement_delisted")[0]["inferred"]) == (
        "active", "2026-03-02", True)


def test_an_agreement_cannot_be_delisted_from_an_edition_yet_to_come(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    result = w.run("delist_agreement", agreement_id=agreement, delisted_on=(w.clock.date() + timedelta(days=2))
                   .isoformat(), inferred=True, reason="missing")
    assert (result["ok"], result["error"]["field"]) == (False, "delisted_on")


def test_a_relisted_agreement_is_on_the_list_again(engine: Engine, policy: Policy) -> None:
    w, agreement = _signed(engine, policy)
    w.ok("delist_agreement", agreement_id=agreement, delisted_on="2026-03-02", inferred=True, reason="missing")
    w.ok("relist_agreement", agreement_id=agreement, listed_on="2026-03-02")
    assert _agreement(engine, agreement).delisted_on is None


def _late_flags(engine: Engine) -> int:
    return len([p for p in _payloads(engine, "record_flagged") if p["kind"] == "late_entry"])


def test_an_imported_record_dated_by_its_edition_is_not_a_late_entry(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    flags = _late_flags(engine)
    at, later = w.clock, w.clock + timedelta(days=400)
    w.ok("register_agency", at=at, now=later, agency_id="AG-I", name="I Sheriff", kind="sheriff", state="TX",
         field_office_id="FO-1", source=SOURCE)
    assert (_late_flags(engine) - flags, _payloads(engine, "agency_registered")[-1]["source"]) == (0, SOURCE)


def test_the_same_record_typed_in_late_without_a_source_is_flagged(engine: Engine, policy: Policy) -> None:
    w = _world(engine, policy)
    flags = _late_flags(engine)
    w.ok("register_agency", at=w.clock, now=w.clock + timedelta(days=400), agency_id="AG-L", name="L Sheriff",
         kind="sheriff", state="TX", field_office_id="FO-1")
    assert _late_flags(engine) - flags == 1
