"""Where an imported fact came from: the file, its SHA-256, the row, and the edition's as-of date.

A command carrying a source is dated by its edition (occurred_at is the as-of date), so it is not a late
entry (domain/timing.late_entry): its lateness is what the source says. Only importers set it; over HTTP a
command with a source is refused (app/access.py), so no caller can dodge the late-entry flag with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from .declare import Bounds, Doc

_SHA256 = Bounds(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$", what="64 lowercase hex digits")


@dataclass(frozen=True)
class Source:
    """An imported record's origin."""

    file: Annotated[str, Bounds(min_length=1, max_length=250, pattern=r"^[^\x00-\x1f\x7f]+$",
                                what="no control characters"), Doc("The file's name, without its directory.")]
    sha256: Annotated[str, _SHA256, Doc("SHA-256 of the file's bytes.")]
    row: Annotated[int, Bounds(ge=0, le=10_000_000), Doc("The row it was read from (1 = the header); 0 for the "
                                                          "file as a whole.")]
    as_of: Annotated[date, Doc("The edition's date: what the file says was true on that day.")]
