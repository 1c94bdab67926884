"""Walkable paths between named locations: built near-linearly at load, solved on demand.

``build_walkways`` builds the navigation graph (``twin.floor.graph``: the free floor's
constrained Delaunay triangulation plus straight edges to each node's nearest neighbours, the
triangulation guaranteeing that any two points of one piece of free floor are joined). Nothing
is solved at load. The first ``dist`` or ``path`` from a location runs one Dijkstra from it
(scipy.sparse.csgraph) and caches the whole row, so the dispatcher's repeated ``dist`` calls
are a dict and a list lookup.

Graph paths zig-zag through the nodes the graph happens to have, so each row is string-pulled
along the shortest-path tree, Theta*-style: walking down the tree, a node is reached straight
from its parent's waypoint, or from the waypoint before that, whenever that stretch is walkable
(misses obstacles and obeys one-way aisles); otherwise from its parent. A path through open
floor becomes one straight stretch, and on layouts small enough for the graph to be the full
visibility graph, paths are the exact shortest polylines. ``dist`` is the length of the
pulled path, so walking times and drawn paths agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout
from twin.floor.graph import NavGraph, build_graph


class Walkways:
    """Shortest walkable paths between the named locations of a layout, solved on demand."""

    def __init__(self, names: list[str], graph: NavGraph) -> None:
        self.names = names
        self.points = graph.points[:graph.n_loc]
        self.index = {name: k for k, name in enumerate(names)}
        self.graph = graph
        self._rows: dict[int, list[float]] = {}
        self._anchors: dict[int, np.ndarray] = {}
        self._paths: dict[int, np.ndarray] = {}
        self._walked: set[int] = set()

    def dist(self, a: str, b: str) -> float:
        """Walking distance (m) from a to b; inf where b cannot be reached from a."""
        i = self.index[a]
        row = self._rows.get(i)
        if row is None:
            row = self._solve(i)
        return row[self.index[b]]

    def path(self, a: str, b: str) -> np.ndarray:
        """Waypoints (k, 2) from a to b, both ends included; KeyError if b is unreachable."""
        return self.path_by_id(self.path_id(a, b))

    def path_id(self, a: str, b: str) -> int:
        """The number naming the path from a to b in event logs and walkways.json."""
        return self.index[a] * len(self.names) + self.index[b]

    def path_by_id(self, pid: int) -> np.ndarray:
        """The path a ``path_id`` names (see ``path``)."""
        self._walked.add(pid)
        return self._path(pid)

    def walked_path_ids(self) -> list[int]:
        """Ids of every path handed out so far: the paths a run walked, for its viewer file."""
        return sorted(self._walked)

    def path_table(self, path_ids: Iterable[int] | None = None) -> dict[int, np.ndarray]:
        """Reachable paths by id: the given ids, or every pair of locations (small lines only)."""
        n = len(self.names)
        ids = range(n * n) if path_ids is None else sorted(set(path_ids))
        table = {}
        for pid in ids:
            i, j = divmod(int(pid), n)
            if 0 <= i < n and np.isfinite(self.dist(self.names[i], self.names[j])):
                table[int(pid)] = self._path(int(pid))
        return table

    def to_json(self, path_ids: Iterable[int] | None = None) -> dict[str, object]:
        """Names, points and the given paths (default: between every pair, for small lines)."""
        paths = {str(pid): p.round(4).tolist() for pid, p in self.path_table(path_ids).items()}
        return {"names": self.names, "points": self.points.tolist(), "paths": paths}

    def _path(self, pid: int) -> np.ndarray:
        hit = self._paths.get(pid)
        if hit is not None:
            return hit
        i, j = divmod(pid, len(self.names))
        if i == j:
            way = self.points[[i, i]]
        else:
            if self.dist(self.names[i], self.names[j]) == float("inf"):
                raise KeyError(f"no walkable path from {self.names[i]!r} to {self.names[j]!r}")
            anchor = self._anchors[i]
            chain = [j]
            while chain[-1] != i:
                chain.append(int(anchor[chain[-1]]))
            way = self.graph.points[chain[::-1]]
        self._paths[pid] = way
        return way

    def _solve(self, i: int) -> list[float]:
        """One Dijkstra from location i, string-pulled to every location; caches the row."""
        _, pred = dijkstra(self.graph.arcs, directed=True, indices=i, return_predecessors=True)
        anchor, walked = pull_strings(self.graph, i, pred, np.arange(self.graph.n_loc))
        row = walked[:self.graph.n_loc].copy()
        row[i] = 0.0
        self._anchors[i] = anchor
        self._rows[i] = row.tolist()
        return self._rows[i]


def pull_strings(graph: NavGraph, source: int, pred: np.ndarray,
                 targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Waypoint before each node (``anchor``) and pulled length from ``source``, on the
    shortest-path tree ``pred``, for the targets and the tree nodes leading to them.

    Nodes off those paths keep anchor -1 and length inf.
    """
    n = len(graph.points)
    pts = graph.points
    anchor = np.full(n, -1, dtype=np.int64)
    length = np.full(n, np.inf)
    anchor[source], length[source] = source, 0.0
    depth = _depths(pred, source, targets[(pred[targets] >= 0) | (targets == source)])
    if len(depth) == 0:
        return anchor, length
    nodes = np.flatnonzero(depth > 0)
    order = nodes[np.argsort(depth[nodes], kind="stable")]
    levels = np.split(order, np.flatnonzero(np.diff(depth[order])) + 1) if len(order) else []
    for v in levels:
        u = pred[v]
        c1 = anchor[u]
        c2 = anchor[c1]
        ok1 = np.zeros(len(v), dtype=bool)
        ok2 = np.zeros(len(v), dtype=bool)
        try1, try2 = np.flatnonzero(c1 != u), np.flatnonzero(c2 != c1)
        if len(try1) or len(try2):
            ok = graph.walkable(pts[np.concatenate([c1[try1], c2[try2]])],
                                pts[np.concatenate([v[try1], v[try2]])])
            ok1[try1], ok2[try2] = ok[:len(try1)], ok[len(try1):]
        best = np.where(ok2, c2, np.where(ok1, c1, u))
        anchor[v] = best
        length[v] = length[best] + np.hypot(*(pts[v] - pts[best]).T)
    return anchor, length


def _depths(pred: np.ndarray, source: int, targets: np.ndarray) -> np.ndarray:
    """Hops from ``source`` on the tree for the targets and their ancestors; -1 elsewhere."""
    n = len(pred)
    need = np.zeros(n, dtype=bool)
    frontier = np.unique(targets)
    while len(frontier):
        need[frontier] = True
        parents = pred[frontier]
        parents = parents[parents >= 0]
        frontier = np.unique(parents[~need[parents]])
    depth = np.full(n, -1, dtype=np.int64)
    depth[source] = 0
    todo = np.flatnonzero(need)
    todo = todo[todo != source]
    while len(todo):
        ready = depth[pred[todo]] >= 0
        if not ready.any():
            break
        depth[todo[ready]] = depth[pred[todo[ready]]] + 1
        todo = todo[~ready]
    return depth


def build_walkways(layout: Layout) -> Walkways:
    """The walkways of a layout: its navigation graph, with nothing solved yet."""
    return Walkways(list(layout.locations), build_graph(layout))
