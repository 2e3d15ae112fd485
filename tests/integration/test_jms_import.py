"""Bookings and releases from a JMS export (issue 13, point 4), on SQLite and PostgreSQL: the fictional
exports under tests/fixtures/jms imported through the write path, again, re-exported, stopped and skipped."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from custody_ledger.cli import app
from custody_ledger.domain.errors import Invalid
from custody_ledger.domain.policy import Policy
from custody_ledger.interop import jms_csv, jms_mapping
from custody_ledger.ledger.schema import events
from tests.support.world import World

FIXTURES = Path(__file__).parent.parent / "fixtures" / "jms"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FACILITY = "AG-A.JAIL"


def _facility(w: World) -> None:
    w.ok("register_field_office", field_office_id="FO-1", name="Houston ERO", timezone="America/Chicago")
    w.ok("register_agency", agency_id="AG-A", name="A Sheriff", kind="sheriff", state="TX", county="Harris",
         field_office_id="FO-1")
    w.ok("register_facility", facility_id=FACILITY, agency_id="AG-A", name="A Jail", timezone="America/Chicago")


@pytest.fixture
def jail(engine: Engine, policy: Policy) -> str:
    _facility(World(engine, policy, start=datetime(2025, 1, 1, tzinfo=UTC)))
    return FACILITY


def _mapping(extra: str = "") -> jms_mapping.Mapping:
    return jms_mapping.load((FIXTURES / "mapping.yaml").read_text(encoding="utf-8") + extra)


def _import(engine: Engine, policy: Policy, text: str, *, name: str = "export.csv", skip_bad: bool = False,
            mapping: jms_mapping.Mapping | None = None, batch: int = jms_csv.BATCH,
            rejects: list[jms_csv.Reject] | None = None) -> jms_csv.Report:
    source = jms_csv.Source(name, hashlib.sha256(text.encode()).hexdigest(), date(2026, 11, 30))
    reading = mapping or _mapping()
    return jms_csv.import_rows(engine, jms_csv.read(io.StringIO(text.lstrip("\ufeff"), newline=""), reading),
                               mapping=reading, facility_id=FACILITY, source=source, now=NOW, policy=policy,
                               skip_bad=skip_bad, batch=batch,
                               on_reject=lambda _, bad: (rejects if rejects is not None else []).append(bad))


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8-sig")


def _events(engine: Engine, *types: str) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.payload).where(events.c.type.in_(types))
                            .order_by(events.c.seq))
        return [(r.type, json.loads(r.payload)) for r in rows]


def _count(report: jms_csv.Report) -> tuple[int, int, int, int]:
    return report.booked, report.released, report.unchanged, report.rejected


def test_a_messy_export_books_and_releases_each_row_in_the_facilitys_time(
        engine: Engine, policy: Policy, jail: str) -> None:
    report = _import(engine, policy, _fixture("bookings.csv"))
    booked = _events(engine, "person_booked")
    released = [p for _, p in _events(engine, "released_from_criminal_custody")]
    flags = [p for _, p in _events(engine, "record_flagged") if p["kind"] == "late_entry"]
    assert (_count(report), [p["booking_id"] for _, p in booked], [p["reason"] for p in released], len(flags)) == (
        (4, 3, 0, 0), [f"{FACILITY}.B-100{i}" for i in (1, 2, 3, 4)], ["sentence_served", "bail", "charges_dropped"],
        0)
    assert [p["source"]["row"] for _, p in booked] == [2, 3, 4, 7]  # B-1003's housing cell spans two lines


def test_importing_the_same_export_again_changes_nothing(engine: Engine, policy: Policy, jail: str) -> None:
    _import(engine, policy, _fixture("bookings.csv"))
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    again = _import(engine, policy, _fixture("bookings.csv"))
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()
    assert (after - before, _count(again)) == (0, (0, 0, 4, 0))


def test_the_next_nights_export_repeats_rows_without_booking_them_twice(
        engine: Engine, policy: Policy, jail: str) -> None:
    """A re-export: another file, the rows in another order and at other lines, one person released since."""
    header = "Booking No,First Name,Last Name,DOB,Booked,Chg Status,Released,Rel Code,Alien No\n"
    first = header + ("B-1,Ann,Bee,01/02/1980,01/15/2026 08:30,PRE,,,\n"
                      "B-2,Cy,Dee,01/02/1981,01/15/2026 09:30,PRE,,,\n")
    second = header + ("B-3,Eve,Fox,01/02/1982,01/16/2026 08:30,SENT,,,\n"
                       "B-2,Cy,Dee,01/02/1981,01/15/2026 09:30,PRE,,,\n"
                       "B-1,Ann,Bee,01/02/1980,01/15/2026 08:30,PRE,01/17/2026 10:00,BND,\n")
    reports = [_import(engine, policy, first, name="night-1.csv"), _import(engine, policy, second, name="night-2.csv")]
    assert ([_count(r) for r in reports], len(_events(engine, "person_booked"))) == (
        [(2, 0, 0, 0), (1, 1, 1, 0)], 3)


def test_a_bad_row_stops_the_import_naming_line_and_column_and_nothing_after_it_is_applied(
        engine: Engine, policy: Policy, jail: str) -> None:
    report = _import(engine, policy, _fixture("bad.csv"))
    assert (str(report.stopped), _count(report), [p["booking_id"] for _, p in _events(engine, "person_booked")]) == (
        "line 3, column DOB: '02/30/1990' does not match '%m/%d/%Y' or '%Y-%m-%d'", (1, 0, 0, 1),
        [f"{FACILITY}.B-3001"])


def test_a_row_the_ledger_refuses_stops_the_batch_there(engine: Engine, policy: Policy, jail: str) -> None:
    """B-3004 is released as 'sentence served' on pending charges: the rule refuses it inside the batch, and
    B-3005 behind it in the same batch is not run."""
    text = "\n".join(line for i, line in enumerate(_fixture("bad.csv").splitlines()) if i not in (2, 3))
    report = _import(engine, policy, text)
    assert (str(report.stopped), [p["booking_id"] for _, p in _events(engine, "person_booked")]) == (
        f"line 3, column Rel Code: Booking {FACILITY}.B-3004 is on pending charges: there is no sentence to have "
        "served.", [f"{FACILITY}.B-3001", f"{FACILITY}.B-3004"])


def test_with_skip_bad_the_bad_rows_are_set_aside_and_the_rest_applied(
        engine: Engine, policy: Policy, jail: str) -> None:
    rejects: list[jms_csv.Reject] = []
    report = _import(engine, policy, _fixture("bad.csv"), skip_bad=True, rejects=rejects, batch=2)
    assert ([(r.line, r.column) for r in rejects], _count(report)) == (
        [(3, "DOB"), (4, "Rel Code"), (5, "Rel Code")], (3, 0, 0, 3))


def test_a_dst_gap_is_reported_and_an_overlap_read_as_the_mapping_says(
        engine: Engine, policy: Policy, jail: str) -> None:
    rejects: list[jms_csv.Reject] = []
    report = _import(engine, policy, _fixture("dst.csv"), skip_bad=True, rejects=rejects,
                     mapping=_mapping("overlap: later\n"))
    with engine.connect() as conn:
        at = conn.execute(sa.select(events.c.occurred_at).where(events.c.type == "person_booked")
                          .order_by(events.c.seq)).scalars().all()
    assert ([str(r) for r in rejects], _count(report), [a.replace(tzinfo=UTC) if a.tzinfo is None else a
                                                         for a in at]) == (
        ["line 3, column Booked: '03/08/2026 02:30' does not exist in America/Chicago: the clocks skipped that "
         "hour (DST began)"], (2, 0, 0, 1),
        [datetime(2026, 3, 8, 7, 59, tzinfo=UTC), datetime(2026, 11, 1, 7, 30, tzinfo=UTC)])


def test_an_unknown_facility_or_a_header_without_the_columns_changes_nothing(
        engine: Engine, policy: Policy, jail: str) -> None:
    with pytest.raises(Invalid, match="lacks the mapped columns 'Rel Code'"):
        _import(engine, policy, "Booking No,First Name,Last Name,DOB,Booked,Chg Status,Released,Alien No\n")
    source = jms_csv.Source("x.csv", "0" * 64, date(2026, 11, 30))
    with pytest.raises(Invalid, match="facility NOPE does not exist"):
        jms_csv.import_rows(engine, iter([]), mapping=_mapping(), facility_id="NOPE", source=source, now=NOW,
                            policy=policy)
    assert _events(engine, "person_booked") == []


def test_the_command_line_writes_the_reject_file_and_a_summary(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    setup = tmp_path / "setup.jsonl"
    world = [("register_field_office", {"field_office_id": "FO-1", "name": "ERO", "timezone": "America/Chicago"}),
             ("register_agency", {"agency_id": "AG-A", "name": "A Sheriff", "kind": "sheriff", "state": "TX",
                                  "field_office_id": "FO-1"}),
             ("register_facility", {"facility_id": FACILITY, "agency_id": "AG-A", "name": "A Jail",
                                    "timezone": "America/Chicago"})]
    setup.write_text("".join(json.dumps({"command": c, "idempotency_key": f"s{i}", "actor": "t",
                                         "occurred_at": "2025-01-01T00:00:00+00:00", **p}) + "\n"
                             for i, (c, p) in enumerate(world)))
    assert runner.invoke(app, ["apply", "--db", db_url, str(setup)]).exit_code == 0
    export = tmp_path / "bad.csv"
    export.write_bytes((FIXTURES / "bad.csv").read_bytes())
    args = ["import", "jms", str(export), "--facility", FACILITY, "--mapping", str(FIXTURES / "mapping.yaml"),
            "--db", db_url]
    stopped = runner.invoke(app, args)
    skipped = runner.invoke(app, [*args, "--skip-bad"])
    with (tmp_path / "bad.rejects.csv").open(newline="", encoding="utf-8") as handle:
        rejected = list(csv.reader(handle))
    assert (stopped.exit_code, skipped.exit_code, json.loads(skipped.stdout.splitlines()[-1])["booked"]) == (1, 1, 2)
    assert "line 3, column DOB" in stopped.stderr and "1 unchanged, 3 rejected" in skipped.stderr
    assert (rejected[0][-3:], [r[0] for r in rejected[1:]], [r[-2] for r in rejected[1:]]) == (
        ["reject_line", "reject_column", "reject_reason"], ["B-3002", "B-3003", "B-3004"],
        ["DOB", "Rel Code", "Rel Code"])


def test_the_command_line_draws_a_progress_bar_only_on_a_terminal(db_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from custody_ledger.cli import common

    shown: list[bool] = []
    real = common.Progress

    def spy(*args: Any, **kwargs: Any) -> Any:
        shown.append(not kwargs["disable"])
        return real(*args, **kwargs)

    monkeypatch.setattr(common, "Progress", spy)
    args = ["import", "jms", str(FIXTURES / "bookings.csv"), "--facility", "NOPE", "--mapping",
            str(FIXTURES / "mapping.yaml"), "--db", db_url]
    for terminal in (True, False):
        monkeypatch.setattr(common.err, "_force_terminal", terminal)
        assert CliRunner().invoke(app, args).exit_code == 2  # the bar is drawn before the facility is looked up
    assert shown == [True, False]
