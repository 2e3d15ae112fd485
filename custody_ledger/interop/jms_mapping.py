"""How one jail management system's CSV export reads (docs/jms-import.md): which column gives each field, what
their codes mean in our vocabulary, and the strptime patterns of each date and time column.

Exports differ per vendor and per county, so none of this is guessed: a column, a code or a format the mapping
does not declare is reported, never inferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from custody_ledger.domain.model import ChargeStatus, CriminalReleaseReason

REQUIRED = ("booking_id", "name", "dob", "booked_at", "charge_status")
OPTIONAL = ("released_at", "release_reason", "a_number")
TIMES = ("booked_at", "released_at")
_DATED = ("dob", *TIMES)
# Our values of the coded fields: a mapping may only translate into these.
CODED: dict[str, frozenset[str]] = {"charge_status": frozenset(s.value for s in ChargeStatus),
                                    "release_reason": frozenset(r.value for r in CriminalReleaseReason)}
_OVERLAP = ("earlier", "later")


class MappingError(ValueError):
    """The mapping itself is wrong: nothing is imported."""


class BadCell(ValueError):
    """One cell cannot be read; `field` is ours, the report names the export's column."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, tuple[str, ...]]  # field -> header names; several are joined by a space (first, last)
    values: dict[str, dict[str, str]]  # field -> their code, case-folded -> ours
    formats: dict[str, tuple[str, ...]]  # field -> strptime patterns, tried in order
    overlap: str | None = None  # how a local time that happens twice is read; None: reported
    encoding: str = "utf-8-sig"
    delimiter: str = ","


def load(text: str) -> Mapping:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"not YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise MappingError("a mapping is a YAML object with columns, values, formats")
    unknown = set(raw) - {"columns", "values", "formats", "overlap", "encoding", "delimiter"}
    if unknown:
        raise MappingError(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    columns = _columns(raw.get("columns"))
    formats = {f: _strings(v, f"formats.{f}") for f, v in _object(raw.get("formats"), "formats").items()}
    for name in _DATED:
        if name in columns and name not in formats:
            raise MappingError(f"formats.{name}: the strptime pattern(s) of column {columns[name][0]!r} are required")
    if ("released_at" in columns) != ("release_reason" in columns):
        raise MappingError("columns: released_at and release_reason come together (a release needs its reason)")
    overlap = raw.get("overlap")
    if overlap is not None and overlap not in _OVERLAP:
        raise MappingError(f"overlap: earlier or later; got {overlap!r}")
    delimiter = str(raw.get("delimiter", ","))
    if len(delimiter) != 1:
        raise MappingError(f"delimiter: one character; got {delimiter!r}")
    return Mapping(columns, _values(raw.get("values")), formats, overlap, str(raw.get("encoding", "utf-8-sig")),
                   delimiter)


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{where}: an object of field: value")
    return {str(k): v for k, v in value.items()}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i.strip() for i in items):
        raise MappingError(f"{where}: a text or a list of texts")
    return tuple(items)


def _columns(value: Any) -> dict[str, tuple[str, ...]]:
    columns = {f: tuple(c.strip() for c in _strings(v, f"columns.{f}"))
               for f, v in _object(value, "columns").items()}
    unknown = set(columns) - {*REQUIRED, *OPTIONAL}
    if unknown:
        raise MappingError(f"columns: unknown fields {', '.join(sorted(unknown))} (fields: "
                           f"{', '.join((*REQUIRED, *OPTIONAL))})")
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise MappingError(f"columns: required fields missing: {', '.join(missing)}")
    return columns


def _values(value: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, table in _object(value, "values").items():
        if name not in CODED:
            raise MappingError(f"values.{name}: only {', '.join(CODED)} are coded")
        codes = _object(table, f"values.{name}")
        wrong = sorted(str(v) for v in codes.values() if v not in CODED[name])
        if wrong:
            raise MappingError(f"values.{name}: {', '.join(wrong)} not among {', '.join(sorted(CODED[name]))}")
        out[name] = {k.strip().casefold(): str(v) for k, v in codes.items()}
    return out


def code(mapping: Mapping, name: str, text: str) -> str:
    """Their code in our words; a value already ours passes as itself."""
    folded = text.strip().casefold()
    ours = mapping.values.get(name, {}).get(folded)
    if ours is not None:
        return ours
    if folded in CODED[name]:
        return folded
    known = sorted(mapping.values.get(name, {}))
    raise BadCell(name, f"unknown code {text!r}" + (f" (the mapping knows {', '.join(known)})" if known else ""))


def _strptime(mapping: Mapping, name: str, text: str) -> datetime:
    for pattern in mapping.formats[name]:
        try:
            # Naive on purpose: a local time is placed in the facility's zone by instant(), gaps and overlaps checked.
            return datetime.strptime(text.strip(), pattern)  # noqa: DTZ007
        except ValueError:
            continue
    raise BadCell(name, f"{text!r} does not match {' or '.join(repr(p) for p in mapping.formats[name])}")


def day(mapping: Mapping, name: str, text: str) -> date:
    return _strptime(mapping, name, text).date()


def instant(mapping: Mapping, name: str, text: str, zone: ZoneInfo) -> datetime:
    """An instant in UTC; a local time is the facility's wall clock, and a wall-clock time the DST change
    skipped or repeated is reported rather than shifted, unless the mapping says how to read a repeated one."""
    local = _strptime(mapping, name, text)
    if local.tzinfo is not None:  # the pattern had %z: the export said its offset
        return local.astimezone(UTC)
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
        raise BadCell(name, f"{text!r} does not exist in {zone.key}: the clocks skipped that hour (DST began)")
    if mapping.overlap is None:
        raise BadCell(name, f"{text!r} happens twice in {zone.key} (DST ended): say which with `overlap: "
                            "earlier` or `overlap: later` in the mapping")
    return (first if mapping.overlap == "earlier" else second).astimezone(UTC)
