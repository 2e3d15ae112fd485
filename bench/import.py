"""JMS import benchmark: an N-row jail export (half the people released) and its mapping, generated, then
`import jms` (interop/jms_csv.py: csv.reader, book_person + release_from_criminal_custody through
`execute_batch`, --batch commands a transaction) beside the raw limit, in the same run:

- SQLite: the same CSV read with csv.reader into a plain table of its columns, `executemany` per commit;
- PostgreSQL (`--db postgresql://...`): the same with psycopg `executemany` and with `COPY` per commit.

As many raw commits as our import made batches. The ratio is raw time / our time for the same rows
(= our rows/s over the raw rows/s); goal >= 0.3, MET/MISSED printed.

    python bench/import.py [--n 100000] [--batch 1000] [--db postgresql://user@host:5432/test] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import Backend, durability, fresh_engine, plain_url

from custody_ledger.app.execute import execute_batch
from custody_ledger.interop import jms_csv, jms_mapping
from custody_ledger.policy import default_policy

GOAL = 0.3
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
FACILITY = "AG-BENCH.JAIL"
HEADER = ["BOOKING_NO", "FIRST", "LAST", "DOB", "BOOKED", "CHG", "RELEASED", "REL_CODE", "ALIEN_NO"]
MAPPING = """\
columns: {booking_id: BOOKING_NO, name: [FIRST, LAST], dob: DOB, booked_at: BOOKED, charge_status: CHG,
          released_at: RELEASED, release_reason: REL_CODE, a_number: ALIEN_NO}
values:
  charge_status: {P: pending, S: convicted}
  release_reason: {BND: bail, TS: sentence_served}
formats: {dob: "%m/%d/%Y", booked_at: "%m/%d/%Y %H:%M", released_at: "%m/%d/%Y %H:%M"}
"""


def rows(n: int) -> Iterator[list[str]]:
    """Bookings a few minutes apart in daytime hours (never in a DST change), every other one released."""
    start = datetime(2020, 1, 6, 8, 0)
    for i in range(n):
        booked = start + timedelta(days=i // 600, minutes=(i % 600))
        convicted = i % 3 == 0
        released = (booked + timedelta(days=2)).strftime("%m/%d/%Y %H:%M") if i % 2 else ""
        reason = ("TS" if convicted else "BND") if i % 2 else ""
        dob = f"{1 + i % 12:02d}/{1 + i % 28:02d}/19{50 + i % 50}"
        yield [f"BK{i:08d}", f"Given{i % 997}", f"Family{i % 1009}", dob, booked.strftime("%m/%d/%Y %H:%M"),
               "S" if convicted else "P", released, reason, f"A{100000000 + i}" if i % 5 == 0 else ""]


def write_export(folder: Path, n: int) -> tuple[Path, Path]:
    export, mapping = folder / "jms-export.csv", folder / "jms-mapping.yaml"
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(n))
    mapping.write_text(MAPPING, encoding="utf-8")
    return export, mapping


def ours(url: str, export: Path, mapping_path: Path, batch: int) -> tuple[float, jms_csv.Report, str]:
    engine = fresh_engine(url)
    policy = default_policy()
    setup = [("register_field_office", {"field_office_id": "FO-BENCH", "name": "ERO", "timezone": "America/Chicago"}),
             ("register_agency", {"agency_id": "AG-BENCH", "name": "Bench Sheriff", "kind": "sheriff", "state": "TX",
                                  "field_office_id": "FO-BENCH"}),
             ("register_facility", {"facility_id": FACILITY, "agency_id": "AG-BENCH", "name": "Bench Jail",
                                    "timezone": "America/Chicago"})]
    results = execute_batch(engine, [{"command": c, "idempotency_key": f"setup-{i}", "actor": "bench",
                                      "occurred_at": "2019-01-01T00:00:00+00:00", **p}
                                     for i, (c, p) in enumerate(setup)], now=NOW, policy=policy)
    assert all(r.ok for r in results), results
    mapping = jms_mapping.load(mapping_path.read_text(encoding="utf-8"))
    shown = durability(engine)
    started = time.perf_counter()
    sha256, _ = jms_csv.digest(export)
    with export.open(encoding=mapping.encoding, newline="") as handle:
        report = jms_csv.import_rows(engine, jms_csv.read(handle, mapping), mapping=mapping, facility_id=FACILITY,
                                     source=jms_csv.Source(export.name, sha256, NOW.date()), now=NOW, policy=policy,
                                     batch=batch)
    took = time.perf_counter() - started
    engine.dispose()
    return took, report, shown


def _groups(export: Path, size: int) -> Iterator[list[list[str]]]:
    with export.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        group: list[list[str]] = []
        for row in reader:
            group.append(row)
            if len(group) == size:
                yield group
                group = []
        if group:
            yield group


def raw_sqlite(path: Path, export: Path, size: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"CREATE TABLE raw_jms ({', '.join(f'{c} TEXT' for c in HEADER)})")
    insert = f"INSERT INTO raw_jms VALUES ({', '.join('?' * len(HEADER))})"
    started = time.perf_counter()
    for group in _groups(export, size):
        conn.execute("BEGIN")
        conn.executemany(insert, group)
        conn.execute("COMMIT")
    took = time.perf_counter() - started
    conn.close()
    return took


def raw_postgres(url: str, export: Path, size: int, how: str) -> float:
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_jms")
        conn.execute(f"CREATE TABLE raw_jms ({', '.join(f'{c} text' for c in HEADER)})")  # type: ignore[arg-type]
        conn.commit()
        insert = f"INSERT INTO raw_jms VALUES ({', '.join(['%s'] * len(HEADER))})"
        started = time.perf_counter()
        with conn.cursor() as cur:
            for group in _groups(export, size):
                if how == "copy":
                    with cur.copy("COPY raw_jms FROM STDIN") as copy:
                        for row in group:
                            copy.write_row(row)
                else:
                    cur.executemany(insert, group)  # type: ignore[arg-type]
                conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=jms_csv.BATCH)
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (default: SQLite files in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cl-bench-import-") as tmp:
        folder = Path(tmp)
        export, mapping = write_export(folder, args.n)
        print(f"export: {args.n:,} rows, {export.stat().st_size / 1e6:.1f} MB")
        backend = Backend(folder, args.db)
        try:
            took, report, shown = ours(backend.create("jms"), export, mapping, args.batch)
            print(f"durability: {shown}")
            summary = report.summary()
            assert (summary["booked"], summary["rejected"]) == (args.n, 0), summary
            # Our batches are of about --batch commands (a released row makes two): the raw run commits as often.
            commands = args.n + summary["released"]
            size = max(1, round(args.n / -(-commands // args.batch)))
            raws: dict[str, float] = {}
            if backend.postgres:
                url = backend.create("raw")
                raws = {how: raw_postgres(url, export, size, how) for how in ("executemany", "copy")}
            else:
                raws = {"sqlite3 executemany": raw_sqlite(folder / "raw.db", export, size)}
            print(f"ours: {args.n:,} rows ({summary['booked']:,} booked, {summary['released']:,} released) in "
                  f"{took:.1f} s = {args.n / took:,.0f} rows/s")
            for how, raw in raws.items():
                ratio = raw / took
                print(f"raw {how}: {raw:.2f} s = {args.n / raw:,.0f} rows/s, {size:,} rows a commit | ratio raw/ours "
                      f"{ratio:.3f} (goal >= {GOAL}): {'MET' if ratio >= GOAL else 'MISSED'}")
        finally:
            backend.drop_all()


if __name__ == "__main__":
    main()
