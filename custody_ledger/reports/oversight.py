"""The oversight report (issue 15 point 1): per agency, model and month, every figure an auditor asks for.

The questions come from DOMAIN.md ("Questions the reports must answer") and the oversight findings it
cites (OIG-18-77: training not monitored; GAO-21-186: no performance measures, no oversight of WSO
partners). Each figure is one row: section, agency, model, month, measure, key, value, unit. A figure
that is not about one model (an officer nominated, a refusal of an uncertified officer) has model "".
docs/reports.md defines every measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .columnar import Mirror, Range
from .facts import IN_PERIOD, define


@dataclass(frozen=True, order=True)
class Figure:
    section: str
    agency_id: str
    state: str
    model: str
    month: str
    measure: str
    key: str
    value: float
    unit: str  # count, hours, usd
    agency: str = ""


@dataclass(frozen=True)
class Report:
    title: str
    period_from: date
    period_to: date
    agency_id: str | None
    range: Range
    checkpoint: str | None
    figures: tuple[Figure, ...]
    charts: dict[str, list[tuple[Any, ...]]]


_MONTHS = """months AS (
  SELECT strftime(d, '%Y-%m') AS month, least(last_day(d), CAST($to AS DATE)) AS month_end
  FROM range(date_trunc('month', CAST($from AS DATE)), CAST($to AS DATE) + INTERVAL 1 DAY, INTERVAL 1 MONTH) t(d))"""
_IN = IN_PERIOD
_MONTH = "strftime({}, '%Y-%m')"

# A state at a month's end is the last, in ledger order, of the changes in effect by that day: a signature
# recorded after the review may take effect on an earlier day, and still follows it.
# section, measure, unit, SQL giving (agency_id, model, month, key, value). $from, $to: the period's local days.
QUERIES: tuple[tuple[str, str, str, str], ...] = (
    ("program", "agreements", "count", f"""WITH {_MONTHS}, s AS (
        SELECT m.month, st.agreement_id, st.agency_id, st.model,
               arg_max(st.status, st.seq) AS status
        FROM months m JOIN f_agreement_status st ON st.effective <= m.month_end GROUP BY ALL)
      SELECT agency_id, model, month, status, count(*) FROM s GROUP BY ALL"""),
    ("program", "officers_nominated", "count", f"""
      SELECT agency_id, '', {_MONTH.format('day')}, '', count(*) FROM f_officer_event
      WHERE type = 'officer_nominated' AND day {_IN} GROUP BY ALL"""),
    ("program", "officers_trained", "count", f"""
      SELECT agency_id, model, {_MONTH.format('completed_on')}, '', count(DISTINCT officer_id) FROM f_officer_event
      WHERE type = 'training_recorded' AND completed_on {_IN} GROUP BY ALL"""),
    ("program", "training_hours_completed", "hours", f"""
      SELECT agency_id, model, {_MONTH.format('completed_on')}, '', sum(hours) FROM f_officer_event
      WHERE type = 'training_recorded' AND completed_on {_IN} GROUP BY ALL"""),
    ("program", "certificates_issued", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_officer_event
      WHERE type = 'officer_certified' AND day {_IN} GROUP BY ALL"""),
    ("program", "certificates_expired", "count", f"""
      SELECT agency_id, model, {_MONTH.format('expires_on')}, '', count(*) FROM f_officer_event
      WHERE type = 'officer_certified' AND expires_on {_IN} GROUP BY ALL"""),
    ("program", "certificates_suspended", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_officer_event
      WHERE type = 'certificate_suspended' AND day {_IN} GROUP BY ALL"""),
    ("program", "certificates_revoked", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_officer_event
      WHERE type = 'certificate_revoked' AND day {_IN} GROUP BY ALL"""),
    # GAO-21-186's missing measure: officers whose certificate was in force at the month's end.
    ("program", "certificates_in_force", "count", f"""WITH {_MONTHS}, c AS (
        SELECT m.month, m.month_end, e.officer_id, e.agency_id, e.model,
               arg_max(e.type, e.seq) AS last, arg_max(e.expires_on, e.seq) AS expires_on
        FROM months m JOIN f_officer_event e ON e.day <= m.month_end
        WHERE e.type IN ('officer_certified', 'certificate_suspended', 'certificate_revoked') GROUP BY ALL)
      SELECT agency_id, model, month, '', count(*) FROM c
      WHERE last = 'officer_certified' AND (expires_on IS NULL OR expires_on > month_end)
        AND NOT EXISTS (SELECT 1 FROM f_officer_event s WHERE s.type = 'officer_separated'
                        AND s.officer_id = c.officer_id AND s.day <= c.month_end)
      GROUP BY ALL"""),
    ("custody", "arrests", "count", f"""
      SELECT agency_id, model, {_MONTH.format('arrest_day')}, '', count(*) FROM f_hold
      WHERE arrest_day {_IN} GROUP BY ALL"""),
    ("custody", "arrests_under_igsa", "count", f"""
      SELECT agency_id, model, {_MONTH.format('arrest_day')}, '', count(*) FROM f_hold
      WHERE igsa AND arrest_day {_IN} GROUP BY ALL"""),
    ("custody", "holds_ended", "count", f"""
      SELECT agency_id, model, {_MONTH.format('end_day')},
             CASE end_type WHEN 'custody_transferred' THEN 'transfer' ELSE 'release' END, count(*) FROM f_hold
      WHERE end_day {_IN} GROUP BY ALL"""),
    ("custody", "releases_at_limit", "count", f"""
      SELECT agency_id, model, {_MONTH.format('end_day')}, '', count(*) FROM f_hold
      WHERE reason = 'limit_reached' AND end_day {_IN} GROUP BY ALL"""),
    # Durations against the limit: from the clock's start to the hold's end, holds without an IGSA.
    ("custody", "hold_hours", "hours", f"""
      SELECT agency_id, model, month, unnest(['p50', 'p90', 'p95', 'max']), unnest(q) FROM (
        SELECT agency_id, model, {_MONTH.format('end_day')} AS month,
               quantile_cont(hours, [0.5, 0.9, 0.95]) || [max(hours)] AS q
        FROM f_hold WHERE NOT igsa AND end_day {_IN} GROUP BY ALL)"""),
    ("violations", "ended_past_limit", "count", f"""
      SELECT agency_id, model, {_MONTH.format('end_day')}, '', count(*) FROM f_hold
      WHERE ended_at > deadline AND end_day {_IN} GROUP BY ALL"""),
    ("violations", "hours_past_limit", "hours", f"""
      SELECT agency_id, model, {_MONTH.format('end_day')}, '', sum(epoch(ended_at - deadline) / 3600.0) FROM f_hold
      WHERE ended_at > deadline AND end_day {_IN} GROUP BY ALL"""),
    ("violations", "limit_exceeded", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_watch
      WHERE type = 'limit_exceeded' AND day {_IN} GROUP BY ALL"""),
    ("violations", "time_without_authority", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_flag
      WHERE kind = 'time_without_authority' AND day {_IN} GROUP BY ALL"""),
    ("violations", "hours_without_authority", "hours", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', sum(seconds) / 3600.0 FROM f_flag
      WHERE kind = 'time_without_authority' AND day {_IN} GROUP BY ALL"""),
    ("records", "refusals", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, rule_id, count(*) FROM f_refusal
      WHERE agency_id IS NOT NULL AND day {_IN} GROUP BY ALL"""),
    ("records", "late_entries", "count", f"""
      SELECT agency_id, model, {_MONTH.format('recorded_day')}, '', count(*) FROM f_flag
      WHERE kind = 'late_entry' AND recorded_day {_IN} GROUP BY ALL"""),
    ("records", "alerts_raised", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, CASE WHEN late_seconds > 0 THEN 'late' ELSE 'on_time' END,
             count(*) FROM f_watch WHERE day {_IN} GROUP BY ALL"""),
    ("cost", "cost_hours", "hours", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, kind || ':' || payer, sum(hours) FROM f_cost
      WHERE hours IS NOT NULL AND day {_IN} GROUP BY ALL"""),
    ("cost", "cost_usd", "usd", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, kind || ':' || payer, sum(amount_cents) / 100.0 FROM f_cost
      WHERE amount_cents IS NOT NULL AND day {_IN} GROUP BY ALL"""),
    ("oversight", "complaints_received", "count", f"""
      SELECT agency_id, '', {_MONTH.format('day')}, category, count(*) FROM f_complaint
      WHERE type = 'complaint_received' AND day {_IN} GROUP BY ALL"""),
    ("oversight", "complaints_referred", "count", f"""
      SELECT agency_id, '', {_MONTH.format('day')}, referred_to, count(*) FROM f_complaint
      WHERE type = 'complaint_referred' AND day {_IN} GROUP BY ALL"""),
    ("oversight", "complaints_closed", "count", f"""
      SELECT agency_id, '', {_MONTH.format('day')}, outcome, count(*) FROM f_complaint
      WHERE type = 'complaint_closed' AND day {_IN} GROUP BY ALL"""),
    ("oversight", "steering_meetings_held", "count", f"""
      SELECT agency_id, model, {_MONTH.format('day')}, '', count(*) FROM f_meeting
      WHERE type = 'steering_meeting_held' AND day {_IN} GROUP BY ALL"""),
    ("oversight", "steering_minutes_published", "count", f"""
      SELECT agency_id, model, {_MONTH.format('coalesce(minutes_published_on, day)')}, '', count(*) FROM f_meeting
      WHERE (type = 'steering_minutes_published' OR minutes_published_on IS NOT NULL)
        AND coalesce(minutes_published_on, day) {_IN} GROUP BY ALL"""),
)

# The program's growth from imported ICE lists: agreements on the list at each month's end, nationally.
_LISTED = f"""WITH {_MONTHS}, s AS (
    SELECT m.month, l.agreement_id, l.model, arg_max(l.listed, {{'d': l.day, 's': l.seq}}) AS listed
    FROM months m JOIN f_listing l ON l.day <= m.month_end GROUP BY ALL)
  SELECT model, month, count(*) FROM s WHERE listed GROUP BY ALL"""


def figures(mirror: Mirror, through: int, period: tuple[date, date], agency_id: str | None) -> list[Figure]:
    """Every figure of the period, computed on ledger events 1..through, in the order Figure sorts by.

    One statement (every measure a branch of one UNION ALL, sorted by DuckDB): DuckDB plans and runs it at
    once on all cores, where thirty statements would each pay their own start."""
    define(mirror, through)
    if agency_id is not None and not mirror.sql("SELECT 1 FROM f_agency WHERE agency_id = ?", [agency_id]):
        raise ValueError(f"--agency: no agency {agency_id} in ledger events 1..{through}")
    branches = [f"SELECT '{section}', '{measure}', '{unit}', * FROM ({query}) t(agency_id, model, month, key, value)"
                for section, measure, unit, query in QUERIES]
    if agency_id is None:
        branches.append(f"SELECT 'growth', 'agreements_listed', 'count', '', model, month, '', value "
                        f"FROM ({_LISTED}) t(model, month, value)")
    statement = f"""
      SELECT q.section, q.agency_id, coalesce(a.state, ''), q.model, q.month, q.measure, coalesce(q.key, ''),
             CAST(q.value AS DOUBLE) AS value, q.unit, coalesce(a.name, '')
      FROM ({" UNION ALL ".join(branches)}) q(section, measure, unit, agency_id, model, month, key, value)
      LEFT JOIN f_agency a USING (agency_id)
      WHERE q.value IS NOT NULL AND ($agency IS NULL OR q.agency_id = $agency)
      ORDER BY ALL"""
    rows = mirror.con.execute(statement, {"from": period[0], "to": period[1], "agency": agency_id}).fetchall()
    return [Figure(*row) for row in rows]


def charts(mirror: Mirror, period: tuple[date, date], agency_id: str | None) -> dict[str, list[tuple[Any, ...]]]:
    """The data behind the report's charts (reports/charts.py draws them), from the f_* tables `figures` made."""
    params: dict[str, Any] = {"from": period[0], "to": period[1], "agency": agency_id}
    scope = "($agency IS NULL OR agency_id = $agency)"
    return {
        "durations": mirror.con.execute(
            f"SELECT round(hours, 2), round(limit_hours, 2) FROM f_hold WHERE NOT igsa AND end_day {_IN} AND {scope} "
            "ORDER BY 1", params).fetchall(),
        "monthly": mirror.con.execute(
            f"""WITH {_MONTHS} SELECT m.month,
                  (SELECT count(*) FROM f_hold h WHERE {_MONTH.format('h.arrest_day')} = m.month AND h.arrest_day {_IN}
                   AND {scope}),
                  (SELECT count(*) FROM f_hold h WHERE h.ended_at > h.deadline
                   AND {_MONTH.format('h.end_day')} = m.month AND h.end_day {_IN} AND {scope})
                  + (SELECT count(*) FROM f_watch w WHERE w.type = 'limit_exceeded'
                     AND {_MONTH.format('w.day')} = m.month AND w.day {_IN} AND {scope})
                FROM months m ORDER BY 1""", params).fetchall(),
        "refusals": mirror.con.execute(
            f"SELECT rule_id, count(*) FROM f_refusal WHERE day {_IN} AND {scope} GROUP BY ALL ORDER BY 2 DESC, 1",
            params).fetchall(),
        "growth": mirror.con.execute(_LISTED + " ORDER BY ALL", {"from": period[0], "to": period[1]}).fetchall()
        if agency_id is None else [],
    }


def build(mirror: Mirror, head: Range, period: tuple[date, date], agency_id: str | None,
          checkpoint: str | None = None, *, drawn: bool = True) -> Report:
    """The oversight report of `period` on the ledger range `head` names; `drawn=False` leaves out the
    charts' data (CSV and Parquet have no charts)."""
    found = tuple(figures(mirror, head.through, period, agency_id))
    return Report("Oversight report", period[0], period[1], agency_id, head, checkpoint, found,
                  charts(mirror, period, agency_id) if drawn else {})
