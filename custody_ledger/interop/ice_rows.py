"""What one row of ICE's list says, in the product's terms: state code, agency name and kind, county, level of
government, model, SIGNED date, MOA and addendum links. A cell that cannot be read is a Problem naming its row
and column; the row is then not used, never guessed at (docs/ice-lists.md)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from custody_ledger.domain.model import AgencyKind, AgreementModel, Jurisdiction
from custody_ledger.domain.states import is_territory, state_code

from .ice_sheet import Cell, Problem, Sheet, read_date


@dataclass(frozen=True)
class Listing:
    row: int
    state: str
    name: str
    key: str  # the name as compared between editions (name_key)
    model: AgreementModel
    kind: AgencyKind
    county: str | None
    jurisdiction: Jurisdiction | None
    signed_on: date | None
    moa_url: str | None
    addendum_url: str | None


@dataclass(frozen=True)
class Aliases:
    """The shipped table of misspellings seen in ICE's lists (interop/ice_aliases.csv): each names what was
    written and what was meant; nothing else is corrected."""

    states: dict[str, str]
    counties: dict[tuple[str, str], str]  # ("" or state code, county as written) -> county
    agencies: dict[tuple[str, str], str]  # (state code, name key) -> name


@cache
def aliases() -> Aliases:
    text = resources.files("custody_ledger.interop").joinpath("ice_aliases.csv").read_text(encoding="utf-8")
    table = Aliases({}, {}, {})
    for entry in csv.DictReader(text.splitlines()):
        what, state, seen, meant = entry["what"], entry["state"].strip(), entry["seen"].strip(), entry["meant"].strip()
        if what == "state":
            table.states[seen.upper()] = meant
        elif what == "county":
            table.counties[(state, seen)] = meant
        elif what == "agency":
            table.agencies[(state, name_key(seen))] = meant
        else:
            raise ValueError(f"ice_aliases.csv: unknown alias kind {what!r}")
    return table


def name_key(name: str) -> str:
    """The agency's name as compared: case, punctuation, apostrophes and '&' do not make another agency."""
    text = name.upper().replace("&", " AND ").replace("'", "")
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", text).split())


# Words of an agency's name that say its kind, most specific first (a county's "Sheriff's Office", a state's
# "Department of Corrections", a "Criminal Justice Authority" that runs a regional jail).
_KIND_WORDS: tuple[tuple[str, AgencyKind], ...] = (
    ("SHERIFF", AgencyKind.SHERIFF),
    ("CONSTABLE", AgencyKind.CONSTABLE),
    ("DISTRICT ATTORNEY", AgencyKind.DISTRICT_ATTORNEY),
    ("COUNTY ATTORNEY", AgencyKind.COUNTY_ATTORNEY),
    ("NATIONAL GUARD", AgencyKind.NATIONAL_GUARD),
    ("MARSHAL", AgencyKind.MARSHAL),
    ("CRIMINAL JUSTICE AUTHORITY", AgencyKind.JAIL_AUTHORITY),
    ("JAIL AUTHORITY", AgencyKind.JAIL_AUTHORITY),
    ("REGIONAL JAIL", AgencyKind.JAIL_AUTHORITY),
    ("CORRECTION", AgencyKind.CORRECTIONS),
    ("HIGHWAY PATROL", AgencyKind.STATE_POLICE),
    ("STATE PATROL", AgencyKind.STATE_POLICE),
    ("STATE POLICE", AgencyKind.STATE_POLICE),
    ("PUBLIC SAFETY", AgencyKind.STATE_POLICE),
    ("POLICE", AgencyKind.POLICE),
)
_TYPES: dict[str, Jurisdiction] = {
    "COUNTY": Jurisdiction.COUNTY, "MUNICIPALITY": Jurisdiction.MUNICIPALITY, "CITY": Jurisdiction.MUNICIPALITY,
    "STATE": Jurisdiction.STATE, "STATE AGENCY": Jurisdiction.STATE, "TERRITORY": Jurisdiction.TERRITORY,
    "TRIBAL": Jurisdiction.TRIBAL, "TRIBE": Jurisdiction.TRIBAL,
}


def kind_of(name: str, jurisdiction: Jurisdiction | None) -> AgencyKind:
    key = name_key(name)
    for words, kind in _KIND_WORDS:
        if words in key:
            return kind
    return AgencyKind.STATE if jurisdiction is Jurisdiction.STATE else AgencyKind.OTHER


def read_model(text: str | None) -> AgreementModel | None:
    letters = re.sub(r"[^A-Z]", "", (text or "").upper())
    found = {model for model, words in ((AgreementModel.WSO, ("WARRANTSERVICE", "WSO")),
                                        (AgreementModel.JEM, ("JAILENFORCEMENT", "JEM")),
                                        (AgreementModel.TFM, ("TASKFORCE", "TFM")))
             if any(w in letters for w in words)}
    return found.pop() if len(found) == 1 else None


def listings(sheet: Sheet, *, pending: bool) -> tuple[list[Listing], list[Problem]]:
    found: list[Listing] = []
    problems: list[Problem] = []
    for number, cells in sheet.rows:
        read = _listing(number, cells, sheet.columns, pending)
        if isinstance(read, Listing):
            found.append(read)
        else:
            problems.extend(read)
    return found, problems


def _listing(row: int, cells: dict[str, Cell], columns: dict[str, str], pending: bool) -> Listing | list[Problem]:
    problems: list[Problem] = []
    table = aliases()

    def bad(column: str, message: str) -> None:
        problems.append(Problem(row, columns.get(column, column.upper()), message))

    state_text = cells["state"].text
    state = None if state_text is None else table.states.get(state_text.upper()) or state_code(state_text)
    if state is None:
        bad("state", f"{state_text!r} is not a state, DC or territory (nor a known misspelling of one)"
            if state_text else "blank: every agreement is in a state")
    name = cells["agency"].text
    if name is None:
        bad("agency", "blank: the agency's name is required")
    model = read_model(cells["model"].text)
    if model is None:
        bad("model", f"{cells['model'].text!r} is not one of the models (Jail Enforcement Model, Task Force Model, "
            "Warrant Service Officer)" if cells["model"].text else "blank: the model is required")
    jurisdiction = None
    type_text = cells["type"].text if "type" in cells else None
    if type_text is not None:
        jurisdiction = _TYPES.get(type_text.upper())
        if jurisdiction is None:
            bad("type", f"{type_text!r} is not a level of government (County, Municipality, State Agency, State)")
    signed = read_date(cells["signed"], row, columns["signed"]) if "signed" in cells else None
    if isinstance(signed, Problem):
        problems.append(signed)
        signed = None
    elif signed is None and not pending:
        bad("signed", "blank: a participating agreement's SIGNED date is required (it is never guessed)")
    if problems or state is None or name is None or model is None:
        return problems
    if jurisdiction is Jurisdiction.STATE and is_territory(state):
        jurisdiction = Jurisdiction.TERRITORY
    name = table.agencies.get((state, name_key(name)), name)
    county = cells["county"].text if "county" in cells else None
    if county is not None:
        county = table.counties.get((state, county)) or table.counties.get(("", county)) or county
    return Listing(row, state, name, name_key(name), model, kind_of(name, jurisdiction), county, jurisdiction,
                   signed, _link(cells.get("moa")), _link(cells.get("addendum")))


def _link(cell: Cell | None) -> str | None:
    return None if cell is None else cell.url
