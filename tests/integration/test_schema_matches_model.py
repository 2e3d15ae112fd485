"""Each projection table holds exactly its entity: the domain's dataclass is the declaration, the table
(ledger/schema.py, and the migrations that build it) must agree with it column for column."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa

from custody_ledger.ledger.projections import KINDS
from custody_ledger.ledger.schema import UTCDateTime


def _optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


def _fits(hint: Any, column: sa.Column[Any]) -> bool:
    """May a value of this Python type be stored in this column and come back as the same type?"""
    base = getattr(hint, "__supertype__", hint)
    kind = column.type
    if isinstance(base, type) and issubclass(base, Enum):
        longest = max(len(str(m.value)) for m in base)
        return isinstance(kind, sa.String) and (kind.length is None or kind.length >= longest)
    if base is str:
        return isinstance(kind, sa.String)
    if base is bool:
        return isinstance(kind, sa.Boolean)
    if base is int:
        return isinstance(kind, sa.Integer)
    if base is datetime:
        return isinstance(kind, UTCDateTime)
    if base is date:
        return isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime)
    return False


def _shape(entity: type[Any]) -> dict[str, tuple[Any, bool]]:
    hints = typing.get_type_hints(entity)
    return {f.name: _optional(hints[f.name]) for f in dataclasses.fields(entity)}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_table_has_a_column_for_every_field_and_no_other(kind: str) -> None:
    table, entity = KINDS[kind].table, KINDS[kind].entity
    assert sorted(c.name for c in table.columns) == sorted(f.name for f in dataclasses.fields(entity))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_column_is_nullable_exactly_when_its_field_is_optional(kind: str) -> None:
    table, entity = KINDS[kind].table, KINDS[kind].entity
    wrong = {name: optional for name, (_, optional) in _shape(entity).items()
             if name in table.c and table.c[name].nullable != optional}
    assert wrong == {}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_column_has_a_type_that_holds_its_field(kind: str) -> None:
    table, entity = KINDS[kind].table, KINDS[kind].entity
    wrong = {name: f"{hint!r} in {table.c[name].type!r}" for name, (hint, _) in _shape(entity).items()
             if name in table.c and not _fits(hint, table.c[name])}
    assert wrong == {}


def test_every_kind_keys_on_the_primary_key_of_its_table() -> None:
    assert {k: tuple(c.name for c in kind.table.primary_key.columns) for k, kind in KINDS.items()} == \
        {k: kind.keys for k, kind in KINDS.items()}
