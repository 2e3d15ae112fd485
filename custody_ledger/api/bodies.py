"""What clients send: one body per command, derived from the domain's declaration, and the log-in.

Each command body is built from the command's dataclass (domain/commands.py): its fields, types and
docs, and the wire bounds its `Bounds` markers declare (lengths that fit the database columns, no NUL
bytes, number ranges); whole numbers and booleans are strict, unknown fields are rejected. The domain
still parses every command itself and has the last word. A body never carries the actor, a role or a
status: the actor is the authenticated principal and the rest is decided by the ledger (issue 3,
"server-owned fields").
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    create_model,
)

from custody_ledger.domain.commands import COMMANDS
from custody_ledger.domain.declare import ID, ID_PATTERN, Bounds, FieldSpec, field_specs
from custody_ledger.domain.parse import DECIMAL_PLACES

__all__ = ["COMMAND_BODIES", "ID_PATTERN", "Body"]

Id = Annotated[str, StringConstraints(min_length=ID.min_length, max_length=ID.max_length, pattern=ID_PATTERN)]


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 has no UTC year
        raise ValueError("date-time is out of range once converted to UTC") from None


Instant = Annotated[AwareDatetime, AfterValidator(_utc)]


def _places(value: float) -> float:
    """A JSON number with at most the domain's decimal places (domain/parse.py): 7.25, never 7.251."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -DECIMAL_PLACES:
        raise ValueError(f"a number with at most {DECIMAL_PLACES} decimal places")
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_at: Instant | None = Field(
        None, description="When it happened in the world (ISO 8601 with offset); defaults to now.")


class _Nested(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _wire_type(spec: FieldSpec, owner: str) -> Any:
    """The pydantic type of one declared field; text without declared bounds is refused at import."""
    base, bounds = getattr(spec.type, "__supertype__", spec.type), spec.bounds or Bounds()
    if base is str:
        if bounds.max_length is None:
            raise TypeError(f"{owner}.{spec.name}: text needs Bounds(max_length=...) to cross the wire")
        return Annotated[str, StringConstraints(min_length=bounds.min_length, max_length=bounds.max_length,
                                                pattern=bounds.pattern)]
    if base is bool:
        return StrictBool
    if base is int:
        return Annotated[StrictInt, Field(ge=bounds.ge, le=bounds.le)]
    if base is Decimal:  # a JSON number, kept exact by the domain: a whole number or one with few decimal places
        return Annotated[Annotated[StrictInt, Field(ge=bounds.ge, le=bounds.le)]
                         | Annotated[StrictFloat, Field(ge=bounds.ge, le=bounds.le, allow_inf_nan=False)],
                         AfterValidator(_places)]
    if base is datetime:
        return Instant
    if base is date or (isinstance(base, type) and issubclass(base, Enum)):
        return base
    if typing.get_origin(base) is tuple:
        (item,) = typing.get_args(base)[:1]
        inner = _wire_type(dataclasses.replace(spec, type=item), owner)
        return Annotated[list[inner], Field(min_length=1, max_length=20)]  # type: ignore[valid-type]
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        return _model(base, _Nested, f"{base.__name__}In")
    raise TypeError(f"{owner}.{spec.name}: no wire type for {base!r}")


def _model(cls: type[Any], parent: type[BaseModel], name: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in field_specs(cls):
        wire = _wire_type(spec, cls.__name__)
        described = Field(description=spec.doc or None)
        fields[spec.name] = (wire | None, Field(None, description=spec.doc or None)) if spec.optional \
            else (wire, described)
    model: type[BaseModel] = create_model(name, __base__=parent, __doc__=cls.__doc__, **fields)
    return model


# One body per command of the vocabulary, named as the domain's command class it fronts.
COMMAND_BODIES: dict[str, type[Body]] = {
    name: cast(type[Body], _model(command, Body, command.__name__)) for name, command in COMMANDS.items()
}

