"""Exports as byte streams: the ledger as JSON Lines (checked by tools/check_export.py without the database) and
the holds, agreements and officers tables as CSV or Parquet. Streams, so neither the command line nor the API
holds a whole export in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Engine

from custody_ledger.app import admin, tables
from custody_ledger.domain.parse import format_instant

_BATCH = 10_000


class TableFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


MEDIA_TYPES = {TableFormat.CSV: "text/csv; charset=utf-8", TableFormat.PARQUET: "application/vnd.apache.parquet"}


def ledger(engine: Engine, *, first: int | None = None, last: int | None = None) -> Iterator[bytes]:
    for line in admin.ledger_lines(engine, first=first, last=last):
        yield line.encode("utf-8")


def table(engine: Engine, what: str, fmt: TableFormat, agency_ids: frozenset[str] | None = None) -> Iterator[bytes]:
    """A table's rows in `fmt`; instants in UTC (RFC 3339 with Z), days as YYYY-MM-DD."""
    names = tables.columns(what)
    rows = tables.rows(engine, what, agency_ids)
    return _csv(names, rows) if fmt is TableFormat.CSV else _parquet(tables.column_kinds(what), rows)


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv(names: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for n, row in enumerate(rows, 1):
        writer.writerow([_text(row[name]) for name in names])
        if n % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _parquet(kinds: dict[str, str], rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Row groups of _BATCH rows, each passed on once written; the schema is the table's own (instants as UTC
    timestamps, days as dates), so an empty or all-null column keeps its type."""
    import pyarrow as pa  # only a Parquet export needs it
    import pyarrow.parquet as pq

    types = {"text": pa.string(), "day": pa.date32(), "instant": pa.timestamp("us", tz="UTC"), "bool": pa.bool_(),
             "int": pa.int64()}
    schema = pa.schema([(name, types[kind]) for name, kind in kinds.items()])
    sink = _Drain()
    writer = pq.ParquetWriter(sink, schema)
    batch: list[dict[str, Any]] = []

    def flush() -> bytes:
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
        batch.clear()
        return sink.take()

    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield flush()
    if batch:
        yield flush()
    writer.close()
    yield sink.take()


class _Drain(io.RawIOBase):
    """A write-only file that hands on what was written since the last take, and still knows its position:
    Parquet's footer records the offset of every column chunk."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out
