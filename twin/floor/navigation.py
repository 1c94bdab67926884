"""Walkable paths between named locations: built near-linearly at load, solved on demand.

``build_walkways`` builds the navigation graph (``twin.floor.graph``: the free floor's
constrained Delaunay triangulation plus straight edges to each node's nearest neighbours, the
triangulation guaranteeing that any two points of one piece of free floor are joined). Nothing
is solved at load. The first ``dist`` or ``path`` from a location runs one Dijkstra from it
(scipy.sparse.csgraph) and keeps its shortest-path tree; each pair asked for is then
string-pulled once and its distance kept, so the dispatcher's repeated ``dist`` calls are two
dict lookups. A run asks for a few dozen of the destinations from a location, so only those
are pulled, and each straight stretch is tested for walkability once.

Graph paths zig-zag through the nodes the graph happens to have, so each path is string-pulled
along the shortest-path tree, Theta*-style: walking down the tree, a node is reached straight
from its parent's waypoint, or from the waypoint before that, whenever that stretch is walkable
(misses obstacles and obeys one-way aisles); otherwise from its parent. A node's waypoints
depend only on the tree above it, so pulling one path at a time gives the paths that pulling
the whole tree would. A path through open floor becomes one straight stretch, and on layouts
small enough for the graph to be the full visibility graph, paths are the exact shortest
polylines. ``dist`` is the length of the pulled path, so walking times and drawn paths agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout
from twin.floor.graph import NavGraph, build_graph


class _Sight:
    """Line of sight between graph nodes (a walkable straight stretch), each pair tested once."""

    def __init__(self, graph: NavGraph) -> None:
        self.graph = graph
        self.xy: list[tuple[float, float]] = [(x, y) for x, y in graph.points.tolist()]
        self.known: dict[int, bool] = {}  # key: from * nodes + to

    def __call__(self, a: int, b: int) -> bool:
        key = a * len(self.xy) + b
        ok = self.known.get(key)
        if ok is None:
            ok = self.known[key] = self.graph.walkable_one(self.xy[a], self.xy[b])
        return ok


class _Tree:
    """One source's shortest-path tree, string-pulled as far as paths were asked for."""

    def __init__(self, source: int, pred: np.ndarray) -> None:
        self.pred = pred  # parent of each node; negative at the source and where unreachable
        self.anchor = {source: source}  # waypoint before each pulled node
        self.length = {source: 0.0}  # pulled length (m) from the source to each pulled node

    def reaches(self, v: int) -> bool:
        return v in self.anchor or bool(self.pred[v] >= 0)

    def pull(self, target: int, sees: _Sight, points: np.ndarray) -> float:
        """Length of the pulled path to ``target`` (reachable), pulling the nodes above it
        that are not pulled yet, from the top down (see the module docstring)."""
        pred, anchor, length = self.pred, self.anchor, self.length
        chain = []
        v = target
        while v not in anchor:
            chain.append(v)
            v = int(pred[v])
        chain.reverse()
        best = []
        for v in chain:
            u = int(pred[v])
            c1 = anchor[u]
            c2 = anchor[c1]
            if c2 != c1 and sees(c2, v):
                b = c2
            elif c1 != u and sees(c1, v):
                b = c1
            else:
                b = u
            anchor[v] = b
            best.append(b)
        if chain:
            step = np.hypot(*(points[chain] - points[best]).T).tolist()
            for v, b, s in zip(chain, best, step, strict=True):
                length[v] = length[b] + s
        return length[target]

    def waypoints(self, target: int) -> list[int]:
        """Nodes of the pulled path to ``target`` (pulled already), source first."""
        way = [target]
        while self.anchor[way[-1]] != way[-1]:
            way.append(self.anchor[way[-1]])
        return way[::-1]


class Walkways:
    """Shortest walkable paths between the named locations of a layout, solved on demand."""

    def __init__(self, names: list[str], graph: NavGraph) -> None:
        self.names = names
        self.points = graph.points[:graph.n_loc]
        self.index = {name: k for k, name in enumerate(names)}
        self.graph = graph
        self._dist: dict[str, dict[str, float]] = {name: {name: 0.0} for name in names}
        self._trees: dict[int, _Tree] = {}
        self._sight = _Sight(graph)
        self._paths: dict[int, np.ndarray] = {}
        self._walked: set[int] = set()

    def dist(self, a: str, b: str) -> float:
        """Walking distance (m) from a to b; inf where b cannot be reached from a."""
        try:
            return self._dist[a][b]
        except KeyError:
            return self._pull(self.index[a], self.index[b])

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
            way = self.graph.points[self._trees[i].waypoints(j)]
        self._paths[pid] = way
        return way

    def _pull(self, i: int, j: int) -> float:
        """Length of the path from location i to j, pulled now and kept (see ``dist``)."""
        tree = self._trees.get(i)
        if tree is None:
            _, pred = dijkstra(self.graph.arcs, directed=True, indices=i,
                               return_predecessors=True)
            tree = self._trees[i] = _Tree(i, pred.astype(np.int32))
        length = tree.pull(j, self._sight, self.graph.points) if tree.reaches(j) else math.inf
        self._dist[self.names[i]][self.names[j]] = length
        return length


def build_walkways(layout: Layout) -> Walkways:
    """The walkways of a layout: its navigation graph, with nothing solved yet."""
    return Walkways(list(layout.locations), build_graph(layout))
