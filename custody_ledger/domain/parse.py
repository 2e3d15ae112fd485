"""Turn plain mappings (JSON, database rows) into the frozen dataclasses of the domain.

One parser for every command, event and entity, so a bad field gets the same clear error
wherever it comes from: the message names the field and what was wrong with it.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from .declare import Bounds
from .errors import Invalid

T = TypeVar("T")
MAX_ID = 100
MAX_WINDOW = timedelta(days=366)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse(cls: type[T], data: Mapping[str, object], *, where: str = "") -> T:
    """Build `cls` from `data`; unknown, missing or ill-typed fields raise Invalid naming the field."""
    if not isinstance(data, Mapping):
        raise Invalid(f"{where or 'body'} must be an object", field=where or None)
    fields = _fields(typing.cast(Any, cls))
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise Invalid(f"unknown field {_join(where, unknown[0])}", field=_join(where, unknown[0]))
    values: dict[str, Any] = {}
    for name, (hint, required, bounds) in fields.items():
        path = _join(where, name)
        if name not in data:
            if required:
                raise Invalid(f"{path} is required", field=path)
            continue
        values[name] = _convert(hint, data[name], path)
        if bounds is not None:
            _check_bounds(values[name], bounds, path)
    return cls(**values)


def _check_bounds(value: object, bounds: Bounds, path: str) -> None:
    """The declared bounds (domain.declare), enforced here too, so `apply` accepts exactly what HTTP accepts."""
    if isinstance(value, str):
        if bounds.min_length is not None and len(value) < bounds.min_length:
            raise Invalid(f"{path} must be at least {bounds.min_length} characters", field=path)
        if bounds.max_length is not None and len(value) > bounds.max_length:
            raise Invalid(f"{path} must be at most {bounds.max_length} characters", field=path)
        if bounds.pattern is not None and re.search(bounds.pattern, value) is None:
            raise Invalid(f"{path} must be {bounds.what or 'of the form ' + bounds.pattern}", field=path)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool) and (
            (bounds.ge is not None and value < bounds.ge) or (bounds.le is not None and value > bounds.le)):
        raise Invalid(f"{path} must be from {bounds.ge} to {bounds.le}", field=path)


def to_primitive(value: object) -> Any:
    """JSON-ready form: dataclasses to dicts, enums to values, times to ISO 8601 in UTC."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_primitive(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [to_primitive(item) for item in value]
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # A JSON number: whole numbers as integers; at most two decimal places (_decimal) otherwise, which a
        # double's shortest form (RFC 8785's number form) writes and reads back exactly.
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def format_instant(value: datetime) -> str:
    """The one text form of an instant: UTC, microseconds, 'Z' (stable for hashing)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(value: object, path: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{path} must be an ISO 8601 date-time, got {value!r}", field=path) from None
    if not isinstance(value, datetime):
        raise Invalid(f"{path} must be an ISO 8601 date-time", field=path)
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(f"{path} must carry a UTC offset (e.g. 2026-11-23T07:05:00-05:00)", field=path)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise Invalid(f"{path} is out of range once converted to UTC", field=path) from None


def parse_window(value: str, path: str) -> timedelta:
    """A look-ahead such as 30m, 4h or 2d: the watch list's "due within". The unit is required, so
    `4` never silently means four seconds."""
    text = value.strip()
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit():
        raise Invalid(f"{path} must be a whole number with a unit s, m, h or d (e.g. 30m, 4h, 2d), "
                      f"got {value!r}", field=path)
    try:
        window = timedelta(**{_UNITS[unit]: int(number)})
    except OverflowError:
        window = timedelta.max
    if window > MAX_WINDOW:
        raise Invalid(f"{path} may look at most {MAX_WINDOW.days} days ahead, got {value!r}", field=path)
    return window


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


@cache
def _fields(cls: type[Any]) -> dict[str, tuple[Any, bool, Bounds | None]]:
    hints = typing.get_type_hints(cls)
    marked = typing.get_type_hints(cls, include_extras=True)
    return {
        f.name: (
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            next((m for m in getattr(marked[f.name], "__metadata__", ()) if isinstance(m, Bounds)), None),
        )
        for f in dataclasses.fields(cls)
    }


def _convert(hint: Any, value: object, path: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, path)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise Invalid(f"{path} must be a list", field=path)
        (item,) = typing.get_args(hint)[:1]
        return tuple(_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
    supertype = getattr(hint, "__supertype__", None)
    if supertype is not None:
        converted = _convert(supertype, value, path)
        # Ids are keys: short enough for every index (ledger/schema.py, String(100)).
        if isinstance(converted, str) and len(converted) > MAX_ID:
            raise Invalid(f"{path} must be at most {MAX_ID} characters", field=path)
        return converted
    if dataclasses.is_dataclass(hint):
        return parse(hint, value, where=path)  # type: ignore[arg-type]
    converter = _SCALARS.get(hint)
    if converter is not None:
        return converter(value, path)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum(hint, value, path)
    raise TypeError(f"no parser for {hint!r} at {path}")


def _enum(cls: type[Enum], value: object, path: str) -> Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise Invalid(f"{path} must be one of {allowed}; got {value!r}", field=path) from None


def _str(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{path} must be a non-empty string", field=path)
    if len(value) > 500:
        raise Invalid(f"{path} must be at most 500 characters", field=path)
    return value


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{path} must be a whole number", field=path)
    return value


# Decimal places a fractional quantity may carry (hours of duty to the hundredth): few enough that the JSON
# number, a double, holds it exactly however it is read back.
DECIMAL_PLACES = 2


def _decimal(value: object, path: str) -> Decimal:
    """A JSON number kept exactly: 7.25 hours is 7.25, never 7.249999; more than two decimal places is refused
    rather than rounded."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise Invalid(f"{path} must be a number", field=path)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    exponent = number.normalize().as_tuple().exponent if number.is_finite() else "n"
    if not isinstance(exponent, int) or exponent < -DECIMAL_PLACES or abs(number) >= 10**12:
        raise Invalid(f"{path} must be a number with at most {DECIMAL_PLACES} decimal places, got {value!r}",
                      field=path)
    return number


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{path} must be true or false", field=path)
    return value


def _date(value: object, path: str) -> date:
    if isinstance(value, datetime):
        raise Invalid(f"{path} must be a date (YYYY-MM-DD), not a date-time", field=path)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{path} must be a date (YYYY-MM-DD); got {value!r}", field=path)


_SCALARS: dict[Any, Callable[[object, str], Any]] = {
    str: _str,
    int: _int,
    Decimal: _decimal,
    bool: _bool,
    date: _date,
    datetime: parse_instant,
}
