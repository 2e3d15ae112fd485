"""Rules as dated data: a value applies from its date until the next one (cf. OpenFisca parameters).

`Policy.from_mapping` validates the parsed policy file and names the file, key and reason of
any fault; `Policy.at(moment, zone)` gives the view in force then, so history is judged by the rule
of its own time (a hold keeps the limit in force when its clock started).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from . import ice_vocabulary
from .calendar import HolidayRule, holiday_checker, parse_holiday_rule
from .clock import Counting
from .errors import Invalid, Rule
from .model import AgreementModel, WarrantForm


class PolicyError(ValueError):
    def __init__(self, source: str, key: str, reason: str) -> None:
        super().__init__(f"{source}: {key}: {reason}")
        self.source, self.key, self.reason = source, key, reason


@dataclass(frozen=True)
class Dated:
    rule: Rule
    value: Any


@dataclass(frozen=True)
class CustodyLimit:
    rule: Rule
    limit: timedelta
    counting: Counting


class LimitTerms(NamedTuple):
    hours: float
    counting: Counting

    def __str__(self) -> str:
        return f"{self.hours:g} h, {self.counting.value}"


class ExamTerms(NamedTuple):
    pass_percent: int
    failures_disqualify: int

    def __str__(self) -> str:
        return f"{self.pass_percent} % passes; {self.failures_disqualify} failed exams disqualify"


@dataclass(frozen=True)
class TrainingExam:
    rule: Rule
    pass_percent: int
    failures_disqualify: int

    def passed(self, score: int | None) -> bool:
        # Records without a score predate exam results in the ledger; their hours count as before.
        return score is None or score >= self.pass_percent


def _pick(entries: Sequence[Dated], day: date, key: str) -> Dated:
    chosen = None
    for entry in entries:
        if entry.rule.effective_from <= day:
            chosen = entry
    if chosen is None:
        # Nothing in force then (e.g. a WSO action dated before the WSO model existed): the
        # input is impossible, not a gap to fill with a later rule.
        raise Invalid(f"no policy value for {key} is in force on {day.isoformat()}", field="occurred_at")
    return chosen


@dataclass(frozen=True)
class PolicyView:
    """The policy in force on one day of the agency's calendar: the same day an act's agreement and
    certificate dates are read in (DOMAIN.md, one calendar)."""

    policy: Policy
    day: date

    def rule(self, rule_id: str) -> Rule:
        """Any rule by id: the plain rules and the dated parameters alike."""
        entries = self.policy.rules.get(rule_id) or self.policy.parameter_rules.get(rule_id)
        if entries is None:
            raise KeyError(f"no rule {rule_id!r} in the policy {self.policy.source}")
        return _pick(entries, self.day, rule_id).rule

    def _value(self, key: str) -> Dated:
        return _pick(self.policy.parameters[key], self.day, key)

    @property
    def custody_limit(self) -> CustodyLimit:
        entry = self._value("custody_limit")
        hours, counting = entry.value
        return CustodyLimit(entry.rule, timedelta(hours=hours), counting)

    @property
    def alert_leads(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(hours=h) for h in self._value("alert_before_hours").value)

    @property
    def limit_grace(self) -> timedelta:
        """How long after its deadline an open hold is reported as held past the limit (limit_exceeded)."""
        return timedelta(minutes=self._value("limit_grace_minutes").value)

    @property
    def sealed_record_roles(self) -> frozenset[str]:
        """The roles that see a sealed person's data (person.sealed_access)."""
        roles: frozenset[str] = self._value("sealed_record_roles").value
        return roles

    @property
    def future_skew(self) -> timedelta:
        return timedelta(seconds=self._value("future_skew_seconds").value)

    @property
    def late_after(self) -> timedelta:
        return timedelta(hours=self._value("late_entry_hours").value)

    @property
    def is_holiday(self) -> Callable[[date], bool]:
        checker: Callable[[date], bool] = self._value("federal_holidays").value
        return checker

    @property
    def training_exam(self) -> TrainingExam:
        entry = self._value("training_exam")
        pass_percent, failures = entry.value
        return TrainingExam(entry.rule, pass_percent, failures)

    @property
    def refresher_months(self) -> Dated:
        """How long a model's training stays current: the last passed course must be this recent."""
        return self._value("training_refresher_months")

    @property
    def detainer_forms(self) -> Mapping[WarrantForm, ice_vocabulary.FormMeaning]:
        forms: Mapping[WarrantForm, ice_vocabulary.FormMeaning] = self._value("detainer_forms").value
        return forms

    def detainer_outcome(self, code: str, field: str = "outcome") -> ice_vocabulary.Outcome:
        """ICE's outcome code, as its FOIA records write it, in the product's terms (ice.detainer_outcomes)."""
        return ice_vocabulary.outcome_for(self._value("detainer_outcomes").value, code, field)

    def training(self, model: AgreementModel) -> Dated:
        return self._value(f"training_hours.{model.value}")

    def authority(self, model: AgreementModel) -> Dated:
        return self._value(f"authority.{model.value}")


