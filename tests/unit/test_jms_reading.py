"""Reading a JMS export without a database (issue 13, point 4): the mapping, formats, codes, DST gaps and
overlaps in America/Chicago, and that rows stream rather than load."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custody_ledger.interop import jms_csv, jms_mapping
from custody_ledger.interop.jms_mapping import BadCell, MappingError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "jms"
CHICAGO = ZoneInfo("America/Chicago")
SOURCE = jms_csv.Source("export.csv", "0" * 64, date(2026, 11, 30))


@pytest.fixture(scope="module")
def mapping() -> jms_mapping.Mapping:
    return jms_mapping.load((FIXTURES / "mapping.yaml").read_text(encoding="utf-8"))


def test_each_declared_format_is_tried_in_order_and_an_offset_in_the_text_wins(mapping: jms_mapping.Mapping) -> None:
    read = [jms_mapping.instant(mapping, "booked_at", text, CHICAGO)
            for text in ("01/15/2026 08:30", "2026-01-15 08:30:00", "2026-01-15T08:30:00-05:00")]
    assert read == [datetime(2026, 1, 15, 14, 30, tzinfo=UTC)] * 2 + [datetime(2026, 1, 15, 13, 30, tzinfo=UTC)]


def test_a_text_no_format_reads_is_reported_with_the_formats(mapping: jms_mapping.Mapping) -> None:
    with pytest.raises(BadCell) as bad:
        jms_mapping.day(mapping, "dob", "02/30/1990")
    assert (bad.value.field, "'%m/%d/%Y'" in bad.value.message) == ("dob", True)


def test_a_local_time_the_clocks_skipped_is_reported_never_shifted(mapping: jms_mapping.Mapping) -> None:
    with pytest.raises(BadCell, match="does not exist in America/Chicago"):
        jms_mapping.instant(mapping, "booked_at", "03/08/2026 02:30", CHICAGO)


def test_a_local_time_that_happens_twice_is_reported_unless_the_mapping_says_which(
        mapping: jms_mapping.Mapping) -> None:
    with pytest.raises(BadCell, match="happens twice"):
        jms_mapping.instant(mapping, "booked_at", "11/01/2026 01:30", CHICAGO)
    earlier = jms_mapping.Mapping(mapping.columns, mapping.values, mapping.formats, overlap="earlier")
    later = jms_mapping.Mapping(mapping.columns, mapping.values, mapping.formats, overlap="later")
    assert [jms_mapping.instant(m, "booked_at", "11/01/2026 01:30", CHICAGO) for m in (earlier, later)] == [
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC), datetime(2026, 11, 1, 7, 30, tzinfo=UTC)]


def test_the_hours_either_side_of_each_change_read_plainly(mapping: jms_mapping.Mapping) -> None:
    read = [jms_mapping.instant(mapping, "booked_at", text, CHICAGO)
            for text in ("03/08/2026 01:59", "03/08/2026 03:00", "11/01/2026 00:59", "11/01/2026 02:00")]
    assert read == [datetime(2026, 3, 8, 7, 59, tzinfo=UTC), datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
                    datetime(2026, 11, 1, 5, 59, tzinfo=UTC), datetime(2026, 11, 1, 8, 0, tzinfo=UTC)]


def test_codes_are_theirs_case_folded_or_already_ours(mapping: jms_mapping.Mapping) -> None:
    assert [jms_mapping.code(mapping, "release_reason", t) for t in ("BND", " dism ", "bail")] == [
        "bail", "charges_dropped", "bail"]
    with pytest.raises(BadCell, match="unknown code 'XX'"):
        jms_mapping.code(mapping, "release_reason", "XX")


_COLUMNS = ("columns: {booking_id: B, name: N, dob: D, booked_at: T, charge_status: C}\n"
            "formats: {dob: '%Y', booked_at: '%Y'}")


@pytest.mark.parametrize(("text", "says"), [
    ("columns: {name: N}", "required fields missing: booking_id, dob, booked_at, charge_status"),
    ("columns: {booking_id: B, name: N, dob: D, booked_at: T, charge_status: C, shoe: S}", "unknown fields shoe"),
    ("columns: {booking_id: B, name: N, dob: D, booked_at: T, charge_status: C}\nformats: {dob: '%Y'}",
     "formats.booked_at"),
    ("columns: {booking_id: B, name: N, dob: D, booked_at: T, charge_status: C, released_at: R}\n"
     "formats: {dob: '%Y', booked_at: '%Y', released_at: '%Y'}", "come together"),
    (f"{_COLUMNS}\nvalues: {{charge_status: {{X: jailed}}}}", "jailed not among convicted, pending"),
    (f"{_COLUMNS}\noverlap: middle", "earlier or later"),
    ("- a list", "a YAML object"),
])
def test_a_wrong_mapping_is_refused_naming_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(MappingError, match=says):
        jms_mapping.load(text)


HEADER = ["Booking No", "First Name", "Last Name", "DOB", "Booked", "Chg Status", "Released", "Rel Code",
          "Alien No"]


def _rows(n: int) -> Iterator[tuple[int, list[str]]]:
    for i in range(n):
        yield i + 2, [f"B-{i}", "Test", f"Person {i}", "01/02/1980", "01/15/2026 08:30", "PRE",
                      "01/16/2026 09:00" if i % 2 else "", "BND" if i % 2 else "", ""]


def test_rows_are_planned_one_at_a_time_in_constant_memory(mapping: jms_mapping.Mapping) -> None:
    """50,000 rows from a generator: held, they would take tens of megabytes (about 2 kB a row planned)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in jms_csv.plan(HEADER, _rows(50_000), mapping, CHICAGO, "AG-A.JAIL", SOURCE, "t"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, peak < 1024 * 1024) == (50_000, True), peak


