"""Built-in lists for the demo data: ICE field offices, jurisdictions, people's names.

Field offices are real ICE Enforcement and Removal Operations (ERO) areas of responsibility with the
zone of their home city. Each place is a real county (or parish, or municipio) whose law-enforcement
agency plausibly joins 287(g); its `timezone` is the IANA zone of the county itself, which is not
always its state's (Florida's western panhandle is Central, Hudspeth County TX is Mountain, northern
Idaho is Pacific, Arizona and Puerto Rico keep no daylight saving time).

The agency names are real, the agreements, officers and people generated for them are not. County
numbers are the ordinal NCIC uses in an ORI ((FIPS county code + 1) / 2 for the odd FIPS codes);
they are illustrative, not an authoritative ORI registry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldOffice:
    code: str  # ERO area-of-responsibility code
    city: str
    timezone: str

    @property
    def field_office_id(self) -> str:
        return f"FO-{self.code}"

    @property
    def name(self) -> str:
        return f"ERO {self.city} Field Office"


@dataclass(frozen=True)
class Place:
    state: str
    county: str
    code: str  # readable slug used in every id of this agency
    agency: str
    kind: str  # "sheriff" | "corrections" | "police" | "state"
    county_no: int
    timezone: str
    field_office: str  # FieldOffice.code
    jails: tuple[str, ...] = ()
    restrictive: str = ""  # a state law limiting cooperation: the suitability review declines

    @property
    def key(self) -> str:
        return f"{self.state}-{self.code}"

    @property
    def ori(self) -> str:
        """2-letter state, 3-digit county, 2 digits and 2 characters for the agency within it."""
        return f"{self.state}{self.county_no:03d}{_ORI_SUFFIX[self.kind]}"

    def facility_names(self) -> tuple[str, ...]:
        if self.jails:
            return self.jails
        return (f"{self.county} Jail", f"{self.county} Detention Center", f"{self.county} Jail Annex")


_ORI_SUFFIX = {"sheriff": "0000", "police": "0100", "corrections": "001C", "state": "0200"}

FIELD_OFFICES: tuple[FieldOffice, ...] = (
    FieldOffice("MIA", "Miami", "America/New_York"),
    FieldOffice("ATL", "Atlanta", "America/New_York"),
    FieldOffice("NOL", "New Orleans", "America/Chicago"),
    FieldOffice("HOU", "Houston", "America/Chicago"),
    FieldOffice("DAL", "Dallas", "America/Chicago"),
    FieldOffice("SNA", "San Antonio", "America/Chicago"),
    FieldOffice("ELP", "El Paso", "America/Denver"),
    FieldOffice("PHO", "Phoenix", "America/Phoenix"),
    FieldOffice("SLC", "Salt Lake City", "America/Denver"),
    FieldOffice("CHI", "Chicago", "America/Chicago"),
    FieldOffice("DEN", "Denver", "America/Denver"),
    FieldOffice("SEA", "Seattle", "America/Los_Angeles"),
)

_NY, _CHI, _DEN, _LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_AZ = "America/Phoenix"
_SO, _CO = "sheriff", "corrections"

PLACES: tuple[Place, ...] = (
    # Florida (ERO Miami): the panhandle west of the Apalachicola keeps Central time.
    Place("FL", "Miami-Dade County", "MIAMI-DADE", "Miami-Dade Sheriff's Office", _SO, 13, _NY, "MIA",
          ("Turner Guilford Knight Correctional Center", "Metro West Detention Center")),
    Place("FL", "Miami-Dade County", "MDCR", "Miami-Dade Corrections and Rehabilitation Department", _CO,
          13, _NY, "MIA", ("Pre-Trial Detention Center", "Boot Camp Program Facility")),
    Place("FL", "Broward County", "BROWARD", "Broward Sheriff's Office", _SO, 6, _NY, "MIA",
          ("Broward Main Jail", "Joseph V. Conte Facility", "Paul Rein Detention Facility")),
    Place("FL", "Collier County", "COLLIER", "Collier County Sheriff's Office", _SO, 11, _NY, "MIA"),
    Place("FL", "Hillsborough County", "HILLSBOROUGH", "Hillsborough County Sheriff's Office", _SO, 29,
          _NY, "MIA", ("Orient Road Jail", "Falkenburg Road Jail")),
    Place("FL", "Escambia County", "ESCAMBIA", "Escambia County Sheriff's Office", _SO, 17, _CHI, "MIA"),
    Place("FL", "Bay County", "BAY", "Bay County Sheriff's Office", _SO, 3, _CHI, "MIA"),
    Place("PR", "San Juan Municipio", "PRPB", "Puerto Rico Police Bureau", "police", 64,
          "America/Puerto_Rico", "MIA", ("San Juan Police Holding Facility",)),
    # Georgia and the Carolinas (ERO Atlanta).
    Place("GA", "Cobb County", "COBB", "Cobb County Sheriff's Office", _SO, 34, _NY, "ATL"),
    Place("GA", "Gwinnett County", "GWINNETT", "Gwinnett County Sheriff's Office", _SO, 68, _NY, "ATL"),
    Place("GA", "Hall County", "HALL", "Hall County Sheriff's Office", _SO, 70, _NY, "ATL"),
    Place("SC", "Charleston County", "CHARLESTON", "Charleston County Sheriff's Office", _SO, 10, _NY,
          "ATL", ("Al Cannon Detention Center",)),
    Place("NC", "Gaston County", "GASTON", "Gaston County Sheriff's Office", _SO, 36, _NY, "ATL"),
    # Tennessee, Alabama, Louisiana, Arkansas (ERO New Orleans); East Tennessee keeps Eastern time.
    Place("TN", "Knox County", "KNOX", "Knox County Sheriff's Office", _SO, 47, _NY, "NOL",
          ("Roger D. Wilson Detention Facility", "Knox County Jail")),
    Place("TN", "Rutherford County", "RUTHERFORD", "Rutherford County Sheriff's Office", _SO, 75, _CHI,
          "NOL"),
    Place("AL", "Baldwin County", "BALDWIN", "Baldwin County Sheriff's Office", _SO, 2, _CHI, "NOL"),
    Place("AL", "Etowah County", "ETOWAH", "Etowah County Sheriff's Office", _SO, 28, _CHI, "NOL"),
    Place("LA", "Lafayette Parish", "LAFAYETTE", "Lafayette Parish Sheriff's Office", _SO, 28, _CHI,
          "NOL", ("Lafayette Parish Correctional Center",)),
    Place("LA", "East Baton Rouge Parish", "DPSC", "Louisiana Department of Public Safety and Corrections",
          "state", 17, _CHI, "NOL", ("Elayn Hunt Correctional Center", "Dixon Correctional Institute")),
    Place("AR", "Benton County", "BENTON", "Benton County Sheriff's Office", _SO, 4, _CHI, "NOL"),
    # Texas: four field offices; Hudspeth County, east of El Paso, keeps Mountain time.
    Place("TX", "Harris County", "HARRIS", "Harris County Sheriff's Office", _SO, 101, _CHI, "HOU",
          ("Harris County Joint Processing Center", "1200 Baker Street Jail", "701 San Jacinto Jail")),
    Place("TX", "Galveston County", "GALVESTON", "Galveston County Sheriff's Office", _SO, 84, _CHI, "HOU"),
    Place("TX", "Tarrant County", "TARRANT", "Tarrant County Sheriff's Office", _SO, 220, _CHI, "DAL",
          ("Tarrant County Corrections Center", "Lon Evans Corrections Center")),
    Place("TX", "Lubbock County", "LUBBOCK", "Lubbock County Sheriff's Office", _SO, 152, _CHI, "DAL"),
    Place("TX", "Hudspeth County", "HUDSPETH", "Hudspeth County Sheriff's Office", _SO, 115, _DEN, "ELP"),
    Place("TX", "Kinney County", "KINNEY", "Kinney County Sheriff's Office", _SO, 136, _CHI, "SNA"),
    # Oklahoma (ERO Dallas).
    Place("OK", "Tulsa County", "TULSA", "Tulsa County Sheriff's Office", _SO, 72, _CHI, "DAL",
          ("David L. Moss Criminal Justice Center",)),
    Place("OK", "Oklahoma County", "OKLAHOMA", "Oklahoma County Sheriff's Office", _SO, 55, _CHI, "DAL",
          ("Oklahoma County Detention Center",)),
    # Arizona (ERO Phoenix): no daylight saving time.
    Place("AZ", "Pinal County", "PINAL", "Pinal County Sheriff's Office", _SO, 11, _AZ, "PHO",
          ("Pinal County Adult Detention Center",)),
    Place("AZ", "Yavapai County", "YAVAPAI", "Yavapai County Sheriff's Office", _SO, 13, _AZ, "PHO",
          ("Camp Verde Detention Center", "Prescott Jail")),
    Place("AZ", "Mohave County", "MOHAVE", "Mohave County Sheriff's Office", _SO, 8, _AZ, "PHO"),
    # Utah, Idaho, Nevada (ERO Salt Lake City): southern Idaho is Mountain, the panhandle Pacific.
    Place("UT", "Utah County", "UTAH", "Utah County Sheriff's Office", _SO, 25, _DEN, "SLC"),
    Place("UT", "Washington County", "WASHINGTON", "Washington County Sheriff's Office", _SO, 27, _DEN,
          "SLC", ("Purgatory Correctional Facility",)),
    Place("ID", "Owyhee County", "OWYHEE", "Owyhee County Sheriff's Office", _SO, 37, "America/Boise",
          "SLC"),
    Place("ID", "Kootenai County", "KOOTENAI", "Kootenai County Sheriff's Office", _SO, 28, _LA, "SLC"),
    Place("NV", "Elko County", "ELKO", "Elko County Sheriff's Office", _SO, 4, _LA, "SLC"),
    # Indiana (ERO Chicago): most of the state follows America/Indiana/Indianapolis.
    Place("IN", "Elkhart County", "ELKHART", "Elkhart County Sheriff's Office", _SO, 20,
          "America/Indiana/Indianapolis", "CHI", ("Elkhart County Correctional Facility",)),
    # States whose laws limit cooperation: the suitability review declines (DOMAIN.md, Agreements).
    Place("CO", "Teller County", "TELLER", "Teller County Sheriff's Office", _SO, 60, _DEN, "DEN",
          restrictive="Colorado HB 19-1124 (2019) bars holding a person on an ICE detainer or "
          "administrative warrant; the program is not suitable for this jurisdiction."),
    Place("WA", "Yakima County", "YAKIMA", "Yakima County Sheriff's Office", _SO, 39, _LA, "SEA",
          restrictive="Washington's Keep Washington Working Act (2019) bars 287(g) agreements; "
          "the program is not suitable for this jurisdiction."),
)

# Fictional people: first and last names of varied origins, combined at random.
FIRST_NAMES: tuple[str, ...] = (
    "José", "María", "Luis", "Ana", "Carlos", "Guadalupe", "Juan", "Rosa", "Miguel", "Daniela",
    "Jean", "Marie-Claude", "Wilner", "Nadège", "Oluwaseun", "Chidi", "Amara", "Kwame", "Fatima",
    "Ahmed", "Omar", "Leila", "Thanh", "Mai", "Wei", "Li", "Hyun-woo", "Ji-yeon", "Arjun", "Priya",
    "Olena", "Dmytro", "Ivan", "Svetlana", "Tomasz", "Agnieszka", "Giorgi", "Nino", "Samuel", "Grace",
    "Michael", "Jennifer", "David", "Ashley", "James", "Brittany", "Robert", "Tiffany", "DeShawn",
    "Keisha", "Cody", "Dakota", "Mateo", "Valentina", "Santiago", "Camila", "Yusuf", "Esperanza",
    "Raúl", "Yesenia", "Tenzin", "Pema", "Kofi", "Abena", "Hamid", "Zainab",
)

LAST_NAMES: tuple[str, ...] = (
    "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Ramírez", "Flores",
    "Cruz", "Morales", "Reyes", "Gutiérrez", "Castillo", "Vásquez", "Mejía", "Pierre", "Jean-Baptiste",
    "Joseph", "Charles", "Okafor", "Adeyemi", "Mensah", "Boateng", "Haddad", "Khalil", "Rahimi",
    "Nguyen", "Tran", "Pham", "Chen", "Wang", "Kim", "Park", "Patel", "Singh", "Kovalenko", "Shevchenko",
    "Petrov", "Kowalski", "Nowak", "Beridze", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller",
    "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Jackson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Young", "Begay", "Yazzie", "O'Brien", "Murphy", "Schmidt", "Rossi", "Dlamini", "Tesfaye",
)