@dataclass(frozen=True)
class Policy:
    source: str
    parameters: Mapping[str, Sequence[Dated]]
    rules: Mapping[str, Sequence[Dated]]

    @property
    def parameter_rules(self) -> Mapping[str, Sequence[Dated]]:
        by_id: dict[str, list[Dated]] = {}
        for entries in self.parameters.values():
            for entry in entries:
                by_id.setdefault(entry.rule.id, []).append(entry)
        return by_id

    def at(self, moment: datetime, zone: tzinfo) -> PolicyView:
        """The view in force on the local day of `moment` in `zone` (the facility's for acts on people, the
        field office's for certification and training): 2019-05-05 20:00 CDT is still 5 May there."""
        return PolicyView(self, moment.astimezone(zone).date())

    def rule_ids(self) -> frozenset[str]:
        ids = {e.rule.id for entries in self.parameters.values() for e in entries}
        return frozenset(ids | set(self.rules))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> Policy:
        if not isinstance(data, Mapping):
            raise PolicyError(source, "(top)", "the policy must be a mapping")
        _only(data, {"parameters", "rules"}, source, "(top)")
        params = _mapping(data.get("parameters"), source, "parameters")
        parameters: dict[str, Sequence[Dated]] = {}
        for key, reader in _READERS.items():
            parameters[key] = _dated_list(params.get(key), source, f"parameters.{key}", reader)
        for group, reader in (("training_hours", _hours), ("authority", _powers)):
            per_model = _mapping(params.get(group), source, f"parameters.{group}")
            _only(per_model, {m.value for m in AgreementModel}, source, f"parameters.{group}")
            for model in AgreementModel:
                key = f"{group}.{model.value}"
                parameters[key] = _dated_list(per_model.get(model.value), source, f"parameters.{key}", reader)
        _only(params, set(_READERS) | {"training_hours", "authority"}, source, "parameters")
        rules_raw = _mapping(data.get("rules"), source, "rules")
        rules = {
            str(rule_id): _dated_list(entries, source, f"rules.{rule_id}", _no_value, rule_id=str(rule_id))
            for rule_id, entries in rules_raw.items()
        }
        return cls(source, parameters, rules)


Reader = Callable[[Mapping[str, Any], str, str], Any]


def _only(data: Mapping[str, Any], allowed: set[str], source: str, key: str) -> None:
    for name in data:
        if name not in allowed:
            raise PolicyError(source, f"{key}.{name}", f"unknown key (expected one of {', '.join(sorted(allowed))})")


