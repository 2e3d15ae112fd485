"""The command reference is derived from the one declaration of each command, and is kept honest."""

from __future__ import annotations

import json
import re
import typing
from pathlib import Path

import pytest

from custody_ledger.api.bodies import COMMAND_BODIES
from custody_ledger.app.access import ROLE_COMMANDS
from custody_ledger.app.registry import HANDLERS
from custody_ledger.app.vocabulary import render
from custody_ledger.domain.commands import COMMANDS, ENVELOPE_RULES, parse_envelope
from custody_ledger.domain.declare import field_specs
from custody_ledger.policy import default_policy
from tests.scenarios.scenario import load, scenario_files

DOCS = Path(__file__).resolve().parents[2] / "docs" / "commands.md"


def test_docs_commands_md_is_the_rendered_vocabulary() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/commands.md is stale: python -m custody_ledger.app.vocabulary > docs/commands.md"
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_one_command_renders_alone_with_every_field_and_its_roles(name: str) -> None:
    text = render(name)
    roles = {role.value for role, names in ROLE_COMMANDS.items() if name in names}
    shown = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", text, flags=re.MULTILINE))
    assert (text.startswith(f"## {name}\n"), shown >= {s.name for s in field_specs(COMMANDS[name])},
            all(f"`{r}`" in text for r in roles)) == (True, True, True)


def test_an_unknown_command_is_not_rendered() -> None:
    with pytest.raises(KeyError):
        render("arrest_everyone")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_field_is_documented(name: str) -> None:
    assert [s.name for s in field_specs(COMMANDS[name]) if not s.doc] == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_both_examples_of_a_command_are_accepted_by_the_parser_and_the_http_body(name: str) -> None:
    text = render(name)
    line = json.loads(text.split("```json\n", 1)[1].split("\n", 1)[0])
    body = json.loads(text.split("```http\n", 1)[1].split("\n```", 1)[0].rsplit("\n", 1)[1])
    envelope = parse_envelope(line)
    COMMAND_BODIES[name].model_validate(body)
    assert (envelope.command, {k: v for k, v in line.items() if k not in ("command", "idempotency_key", "actor")}) \
        == (name, body)


def test_every_rule_a_command_declares_is_a_rule_of_the_policy() -> None:
    declared = {rule for cls in COMMANDS.values() for rule in cls.refused_by} | set(ENVELOPE_RULES)
    assert declared - default_policy().rule_ids() == set()


def _met_in_scenarios() -> dict[tuple[str, str], list[str]]:
    """(command, rule id) -> the scenario steps whose expectation asserts the command met that rule."""
    met: dict[tuple[str, str], list[str]] = {}
    for path in scenario_files():
        for step in load(path).steps:
            if step.command and step.expect.rule:
                met.setdefault((step.command, step.expect.rule), []).append(f"{path.name} step {step.number}")
    return met


def test_every_rule_a_law_scenario_shows_a_command_meeting_is_declared_by_that_command() -> None:
    """A command's `refused_by` is what docs/commands.md promises a reader; the stories prove it short of none."""
    undeclared = {pair: steps for pair, steps in _met_in_scenarios().items()
                  if pair[1] not in (*COMMANDS[pair[0]].refused_by, *ENVELOPE_RULES)}
    assert undeclared == {}


def test_dispatch_covers_every_command_and_nothing_else() -> None:
    assert set(HANDLERS) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_goes_to_a_handler_that_takes_its_type(name: str) -> None:
    hint = typing.get_type_hints(HANDLERS[name])["cmd"]
    accepted = set(typing.get_args(hint)) or {hint}
    assert COMMANDS[name] in accepted


def test_each_command_class_is_declared_once() -> None:
    assert len(set(COMMANDS.values())) == len(COMMANDS)
