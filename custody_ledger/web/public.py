"""The public's page: the transparency report at /transparency (HTML) and /transparency.csv, without log-in.

Nothing here identifies a person (reports/transparency.py withholds small counts), so nothing is gated and
no read is logged; the figures name the ledger range they were computed from, as every report does.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from custody_ledger.reports import publish
from custody_ledger.reports.render import Format

from .render import CSP, HEADERS
from .session import state

router = APIRouter(include_in_schema=False)
_QUARTERS_SHOWN = 8  # two years by default: the demo's history, and a span a reader can take in


def _period(request: Request, today: date) -> tuple[date, date] | str:
    """The period asked for (?from=YYYY-MM-DD&to=YYYY-MM-DD), by default the last eight quarters to today;
    or what is wrong with it, naming the parameter."""
    first_of_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = first_of_quarter
    for _ in range(_QUARTERS_SHOWN - 1):
        start = (start - timedelta(days=1)).replace(day=1)
        start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    days = {"from": start, "to": today}
    for name in days:
        text = request.query_params.get(name)
        if text:
            try:
                days[name] = date.fromisoformat(text)
            except ValueError:
                return f"{name}: must be a date (YYYY-MM-DD); got {text[:40]!r}"
    if days["to"] < days["from"]:
        return f"to: {days['to']} is before from ({days['from']})"
    if (days["to"] - days["from"]).days > 366 * 20:
        return "to: a period may span at most twenty years"
    return days["from"], days["to"]


def _report(request: Request, fmt: Format) -> Response:
    engine, settings, _, now = state(request)
    period = _period(request, now.date())
    if isinstance(period, str):
        return Response(period + "\n", status_code=422, media_type="text/plain; charset=utf-8", headers=HEADERS)
    query = f"?from={period[0]}&to={period[1]}"
    data = publish.transparency_report(engine, settings, period, fmt, csv_url=f"/transparency.csv{query}")
    if fmt is Format.CSV:
        disposition = f'inline; filename="transparency-{period[0]}-{period[1]}.csv"'
        return Response(data, media_type="text/csv; charset=utf-8",
                        headers={**HEADERS, "Content-Disposition": disposition})
    return HTMLResponse(data, headers={**HEADERS, "Content-Security-Policy": _csp(data)})


def _csp(html: bytes) -> str:
    """The pages' policy, with the report's own style block allowed by its hash: the same HTML is a
    standalone file from the command line, so its style is inline rather than a static file."""
    styles = re.findall(rb"<style>(.*?)</style>", html, re.DOTALL)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in styles)
    return CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())


@router.get("/transparency")
async def transparency_page(request: Request) -> Response:
    """The public figures by state, model and quarter, small counts withheld."""
    return await run_in_threadpool(_report, request, Format.HTML)


@router.get("/transparency.csv")
async def transparency_csv(request: Request) -> Response:
    """The same figures as CSV, provenance rows first."""
    return await run_in_threadpool(_report, request, Format.CSV)