def test_a_record_is_named_by_the_line_it_starts_on(tmp_path: Path, mapping: jms_mapping.Mapping) -> None:
    with (FIXTURES / "bookings.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = [(line, cells[0]) for line, cells in jms_csv.read(handle, mapping) if any(cells)]
    assert lines == [(1, "Booking No "), (2, "B-1001"), (3, "B-1002"), (4, "B-1003"), (7, "B-1004")]


def test_a_bad_cell_becomes_a_reject_naming_the_exports_column(mapping: jms_mapping.Mapping) -> None:
    rows = [(2, ["B-1", "A", "B", "1980-01-02", "01/15/2026 08:30", "PRE", "01/14/2026 08:00", "BND", ""]),
            (3, ["B-2", "A", "B", "1980-01-02", "01/15/2026 08:30", "??", "", "", ""]),
            (4, ["", "A", "B", "1980-01-02", "01/15/2026 08:30", "PRE", "", "", ""])]
    planned = list(jms_csv.plan(HEADER, rows, mapping, CHICAGO, "AG-A.JAIL", SOURCE, "t"))
    assert [str(r) for r in planned if isinstance(r, jms_csv.Reject)] == [
        "line 2, column Released: '01/14/2026 08:00' is before the booking ('01/15/2026 08:30')",
        "line 3, column Chg Status: unknown code '??' (the mapping knows pre, pretrial, sent)",
        "line 4, column Booking No: a booking id is 1 to 60 printable characters; got ''"]


def test_keys_name_the_facility_the_booking_and_the_event_never_the_file(mapping: jms_mapping.Mapping) -> None:
    rows = [(9, ["B-7", "Ann", "Bee", "1980-01-02", "01/15/2026 08:30", "SENT", "01/16/2026 09:00", "TS",
                 "A-123-456-789"])]
    other = jms_csv.Source("tomorrow.csv", "f" * 64, date(2026, 12, 1))
    keys = [[c["idempotency_key"] for c in r.commands]  # type: ignore[union-attr]
            for source in (SOURCE, other)
            for r in jms_csv.plan(HEADER, rows, mapping, CHICAGO, "AG-A.JAIL", source, "t")]
    first = next(iter(jms_csv.plan(HEADER, rows, mapping, CHICAGO, "AG-A.JAIL", SOURCE, "t")))
    book = first.commands[0]  # type: ignore[union-attr]
    assert (keys[0], keys[0] == keys[1], book["booking_id"], book["person"], book["source"]["row"]) == (
        ["jms:AG-A.JAIL:B-7:book", "jms:AG-A.JAIL:B-7:release"], True, "AG-A.JAIL.B-7",
        {"name": "Ann Bee", "dob": "1980-01-02", "a_number": "A123456789"}, 9)
