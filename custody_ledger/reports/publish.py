"""Run a report end to end: bring the columnar copy up to the ledger, compute on one range, render.

The range is the ledger's head when the report starts (or an earlier event the caller names, to rerun a
report exactly); the report names it, its chain head and the first signed checkpoint covering it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.engine import Engine

from custody_ledger.app import checkpoints
from custody_ledger.settings import Settings

from . import columnar, oversight, render, transparency
from .columnar import Mirror, Range
from .render import Format


def checkpoint_covering(settings: Settings, through: int) -> str | None:
    """The first checkpoint in the configured log whose tree holds events 1..through, named by size, root
    and time; None when no log or key is configured or none covers the range yet."""
    if settings.checkpoint_log is None or settings.checkpoint_key_file is None or not settings.checkpoint_log.exists():
        return None
    try:
        verifier = checkpoints.Signer.from_file(settings.checkpoint_key_file).verifier
        notes = checkpoints.read_log(settings.checkpoint_log)
        found = next((c for c in checkpoints.signed(notes, verifier) if c.size >= through), None)
    except (checkpoints.CheckpointError, OSError):
        return None
    if found is None:
        return None
    return f"{found.origin} size {found.size} root {found.root.hex()} time {checkpoints.format_time(found.time)}"


def head(mirror: Mirror, engine: Engine, through: int | None) -> Range:
    return mirror.through if through is None else mirror.range_at(engine, through)


def oversight_report(engine: Engine, settings: Settings, period: tuple[date, date], agency_id: str | None,
                     fmt: Format, through: int | None = None) -> bytes:
    with columnar.opened(engine, columnar.cache_path(engine, settings)) as mirror:
        at = head(mirror, engine, through)
        report = oversight.build(mirror, at, period, agency_id, checkpoint_covering(settings, at.through),
                                 drawn=fmt in (Format.HTML, Format.PDF))
    facts: list[tuple[render.Row, str, float | None]] = [(f, f.month, f.value) for f in report.figures]
    about = render.provenance(report.title, report.range, report.checkpoint, period, agency_id or "all agencies")

    def html() -> bytes:
        sections = [render.pivot(facts, s) for s in ("program", "custody", "violations", "records", "cost",
                                                      "oversight", "growth")]
        return render.to_html(report.title, about, sections, render.draw(report.charts))

    return _rendered(fmt, render.rows(facts, about), html)


def transparency_report(engine: Engine, settings: Settings, period: tuple[date, date], fmt: Format,
                        through: int | None = None, csv_url: str | None = None) -> bytes:
    """The public report: no agency detail, small counts withheld (settings.transparency_threshold)."""
    threshold = settings.transparency_threshold
    with columnar.opened(engine, columnar.cache_path(engine, settings)) as mirror:
        at = head(mirror, engine, through)
        published = transparency.cells(mirror, at.through, period, threshold)
    title = "287(g) program: public figures"
    about = render.provenance(title, at, checkpoint_covering(settings, at.through), period, "all states",
                              [("suppression_threshold", str(threshold))])
    facts: list[tuple[render.Row, str, float | None]] = [(c, c.period, c.value) for c in published]
    return _rendered(fmt, render.rows(facts, about), lambda: render.page(
        "transparency.html", title=title, about=about, grids=transparency.grids(published), threshold=threshold,
        csv_url=csv_url))


def _rendered(fmt: Format, table: list[tuple[str, ...]], html: Callable[[], bytes]) -> bytes:
    """The table of record as CSV or Parquet, or the page for people (made only when asked for) as HTML or PDF."""
    if fmt is Format.CSV:
        return render.to_csv(table)
    if fmt is Format.PARQUET:
        return render.to_parquet(table)
    page = html()
    return page if fmt is Format.HTML else render.to_pdf(page)
