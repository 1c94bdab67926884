"""One-way aisles: which way a robot may walk a stretch of floor, and whom a rule cuts off.

A one-way aisle is the rectangle around its centreline (``width / 2`` either side, flat ends,
edges included). A straight stretch of walk that runs through that rectangle for some length
while pointing more than 90 degrees against the aisle's direction is forbidden. (The rule the
planner reads is "an edge whose midpoint lies in the aisle"; testing the whole stretch instead
also catches long edges that start in the aisle and leave it against the flow, and stretches
that slide along the aisle's edge.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from twin.config import Layout
from twin.floor.geometry import EPS

if TYPE_CHECKING:
    from twin.floor.navigation import Walkways


@dataclass(frozen=True)
class OneWayRules:
    """The one-way aisles of a layout, indexed for bulk direction tests."""

    aisles: np.ndarray  # (r,) index of each rule's aisle in ``layout.aisles``
    direction: np.ndarray  # (r, 2) unit vectors from 'from' to 'to'
    rects: np.ndarray  # (r,) the aisle rectangles, edges included
    tree: shapely.STRtree  # over ``rects``

    def against(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Segments a[i]-b[i] walked against a one-way aisle: (segment index, aisle index) pairs."""
        empty = np.zeros(0, dtype=np.int64)
        if len(a) == 0 or len(self.aisles) == 0:
            return empty, empty
        segs = shapely.linestrings(np.stack([a, b], axis=1))
        seg, rule = self.tree.query(segs, predicate="intersects")
        d = b[seg] - a[seg]
        dot = np.einsum("ij,ij->i", d, self.direction[rule])
        wrong = np.flatnonzero(dot < -1e-9 * np.hypot(d[:, 0], d[:, 1]))
        seg, rule = seg[wrong], rule[wrong]
        inside = shapely.length(shapely.intersection(segs[seg], self.rects[rule])) > EPS
        return seg[inside], self.aisles[rule[inside]]

    def forbidden(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True for each segment a[i]-b[i] that some one-way aisle forbids."""
        out = np.zeros(len(a), dtype=bool)
        out[self.against(a, b)[0]] = True
        return out


def one_way_rules(layout: Layout) -> OneWayRules:
    """The layout's one-way aisles as rectangles with a direction."""
    idx = [i for i, aisle in enumerate(layout.aisles) if aisle.one_way]
    start = np.array([layout.aisles[i].start for i in idx], dtype=float).reshape(-1, 2)
    end = np.array([layout.aisles[i].end for i in idx], dtype=float).reshape(-1, 2)
    half = np.array([layout.aisles[i].width / 2 for i in idx], dtype=float)
    d = end - start
    direction = d / np.hypot(d[:, 0], d[:, 1])[:, None] if len(idx) else d
    rects = shapely.buffer(shapely.linestrings(np.stack([start, end], axis=1)), half,
                           cap_style="flat") if len(idx) else np.zeros(0, dtype=object)
    return OneWayRules(aisles=np.asarray(idx, dtype=np.int64), direction=direction,
                       rects=rects, tree=shapely.STRtree(rects))


def aisle_ends(layout: Layout) -> np.ndarray:
    """Centreline end points of every aisle (2 per aisle, 'from' first): nodes paths can use."""
    pts = [p for aisle in layout.aisles for p in (aisle.start, aisle.end)]
    return np.asarray(pts, dtype=float).reshape(-1, 2)


@dataclass(frozen=True)
class OneWayBlock:
    """A named location a one-way aisle cuts off from another: ``target`` from ``origin``."""

    aisle: int | None  # index in layout.aisles; None when only several rules together do it
    origin: str
    target: str

    @property
    def field(self) -> str:
        return "layout.aisles" if self.aisle is None else f"layout.aisles[{self.aisle}]"

    @property
    def message(self) -> str:
        rule = "the one-way rule" if self.aisle is not None else "the one-way rules together"
        fix = "reverse it" if self.aisle is not None else "reverse one"
        return (f"{rule} makes {self.target!r} unreachable from {self.origin!r}; "
                f"{fix} or add a return aisle")


def one_way_blocks(ways: Walkways, names: list[str]) -> list[OneWayBlock]:
    """Pairs of ``names`` cut off from each other by one-way aisles alone, with the aisle to blame.

    A pair counts when the target is reachable from the origin with every aisle two-way but not
    with the one-way rules; the aisle named is the first whose rule, lifted alone, reconnects
    them. One block per aisle (the first pair in ``names`` order) keeps the report short.
    """
    graph = ways.graph
    nodes = np.array([ways.index[n] for n in names], dtype=np.int64)
    with_rules = graph.reach(nodes)
    two_way = graph.reach(nodes, two_way=True)
    cut = [(i, j) for i in range(len(names)) for j in range(len(names))
           if i != j and two_way[i, j] and not with_rules[i, j]]
    if not cut:
        return []
    blamed: dict[int | None, OneWayBlock] = {}
    lifted = {int(a): graph.reach(nodes, lift=int(a)) for a in np.unique(graph.dropped_aisle)}
    for i, j in cut:
        aisle = next((a for a, reach in sorted(lifted.items()) if reach[i, j]), None)
        blamed.setdefault(aisle, OneWayBlock(aisle, names[i], names[j]))
    return [blamed[k] for k in sorted(blamed, key=lambda a: -1 if a is None else a)]
