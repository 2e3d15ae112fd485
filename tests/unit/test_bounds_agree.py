"""`apply` (the domain parser) and HTTP (the derived body) accept exactly the same values at every declared bound."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from custody_ledger.api.bodies import COMMAND_BODIES
from custody_ledger.app.vocabulary import _example
from custody_ledger.domain.commands import COMMANDS, parse_envelope
from custody_ledger.domain.declare import Bounds, field_specs
from custody_ledger.domain.errors import Invalid


def _probes(bounds: Bounds, kind: type) -> list[Any]:
    """Values on each side of each bound of one field."""
    if kind is int:
        return [v for b in (bounds.ge, bounds.le) if b is not None for v in (b - 1, b, b + 1)]
    values: list[Any] = []
    if bounds.max_length is not None:
        values += ["A" * bounds.max_length, "A" * (bounds.max_length + 1)]
    if bounds.min_length is not None:
        values += ["A" * bounds.min_length, "A" * max(bounds.min_length - 1, 0)]
    if bounds.pattern is not None:
        values += ["has\x00nul", "tab\there", "Space here", "A/B_c-d+1"]
    return values


CASES = [
    (name, spec.name, value)
    for name, cls in COMMANDS.items()
    for spec in field_specs(cls)
    if spec.bounds is not None and spec.type in (str, int)
    for value in _probes(spec.bounds, spec.type)
]


def _http_accepts(name: str, body: dict[str, Any]) -> bool:
    try:
        COMMAND_BODIES[name].model_validate(body)
    except pydantic.ValidationError:
        return False
    return True


def _apply_accepts(name: str, body: dict[str, Any]) -> bool:
    try:
        parse_envelope({"command": name, "idempotency_key": "k", "actor": "a", **body})
    except Invalid:
        return False
    return True


@pytest.mark.parametrize(("name", "field", "value"), CASES, ids=[f"{n}.{f}={v!r:.20}" for n, f, v in CASES])
def test_apply_and_http_agree_at_each_bound(name: str, field: str, value: Any) -> None:
    body = {**_example(COMMANDS[name]), field: value}
    assert _apply_accepts(name, body) == _http_accepts(name, body)


def test_the_probes_reach_both_sides_of_the_bounds() -> None:
    """A probe list that only ever passes (or only fails) would make the agreement above vacuous."""
    outcomes = {_http_accepts(n, {**_example(COMMANDS[n]), f: v}) for n, f, v in CASES}
    assert (len(CASES) > 50, outcomes) == (True, {True, False})
