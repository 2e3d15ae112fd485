"""Every rule id in the policy is *produced* by the product in a law scenario (cf. cfpb/regtech-data-validator).

Grepping tests for a rule id proves only that someone typed it. The evidence here is the scenario suite
(tests/scenarios/*.yaml, run by tests/scenarios/test_scenarios.py through the real write path on SQLite and
PostgreSQL): every expectation that names a rule is asserted by the runner against the real result —

- a refusal, conflict or invalid input under the rule (`refused:`, `conflict:`, `rule:`): the result's
  rule_id, and for a refusal the action_refused event appended to the ledger, must name it;
- a flag (`flags:`): the record_flagged event must carry the rule of its kind (FLAG_RULES);
- a hold's deadline (`limit_rule:`): the hold_opened event must name the limit rule it was computed under;
- a holiday skipped (`skips_holidays:`): the day must be a holiday under the policy, and the deadline
  must differ from the same count without the holiday calendar;
- a certificate ended (`revokes:`): the certificate_revoked event must name the rule;
- an alert (`alert:`): the alert list read at that moment must show it under the rule.

So, when the scenario suite passes, the union below is what the product was seen to produce. The same
goes for the other side of each rule: `allowed_by:` marks a step that succeeded (and raised no flag or
alert under the rule) where the rule was in play, a lawful act the rule let through.
"""

from __future__ import annotations

from custody_ledger.policy import default_policy
from tests.scenarios.scenario import evidence

# Rule ids that no command can produce, each with its reason. Keep it short: a rule that can be broken
# and is never seen broken in a run is a rule without a test.
NEVER_PRODUCED: dict[str, str] = {
    "authority.administrative": (
        "the rule that allows, never one that refuses: authority.decide answers with it for commands that "
        "exercise no delegated power, and the write path asks authority.decide only for the four commands that "
        "do (serve_warrant, interview_status, issue_detainer, enter_ice_data), so no result or event names it; "
        "tests/unit/test_authority.py checks the function's answer, and record_unique_id.yaml shows a booking "
        "recorded with no officer at all"
    ),
}

# Rules of reading, not of acting: no command is refused or let through by them, so no scenario step can
# show them; the tests named say where each is seen.
_READ_RULES = {
    "person.sealed_access": (
        "decides who reads a sealed person's data, not whether a command may run; tests/api/test_person_data.py "
        "reads a sealed booking as each role and sees the data only for the roles it names"
    ),
    "ice.detainer_forms": (
        "a vocabulary, not a rule of acting: it says what each detainer form of ICE's records asks of an agency; "
        "tests/unit/test_ice_vocabulary.py reads every form from it"
    ),
    "ice.detainer_outcomes": (
        "a vocabulary, not a rule of acting: it maps ICE's FOIA outcome codes to the product's release and warrant "
        "reasons; tests/unit/test_ice_vocabulary.py maps each code through it and sees a bad entry refused"
    ),
    "person.retention": (
        "says how long a person's data is kept before expunge_person, an order a person gives; the rule is "
        "published with its citation (policy show, SECURITY.md) and no command is judged by it"
    ),
}
NEVER_PRODUCED.update(_READ_RULES)

# Rule ids that no lawful act can be shown passing, each with its reason.
NEVER_ALLOWED: dict[str, str] = {
    "authority.tfm": (
        "the Task Force Model's powers (field_interview, field_arrest) are exercised outside the jail and no "
        "command of the vocabulary records them, so no act can succeed under this rule; it can only refuse "
        "(tfm_powers_and_training.yaml: a TFM officer may neither interview in the jail nor serve a warrant)"
    ),
    **_READ_RULES,
}


def _policy_rule_ids() -> set[str]:
    return set(default_policy().rule_ids())


def test_every_policy_rule_is_produced_by_a_scenario() -> None:
    produced, _ = evidence()
    missing = sorted(_policy_rule_ids() - set(produced) - set(NEVER_PRODUCED))
    assert missing == [], (
        "policy rules that no scenario shows the product producing (write a story in tests/scenarios where "
        f"the rule refuses, flags, computes or alerts, or list it in NEVER_PRODUCED with the reason): {missing}"
    )


def test_every_policy_rule_lets_a_lawful_act_through_in_a_scenario() -> None:
    _, allowed = evidence()
    missing = sorted(_policy_rule_ids() - set(allowed) - set(NEVER_ALLOWED))
    assert missing == [], (
        "policy rules with no scenario step marked `allowed_by` (a lawful act the rule lets through): "
        f"{missing}"
    )


def test_the_evidence_names_only_rules_of_the_policy() -> None:
    """A misspelt rule id in a scenario would otherwise count as evidence for nothing and hide a gap."""
    produced, allowed = evidence()
    unknown = {rule: steps for rule, steps in (produced | allowed).items() if rule not in _policy_rule_ids()}
    assert unknown == {}


def test_the_exclusions_are_still_needed() -> None:
    produced, allowed = evidence()
    policy = _policy_rule_ids()
    assert {r: "not in the policy" for r in (NEVER_PRODUCED.keys() | NEVER_ALLOWED.keys()) if r not in policy} == {}
    assert sorted(set(NEVER_PRODUCED) & set(produced)) == [], "a scenario now produces it: drop the exclusion"
    assert sorted(set(NEVER_ALLOWED) & set(allowed)) == [], "a scenario now shows it allowing: drop the exclusion"
