"""Reading ICE's lists (interop/ice_sheet.py, ice_rows.py): every edition's quirks, each by its own test.

The fixtures are made for the purpose (fictional agencies): small xlsx workbooks built here with openpyxl, and
CSV text. No database.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from custody_ledger.domain.model import AgencyKind, AgreementModel, Jurisdiction
from custody_ledger.interop import ice_rows, ice_sheet
from custody_ledger.interop.ice_sheet import Problem, SheetError

HEADER = "STATE,LAW ENFORCEMENT AGENCY,TYPE,SUPPORT TYPE,SIGNED"


def _rows(csv_text: str, *, pending: bool = False) -> tuple[list[ice_rows.Listing], list[Problem]]:
    sheet = ice_sheet.read("edition.csv", csv_text.encode("utf-8"))
    return ice_rows.listings(sheet, pending=pending)


def _one(line: str, header: str = HEADER, *, pending: bool = False) -> ice_rows.Listing:
    found, problems = _rows(f"{header}\n{line}\n", pending=pending)
    assert (len(found), problems) == (1, [])
    return found[0]


def _problem(line: str, header: str = HEADER, *, pending: bool = False) -> Problem:
    found, problems = _rows(f"{header}\n{line}\n", pending=pending)
    assert (found, len(problems)) == ([], 1)
    return problems[0]


def _xlsx(rows: list[list[object]], links: dict[tuple[int, int], str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for (r, c), url in (links or {}).items():
        sheet.cell(row=r, column=c).hyperlink = url
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_columns_are_found_by_header_name_below_a_title_and_with_trailing_spaces() -> None:
    text = ("Participating agencies (test edition)\n\nSIGNED,SUPPORT TYPE , LAW ENFORCEMENT AGENCY ,STATE \n"
            "01/15/2025,Task Force Model,Birch Police Department,TEXAS\n")
    found, _ = _rows(text)
    assert (found[0].name, found[0].model, found[0].state, found[0].signed_on) == (
        "Birch Police Department", AgreementModel.TFM, "TX", date(2025, 1, 15))


def test_a_file_without_a_required_column_is_refused_naming_it() -> None:
    with pytest.raises(SheetError, match="no column model"):
        ice_sheet.read("old.csv", b"STATE,LAW ENFORCEMENT AGENCY,SIGNED\nTEXAS,A Police Department,01/01/2025\n")


def test_blank_rows_and_rows_of_placeholders_are_skipped() -> None:
    found, problems = _rows(f"{HEADER}\n,,,,\n#N/A,#N/A,,,\nTEXAS,A Police Department,Municipality,TFM,1/2/2025\n")
    assert (len(found), problems) == (1, [])


@pytest.mark.parametrize("written", ["Warrant Service Officer", "WSO", "Warrant Service Officer (WSO)",
                                     "warrant service officer ", "W.S.O."])
def test_model_spelling_variants_are_read(written: str) -> None:
    assert _one(f"TEXAS,A Sheriff's Office,County,{written},1/2/2025").model is AgreementModel.WSO


def test_an_unknown_model_is_reported_by_row_and_column() -> None:
    problem = _problem("TEXAS,A Police Department,Municipality,Harbor Patrol Model,1/2/2025")
    assert (problem.row, problem.column, "not one of the models" in problem.message) == (2, "SUPPORT TYPE", True)


@pytest.mark.parametrize(("written", "code"), [("TEXAS", "TX"), ("Texas", "TX"), ("TX", "TX"), ("GUAM", "GU"),
                                               ("NORTHERN MARIANA ISLANDS", "MP"), ("PENNSLYVANIA", "PA"),
                                               ("WEST VIRIGINIA", "WV"), ("DISTRICT OF COLUMBIA", "DC")])
def test_states_and_territories_by_name_code_or_known_misspelling(written: str, code: str) -> None:
    assert _one(f"{written},A Police Department,Municipality,TFM,1/2/2025").state == code


def test_an_unknown_state_is_reported_not_guessed() -> None:
    problem = _problem("TEXAZ,A Police Department,Municipality,TFM,1/2/2025")
    assert (problem.column, "'TEXAZ' is not a state" in problem.message) == ("STATE", True)


@pytest.mark.parametrize(("written", "day"), [("02/26/2025", date(2025, 2, 26)), ("2/6/25", date(2025, 2, 6)),
                                              ("2025-02-26", date(2025, 2, 26)), ("\"February 26, 2025\"",
                                                                                  date(2025, 2, 26)),
                                              ("45714", date(2025, 2, 26))])
def test_text_dates_and_excel_serials_are_read(written: str, day: date) -> None:
    assert _one(f"TEXAS,A Police Department,Municipality,TFM,{written}").signed_on == day


@pytest.mark.parametrize("written", ["02/30/2025", "1/15/20255", "TBD", "12345"])
def test_a_malformed_date_is_reported_by_row_and_column(written: str) -> None:
    problem = _problem(f"TEXAS,A Police Department,Municipality,TFM,{written}")
    assert (problem.row, problem.column) == (2, "SIGNED")


def test_a_participating_row_without_signed_is_reported_and_a_pending_one_is_read() -> None:
    line = "TEXAS,A Sheriff's Office,County,WSO,"
    assert (_problem(line).column, _one(line, pending=True).signed_on) == ("SIGNED", None)


def test_placeholders_mean_unknown_county_and_level() -> None:
    row = _one("TEXAS,#N/A,A Sheriff's Office,#NA,WSO,1/2/2025", header="STATE,COUNTY," + HEADER[6:])
    assert (row.county, row.jurisdiction) == (None, None)


def test_curly_apostrophes_and_spacing_do_not_make_another_agency() -> None:
    curly = _one("TEXAS,Lone  Oak County Sheriff\u2019s Office ,County,WSO,1/2/2025")
    straight = _one("TEXAS,Lone Oak County Sheriff's Office,County,WSO,1/2/2025")
    assert (curly.name, curly.key) == (straight.name, straight.key)


def test_a_known_county_misspelling_is_corrected_from_the_shipped_alias_table() -> None:
    row = _one("OHIO,Frankin County,Cedar County Attorney's Office,County,TFM,1/2/2025",
               header="STATE,COUNTY," + HEADER[6:])
    assert row.county == "Franklin County"


@pytest.mark.parametrize(("name", "level", "kind"), [
    ("Pine Hollow Constable Precinct 1", "Municipality", AgencyKind.CONSTABLE),
    ("Cedar County Attorney's Office", "County", AgencyKind.COUNTY_ATTORNEY),
    ("Third Judicial District Attorney's Office", "County", AgencyKind.DISTRICT_ATTORNEY),
    ("State National Guard", "State Agency", AgencyKind.NATIONAL_GUARD),
    ("State Department of Corrections", "State", AgencyKind.CORRECTIONS),
    ("Town Marshal's Office", "Municipality", AgencyKind.MARSHAL),
    ("Ridge Regional Criminal Justice Authority", "#NA", AgencyKind.JAIL_AUTHORITY),
    ("State Highway Patrol", "State Agency", AgencyKind.STATE_POLICE),
    ("Office of the Governor", "State Agency", AgencyKind.STATE),
    ("Harbor Commission", "Municipality", AgencyKind.OTHER),
])
def test_the_kind_of_agency_comes_from_its_name_apart_from_its_level(name: str, level: str,
                                                                     kind: AgencyKind) -> None:
    assert _one(f"TEXAS,{name},{level},TFM,1/2/2025").kind is kind


def test_a_state_agency_of_a_territory_is_at_territory_level() -> None:
    assert _one("GUAM,Guam Department of Corrections,State,JEM,1/2/2025").jurisdiction is Jurisdiction.TERRITORY


def test_an_unknown_type_is_reported() -> None:
    assert _problem("TEXAS,A Police Department,Village Thing,TFM,1/2/2025").column == "TYPE"


def test_a_hyperlink_formula_keeps_its_url_and_link_pending_has_none() -> None:
    text = (f"{HEADER},MOA\n"
            'TEXAS,A Police Department,Municipality,TFM,1/2/2025,"=HYPERLINK(""https://example.org/a.pdf"",""MOA"")"\n'
            "TEXAS,B Police Department,Municipality,TFM,1/2/2025,link pending\n")
    found, _ = _rows(text)
    assert [r.moa_url for r in found] == ["https://example.org/a.pdf", None]


def test_an_xlsx_edition_keeps_hyperlink_targets_excel_dates_and_skips_blank_rows() -> None:
    data = _xlsx([["Participating agencies"], ["STATE ", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"],
                  ["TEXAS", "Lone Oak County Sheriff\u2019s Office", "Jail Enforcement Model",
                   datetime(2025, 2, 26), "MOA"],
                  [None, None, None, None, None],
                  ["GUAM", "Guam Department of Corrections", "JEM", 45667, "link pending"]],
                 links={(3, 5): "https://example.org/moa/lone-oak.pdf"})
    found, problems = ice_rows.listings(ice_sheet.read("edition.xlsx", data), pending=False)
    assert ([(r.row, r.state, r.signed_on, r.moa_url) for r in found], problems) == (
        [(3, "TX", date(2025, 2, 26), "https://example.org/moa/lone-oak.pdf"), (5, "GU", date(2025, 1, 10), None)],
        [])


def test_an_xlsx_hyperlink_formula_keeps_its_url() -> None:
    data = _xlsx([["STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"],
                  ["TEXAS", "Birch Police Department", "TFM", datetime(2025, 1, 15),
                   '=HYPERLINK("https://example.org/moa/birch.pdf","MOA")']])
    found, _ = ice_rows.listings(ice_sheet.read("edition.xlsx", data), pending=False)
    assert found[0].moa_url == "https://example.org/moa/birch.pdf"


def test_a_file_that_is_neither_xlsx_nor_csv_is_refused() -> None:
    with pytest.raises(SheetError):
        ice_sheet.read("broken.xlsx", b"PK\x03\x04 not really a zip")
