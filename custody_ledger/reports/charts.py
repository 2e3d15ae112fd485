"""The reports' charts, drawn offline by matplotlib as SVG text (no network, no browser needed).

The same data gives the same SVG: a fixed hash salt for element ids and no creation date, so an HTML
report is as reproducible as its CSV.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: reports are drawn on servers

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

_STYLE: dict[Any, Any] = {"svg.hashsalt": "custody-ledger", "svg.fonttype": "none", "font.size": 9,
                          "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _figure(width: float = 7.0, height: float = 2.8) -> tuple[Figure, Any]:
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def durations(rows: Sequence[tuple[float, float]]) -> str:
    """Hours from the clock's start to the hold's end, against each limit in force (a line per limit)."""
    with plt.rc_context(_STYLE):
        fig, ax = _figure()
        hours = [r[0] for r in rows]
        limits = sorted({r[1] for r in rows if r[1] is not None})
        top = max([*hours, *limits, 1.0])
        ax.hist(hours, bins=min(48, max(1, len(hours))), range=(0, top), color="#4a6fa5")
        for limit in limits:
            ax.axvline(limit, color="#b22222", linestyle="--", linewidth=1)
            ax.annotate(f"limit {limit:g} h", (limit, ax.get_ylim()[1] * 0.9), color="#b22222", ha="right")
        ax.set_xlabel("hours held (clock start to transfer or release)")
        ax.set_ylabel("holds")
        return _svg(fig)


def monthly(rows: Sequence[tuple[str, int, int]]) -> str:
    """WSO arrests and violations per month."""
    with plt.rc_context(_STYLE):
        fig, ax = _figure()
        months = [r[0] for r in rows]
        ax.bar(months, [r[1] for r in rows], color="#4a6fa5", label="arrests")
        ax.bar(months, [r[2] for r in rows], color="#b22222", label="violations")
        ax.legend(frameon=False)
        ax.tick_params(axis="x", labelrotation=90)
        ax.set_ylabel("per month")
        return _svg(fig)


def refusals(rows: Sequence[tuple[str, int]]) -> str:
    """Refused acts by the rule that refused them."""
    with plt.rc_context(_STYLE):
        fig, ax = _figure(height=max(1.2, 0.3 * len(rows) + 0.6))
        ax.barh([r[0] for r in rows][::-1], [r[1] for r in rows][::-1], color="#6b4c9a")
        ax.set_xlabel("refusals")
        return _svg(fig)


def growth(rows: Sequence[tuple[str, str, int]]) -> str:
    """Agreements on ICE's published list at each month's end, by model (from the imported editions)."""
    with plt.rc_context(_STYLE):
        fig, ax = _figure()
        for model in sorted({r[0] for r in rows}):
            points = [(r[1], r[2]) for r in rows if r[0] == model]
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", markersize=3, label=model)
        ax.legend(frameon=False)
        ax.tick_params(axis="x", labelrotation=90)
        ax.set_ylabel("agreements listed")
        return _svg(fig)
