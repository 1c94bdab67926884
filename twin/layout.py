"""Walkable paths on the floor: shortest routes around obstacles, computed once at load.

A visibility graph over the corners of the obstacles (grown by the robot's clearance) gives the
exact shortest polyline between any two named locations. Paths are numbered so the event log
can name them and a viewer can redraw them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout

_EPS = 1e-6


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 + _EPS < x < self.x1 - _EPS and self.y0 + _EPS < y < self.y1 - _EPS

    def blocks(self, ax: float, ay: float, bx: float, by: float) -> bool:
        """True if segment a-b passes through the open interior (Liang-Barsky clip)."""
        dx, dy = bx - ax, by - ay
        t0, t1 = 0.0, 1.0
        for p, q in (
            (-dx, ax - (self.x0 + _EPS)),
            (dx, (self.x1 - _EPS) - ax),
            (-dy, ay - (self.y0 + _EPS)),
            (dy, (self.y1 - _EPS) - ay),
        ):
            if abs(p) < 1e-12:
                if q < 0:
                    return False
                continue
            r = q / p
            if p < 0:
                t0 = max(t0, r)
            else:
                t1 = min(t1, r)
            if t0 > t1:
                return False
        return t1 - t0 > 1e-9


@dataclass
class Walkways:
    """Shortest walkable paths between every pair of named locations."""

    names: list[str]
    points: np.ndarray  # (n, 2) location coordinates
    distance: np.ndarray  # (n, n) metres; inf where unreachable
    paths: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)

    def dist(self, a: str, b: str) -> float:
        return float(self.distance[self.index[a], self.index[b]])

    def path(self, a: str, b: str) -> np.ndarray:
        """Waypoints (k, 2) from a to b, both ends included."""
        return self.paths[(self.index[a], self.index[b])]

    def path_id(self, a: str, b: str) -> int:
        return self.index[a] * len(self.names) + self.index[b]

    def path_by_id(self, pid: int) -> np.ndarray:
        n = len(self.names)
        return self.paths[(pid // n, pid % n)]

    def to_json(self) -> dict[str, object]:
        n = len(self.names)
        return {
            "names": self.names,
            "points": self.points.tolist(),
            "paths": {
                str(i * n + j): p.round(4).tolist() for (i, j), p in sorted(self.paths.items())
            },
        }


def grown_boxes(layout: Layout) -> list[Box]:
    c = layout.clearance
    return [Box(o.x0 - c, o.y0 - c, o.x1 + c, o.y1 + c) for o in layout.obstacles]


def blocked_location(layout: Layout) -> dict[str, str]:
    """Locations a robot cannot stand at: name -> reason."""
    problems: dict[str, str] = {}
    boxes = grown_boxes(layout)
    for name, loc in layout.locations.items():
        if not (0 <= loc.x <= layout.floor.width and 0 <= loc.y <= layout.floor.depth):
            problems[name] = (
                f"({loc.x:g}, {loc.y:g}) is outside the floor "
                f"{layout.floor.width:g} x {layout.floor.depth:g} m"
            )
            continue
        for box, obstacle in zip(boxes, layout.obstacles, strict=True):
            if box.contains(loc.x, loc.y):
                label = obstacle.name or f"{obstacle.kind} at ({obstacle.x0:g}, {obstacle.y0:g})"
                problems[name] = (
                    f"({loc.x:g}, {loc.y:g}) is inside {label} or within the robot clearance "
                    f"({layout.clearance:g} m) of it"
                )
    return problems


def build_walkways(layout: Layout) -> Walkways:
    """Visibility graph over grown obstacle corners; all-pairs shortest paths by Dijkstra."""
    names = list(layout.locations)
    boxes = grown_boxes(layout)
    pts = [(loc.x, loc.y) for loc in layout.locations.values()]
    n_loc = len(pts)
    w, d = layout.floor.width, layout.floor.depth
    for b in boxes:
        for x, y in ((b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)):
            inside_floor = 0 <= x <= w and 0 <= y <= d
            if inside_floor and not any(o.contains(x, y) for o in boxes):
                pts.append((x, y))
    p = np.asarray(pts, dtype=float).reshape(-1, 2)
    n = len(p)
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(i + 1, n):
            ax, ay = p[i]
            bx, by = p[j]
            if any(b.blocks(ax, ay, bx, by) for b in boxes):
                continue
            length = math.hypot(bx - ax, by - ay)
            rows += [i, j]
            cols += [j, i]
            vals += [max(length, 1e-9), max(length, 1e-9)]
    graph = csr_matrix((vals, (rows, cols)), shape=(n, n))
    dist, pred = dijkstra(graph, directed=False, indices=list(range(n_loc)),
                          return_predecessors=True)
    distance = dist[:, :n_loc].copy()
    np.fill_diagonal(distance, 0.0)
    paths: dict[tuple[int, int], np.ndarray] = {}
    for i in range(n_loc):
        for j in range(n_loc):
            if i == j:
                paths[(i, j)] = p[[i, i]]
                continue
            if not np.isfinite(distance[i, j]):
                continue
            chain = [j]
            while chain[-1] != i:
                chain.append(int(pred[i, chain[-1]]))
            paths[(i, j)] = p[chain[::-1]]
    return Walkways(names=names, points=p[:n_loc], distance=distance, paths=paths,
                    index={name: k for k, name in enumerate(names)})
