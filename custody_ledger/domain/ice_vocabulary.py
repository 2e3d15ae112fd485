"""ICE's own words for detainers and their outcomes, as its FOIA records write them, mapped to the product's.

The words and the mapping are data in the policy file (parameters detainer_forms and detainer_outcomes, each
with its citation); this module reads that data and answers "what does this code mean here". Published FOIA data
maps one to one: each ICE outcome says how a hold ends (transferred to ICE or released, and why) and whether the
warrant or detainer ends with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .errors import Invalid
from .model import ReleaseReason, WarrantForm


class FormPurpose(StrEnum):
    DETAINER = "detainer"  # a request to hold the person
    NOTIFICATION = "notification"  # a request to be told of the release (I-247N)
    TRANSFER = "transfer"  # a request for voluntary transfer (I-247X)
    WARRANT = "warrant"  # an administrative warrant (I-200, I-205)


class HoldEnd(StrEnum):
    TRANSFERRED = "transferred"
    RELEASED = "released"


@dataclass(frozen=True)
class FormMeaning:
    form: WarrantForm
    purpose: FormPurpose
    in_use: str  # when ICE used it, in words: the policy's citation gives the source


@dataclass(frozen=True)
class Outcome:
    """What one ICE outcome code means for a hold and its warrant."""

    code: str
    hold: HoldEnd
    release_reason: ReleaseReason | None  # set exactly when the hold ends in a release
    warrant_ends: bool


def key(text: str) -> str:
    """ICE writes one code several ways (dashes, spacing, case, "Alien" dropped): one key for all of them."""
    folded = re.sub(r"[\u2010-\u2015\-/]+", " ", text).casefold()
    return " ".join(folded.replace("alien ", "", 1).split()) if folded.startswith("alien ") else " ".join(
        folded.split())


def read_forms(value: object) -> Mapping[WarrantForm, FormMeaning]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("must map each form (I-247A, ...) to {purpose, in_use}")
    forms = {}
    for name, spec in value.items():
        try:
            form = WarrantForm(str(name))
            purpose = FormPurpose(str(spec["purpose"]))
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{name}: a form of the product (I-200, I-205, I-247, I-247A, I-247D, I-247N, "
                             f"I-247X) with a purpose ({', '.join(p.value for p in FormPurpose)})") from None
        forms[form] = FormMeaning(form, purpose, str(spec.get("in_use", "")))
    return forms


def read_outcomes(value: object) -> Mapping[str, Outcome]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError("must map each ICE outcome code to {hold, release_reason?, warrant_ends}")
    outcomes: dict[str, Outcome] = {}
    for code, spec in value.items():
        try:
            hold = HoldEnd(str(spec["hold"]))
            raw_reason = spec.get("release_reason")
            reason = None if raw_reason is None else ReleaseReason(str(raw_reason))
            ends = spec["warrant_ends"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{code}: hold (transferred|released), release_reason (a release_hold reason, "
                             "for a release only) and warrant_ends (true|false)") from None
        if (hold is HoldEnd.RELEASED) != (reason is not None) or not isinstance(ends, bool):
            raise ValueError(f"{code}: a release names its release_reason, a transfer none; warrant_ends is a bool")
        outcomes[key(str(code))] = Outcome(str(code), hold, reason, ends)
    return outcomes


def outcome_for(outcomes: Mapping[str, Outcome], text: str, field: str = "outcome") -> Outcome:
    """The meaning of an ICE outcome code, or Invalid naming the field: an unknown code is never guessed."""
    found = outcomes.get(key(text))
    if found is None:
        known = "; ".join(sorted(o.code for o in outcomes.values()))
        raise Invalid(f"{field} {text!r} is not an ICE outcome code the policy knows ({known})", field=field)
    return found
