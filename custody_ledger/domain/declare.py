"""Markers that make a command dataclass its own complete declaration (issue 8: written once).

A field is written `name: Annotated[Type, Bounds(...), Doc("...")]`; the parser reads the type, and the
HTTP body (api/bodies.py), the OpenAPI text and docs/commands.md (app/vocabulary.py) read the markers.
Plain data, stdlib only: the domain stays free of pydantic.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Doc:
    """What a field means, in a sentence a clerk can act on."""

    text: str
    example: object = None  # a valid value for the reference's example lines, where a generic one would not do


# A Doc example that leaves an optional field out of the reference's example lines (one of two alternatives).
OMITTED: Any = type("Omitted", (), {"__repr__": lambda self: "OMITTED"})()


@dataclass(frozen=True)
class Bounds:
    """What the wire accepts: text lengths and pattern, number range (inclusive)."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    ge: int | None = None
    le: int | None = None
    what: str = ""  # the pattern in words, for the reference


# Ids fit the 100-character id columns (ledger/schema.py); control characters are never part of an id.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
ID = Bounds(min_length=1, max_length=100, pattern=ID_PATTERN, what="no control characters")
# An agency's or field office's id opens the namespace of the ids created in it ("AG-A.BK-1", app/access.py),
# so it never holds the "." that ends it.
SCOPE_ID = Bounds(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f.]+$", what="no control characters, no .")
SHORT = Bounds(min_length=1, max_length=50, pattern=ID_PATTERN, what="no control characters")
# PostgreSQL text cannot hold NUL; 500 is the domain's own bound for free text (domain/parse.py).
TEXT = Bounds(min_length=1, max_length=500, pattern=r"^[^\x00]+$", what="no NUL")
ZONE = Bounds(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$", what="an IANA zone name")


@dataclass(frozen=True)
class FieldSpec:
    """One field as declared: its name, its type without the markers, and the markers."""

    name: str
    type: Any  # without `| None`
    optional: bool
    doc: str
    bounds: Bounds | None
    example: object = None


def field_specs(cls: type[Any]) -> list[FieldSpec]:
    """The fields of a command (or nested) dataclass, in declaration order, with their markers."""
    hints = typing.get_type_hints(cls, include_extras=True)
    specs = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        metadata: tuple[Any, ...] = ()
        if typing.get_origin(hint) is typing.Annotated:
            hint, *rest = typing.get_args(hint)
            metadata = tuple(rest)
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hint
        docs = [m for m in metadata if isinstance(m, Doc)]
        bounds = [m for m in metadata if isinstance(m, Bounds)]
        doc = docs[-1] if docs else Doc("")
        specs.append(FieldSpec(field.name, base, optional, doc.text, bounds[-1] if bounds else None, doc.example))
    return specs
