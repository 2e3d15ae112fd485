"""The command vocabulary as a reader meets it: `render()` writes docs/commands.md from the declarations.

Everything here is derived: names, fields, types, bounds, docs and the rules each command can meet from
`domain/commands.py`; who may issue it from `app.access.ROLE_COMMANDS`; each rule's text and citation
from the policy file. Regenerate with `python -m custody_ledger.app.vocabulary > docs/commands.md`;
tests/unit/test_vocabulary.py fails when the file is stale.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from custody_ledger.domain.commands import COMMANDS, ENVELOPE_RULES
from custody_ledger.domain.declare import OMITTED, Bounds, FieldSpec, field_specs
from custody_ledger.domain.parse import DECIMAL_PLACES
from custody_ledger.domain.policy import Policy
from custody_ledger.policy import default_policy

from .access import ROLE_COMMANDS

_AT = "2026-11-23T08:00:00-06:00"
_INTRO = """\
# Commands

Every write — from the HTTP API, `custody-ledger apply`, an import — is one of these commands. This file
is generated from the one declaration of each command (`custody_ledger/domain/commands.py`), the roles
(`custody_ledger/app/access.py`) and the policy file (`custody_ledger/policy/default.yaml`); regenerate it
with `python -m custody_ledger.app.vocabulary > docs/commands.md`. `custody-ledger commands [NAME]` prints
the same.

## The envelope

Every command line for `custody-ledger apply FILE.jsonl` carries, beside the command's fields:

| field | type | meaning |
|---|---|---|
| `command` | text | The command's name, one of those below. |
| `idempotency_key` | text, 1–200 characters | Required; the same key again returns the first result. |
| `actor` | text, 1–200 characters | The user or system that issues it. |
| `occurred_at` | date-time with offset (optional) | When it happened in the world; defaults to now. |

Over HTTP (`POST /commands/{name}`) the key travels in the `Idempotency-Key` header, the actor is the
logged-in user, and the body holds `occurred_at` and the command's fields only.

A result is `{"ok": true, "events": [...], ...}` or `{"ok": false, "error": {"kind": ..., "rule_id": ...,
"citation": ..., "field": ..., "message": ...}}`. Every command can meet these rules on its dates:
"""


def render(name: str | None = None) -> str:
    """Markdown for every command of the vocabulary, or for the one named (KeyError if unknown)."""
    policy = default_policy()
    if name is not None:
        if name not in COMMANDS:
            raise KeyError(name)
        return "\n".join(_command(name, policy)) + "\n"
    lines = [_INTRO, *(_rule(rule, policy) for rule in ENVELOPE_RULES), "", "## Index", ""]
    lines += [f"- [`{each}`](#{each}): {_summary(each)}" for each in COMMANDS]
    for each in COMMANDS:
        lines += ["", *_command(each, policy)]
    return "\n".join(lines) + "\n"


def _summary(name: str) -> str:
    return " ".join((COMMANDS[name].__doc__ or "").split())


def _command(name: str, policy: Policy) -> Iterator[str]:
    cls = COMMANDS[name]
    roles = sorted(role.value for role, names in ROLE_COMMANDS.items() if name in names)
    yield f"## {name}"
    yield ""
    yield _summary(name)
    yield ""
    yield f"**Who may issue it:** {', '.join(f'`{r}`' for r in roles)}."
    yield ""
    yield "| field | type | required | meaning |"
    yield "|---|---|---|---|"
    for spec in field_specs(cls):
        yield from _field_rows(spec, "")
    yield ""
    yield "**Rules that can refuse it** (besides the envelope's):"
    yield ""
    yield from (_rule(rule, policy) for rule in cls.refused_by)
    body = _example(cls)
    line = {"command": name, "idempotency_key": f"{name}-1", "actor": "clerk-1", "occurred_at": _AT, **body}
    yield ""
    yield "A line of `custody-ledger apply FILE.jsonl`:"
    yield ""
    yield "```json"
    yield json.dumps(line)
    yield "```"
    yield ""
    yield "The same over HTTP:"
    yield ""
    yield "```http"
    yield f"POST /commands/{name}"
    yield f"Idempotency-Key: {name}-1"
    yield "Content-Type: application/json"
    yield ""
    yield json.dumps({"occurred_at": _AT, **body})
    yield "```"


def _field_rows(spec: FieldSpec, prefix: str) -> Iterator[str]:
    required = "optional" if spec.optional else "required"
    yield f"| `{prefix}{spec.name}` | {_type(spec)} | {required} | {spec.doc} |"
    if dataclasses.is_dataclass(spec.type):
        for inner in field_specs(spec.type):  # type: ignore[arg-type]
            yield from _field_rows(inner, f"{prefix}{spec.name}.")


def _type(spec: FieldSpec) -> str:
    base = spec.type
    if getattr(base, "__supertype__", None) is str:
        return "id" + _bounds(spec.bounds)
    if base is str:
        return "text" + _bounds(spec.bounds)
    if base is bool:
        return "true or false"
    if base is int:
        return "whole number" + _bounds(spec.bounds)
    if base is Decimal:
        return f"number, at most {DECIMAL_PLACES} decimal places" + _bounds(spec.bounds)
    if base is date:
        return "date (YYYY-MM-DD)"
    if base is datetime:
        return "date-time with offset"
    if isinstance(base, type) and issubclass(base, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in base)
    if typing.get_origin(base) is tuple:
        return "list, each " + _type(dataclasses.replace(spec, type=typing.get_args(base)[0]))
    return "object"


def _bounds(bounds: Bounds | None) -> str:
    if bounds is None:
        return ""
    parts = []
    if bounds.max_length is not None:
        parts.append(f"{bounds.min_length or 0}–{bounds.max_length} characters")
    if bounds.ge is not None or bounds.le is not None:
        parts.append(f"{bounds.ge}–{bounds.le}")
    if bounds.what:
        parts.append(bounds.what)
    return f", {', '.join(parts)}" if parts else ""


def _rule(rule_id: str, policy: Policy) -> str:
    entries = policy.rules.get(rule_id) or policy.parameter_rules.get(rule_id)
    if not entries:
        raise KeyError(f"rule {rule_id!r} is not in the policy {policy.source}")
    rule = entries[-1].rule
    return f"- `{rule.id}`: {' '.join(rule.text.split())} ({rule.cite})"


def _example(cls: type[Any]) -> dict[str, Any]:
    return {spec.name: _example_value(spec) for spec in field_specs(cls) if spec.example is not OMITTED}


def _example_value(spec: FieldSpec) -> Any:
    base = spec.type
    if spec.example is not None:
        return spec.example
    if getattr(base, "__supertype__", None) is str:
        return f"{spec.name.removesuffix('_id').upper()}-1"
    if base is str:
        return spec.name.replace("_", " ").capitalize()
    if base is bool:
        return False
    if base is int:
        return spec.bounds.ge if spec.bounds and spec.bounds.ge is not None else 1
    if base is date:
        return "2026-11-23"
    if isinstance(base, type) and issubclass(base, Enum):
        return next(iter(base)).value
    if dataclasses.is_dataclass(base):
        return _example(base)  # type: ignore[arg-type]
    return None


if __name__ == "__main__":
    print(render(), end="")
