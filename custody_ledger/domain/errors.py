"""The four ways a command can fail, each carrying what a person needs to fix it.

Every error names the field and, where a rule decided, the rule id and its citation
(DESIGN.md, "Guarantees" 6: every refusal names its rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rule:
    """One rule of the policy file: what a refusal or a flag cites."""

    id: str
    cite: str
    text: str
    effective_from: date


class DomainError(Exception):
    kind: str = "error"

    def __init__(self, message: str, *, field: str | None = None, rule: Rule | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule

    def to_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "rule_id": self.rule.id if self.rule else None,
            "citation": self.rule.cite if self.rule else None,
            "field": self.field,
            "message": self.message,
        }


class RuleViolation(DomainError):
    """The law or the agreement does not allow this action; oversight must see the attempt."""

    kind = "refused"

    def __init__(self, rule: Rule, *, field: str | None, message: str) -> None:
        super().__init__(message, field=field, rule=rule)
        self.rule: Rule = rule


class Invalid(DomainError):
    """The input itself is malformed or impossible (a bad field, a time in the future)."""

    kind = "invalid"


class NotFound(DomainError):
    kind = "not_found"

    @classmethod
    def of(cls, field: str, ident: object) -> NotFound:
        """"<kind> <id> does not exist", named after the field: one wording wherever an id is not found, so
        an id outside the caller's scope is answered exactly as one that does not exist."""
        return cls(f"{field.removesuffix('_id').replace('_', ' ')} {ident} does not exist", field=field)


class Conflict(DomainError):
    """The action clashes with the current state (a hold already ended, an id already used)."""

    kind = "conflict"


class IllegalTransition(Conflict):
    """A state machine was asked for a move its table does not have."""
