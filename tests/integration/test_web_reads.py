"""The web pages' own reads (app/pages.py) on both backends: what they answer, what they log, whom they refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from custody_ledger.app import pages, reads
from custody_ledger.app.auth import Forbidden, Principal, Role
from custody_ledger.app.execute import execute
from custody_ledger.domain.errors import NotFound
from custody_ledger.domain.policy import Policy
from custody_ledger.settings import Settings
from tests.e2e import scene

RECORDS = Principal("records", Role.FACILITY_STAFF, agency_id="AG-A")
WSO = Principal("wso", Role.CERTIFIED_OFFICER, agency_id="AG-A", officer_id="OFF-A1")
AUDITOR = Principal("auditor", Role.AUDITOR)


@pytest.fixture
def now(engine: Engine, policy: Policy) -> datetime:
    return scene.build(engine, policy)


def _logged(engine: Engine, user: str, action: str) -> list[dict[str, object]]:
    return [r for r in reads.run(engine, reads.access_log, AUDITOR, principal_id=user, limit=500).items
            if r["action"] == action]


def test_a_hold_timeline_names_each_events_rule_and_receipt_and_is_logged(engine: Engine, policy: Policy,
                                                                          now: datetime) -> None:
    timeline = reads.run(engine, pages.hold_timeline, RECORDS, "H-DUE", now=now, mfa_required=False, policy=policy)
    kinds = [e["type"] for e in timeline]
    assert kinds[:5] == ["person_booked", "warrant_lodged", "released_from_criminal_custody", "warrant_served",
                         "hold_opened"]
    opened = timeline[4]
    assert opened["rule"]["rule_id"] == "custody.limit" and len(opened["hash"]) == 64
    assert [r["outcome"] for r in _logged(engine, "records", "read_hold_timeline")] == ["ok"]


def test_a_hold_of_another_agency_has_no_timeline_and_the_attempt_is_logged(engine: Engine, policy: Policy,
                                                                            now: datetime) -> None:
    with pytest.raises(NotFound):
        reads.run(engine, pages.hold_timeline, RECORDS, "H-IGSA", now=now, mfa_required=False, policy=policy)
    assert [r["outcome"] for r in _logged(engine, "records", "read_hold_timeline")] == ["not_found"]


def test_the_serve_preview_shows_the_deadline_48_hours_after_the_release(engine: Engine, policy: Policy,
                                                                         now: datetime) -> None:
    found = reads.run(engine, pages.servable_warrants, WSO, now=now, mfa_required=False, policy=policy)
    # Latest release first; the one whose limit ran out is listed as such.
    assert [(w["warrant_id"], w["too_late"]) for w in found] == [
        ("WR-BK-NEXT", False), ("WR-BK-SERVE", False), ("WR-BK-LATE", True)]
    preview = reads.run(engine, pages.serve_preview, WSO, "WR-BK-SERVE", now=now, mfa_required=False,
                        policy=policy)
    assert preview["refusal"] is None
    assert preview["deadline"] == preview["released_at"] + timedelta(hours=48)


def test_the_serve_preview_refuses_once_the_limit_has_run_out(engine: Engine, policy: Policy, now: datetime) -> None:
    preview = reads.run(engine, pages.serve_preview, WSO, "WR-BK-LATE", now=now, mfa_required=False, policy=policy)
    assert (preview["refusal"]["rule_id"], preview["deadline"]) == ("custody.serve_within_limit", None)


def test_person_reads_need_the_second_factor_when_it_is_required(engine: Engine, policy: Policy,
                                                                  now: datetime) -> None:
    with pytest.raises(Forbidden):
        reads.run(engine, pages.servable_warrants, WSO, now=now, mfa_required=True, policy=policy)


def test_the_ledger_filter_pages_newest_first_and_is_for_auditors(engine: Engine, now: datetime) -> None:
    first = reads.run(engine, pages.events, AUDITOR, now=now, mfa_required=False, type="hold_opened", limit=2)
    seqs = [e["seq"] for e in first.items]
    assert seqs == sorted(seqs, reverse=True) and first.next == seqs[-1]
    older = reads.run(engine, pages.events, AUDITOR, now=now, mfa_required=False, type="hold_opened",
                      after=first.next, limit=50)
    assert all(e["seq"] < seqs[-1] and e["type"] == "hold_opened" for e in older.items)
    with pytest.raises(Forbidden):
        reads.run(engine, pages.events, RECORDS, now=now, mfa_required=False)


def test_the_report_counts_only_the_callers_agencies(engine: Engine, now: datetime) -> None:
    mine = reads.run(engine, pages.report, RECORDS, now=now)
    everyone = reads.run(engine, pages.report, AUDITOR, now=now)
    assert (mine["open"], everyone["open"]) == (len(scene.HOLDS_A), len(scene.HOLDS_A) + 1)
    assert (mine["bars"]["under 1 h"], everyone["bars"]["IGSA (no limit)"]) == (1, 1)


def test_verifying_the_ledger_reports_a_sound_chain_and_is_logged(engine: Engine, now: datetime) -> None:
    result = pages.verify_ledger(engine, AUDITOR, now=datetime.now(UTC), settings=Settings(mfa_required=False))
    assert result["ok"] and result["checked"] > 0 and result["checkpoint"] is None
    assert [r["outcome"] for r in _logged(engine, "auditor", "verify_ledger")] == ["ok"]


def test_an_agreement_page_lists_its_attached_documents(engine: Engine, policy: Policy, now: datetime) -> None:
    digest = "ab" * 32
    attached = execute(engine, {"command": "attach_agreement_document", "idempotency_key": "doc-1", "actor": "admin",
                                "agreement_id": "AGR-AG-A-WSO", "document_id": "MOA", "kind": "moa",
                                "url": "https://www.ice.gov/doclib/287gMOA/example.pdf", "sha256": digest,
                                "dated_on": "2025-02-26", "occurred_at": now.isoformat()},
                       now=now + timedelta(minutes=1), policy=policy)
    assert attached.ok, attached.error
    item = reads.run(engine, pages.agreement, RECORDS, "AGR-AG-A-WSO")
    assert [(d["document_id"], d["kind"], d["sha256"]) for d in item["documents"]] == [("MOA", "moa", digest)]
