"""Aisle traffic: robots reserve the cells ahead of them in time before they walk.

Each traffic cell (``twin.floor.lanes``) holds as many robots at once as robots fit abreast in
the passage through it. Before a walk, a robot books its path cell by cell against what other
robots booked before it (a time-window schedule, as the Open-RMF traffic schedule or FlexSim's
control points do): it occupies a cell from when it is ``gap / 2`` short of it until it is
``gap / 2`` past it. Where a cell is full, the robot stops in the cell before until it frees
(``waiting_traffic``: it follows the robot ahead at the gap, or waits for oncoming traffic in a
narrow passage to clear); where it cannot stand there either, it waits at its start, off the
aisle (at a work spot or its holding area), and sets off later.

Why no deadlock survives: every booking is a finite interval made against all earlier bookings
and never changed, and a robot that cannot get a clear plan waits where it stands off the aisle.
Robots therefore never wait in a cycle (a later robot only ever waits for earlier bookings,
which end), so ``deadlocks`` stays 0; docs/traffic.md gives the argument in full.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from twin.config import NARROW_AHEAD
from twin.config import Traffic as TrafficSpec
from twin.floor.lanes import MAX_LANES, LaneGrid, aisle_cells

MarkedAisle = tuple[str, tuple[float, float], tuple[float, float], float]  # name, from, to, width
AisleStat = tuple[float, float, int, int, float]  # x, y, lanes, passages, blocked robot-s
MAX_REPLANS = 64  # departure shifts tried before leaving after every booking on the path


@dataclass(slots=True)
class Hold:
    """A stop on the way: ``wait`` s at arc length ``s`` (0: before setting off)."""

    s: float
    start: float
    wait: float
    cell: int


@dataclass(slots=True)
class Route:
    """The narrow cells of one walkway path, with where the path enters and leaves each."""

    cells: list[Cell]
    s_in: list[float]
    s_out: list[float]
    linked: list[bool]  # cell k starts where narrow cell k-1 ends
    length: float
    starts_narrow: bool  # the path's first cell is narrow: waits there happen at the start
    single_m: float = 0.0  # m of the path walked at ``NARROW_SPEED``: its one-abreast cells
    # and the ``NARROW_AHEAD`` before each


class Cell:
    """Bookings of one traffic cell: (start, end) intervals sorted by start."""

    __slots__ = ("starts", "ends", "lanes", "passages", "blocked")

    def __init__(self, lanes: int) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.lanes = lanes
        self.passages = 0
        self.blocked = 0.0  # robot-seconds waited for or in this cell

    def prune(self, now: float) -> None:
        """Forget bookings that ended before ``now`` (from the front, where they pile up)."""
        k = 0
        starts, ends = self.starts, self.ends
        while k < len(starts) and starts[k] < now and ends[k] < now:
            k += 1
        if k:
            del starts[:k]
            del ends[:k]

    def clash(self, a: float, b: float) -> float | None:
        """None if another robot fits in [a, b]; else the earliest time one booking ends."""
        starts, ends = self.starts, self.ends
        hi = bisect.bisect_left(starts, b)
        n = 0
        first_end = float("inf")
        for k in range(hi):
            e = ends[k]
            if e > a:
                n += 1
                if e < first_end:
                    first_end = e
        return first_end if n >= self.lanes else None

    def book(self, a: float, b: float) -> None:
        k = bisect.bisect_right(self.starts, a)
        self.starts.insert(k, a)
        self.ends.insert(k, b)
        self.passages += 1


class Traffic:
    """The schedule of every traffic cell of the floor."""

    def __init__(self, grid: LaneGrid, spec: TrafficSpec) -> None:
        self.grid = grid
        self.gap = spec.gap
        self.cells: dict[int, Cell] = {}
        self.routes: dict[int, Route] = {}
        self.holds = 0
        self.deadlocks = 0  # see the module docstring: none can form

    def cell(self, k: int) -> Cell:
        c = self.cells.get(k)
        if c is None:
            c = self.cells[k] = Cell(self.grid.capacity(k))
        return c

    def reset_counts(self, now: float) -> None:
        self.holds = 0
        for c in self.cells.values():
            c.passages = 0
            c.blocked = 0.0

    def route(self, key: int, path: np.ndarray) -> Route:
        """The narrow cells along a path (cached by the walkway's path id)."""
        hit = self.routes.get(key)
        if hit is not None:
            return hit
        ids, s_in, s_out = self.grid.along(key, path)
        cells: list[Cell] = []
        ins: list[float] = []
        outs: list[float] = []
        linked: list[bool] = []
        prev = -2
        # open floor (MAX_LANES abreast): robots pass each other without reserving it
        narrow = np.flatnonzero(self.grid.lanes.ravel()[ids] < MAX_LANES)
        s_in_l, s_out_l, ids_l = s_in.tolist(), s_out.tolist(), ids.tolist()
        for j in narrow.tolist():
            cells.append(self.cell(ids_l[j]))
            ins.append(s_in_l[j])
            outs.append(s_out_l[j])
            linked.append(prev == j - 1)  # stands right behind the previous narrow cell
            prev = j
        single = [(max(a - NARROW_AHEAD, 0.0), b) for c, a, b in zip(cells, ins, outs, strict=True)
                  if c.lanes == 1]
        slow, reach = 0.0, 0.0  # the union of those stretches' lengths, and how far it reached
        for a, b in single:
            slow += max(b - max(a, reach), 0.0)
            reach = max(reach, b)
        hit = Route(cells, ins, outs, linked, float(s_out[-1]), bool(len(ids)) and prev >= 0
                    and self.grid.capacity(int(ids[0])) < MAX_LANES, slow)
        self.routes[key] = hit
        return hit

    def book(self, key: int, path: np.ndarray, now: float, moving: float) -> list[Hold]:
        """Reserve the narrow cells of ``path`` for a walk of ``moving`` s starting at ``now``.

        Returns the stops the walk must make (empty when the way is clear); the walk then
        lasts ``moving`` plus the sum of their waits.
        """
        route = self.route(key, path)
        cells = route.cells
        if not cells or route.length <= 0 or moving <= 0:
            return []
        v = route.length / moving
        pad = self.gap / 2 / v
        rel_in = [s / v - pad for s in route.s_in]
        rel_out = [s / v + pad for s in route.s_out]
        for c in cells:
            if len(c.starts) > 4:
                c.prune(now)
        dep = now
        forced = [0.0] * len(cells)  # waits imposed at the mouths of narrow stretches
        for _ in range(MAX_REPLANS):
            plan = self._try(route, rel_in, rel_out, dep, forced)
            if isinstance(plan, list):
                break
            mouth, extra = plan
            if mouth == 0 and route.starts_narrow:
                dep += extra  # the stretch starts where the robot stands: set off later
            else:
                forced[mouth] += extra  # wait on the open floor before the stretch
        else:
            # after the last booking on the path ends (its first cell is held from rel_in[0])
            last = max(max(c.ends, default=now) for c in cells)
            dep = max(now, last - min(rel_in) + 1e-6)
            plan = self._try(route, rel_in, rel_out, dep, [0.0] * len(cells))
            assert isinstance(plan, list), "after every booking the way is clear"
        holds: list[Hold] = []
        if dep > now:
            holds.append(Hold(0.0, now, dep - now, -1))
            cells[0].blocked += dep - now
        delays = plan
        done = 0.0  # waits so far
        n = len(cells)
        for k, c in enumerate(cells):
            extra = delays[k]
            if extra > 0:
                # stopped where cell k begins, waiting for it to clear
                s = route.s_in[k]
                holds.append(Hold(s, dep + s / v + done, extra, k))
                c.blocked += extra
            done += extra
            after = delays[k + 1] if k + 1 < n and route.linked[k + 1] else 0.0
            c.book(dep + rel_in[k] + done, dep + rel_out[k] + done + after)
        if holds:
            self.holds += 1
        return holds

    def _try(self, route: Route, rel_in: list[float], rel_out: list[float], dep: float,
             forced: list[float]) -> list[float] | tuple[int, float]:
        """Per-cell waits for a departure at ``dep``, or where to wait longer and how long:
        (the first cell of the narrow stretch that could not be held, the extra wait)."""
        cells, linked = route.cells, route.linked
        delays = forced.copy()
        prefix = 0.0  # waits before cell k
        mouth = 0  # first cell of the narrow stretch cell k belongs to
        for k, c in enumerate(cells):
            if not linked[k]:
                mouth = k
            prefix += delays[k]
            a = dep + rel_in[k] + prefix
            b = dep + rel_out[k] + prefix
            free = c.clash(a, b)
            while free is not None:
                extra = free - a
                if not linked[k]:
                    if k == 0 and route.starts_narrow:
                        return 0, extra  # wait at the start, off the aisle
                    # on the open floor before a narrow stretch robots stand aside freely
                else:
                    # stand in cell k-1 for `extra` more: it must stay ours that long
                    prev_in = dep + rel_in[k - 1] + prefix - delays[k]
                    prev_out = dep + rel_out[k - 1] + prefix
                    if cells[k - 1].clash(prev_in, prev_out + extra) is not None:
                        return mouth, extra  # wait before the stretch instead
                delays[k] += extra
                prefix += extra
                a += extra
                b += extra
                free = c.clash(a, b)
        return delays

    def aisle_stats(self, aisles: list[MarkedAisle], top: int = 20) -> dict[str, AisleStat]:
        """Per marked aisle and per most-blocked cell: x, y, lanes, passages, blocked s."""
        out: dict[str, AisleStat] = {}
        for name, a, b, w in aisles:
            ids = aisle_cells(self.grid, a, b, w)
            cs = [self.cells[int(k)] for k in ids if int(k) in self.cells]
            # passages of an aisle: the most-used cell's, so a walk along it counts once
            passages = max((c.passages for c in cs), default=0)
            lanes = min((c.lanes for c in cs), default=self.grid.capacity(int(ids[0]))
                        if len(ids) else 1)
            out[name] = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, lanes, passages,
                         sum(c.blocked for c in cs))
        worst = sorted((c.blocked, k) for k, c in self.cells.items() if c.blocked > 0)[::-1]
        for blocked, k in worst[:top]:
            x, y = self.grid.centre(k)
            c = self.cells[k]
            out[f"cell {x:.1f},{y:.1f}"] = (x, y, c.lanes, c.passages, blocked)
        return out
