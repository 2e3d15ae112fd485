"""The command vocabulary as a reader meets it: `render()` writes docs/commands.md from the declarations.

Everything here is derived from `custody_ledger.domain.commands` (names, fields, docs, bounds, the
rules each command can meet), `app.access.ROLE_COMMANDS` (who may issue it) and the policy file (each
rule's text). Regenerate the file with `python -m custody_ledger.app.vocabulary > docs/commands.md`;
a test fails when it is stale.
"""

from __future__ import annotations

import dataclasses

from custody_ledger.domain.commands import COMMANDS


def render(name: str | None = None) -> str:
    """Markdown for every command of the vocabulary, or for the one named (KeyError if unknown)."""
    names = list(COMMANDS) if name is None else [name]
    parts = ["# Commands\n"]
    for each in names:
        cls = COMMANDS[each]
        parts.append(f"## `{each}`\n")
        parts.extend(f"- `{f.name}`\n" for f in dataclasses.fields(cls))
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
