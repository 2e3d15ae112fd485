"""A report in each of its formats: CSV and Parquet (one row per figure), HTML (tables and charts), PDF.

CSV is the report of record: the same ledger range gives the same bytes (no time of printing, rows sorted,
numbers printed one way). Its first rows are the provenance: the ledger range, the chain head, the
checkpoint, the period and the scope, so a figure copied anywhere can be traced and checked
(`custody-ledger verify --through N` on the range).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

if TYPE_CHECKING:  # the command line imports this module for Format alone: no DuckDB for that
    from .columnar import Range

COLUMNS = ("section", "agency_id", "agency", "state", "model", "period", "measure", "key", "value", "unit")
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
                   autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    PARQUET = "parquet"


TEXT_FORMATS = (Format.HTML, Format.CSV)


class Row(Protocol):
    """What every report's figure carries (oversight.Figure, transparency.Cell), read-only."""

    @property
    def section(self) -> str: ...
    @property
    def agency_id(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def unit(self) -> str: ...


def number(value: float | None, unit: str) -> str:
    """Counts as integers, hours and dollars to the cent; None (a suppressed cell) as the empty string."""
    if value is None:
        return ""
    return str(round(value)) if unit == "count" else f"{value:.2f}"


def provenance(title: str, head: Range, checkpoint: str | None, period: tuple[Any, Any], scope: str,
               extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    return [("report", title), ("ledger_events", f"1-{head.through}"), ("chain_head", head.head),
            ("checkpoint", checkpoint or "none covering this range"), ("period_from", str(period[0])),
            ("period_to", str(period[1])), ("scope", scope), *extra]


def rows(facts: Iterable[tuple[Row, str, float | None]], about: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The table of record: provenance rows, then one row per figure (`period` is a month or a quarter)."""
    out: list[tuple[str, ...]] = [("provenance", "", "", "", "", "", name, "", value, "") for name, value in about]
    out += [(f.section, f.agency_id, f.agency, f.state, f.model, period, f.measure,
             f.key or ("withheld" if value is None else ""), number(value, f.unit), f.unit)
            for f, period, value in facts]
    return out


def to_csv(table: list[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return buffer.getvalue().encode()


def to_parquet(table: list[tuple[str, ...]]) -> bytes:
    import pyarrow as pa  # only Parquet needs it
    import pyarrow.parquet as pq

    columns = {name: [row[i] for row in table] for i, name in enumerate(COLUMNS)}
    values = [float(v) if v != "" and section != "provenance" else None
              for v, section in zip(columns["value"], columns["section"], strict=True)]
    text = [v if section == "provenance" else None for v, section in zip(columns["value"], columns["section"],
                                                                          strict=True)]
    arrays = {name: pa.array(columns[name], pa.string()) for name in COLUMNS if name != "value"}
    arrays["value"] = pa.array(values, pa.float64())
    arrays["text"] = pa.array(text, pa.string())
    sink = io.BytesIO()
    pq.write_table(pa.table(arrays), sink)
    return sink.getvalue()


_COLUMNS_PER_TABLE = 8  # what an A4 landscape page holds beside the agency, state, model and period


def pivot(facts: Sequence[tuple[Row, str, float | None]], section: str) -> dict[str, Any]:
    """One section as tables for people: a row per agency, model and period, a column per measure; split into
    tables of at most eight measures (a PDF page cuts off what is wider), each keeping the rows it has figures for."""
    mine = [f for f in facts if f[0].section == section]
    columns = sorted({(f.measure, f.key) for f, _, _ in mine})
    grid: dict[tuple[str, str, str, str], dict[tuple[str, str], str]] = {}
    for f, period, value in mine:
        cell = "—" if value is None else number(value, f.unit)
        grid.setdefault((f.agency or f.agency_id or f.state, f.state, f.model, period), {})[(f.measure, f.key)] = cell
    parts = []
    for start in range(0, len(columns), _COLUMNS_PER_TABLE):
        chunk = columns[start:start + _COLUMNS_PER_TABLE]
        rows = [(*key, [grid[key].get(c, "") for c in chunk]) for key in sorted(grid)
                if any(c in grid[key] for c in chunk)]
        parts.append({"columns": [f"{m} {k}".replace("_", " ").strip() for m, k in chunk], "rows": rows})
    return {"section": section, "parts": parts}


def to_html(title: str, about: list[tuple[str, str]], sections: list[dict[str, Any]],
            drawn: dict[str, str]) -> bytes:
    return _ENV.get_template("report.html").render(title=title, about=about, sections=sections, charts=drawn).encode()


def page(template: str, **context: Any) -> bytes:
    return _ENV.get_template(template).render(**context).encode()


def to_pdf(html: bytes) -> bytes:
    try:
        import weasyprint  # the real renderer, only for PDF
    except OSError as exc:  # WeasyPrint loads Pango from the system when imported
        raise ValueError(f"PDF needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}") from None
    return bytes(weasyprint.HTML(string=html.decode()).write_pdf())


def draw(data: dict[str, list[tuple[Any, ...]]]) -> dict[str, str]:
    """The oversight charts that have data, as SVG text, titled."""
    from . import charts  # matplotlib takes a second to import: only reports with charts pay it

    drawn = {}
    if data.get("durations"):
        drawn["Hold durations against the limit"] = charts.durations(data["durations"])
    if data.get("monthly"):
        drawn["WSO arrests and violations per month"] = charts.monthly(data["monthly"])
    if data.get("refusals"):
        drawn["Refusals by rule"] = charts.refusals(data["refusals"])
    if data.get("growth"):
        drawn["Agreements on ICE's list by model"] = charts.growth(data["growth"])
    return drawn
