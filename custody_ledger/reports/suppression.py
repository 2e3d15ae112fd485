"""Disclosure control of the public transparency report (issue 15, point 2): small counts suppressed, and
enough other figures suppressed that no hidden figure can be worked back from the published ones.

A published table is a two-way table of counts (for example states by quarter, for one model and one
measure) with its row totals, column totals and grand total. Every figure in 1..threshold-1 — a cell or a
total, since a small row total is as identifying as a small cell — is suppressed first (primary
suppression; the default 11 is the "no cell of 1 to 10" rule of the CMS cell size suppression
policy). Then more figures are suppressed (complementary suppression) until the
audit below finds nothing.

The attacker, precisely:
- knows every published figure, and the additivity of the table: each row's cells sum to its row total,
  each column's to its column total, the row totals and the column totals each sum to the grand total;
- knows every count is a nonnegative integer, and that zeros are always published (a zero has nobody
  behind it, so it is never sensitive and never used as a complement); every suppressed figure is
  therefore known to be at least 1, and a bound like that can pin figures as well as an equation can
  (two suppressed cells of a row that must add up to 2 are both 1);
- does not know the suppression method's choices (which hidden figure was primary and which a
  complement), and sees each table alone. Tables that share figures — a state total published in two
  tables, per-model tables next to an all-models table — must be protected together; this module does
  not link tables.

A suppressed figure is disclosed when the published figures confine it to [low, high] with
- low == high: it is pinned, by the equations alone or with the bounds; or
- high < threshold: the published figures prove it small, which is what suppression hides. The rule asked
  of every suppressed figure is thus that, as far as the published figures show, it could have been a
  publishable figure (at least the threshold) and could have been another value than its own.

Why flows: a two-way table with its totals is a circulation on a graph (an all-figures node, one node per
row, one per column, a closing node: row totals flow in to rows, cells from rows to columns, column
totals out to the closing node, the grand total back). Figures that satisfy the published ones are the
integer circulations that agree with them and are at least 1 where hidden. The matrix of such a system
is totally unimodular, so the attacker's LP bounds are integers and equal the integer bounds; and how far
one hidden figure can move is a maximum flow around it through the other hidden figures (each can grow
without limit and shrink to 1). That is exact and fast, and it is a different method from the LP the
tests attack each published table with. Cox, "Network models for complementary cell suppression"
(JASA 90, 1995), and the tau-argus manual (Statistics Netherlands, "hypercube" and network methods) are
the background; the greedy cover below is the simple shortest-path form of that method.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLD = 11


@dataclass(frozen=True)
class Figure:
    """One figure of a table: a cell (row and col), a row total (no col), a column total (no row) or the
    grand total (neither)."""

    row: str | None = None
    col: str | None = None


@dataclass(frozen=True)
class Table:
    """One published two-way table of counts; None marks a suppressed figure."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    cells: Mapping[tuple[str, str], int | None]
    row_totals: Mapping[str, int | None]
    col_totals: Mapping[str, int | None]
    total: int | None

    def figures(self) -> tuple[Figure, ...]:
        """Every figure, in the one order all reports use: cells row by row, row totals, column totals, total."""
        return _figures(self.rows, self.cols)

    def value(self, figure: Figure) -> int | None:
        if figure.row is not None and figure.col is not None:
            return self.cells[(figure.row, figure.col)]
        if figure.row is not None:
            return self.row_totals[figure.row]
        if figure.col is not None:
            return self.col_totals[figure.col]
        return self.total

    def is_suppressed(self, figure: Figure) -> bool:
        return self.value(figure) is None

    def suppressed(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures() if self.is_suppressed(f))


@dataclass(frozen=True)
class Exposure:
    """A suppressed figure the published ones confine to [low, high] (high None: no upper bound)."""

    figure: Figure
    low: int
    high: int | None


def protect(counts: Mapping[tuple[str, str], int], rows: Sequence[str], cols: Sequence[str],
            threshold: int = DEFAULT_THRESHOLD) -> Table:
    """The table to publish: every figure in 1..threshold-1 suppressed, then complements until
    `disclosed` finds nothing. A missing cell counts 0. Deterministic: the same input gives the same
    table (reports are compared byte for byte on rerun)."""
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1, got {threshold}")
    graph = _Graph(tuple(rows), tuple(cols))
    values = graph.values_of(counts)
    hidden = {i for i, v in enumerate(values) if 0 < v < threshold}
    # Suppressing more only widens what the attacker must allow, so a figure once safe stays safe and one
    # pass should do; the loop is a guard. Each cover adds at least one figure (a path through hidden
    # figures alone would have made the figure safe already), so at worst everything nonzero is hidden —
    # and then nothing is bounded above at all.
    while exposed := [i for i in sorted(hidden) if not graph.safe(values, hidden, i, threshold)]:
        for i in exposed:
            if not graph.safe(values, hidden, i, threshold):
                before = len(hidden)
                hidden.update(graph.cheapest_cover(values, hidden, i, max(threshold - values[i], 1)))
                assert len(hidden) > before, "a cover must hide a new figure, or the loop would not end"
    return graph.table(values, hidden)


