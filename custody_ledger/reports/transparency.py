"""The public transparency report (issue 15 point 2): counts by state, model and quarter; nobody identifiable.

DOMAIN.md asks it for the public: agreements by state and model, arrests, hold durations, releases at the
limit, violations. Each measure of each model is one two-way table (states by quarters) with its state
totals, quarter totals and grand total, protected alone by reports/suppression.py: every count below the
threshold, and what would reveal it, is withheld. The tables are chosen so that none is a sum or a
difference of others (no all-model table beside the per-model ones, no "holds ended" beside transfers and
releases), since suppression protects each table on its own. Hold durations are given only where the
count of holds they summarise is itself published (at or above the threshold): a median of three holds
would describe three people. Agreements are not people: ICE publishes its list, so the count of agreements
in force is shown whole, per quarter's end, with national totals (no totals over quarters: a stock does
not add up over time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .columnar import Mirror
from .facts import IN_PERIOD, define
from .suppression import Figure as Place
from .suppression import Table, protect

# measure -> SQL giving (state, model, quarter, count); $from, $to the period's local days.
_QUARTER = "strftime({0}, '%Y') || '-Q' || quarter({0})"
_IN = IN_PERIOD
_HOLDS = f"FROM f_hold h JOIN f_agency a USING (agency_id) WHERE {{day}} {_IN}"
COUNTS: dict[str, str] = {
    "agreements_active": f"""WITH quarters AS (
        SELECT {_QUARTER.format('d')} AS quarter,
               least(CAST(d + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE), CAST($to AS DATE)) AS quarter_end
        FROM range(date_trunc('quarter', CAST($from AS DATE)), CAST($to AS DATE) + INTERVAL 1 DAY,
                   INTERVAL 3 MONTH) t(d)),
      s AS (SELECT q.quarter, st.agreement_id, st.agency_id, st.model, arg_max(st.status, st.seq) AS status
            FROM quarters q JOIN f_agreement_status st ON st.effective <= q.quarter_end GROUP BY ALL)
      SELECT a.state, s.model, s.quarter, count(*) FROM s JOIN f_agency a USING (agency_id)
      WHERE s.status = 'active' GROUP BY ALL""",
    "arrests": f"SELECT a.state, h.model, {_QUARTER.format('h.arrest_day')}, count(*) "
               f"{_HOLDS.format(day='h.arrest_day')} GROUP BY ALL",
    "transfers_to_ice": f"SELECT a.state, h.model, {_QUARTER.format('h.end_day')}, count(*) "
                        f"{_HOLDS.format(day='h.end_day')} AND h.end_type = 'custody_transferred' GROUP BY ALL",
    "releases": f"SELECT a.state, h.model, {_QUARTER.format('h.end_day')}, count(*) "
                f"{_HOLDS.format(day='h.end_day')} AND h.end_type = 'hold_released' GROUP BY ALL",
    "releases_at_limit": f"SELECT a.state, h.model, {_QUARTER.format('h.end_day')}, count(*) "
                         f"{_HOLDS.format(day='h.end_day')} AND h.reason = 'limit_reached' GROUP BY ALL",
    "held_past_limit": f"SELECT a.state, h.model, {_QUARTER.format('h.end_day')}, count(*) "
                       f"{_HOLDS.format(day='h.end_day')} AND h.ended_at > h.deadline GROUP BY ALL",
}
STOCKS = ("agreements_active",)  # shown whole (see above)
_DURATIONS = f"""SELECT a.state, h.model, {_QUARTER.format('h.end_day')}, count(*),
    quantile_cont(h.hours, 0.5), quantile_cont(h.hours, 0.95)
    {_HOLDS.format(day='h.end_day')} AND NOT h.igsa GROUP BY ALL"""


@dataclass(frozen=True, order=True)
class Cell:
    """One published figure; value None when withheld. state "all" / period "all" are the tables' totals."""

    model: str
    measure: str
    state: str
    period: str
    value: float | None
    unit: str = "count"
    section: str = "transparency"
    agency_id: str = ""
    agency: str = ""
    key: str = ""


def quarters(period: tuple[date, date]) -> tuple[str, ...]:
    out, year, q = [], period[0].year, (period[0].month - 1) // 3 + 1
    while (year, q) <= (period[1].year, (period[1].month - 1) // 3 + 1):
        out.append(f"{year}-Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return tuple(out)


def cells(mirror: Mirror, through: int, period: tuple[date, date], threshold: int) -> list[Cell]:
    """Every published figure of the period on events 1..through, withheld ones as None, sorted."""
    define(mirror, through)
    params = {"from": period[0], "to": period[1]}
    cols = quarters(period)
    counts: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for measure, query in COUNTS.items():
        for state, model, quarter, n in mirror.con.execute(query, params).fetchall():
            counts.setdefault((model, measure), {})[(state, quarter)] = int(n)
    states = tuple(sorted({s for table in counts.values() for s, _ in table}))
    out: list[Cell] = []
    tables: dict[tuple[str, str], Table] = {}
    for (model, measure), table in sorted(counts.items()):
        if measure in STOCKS:
            out += [Cell(model, measure, state, q, float(table.get((state, q), 0))) for state in states for q in cols]
            out += [Cell(model, measure, "all", q, float(sum(n for (_, q2), n in table.items() if q2 == q)))
                    for q in cols]
            continue
        published = protect(table, states, cols, threshold)
        tables[(model, measure)] = published
        out += [_cell(model, measure, place, published.value(place)) for place in published.figures()]
    out += _durations(mirror, params, tables, threshold)
    return sorted(out)


def _cell(model: str, measure: str, place: Place, value: int | None) -> Cell:
    return Cell(model, measure, place.row or "all", place.col or "all", None if value is None else float(value))


def _durations(mirror: Mirror, params: dict[str, date], tables: dict[tuple[str, str], Table],
               threshold: int) -> list[Cell]:
    """Median and 95th percentile hours held (clock start to end, holds without an IGSA), where they
    summarise at least `threshold` holds and neither count of those holds' ends (transfers, releases) is
    withheld."""
    out = []
    for state, model, quarter, n, p50, p95 in mirror.con.execute(_DURATIONS, params).fetchall():
        ends = [tables.get((model, m)) for m in ("transfers_to_ice", "releases")]
        shown = n >= threshold and all(t is None or t.cells.get((state, quarter), 0) is not None for t in ends)
        out += [Cell(model, "hold_hours_p50", state, quarter, float(p50) if shown else None, "hours"),
                Cell(model, "hold_hours_p95", state, quarter, float(p95) if shown else None, "hours")]
    return out


def grids(published: list[Cell]) -> list[dict[str, object]]:
    """The figures as people read them: one table per model and measure, states down, quarters across,
    withheld figures shown as a dash."""
    out: list[dict[str, object]] = []
    for model, measure in sorted({(c.model, c.measure) for c in published}):
        mine = [c for c in published if (c.model, c.measure) == (model, measure)]
        periods = sorted({c.period for c in mine}, key=lambda p: (p == "all", p))
        states = sorted({c.state for c in mine}, key=lambda s: (s == "all", s))
        value = {(c.state, c.period): c for c in mine}
        rows = [(state, [_shown(value.get((state, p))) for p in periods]) for state in states]
        out.append({"title": f"{model}: {measure.replace('_', ' ')}", "columns": periods, "rows": rows})
    return out


def _shown(cell: Cell | None) -> str:
    if cell is None:
        return ""
    return "—" if cell.value is None else (str(round(cell.value)) if cell.unit == "count" else f"{cell.value:.1f}")
