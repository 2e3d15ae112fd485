"""`policy show`: every rule in force on a day of an agency's calendar, each value with its unit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from custody_ledger.domain.policy import ExamTerms, LimitTerms

from . import common
from .common import PolicyOption, TzOption


def _hours(value: Any) -> str:
    return f"{value:g} hours"


def _limit(value: LimitTerms) -> str:
    return f"{value.hours:g} hours, {value.counting.value}"


def _leads(value: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in value) + " hours before the deadline"


def _exam(value: ExamTerms) -> str:
    return f"{value.pass_percent} percent to pass; {value.failures_disqualify} failed exams disqualify"


def _powers(value: frozenset[str]) -> str:
    return ", ".join(sorted(value))


def _forms(value: Any) -> str:
    return "; ".join(f"{form.value} {meaning.purpose.value}" for form, meaning in value.items())


def _outcomes(value: Any) -> str:
    def end(o: Any) -> str:
        reason = f" ({o.release_reason.value})" if o.release_reason is not None else ""
        return f"{o.code}: {o.hold.value}{reason}{', warrant ends' if o.warrant_ends else ''}"
    return "; ".join(end(o) for o in value.values())


# Each parameter of the policy file and how its value reads; one without a number reads "rule".
UNITS: dict[str, Callable[[Any], str]] = {
    "custody_limit": _limit,
    "alert_before_hours": _leads,
    "limit_grace_minutes": lambda v: f"{v:g} minutes after the deadline",
    "sealed_record_roles": _powers,
    "person_retention_years": lambda v: f"{v:g} years after the last release",
    "future_skew_seconds": lambda v: f"{v:g} seconds",
    "late_entry_hours": _hours,
    "federal_holidays": lambda _v: "rule",
    "training_exam": _exam,
    "training_refresher_months": lambda v: f"{v:g} months",
    "training_hours.WSO": _hours, "training_hours.JEM": _hours, "training_hours.TFM": _hours,
    "authority.WSO": _powers, "authority.JEM": _powers, "authority.TFM": _powers,
    "detainer_forms": _forms,
    "detainer_outcomes": _outcomes,
}


def show(
    policy: PolicyOption = None,
    at: Annotated[str | None, typer.Option(help=f"When: {common.MOMENT_HELP}; default now.")] = None,
    tz: TzOption = None,
    zone: Annotated[str, typer.Option(help="IANA time zone whose calendar day is read (an agency's)")] = "UTC",
) -> None:
    """The policy in force at a moment (default now) on a zone's calendar: every rule id, value and citation."""
    rules = common.policy(policy)
    calendar = common.zone(zone, "--zone")
    # A plain date names a day of the calendar read (--zone), unless --tz says otherwise.
    read_in = common.zone(tz) if tz or at is None or len(at.strip()) != 10 else calendar
    moment = common.moment(at, "--at", read_in) if at else common.now()
    view = rules.at(moment, calendar)
    table = Table(title=f"Policy in force on {view.day} in {zone} ({rules.source})")
    for column in ("rule id", "value", "from", "citation"):
        table.add_column(column, overflow="fold")
    for key, entries in sorted(rules.parameters.items()):
        chosen = [e for e in entries if e.rule.effective_from <= view.day]
        if chosen:
            entry = chosen[-1]
            table.add_row(entry.rule.id, UNITS[key](entry.value), str(entry.rule.effective_from), entry.rule.cite)
    for rule_id in sorted(rules.rules):
        in_force = [e for e in rules.rules[rule_id] if e.rule.effective_from <= view.day]
        if in_force:
            table.add_row(rule_id, "rule", str(in_force[-1].rule.effective_from), in_force[-1].rule.cite)
    Console().print(table)