def bounds(table: Table) -> dict[Figure, tuple[int, int | None]]:
    """What the published figures leave possible for each suppressed one: (low, high), high None when
    unbounded. Raises ValueError when the published figures do not add up."""
    graph = _Graph(table.rows, table.cols)
    hidden = {i for i, f in enumerate(graph.figures) if table.value(f) is None}
    values = graph.feasible(table, hidden)
    return {graph.figures[i]: graph.range(values, hidden, i) for i in sorted(hidden)}


def disclosed(table: Table, threshold: int = DEFAULT_THRESHOLD) -> list[Exposure]:
    """The audit: suppressed figures the published ones pin to one value or prove below the threshold."""
    return [Exposure(figure, low, high) for figure, (low, high) in bounds(table).items()
            if low == high or (high is not None and high < threshold)]


def _figures(rows: Sequence[str], cols: Sequence[str]) -> tuple[Figure, ...]:
    return (*(Figure(r, c) for r in rows for c in cols), *(Figure(row=r) for r in rows),
            *(Figure(col=c) for c in cols), Figure())


_Arc = tuple[int, int, int]  # tail, head, capacity


class _Graph:
    """The table as a circulation: node 0 feeds the rows (1..R), rows feed columns (R+1..R+C), columns
    feed node R+C+1, which feeds node 0. Figure i is edge i, in `_figures` order."""

    def __init__(self, rows: tuple[str, ...], cols: tuple[str, ...]) -> None:
        if not rows or not cols:
            raise ValueError("a table needs at least one row and one column")
        if len(set(rows)) != len(rows) or len(set(cols)) != len(cols):
            raise ValueError("row and column labels must be unique")
        self.rows, self.cols = rows, cols
        self.figures = _figures(rows, cols)
        self.size = len(rows) + len(cols) + 2
        row_node = {r: 1 + k for k, r in enumerate(rows)}
        col_node = {c: 1 + len(rows) + k for k, c in enumerate(cols)}
        last = self.size - 1
        self.ends: list[tuple[int, int]] = []
        for f in self.figures:
            if f.row is not None and f.col is not None:
                self.ends.append((row_node[f.row], col_node[f.col]))
            elif f.row is not None:
                self.ends.append((0, row_node[f.row]))
            elif f.col is not None:
                self.ends.append((col_node[f.col], last))
            else:
                self.ends.append((last, 0))

    def values_of(self, counts: Mapping[tuple[str, str], int]) -> list[int]:
        cells = set(self.figures[: len(self.rows) * len(self.cols)])
        for (r, c), v in counts.items():
            if Figure(r, c) not in cells:
                raise ValueError(f"count for ({r!r}, {c!r}) is outside the table's rows and columns")
            if v < 0:
                raise ValueError(f"count for ({r!r}, {c!r}) is negative: {v}")
        row_sum = {r: sum(counts.get((r, c), 0) for c in self.cols) for r in self.rows}
        col_sum = {c: sum(counts.get((r, c), 0) for r in self.rows) for c in self.cols}
        return [counts.get((r, c), 0) for r in self.rows for c in self.cols] + [
            *(row_sum[r] for r in self.rows), *(col_sum[c] for c in self.cols), sum(row_sum.values())]

    def table(self, values: Sequence[int], hidden: set[int]) -> Table:
        shown = [None if i in hidden else v for i, v in enumerate(values)]
        n_cells = len(self.rows) * len(self.cols)
        return Table(
            rows=self.rows, cols=self.cols,
            cells={(f.row, f.col): shown[i] for i, f in enumerate(self.figures[:n_cells])
                   if f.row is not None and f.col is not None},
            row_totals={r: shown[n_cells + k] for k, r in enumerate(self.rows)},
            col_totals={c: shown[n_cells + len(self.rows) + k] for k, c in enumerate(self.cols)},
            total=shown[-1])

    def residual(self, values: Sequence[int], hidden: set[int], without: int, unlimited: int) -> list[_Arc]:
        """How the hidden figures other than `without` can move: each may grow without limit (`unlimited`, a
        capacity above every shrinking capacity together and above any amount asked, stands for that) and
        shrink to 1, the least a suppressed count can be."""
        arcs: list[_Arc] = []
        for i in sorted(hidden - {without}):
            tail, head = self.ends[i]
            arcs.append((tail, head, unlimited))
            if values[i] > 1:
                arcs.append((head, tail, values[i] - 1))
        return arcs

    def safe(self, values: Sequence[int], hidden: set[int], i: int, threshold: int) -> bool:
        """Whether hidden figure i could, for all the published figures show, be at least the threshold
        and be another value than its own (the rule of the module docstring)."""
        tail, head = self.ends[i]
        need = max(threshold - values[i], 1)
        # Above the hidden figures' sum (every shrinking capacity together) and above `need`: a table whose
        # hidden figures are all small can still let one grow without limit, along figures that all grow.
        arcs = self.residual(values, hidden, i, sum(values[j] for j in hidden) + need + 1)
        if _max_flow(self.size, arcs, head, tail, need)[0] >= need:
            return True
        return values[i] >= threshold and values[i] > 1 and _max_flow(self.size, arcs, tail, head, 1)[0] >= 1

    def range(self, values: Sequence[int], hidden: set[int], i: int) -> tuple[int, int | None]:
        tail, head = self.ends[i]
        unlimited = sum(values[j] for j in hidden) + 1
        arcs = self.residual(values, hidden, i, unlimited)
        up = _max_flow(self.size, arcs, head, tail, unlimited)[0]
        down = _max_flow(self.size, arcs, tail, head, values[i] - 1)[0]
        # A flow that reaches the capacity standing for "no limit" found a path of growing figures only.
        return values[i] - down, None if up >= unlimited else values[i] + up

    def cheapest_cover(self, values: Sequence[int], hidden: set[int], i: int, need: int) -> list[int]:
        """Figures to hide so figure i can grow by `need`: the cheapest cycle through it, a figure costing its
        value (the information lost) or nothing if already hidden; a figure passed against its direction
        must be able to shrink by `need`. Zeros are never used. Equal costs are settled by node
        order, so the choice is deterministic."""
        tail, head = self.ends[i]
        out: list[list[tuple[int, int, int]]] = [[] for _ in range(self.size)]
        for j, (a, b) in enumerate(self.ends):
            if j == i or values[j] == 0:
                continue
            cost = 0 if j in hidden else values[j]
            out[a].append((b, j, cost))
            if values[j] - 1 >= need:
                out[b].append((a, j, cost))
        dist = {head: 0}
        came: dict[int, tuple[int, int]] = {}
        queue = [(0, head)]
        while queue:
            d, node = heapq.heappop(queue)
            if node == tail:
                break
            if d > dist[node]:
                continue
            for nxt, j, cost in out[node]:
                if nxt not in dist or d + cost < dist[nxt]:
                    dist[nxt], came[nxt] = d + cost, (node, j)
                    heapq.heappush(queue, (d + cost, nxt))
        # The row total, grand total and column total of a nonzero cell (or the like for a total) always
        # close a cycle of growing figures, so the tail is reached.
        path, node = [], tail
        while node != head:
            node, j = came[node]
            path.append(j)
        return path

    def feasible(self, table: Table, hidden: set[int]) -> list[int]:
        """Some values for the hidden figures that agree with the published ones: a circulation with
        lower bound 1 on hidden edges, found as a flow from the nodes' surpluses to their deficits."""
        known = [1 if i in hidden else table.value(f) for i, f in enumerate(self.figures)]
        if any(v is None or v < 0 for v in known):
            raise ValueError("published figures must be nonnegative")
        surplus = [0] * self.size
        for (a, b), v in zip(self.ends, known, strict=True):
            assert v is not None
            surplus[b] += v
            surplus[a] -= v
        source, sink = self.size, self.size + 1
        supply = sum(s for s in surplus if s > 0)
        order = sorted(hidden)
        arcs: list[_Arc] = [(*self.ends[i], supply + 1) for i in order]
        arcs += [(source, n, s) for n, s in enumerate(surplus) if s > 0]
        arcs += [(n, sink, -s) for n, s in enumerate(surplus) if s < 0]
        sent, flows = _max_flow(self.size + 2, arcs, source, sink, supply)
        if sent < supply:
            raise ValueError("the published figures do not add up")
        values = [v if v is not None else 0 for v in known]
        for k, i in enumerate(order):
            values[i] += flows[k]
        return values


def _max_flow(size: int, arcs: Sequence[_Arc], source: int, sink: int, limit: int) -> tuple[int, list[int]]:
    """Edmonds-Karp maximum flow, stopping once `limit` units are sent: (amount sent, flow on each arc)."""
    to: list[int] = []
    cap: list[int] = []
    out: list[list[int]] = [[] for _ in range(size)]
    for a, b, c in arcs:
        out[a].append(len(to))
        to.append(b)
        cap.append(c)
        out[b].append(len(to))
        to.append(a)
        cap.append(0)
    sent = 0
    while sent < limit:
        via = [-1] * size
        via[source] = -2
        queue = deque([source])
        while queue and via[sink] == -1:
            node = queue.popleft()
            for k in out[node]:
                if cap[k] > 0 and via[to[k]] == -1:
                    via[to[k]] = k
                    queue.append(to[k])
        if via[sink] == -1:
            break
        push, node = limit - sent, sink
        while node != source:
            push = min(push, cap[via[node]])
            node = to[via[node] ^ 1]
        node = sink
        while node != source:
            cap[via[node]] -= push
            cap[via[node] ^ 1] += push
            node = to[via[node] ^ 1]
        sent += push
    return sent, [cap[2 * k + 1] for k in range(len(arcs))]