def _mapping(value: object, source: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(source, key, "missing or not a mapping")
    return value


def _dated_list(value: object, source: str, key: str, reader: Reader, rule_id: str | None = None) -> list[Dated]:
    if not isinstance(value, list) or not value:
        raise PolicyError(source, key, "must be a non-empty list of dated entries")
    entries: list[Dated] = []
    for i, raw in enumerate(value):
        where = f"{key}[{i}]"
        entry = _mapping(raw, source, where)
        rule = _rule(entry, source, where, rule_id)
        if entries and rule.effective_from <= entries[-1].rule.effective_from:
            raise PolicyError(source, f"{where}.from", "entries must be in increasing date order")
        entries.append(Dated(rule, reader(entry, source, where)))
    return entries


def _rule(entry: Mapping[str, Any], source: str, where: str, rule_id: str | None) -> Rule:
    day = entry.get("from")
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise PolicyError(source, f"{where}.from", f"not a date: {day!r}") from None
    if not isinstance(day, date) or isinstance(day, datetime):
        raise PolicyError(source, f"{where}.from", "required: the date (YYYY-MM-DD) the value takes effect")
    ident = entry.get("id", rule_id)
    if not isinstance(ident, str) or not ident or (rule_id is not None and ident != rule_id):
        raise PolicyError(source, f"{where}.id", "required: the rule id (and it must match the key)")
    cite = entry.get("cite")
    if not isinstance(cite, str) or not cite.strip():
        raise PolicyError(source, f"{where}.cite", "required: the citation for this rule")
    text = entry.get("text", "")
    if not isinstance(text, str):
        raise PolicyError(source, f"{where}.text", "must be a sentence")
    return Rule(ident, cite, text, day)


def _number(entry: Mapping[str, Any], source: str, key: str, name: str, minimum: float = 0) -> Any:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise PolicyError(source, f"{key}.{name}", f"required: a number >= {minimum}")
    return value


def _limit(entry: Mapping[str, Any], source: str, key: str) -> LimitTerms:
    _only(entry, {"from", "id", "cite", "text", "hours", "counting"}, source, key)
    hours = _number(entry, source, key, "hours", 1)
    try:
        counting = Counting(str(entry.get("counting")))
    except ValueError:
        allowed = ", ".join(c.value for c in Counting)
        raise PolicyError(source, f"{key}.counting", f"must be one of {allowed}") from None
    return LimitTerms(hours, counting)


def _exam(entry: Mapping[str, Any], source: str, key: str) -> ExamTerms:
    _only(entry, {"from", "id", "cite", "text", "pass_percent", "failures_disqualify"}, source, key)
    pass_percent = _number(entry, source, key, "pass_percent", 1)
    failures = _number(entry, source, key, "failures_disqualify", 1)
    if pass_percent > 100 or not isinstance(pass_percent, int) or not isinstance(failures, int):
        raise PolicyError(source, key, "pass_percent must be a whole percent up to 100 and failures_disqualify "
                                       "a whole number")
    return ExamTerms(pass_percent, failures)


def _value_only(entry: Mapping[str, Any], source: str, key: str) -> None:
    _only(entry, {"from", "id", "cite", "text", "value"}, source, key)


def _scalar(entry: Mapping[str, Any], source: str, key: str) -> Any:
    _value_only(entry, source, key)
    return _number(entry, source, key, "value")


def _hours(entry: Mapping[str, Any], source: str, key: str) -> Any:
    _value_only(entry, source, key)
    return _number(entry, source, key, "value", 1)


def _leads(entry: Mapping[str, Any], source: str, key: str) -> tuple[float, ...]:
    _value_only(entry, source, key)
    value = entry.get("value")
    if not isinstance(value, list) or not all(isinstance(v, int | float) and v > 0 for v in value):
        raise PolicyError(source, f"{key}.value", "must be a list of positive hours")
    return tuple(sorted(value, reverse=True))


def _powers(entry: Mapping[str, Any], source: str, key: str) -> frozenset[str]:
    _value_only(entry, source, key)
    value = entry.get("value")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(source, f"{key}.value", "must be a list of power names")
    return frozenset(value)


def _holidays(entry: Mapping[str, Any], source: str, key: str) -> Callable[[date], bool]:
    _value_only(entry, source, key)
    value = entry.get("value")
    if not isinstance(value, list):
        raise PolicyError(source, f"{key}.value", "must be a list of holiday rules")
    rules: list[HolidayRule] = []
    for i, raw in enumerate(value):
        try:
            rules.append(parse_holiday_rule(raw, f"{key}.value[{i}]"))
        except ValueError as exc:
            raise PolicyError(source, f"{key}.value[{i}]", str(exc)) from None
    return holiday_checker(rules)


def _no_value(entry: Mapping[str, Any], source: str, key: str) -> None:
    _only(entry, {"from", "id", "cite", "text"}, source, key)


def _vocabulary(parse: Callable[[object], Any]) -> Reader:
    """A reader for a table of words (domain/ice_vocabulary.py), whose errors name the entry."""
    def reader(entry: Mapping[str, Any], source: str, key: str) -> Any:
        _value_only(entry, source, key)
        try:
            return parse(entry.get("value"))
        except ValueError as exc:
            raise PolicyError(source, f"{key}.value", str(exc)) from None
    return reader


_READERS: dict[str, Reader] = {
    "custody_limit": _limit,
    "alert_before_hours": _leads,
    "limit_grace_minutes": _scalar,
    "sealed_record_roles": _powers,
    "person_retention_years": _hours,
    "future_skew_seconds": _scalar,
    "late_entry_hours": _hours,
    "federal_holidays": _holidays,
    "training_exam": _exam,
    "training_refresher_months": _hours,
    "detainer_forms": _vocabulary(ice_vocabulary.read_forms),
    "detainer_outcomes": _vocabulary(ice_vocabulary.read_outcomes),
}
