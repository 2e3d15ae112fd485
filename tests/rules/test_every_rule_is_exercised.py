"""Every rule id in the policy is exercised by a test of its own (cf. cfpb/regtech-data-validator)."""

from __future__ import annotations

from pathlib import Path

from custody_ledger.policy import default_policy

TESTS = Path(__file__).resolve().parents[1]


def _sources() -> str:
    return "\n".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name)


def test_every_rule_id_in_the_policy_appears_in_a_test() -> None:
    text = _sources()
    missing = sorted(r for r in default_policy().rule_ids() if f'"{r}"' not in text)
    assert missing == []
