"""States, the District of Columbia and the territories, by USPS code or by full name.

ICE's lists write a full name in capitals ("NORTHERN MARIANA ISLANDS"); the product stores the two-letter
USPS code. Misspellings seen in the lists are not guessed here: the importer's alias table
(interop/ice_aliases.csv) names each one it knows.
"""

from __future__ import annotations

import re

from .errors import Invalid

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming",
}
TERRITORIES: dict[str, str] = {
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}
_NAMES: dict[str, str] = {
    " ".join(name.upper().replace(".", "").split()): code for code, name in (STATES | TERRITORIES).items()
}
_NAMES.update({"VIRGIN ISLANDS": "VI", "US VIRGIN ISLANDS": "VI", "WASHINGTON DC": "DC", "WASHINGTON, DC": "DC",
               "COMMONWEALTH OF THE NORTHERN MARIANA ISLANDS": "MP"})
_CODE = re.compile(r"^[A-Za-z]{2}$")


def state_code(text: str) -> str | None:
    """The USPS code for a code or a full name in any case, or None when it is neither."""
    value = " ".join(text.strip().replace(".", "").split()).upper()
    if _CODE.match(value) and (value in STATES or value in TERRITORIES):
        return value
    return _NAMES.get(value)


def require_state(text: str, field: str = "state") -> str:
    code = state_code(text)
    if code is None:
        raise Invalid(f"{field} must be a USPS code (TX, GU) or the full name of a state, DC or a territory; "
                      f"got {text!r}", field=field)
    return code


def is_territory(code: str) -> bool:
    return code in TERRITORIES
