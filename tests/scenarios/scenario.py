"""Law scenarios as data (cf. OpenFisca's YAML tests): load a story, run it through the real write path, check it.

A scenario file (tests/scenarios/*.yaml) tells a short story: commands of the vocabulary, each dated
in the facility's local time as a clerk writes it, and what the law says should happen. The format is
described in tests/scenarios/README.md. This module is the one reader of that format: the runner
(test_scenarios.py) executes it, and the rule-coverage test (tests/rules/test_every_rule_is_exercised.py)
reads from it which rule ids the stories prove are produced and which they prove are let through.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from custody_ledger.app import reads, watchdog
from custody_ledger.app.auth import Principal, Role
from custody_ledger.app.execute import execute
from custody_ledger.domain import clock
from custody_ledger.domain.policy import Policy
from custody_ledger.ledger.schema import events
from custody_ledger.policy import DEFAULT_POLICY, default_policy

HERE = Path(__file__).resolve().parent
WORLDS = HERE / "worlds"

# Each kind of flag is raised under one rule; the runner checks the rule a flag names against this table,
# so a scenario may write the kind a clerk understands and still prove the rule id.
FLAG_RULES: Mapping[str, str] = {
    "late_entry": "time.late_entry",
    "time_without_authority": "custody.unauthorized_gap",
    "held_past_limit": "custody.violation",
    "detainer_without_warrant": "detainer.requires_warrant",
}

# Fields of a step that are not the command's payload.
STEP_KEYS = frozenset({"command", "alerts_for", "at", "recorded", "expect", "actor", "key"})
OUTCOMES = ("ok", "refused", "conflict", "invalid", "not_found")
EXPECT_KEYS = frozenset({*OUTCOMES, "rule", "deadline_local", "deadline", "flags", "limit_rule", "skips_holidays",
                         "revokes", "allowed_by", "alert"})
MISSING: Any = object()


class ScenarioError(ValueError):
    """The scenario file itself is malformed: a fault of the story, not of the product."""


# --- YAML: times and dates stay as the clerk wrote them ---------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text: `2026-03-06T18:00:00-06:00` keeps its offset, a date stays
    `2026-03-06`, exactly as the JSON command would carry them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


# --- the format ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    outcome: str = "ok"  # ok | refused | conflict | invalid | not_found
    rule: str | None = None  # the rule id the refusal/conflict (or an invalid's rule) must name
    field: str | None = None  # for invalid / not_found: the field named
    deadline_local: Any = MISSING  # str, or None under an IGSA
    deadline: Any = MISSING  # UTC text, or None under an IGSA
    flags: tuple[str, ...] = ()  # kinds of record_flagged events this step produced (exactly these)
    limit_rule: str | None = None  # the rule the opened hold's deadline was computed under
    skips_holidays: tuple[str, ...] = ()  # federal holidays the deadline's count stepped over
    # officer -> the rule its certificate_revoked event names
    revokes: Mapping[str, str] = dataclasses.field(default_factory=dict)
    allowed_by: tuple[str, ...] = ()  # rules that this (ok) step shows letting a lawful act through
    alert: Any = MISSING  # for an alerts_for step: the rule of the alert shown, or None

    def produced(self) -> set[str]:
        """Rule ids this expectation asserts the product produced (the runner checks each against the result)."""
        ids = {self.rule} if self.rule else set()
        ids |= {FLAG_RULES[kind] for kind in self.flags}
        if self.limit_rule:
            ids.add(self.limit_rule)
        if self.skips_holidays:
            ids.add("calendar.federal_holidays")
        ids |= set(self.revokes.values())
        if isinstance(self.alert, str):
            ids.add(self.alert)
        return ids

    def describe(self) -> str:
        if self.outcome == "ok":
            return "ok"
        what = self.rule if self.outcome in ("refused", "conflict") else self.field
        return f"{self.outcome}: {what}" + (f" (rule {self.rule})" if self.outcome in ("invalid", "not_found")
                                              and self.rule else "")


@dataclass(frozen=True)
class Step:
    number: int  # 1-based, within its file
    source: str  # the file it comes from (a scenario or a world)
    command: str | None  # None for an alerts_for step
    at: datetime
    recorded: datetime
    payload: Mapping[str, Any]
    expect: Expect
    actor: str = "scenario"
    key: str = ""
    alerts_for: str | None = None

    @property
    def title(self) -> str:
        what = self.command or f"alerts for {self.alerts_for}"
        return f"{self.source}, step {self.number} ({what} at {self.at.isoformat()})"

    def raw(self) -> dict[str, Any]:
        return {"command": self.command, "idempotency_key": self.key, "actor": self.actor,
                "occurred_at": self.at.isoformat(), **self.payload}


@dataclass(frozen=True)
class Scenario:
    path: Path
    title: str
    law: str
    policy_file: Path | None
    worlds: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def policy(self) -> Policy:
        return default_policy() if self.policy_file is None else load_scenario_policy(self.policy_file)

    def all_steps(self) -> Iterator[Step]:
        """The set-up of its worlds, then the story. Each world is set up once (a world's own worlds first);
        the steps of several worlds are merged in recording order, as one ledger would have received them."""
        seen: set[str] = set()
        setup = [step for name in self.worlds for step in _world_steps(name, seen)]
        yield from sorted(setup, key=lambda step: step.recorded)  # stable: ties keep the order written
        yield from self.steps


def scenario_files() -> list[Path]:
    return sorted(HERE.glob("*.yaml"))


@cache
def load(path: Path) -> Scenario:
    data = read_yaml(path)
    where = path.name
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a scenario is a mapping with title, law and steps")
    _only(data, {"title", "law", "policy", "world", "steps"}, where)
    title, law = data.get("title"), data.get("law")
    if not isinstance(title, str) or not isinstance(law, str) or not title.strip() or not law.strip():
        raise ScenarioError(f"{where}: title and law (what the law says, in a sentence or two) are required")
    policy = data.get("policy")
    if policy is not None and not isinstance(policy, str):
        raise ScenarioError(f"{where}: policy must name a file relative to tests/scenarios/")
    policy_file = None if policy is None else (HERE / policy).resolve()
    if policy_file is not None and not policy_file.is_file():
        raise ScenarioError(f"{where}: policy file {policy} does not exist")
    steps = _steps(data.get("steps"), where, path.stem)
    if not steps:
        raise ScenarioError(f"{where}: a story needs at least one step")
    return Scenario(path, title.strip(), " ".join(law.split()), policy_file, _world_names(data.get("world"), where),
                    tuple(steps))


def _world_names(value: object, where: str) -> tuple[str, ...]:
    names = [] if value is None else [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScenarioError(f"{where}: world must name one world (worlds/NAME.yaml) or a list of them")
    for name in names:
        if not (WORLDS / f"{name}.yaml").is_file():
            raise ScenarioError(f"{where}: no world {name} (expected tests/scenarios/worlds/{name}.yaml)")
    return tuple(names)


@cache
def load_world(name: str) -> tuple[tuple[str, ...], tuple[Step, ...]]:
    path = WORLDS / f"{name}.yaml"
    data = read_yaml(path)
    where = f"worlds/{path.name}"
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where}: a world is a mapping with title and steps")
    _only(data, {"title", "world", "steps"}, where)
    return _world_names(data.get("world"), where), tuple(_steps(data.get("steps"), where, f"world-{name}"))


def _world_steps(name: str, seen: set[str]) -> Iterator[Step]:
    if name in seen:
        return
    seen.add(name)
    needs, steps = load_world(name)
    for other in needs:
        yield from _world_steps(other, seen)
    yield from steps


def _steps(value: object, where: str, key_prefix: str) -> list[Step]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: steps must be a list")
    return [_step(raw, i, where, key_prefix) for i, raw in enumerate(value, start=1)]


def _step(raw: object, number: int, where: str, key_prefix: str) -> Step:
    here = f"{where}, step {number}"
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{here}: a step is a mapping")
    command, alerts_for = raw.get("command"), raw.get("alerts_for")
    if (command is None) == (alerts_for is None):
        raise ScenarioError(f"{here}: a step has either a command or alerts_for (a hold id)")
    at = _instant(raw.get("at"), f"{here}: at")
    recorded = at + timedelta(minutes=1) if raw.get("recorded") is None else _instant(raw["recorded"],
                                                                                     f"{here}: recorded")
    payload = {k: v for k, v in raw.items() if k not in STEP_KEYS}
    for key in payload:
        if not (isinstance(key, str) and key.replace("_", "").isalnum() and key.islower()):
            # e.g. `{course: Basic course, part 1}`: YAML splits an unquoted comma into a new key.
            raise ScenarioError(f"{here}: {key!r} is no field name (quote a value that contains a comma)")
    if alerts_for is not None and payload:
        raise ScenarioError(f"{here}: an alerts_for step takes no payload (got {sorted(payload)})")
    expect = _expect(raw.get("expect", "ok"), here, alerts=alerts_for is not None)
    return Step(number, where, command, at, recorded, payload, expect, str(raw.get("actor", "scenario")),
                str(raw.get("key", f"{key_prefix}#{number}")), alerts_for)


def _instant(value: object, here: str) -> datetime:
    if not isinstance(value, str):
        raise ScenarioError(f"{here} is required: an ISO 8601 time with its offset, e.g. 2026-03-06T18:00:00-06:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"{here}: not an ISO 8601 time: {value!r}") from None
    if moment.utcoffset() is None:
        raise ScenarioError(f"{here}: {value!r} has no offset; write the facility's local offset (e.g. -06:00)")
    return moment


def _expect(value: object, here: str, *, alerts: bool) -> Expect:
    if alerts and (not isinstance(value, Mapping) or "alert" not in value):
        raise ScenarioError(f"{here}: an alerts_for step expects {{alert: RULE_ID}} or {{alert: none}}")
    if value == "ok":
        return Expect()
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{here}: expect is ok or a mapping ({', '.join(sorted(EXPECT_KEYS))})")
    _only(value, EXPECT_KEYS, f"{here}: expect")
    outcomes = [o for o in OUTCOMES if o in value and o != "ok"]
    if len(outcomes) > 1:
        raise ScenarioError(f"{here}: expect names more than one outcome: {outcomes}")
    if "ok" in value and (value["ok"] is not True or outcomes):
        raise ScenarioError(f"{here}: expect ok: true, or one of {OUTCOMES[1:]}")
    outcome = outcomes[0] if outcomes else "ok"
    rule, fld = value.get("rule"), None
    if outcome in ("refused", "conflict"):
        rule = value[outcome]
        if not isinstance(rule, str) or "rule" in value:
            raise ScenarioError(f"{here}: {outcome}: names the rule id")
    elif outcome in ("invalid", "not_found"):
        fld = value[outcome]
        if not isinstance(fld, str):
            raise ScenarioError(f"{here}: {outcome}: names the field")
    elif "rule" in value:
        raise ScenarioError(f"{here}: rule: goes with invalid or not_found")
    flags = _strings(value.get("flags", []), f"{here}: flags")
    for kind in flags:
        if kind not in FLAG_RULES:
            raise ScenarioError(f"{here}: unknown flag kind {kind!r} (one of {', '.join(FLAG_RULES)})")
    revokes = value.get("revokes", {})
    if not isinstance(revokes, Mapping) or not all(isinstance(v, str) for v in revokes.values()):
        raise ScenarioError(f"{here}: revokes maps an officer id to the rule that ended their certificate")
    allowed_by = _strings(value.get("allowed_by", []), f"{here}: allowed_by")
    if allowed_by and outcome != "ok":
        raise ScenarioError(f"{here}: allowed_by goes with a step that succeeds")
    alert = value.get("alert", MISSING)
    if alert is not MISSING:
        if not alerts:
            raise ScenarioError(f"{here}: alert: goes with an alerts_for step")
        alert = None if alert in (None, "none") else alert
    for key in ("deadline_local", "deadline"):
        if key in value and value[key] is not None:
            _instant(value[key], f"{here}: expect {key}")
    return Expect(outcome, rule, fld, value.get("deadline_local", MISSING), value.get("deadline", MISSING),
                  tuple(flags), value.get("limit_rule"), tuple(_strings(value.get("skips_holidays", []),
                                                                        f"{here}: skips_holidays")),
                  dict(revokes), tuple(allowed_by), alert)


def _strings(value: object, here: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{here} must be a list of names")
    return value


def _only(data: Mapping[str, Any], allowed: set[str] | frozenset[str], here: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ScenarioError(f"{here}: unknown key {unknown[0]!r} (expected {', '.join(sorted(allowed))})")


# --- policy files: a whole policy, or a reform of the default -------------------------------------------------


@cache
def load_scenario_policy(path: Path) -> Policy:
    """A policy file of the product's own format, or a reform: `reform_of: default` and only what changes.

    A reform is merged into custody_ledger/policy/default.yaml (mappings merge key by key, a dated list
    replaces the default's list whole), so it keeps every other rule as the product ships it.
    """
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path.name}: a policy file is a mapping")
    if "reform_of" not in data:
        return Policy.from_mapping(_plain(data), str(path))
    if data["reform_of"] != "default":
        raise ScenarioError(f"{path.name}: reform_of may only be 'default'")
    base = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    changes = {k: v for k, v in data.items() if k not in ("reform_of", "title")}
    return Policy.from_mapping(_merge(base, _plain(changes)), f"{DEFAULT_POLICY.name} reformed by {path.name}")


def _plain(value: Any) -> Any:
    """Dates in a policy file are read as dates by the product's loader; our loader kept them as text."""
    if isinstance(value, Mapping):
        return {k: (date.fromisoformat(v) if k == "from" and isinstance(v, str) else _plain(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _merge(base: Any, change: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(change, Mapping):
        return {**base, **{k: _merge(base.get(k), v) for k, v in change.items()}}
    return change


# --- running --------------------------------------------------------------------------------------------------


class StepFailed(AssertionError):
    pass


@dataclass
class Outcome:
    """What one step produced, read back from its result and from the ledger rows its receipts name."""

    result: dict[str, Any]
    payloads: list[tuple[str, dict[str, Any]]]  # (event type, payload) in append order

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [p for t, p in self.payloads if t == event_type]

    @property
    def flags(self) -> list[tuple[str, str]]:
        return [(p["kind"], p["rule_id"]) for p in self.of("record_flagged")]


READER = Principal("scenario-runner", Role.AUDITOR)


def run(engine: Engine, scenario: Scenario) -> None:
    """Every step through the real write path (`execute`) at its `recorded` moment, checked as it goes."""
    policy = scenario.policy
    last: Step | None = None
    for step in scenario.all_steps():
        if last is not None and step.recorded < last.recorded:
            # The ledger records in the order of the story; an entry may be dated earlier, never entered earlier.
            raise ScenarioError(f"{step.title} is recorded at {step.recorded.isoformat()}, before the step above it "
                                f"({last.title}, recorded {last.recorded.isoformat()}): steps are in recording order")
        last = step
        if step.alerts_for is not None:
            _check_alerts(engine, step, policy)
            continue
        result = execute(engine, step.raw(), now=step.recorded.astimezone(UTC), policy=policy).to_dict()
        outcome = Outcome(result, _payloads(engine, result))
        problems = list(_problems(step, outcome, policy))
        if problems:
            raise StepFailed(_report(scenario, step, problems, result))


# The event types whose payloads an expectation reads; other steps need no second look at the ledger.
_READ_TYPES = frozenset({"record_flagged", "hold_opened", "certificate_revoked", "action_refused"})


def _payloads(engine: Engine, result: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    receipts = result.get("events", [])
    seqs = [e["seq"] for e in receipts]
    if not any(e["type"] in _READ_TYPES for e in receipts):
        return [(e["type"], {}) for e in receipts]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(events.c.type, events.c.payload).where(events.c.seq.in_(seqs))
                            .order_by(events.c.seq)).all()
    return [(row.type, json.loads(row.payload)) for row in rows]


def _problems(step: Step, got: Outcome, policy: Policy) -> Iterator[str]:
    exp, result = step.expect, got.result
    error = result.get("error") or {}
    if exp.outcome == "ok":
        if not result.get("ok"):
            yield f"expected ok, got {error.get('kind')} (rule {error.get('rule_id')}, field {error.get('field')})"
            return
    else:
        if result.get("ok"):
            yield f"expected {exp.describe()}, but the command succeeded"
            return
        if error.get("kind") != exp.outcome:
            yield f"expected {exp.describe()}, got {error.get('kind')} (rule {error.get('rule_id')})"
        if exp.rule is not None and error.get("rule_id") != exp.rule:
            yield f"expected rule {exp.rule}, the result names rule {error.get('rule_id')}"
        if exp.rule is not None and not error.get("citation"):
            yield "every decision by a rule names its citation; this result has none"
        if exp.field is not None and error.get("field") != exp.field:
            yield f"expected field {exp.field}, the result names field {error.get('field')}"
        if exp.outcome == "refused":
            refusals = [p.get("rule_id") for p in got.of("action_refused")]
            if refusals != [exp.rule]:
                yield f"a refusal appends one action_refused event naming {exp.rule}; the ledger has {refusals}"
    yield from _flag_problems(exp, got)
    if exp.outcome == "ok":
        yield from _hold_problems(exp, got, policy)
        yield from _revoke_problems(exp, got)


def _flag_problems(exp: Expect, got: Outcome) -> Iterator[str]:
    kinds = sorted(kind for kind, _ in got.flags)
    if kinds != sorted(exp.flags):
        yield f"expected flags {sorted(exp.flags)}, the step flagged {kinds}"
    for kind, rule in got.flags:
        if kind in FLAG_RULES and rule != FLAG_RULES[kind]:
            yield f"a {kind} flag names rule {rule}, not {FLAG_RULES[kind]}"
    for rule in exp.allowed_by:
        if any(r == rule for _, r in got.flags):
            yield f"allowed_by {rule}, yet the step raised a flag under it"


def _hold_problems(exp: Expect, got: Outcome, policy: Policy) -> Iterator[str]:
    result = got.result
    if exp.deadline_local is not MISSING:
        yield from _same_local_time("deadline_local", exp.deadline_local, result.get("deadline_local", MISSING))
    if exp.deadline is not MISSING:
        actual = result.get("deadline", MISSING)
        if exp.deadline is None or actual in (None, MISSING):
            if actual is not exp.deadline:
                yield f"expected deadline {exp.deadline}, the result has {_show(actual)}"
        elif _instant(actual, "deadline") != _instant(exp.deadline, "deadline"):
            yield f"expected deadline {exp.deadline}, the result has {actual}"
    opened = got.of("hold_opened")
    if exp.limit_rule is not None:
        limits = [p.get("limit_rule_id") for p in opened]
        if limits != [exp.limit_rule]:
            yield f"expected a hold opened under {exp.limit_rule}; hold_opened events name {limits}"
    if exp.skips_holidays:
        yield from _holiday_problems(exp, result, policy)


def _same_local_time(name: str, expected: str | None, actual: object) -> Iterator[str]:
    if expected is None or actual in (None, MISSING):
        if actual is not expected:
            yield f"expected {name} {expected}, the result has {_show(actual)}"
        return
    want, have = _instant(expected, name), _instant(actual, name)
    if want != have or want.utcoffset() != have.utcoffset():
        yield f"expected {name} {expected}, the result has {actual}"


def _holiday_problems(exp: Expect, result: Mapping[str, Any], policy: Policy) -> Iterator[str]:
    """The deadline stepped over these holidays: each is one under the policy, and without the holiday
    calendar the same count would have ended at another moment (so the rule changed the outcome)."""
    start = _instant(result["clock_started_at"], "clock_started_at").astimezone(UTC)
    deadline = _instant(result["deadline"], "deadline")
    zone = ZoneInfo(result["timezone"])
    view = policy.at(start, zone)  # the rule in force on the facility's day the clock started
    for text in exp.skips_holidays:
        day = date.fromisoformat(text)
        if not view.is_holiday(day):
            yield f"{day} is no federal holiday under the policy in force"
        if not start.astimezone(zone).date() <= day <= deadline.astimezone(zone).date():
            yield f"{day} does not lie between the clock's start and its deadline"
    terms = view.custody_limit
    without = clock.deadline(start, terms.limit, terms.counting, zone, lambda _day: False)
    if without == deadline:
        yield "the deadline is the same without the holiday calendar: no holiday was skipped"


def _revoke_problems(exp: Expect, got: Outcome) -> Iterator[str]:
    if not exp.revokes:
        return
    ended = {p["officer_id"]: p.get("rule_id") for p in got.of("certificate_revoked")}
    if ended != dict(exp.revokes):
        yield f"expected certificates ended {dict(exp.revokes)}, certificate_revoked events give {ended}"


def _check_alerts(engine: Engine, step: Step, policy: Policy) -> None:
    """A watchdog pass at the step's moment, then the hold's alerts as the ledger holds them: the newest names
    the rule the hold stands under now."""
    now = step.at.astimezone(UTC)
    watchdog.run_pass(engine, now=now, policy=policy)
    page = reads.run(engine, reads.alerts, READER, now=now, mfa_required=False, policy=policy,
                     hold_id=step.alerts_for, open_only=False, limit=100)
    shown = sorted(page.items, key=lambda item: item["stage"])
    rule = shown[-1]["rule_id"] if shown else None
    problems = []
    if rule != step.expect.alert:
        problems.append(f"expected alert {step.expect.alert or 'none'} for hold {step.alerts_for}, "
                        f"the alert list shows {rule or 'none'}")
    problems += [f"allowed_by {r}, yet the alert list shows an alert under it" for r in step.expect.allowed_by
                 if r == rule]
    if problems:
        raise StepFailed("\n".join([f"{step.title}:", *problems, "alerts: " + json.dumps(
            page.items, default=str, indent=2)]))


def _report(scenario: Scenario, step: Step, problems: Sequence[str], result: Mapping[str, Any]) -> str:
    lines = [f"{scenario.path.name}: {scenario.title}", f"{step.title}:", *(f"  - {p}" for p in problems),
             "command: " + json.dumps(step.raw(), indent=2), "result: " + json.dumps(result, indent=2, default=str)]
    return "\n".join(lines)


def _show(value: object) -> str:
    return "no such field" if value is MISSING else repr(value)


# --- what the stories prove, for the rule-coverage test ----------------------------------------------------------


@cache
def evidence() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(produced, allowed): rule id -> the scenario steps that assert it, over every scenario and its worlds.

    `produced`: a refusal, conflict or invalid naming the rule, a flag raised under it, a hold's deadline
    computed under it, a holiday it made the count skip, a certificate it ended, an alert it raised.
    `allowed`: an act that succeeded with the rule in play (`allowed_by`). The runner asserts each of
    these against the real result, so they hold whenever the scenario suite passes.
    """
    produced: dict[str, list[str]] = {}
    allowed: dict[str, list[str]] = {}
    for path in scenario_files():
        scenario = load(path)
        for step in scenario.steps:
            where = f"{path.name} step {step.number}"
            for rule in step.expect.produced():
                produced.setdefault(rule, []).append(where)
            for rule in step.expect.allowed_by:
                allowed.setdefault(rule, []).append(where)
    return produced, allowed
