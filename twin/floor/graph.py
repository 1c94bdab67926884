"""The navigation graph: walkable straight stretches between nearby points of the floor.

Nodes are the named locations, the aisle centreline ends and the corners of the free floor
(the floor minus the grown obstacles: every grown-obstacle corner that is on the floor and not
inside another obstacle, plus the points where obstacle outlines cross). Edges come from two
sources, both near-linear in the number of obstacles:

* the constrained Delaunay triangulation of the free floor (its edges lie in free floor by
  construction), with each location and aisle end joined to the corners of the triangle it
  stands in. This is the connectivity guarantee: two points in the same piece of free floor
  are always joined, however open the hall and however few its obstacles, with no lattice of
  made-up points to bend paths.
* each node's ``NEIGHBOURS`` nearest nodes (a cKDTree query), kept where the straight stretch
  misses every obstacle (one bulk STRtree query). These give the short-cuts the triangulation
  lacks; with few obstacles they make the graph the full visibility graph, whose shortest paths
  are the exact shortest polylines.

Every edge is walkable both ways except where a one-way aisle forbids one direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from twin.config import Layout
from twin.floor.aisles import OneWayRules, aisle_ends, one_way_rules
from twin.floor.geometry import FloorGeometry, floor_geometry

NEIGHBOURS = 32  # nearest nodes each node tries a straight edge to
LOCATION_NEIGHBOURS = 64  # more for the named locations, where every path starts and ends
GRID = 1e-7  # metres: free-floor corners are snapped to this grid before triangulating
MIN_EDGE = 1e-9  # metres: sparse graphs drop zero weights, so coincident nodes get this


@dataclass(frozen=True)
class NavGraph:
    """Directed graph over floor points; the first ``n_loc`` nodes are the named locations."""

    points: np.ndarray  # (n, 2)
    n_loc: int
    arcs: csr_matrix  # (n, n) walkable arcs weighted by length (m)
    dropped: np.ndarray  # (d, 2) arcs a one-way rule forbids: (from node, to node)
    dropped_aisle: np.ndarray  # (d,) the aisle (index in layout.aisles) forbidding each
    geometry: FloorGeometry
    rules: OneWayRules

    @property
    def n_edges(self) -> int:
        """Walkable arcs (a two-way edge counts twice)."""
        return int(self.arcs.nnz)

    def walkable(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True for each stretch a[i]-b[i] that misses obstacles and obeys one-way rules."""
        ok = ~self.geometry.blocked(a, b)
        if len(self.rules.aisles) and ok.any():
            idx = np.flatnonzero(ok)
            ok[idx[self.rules.forbidden(a[idx], b[idx])]] = False
        return ok

    def walkable_one(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """``walkable`` for the one stretch a-b, in plain floats (see ``blocked_one``)."""
        if self.geometry.blocked_one(a, b):
            return False
        return not (len(self.rules.aisles)
                    and self.rules.forbidden(np.array([a]), np.array([b]))[0])

    def reach(self, nodes: np.ndarray, lift: int | None = None,
              two_way: bool = False) -> np.ndarray:
        """(k, k) bool: which of ``nodes`` reach which, optionally with aisle ``lift``'s rule
        lifted, or with every aisle walked both ways."""
        n = len(self.points)
        if two_way or lift is not None:
            extra = self.dropped if two_way else self.dropped[self.dropped_aisle == lift]
            coo = self.arcs.tocoo()
            rows = np.concatenate([coo.row, extra[:, 0]])
            cols = np.concatenate([coo.col, extra[:, 1]])
            graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        else:
            graph = self.arcs
        if two_way:
            _, label = connected_components(graph, directed=True, connection="weak")
            return label[nodes][:, None] == label[nodes][None, :]
        _, strong = connected_components(graph, directed=True, connection="strong")
        if len(np.unique(strong[nodes])) <= 1:
            return np.ones((len(nodes), len(nodes)), dtype=bool)
        hops = dijkstra(graph, directed=True, indices=nodes, unweighted=True)
        return np.isfinite(hops[:, nodes])


def build_graph(layout: Layout) -> NavGraph:
    """Nodes and walkable arcs of a layout's floor (see the module docstring)."""
    geo = floor_geometry(layout)
    rules = one_way_rules(layout)
    loc = np.array([(p.x, p.y) for p in layout.locations.values()], dtype=float).reshape(-1, 2)
    ends = aisle_ends(layout)
    ends = ends[geo.on_floor(ends) & (geo.inside(ends) < 0)]
    with np.errstate(divide="ignore", invalid="ignore"):  # GEOS on collapsing slivers
        free = shapely.set_precision(geo.free(), GRID)  # slivers below GRID break the CDT
    corners = np.unique(shapely.get_coordinates(free), axis=0)
    points = np.vstack([loc, ends, corners])
    first_corner = len(loc) + len(ends)
    tri_edges, attach = _triangulation(free, corners, points[:first_corner], first_corner)
    near = _neighbour_pairs(points, first_corner)
    near = near[~geo.blocked(points[near[:, 0]], points[near[:, 1]])]
    edges = np.unique(np.sort(np.vstack([tri_edges, attach, near]), axis=1), axis=0)
    edges = edges[edges[:, 0] != edges[:, 1]]
    arcs = np.vstack([edges, edges[:, ::-1]])
    seg, aisle = rules.against(points[arcs[:, 0]], points[arcs[:, 1]])
    keep = np.ones(len(arcs), dtype=bool)
    keep[seg] = False
    walk = arcs[keep]
    length = np.maximum(np.hypot(*(points[walk[:, 1]] - points[walk[:, 0]]).T), MIN_EDGE)
    n = len(points)
    matrix = csr_matrix((length, (walk[:, 0], walk[:, 1])), shape=(n, n))
    return NavGraph(points=points, n_loc=len(loc), arcs=matrix, dropped=arcs[seg],
                    dropped_aisle=aisle, geometry=geo, rules=rules)


def _triangulation(free: shapely.Geometry, corners: np.ndarray, extra: np.ndarray,
                   offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the free floor's constrained Delaunay triangulation (corner nodes start at
    ``offset``), and edges joining each extra point to the corners of its triangle."""
    none = np.zeros((0, 2), dtype=np.int64)
    if free.is_empty:
        return none, none
    try:
        tris = shapely.get_parts(shapely.constrained_delaunay_triangles(free))
    except shapely.errors.GEOSException:  # degenerate floor: the neighbour edges must do
        return none, none
    if len(tris) == 0:
        return none, none
    where = {(float(x), float(y)): offset + k for k, (x, y) in enumerate(corners)}
    coords = shapely.get_coordinates(tris).reshape(len(tris), 4, 2)[:, :3]
    vid = np.array([[where.get((float(x), float(y)), -1) for x, y in tri] for tri in coords],
                   dtype=np.int64).reshape(-1, 3)
    whole = (vid >= 0).all(axis=1)
    vid, tris = vid[whole], tris[whole]
    tri_edges = np.vstack([vid[:, [0, 1]], vid[:, [1, 2]], vid[:, [2, 0]]])
    if len(extra) == 0 or len(tris) == 0:
        return tri_edges, none
    pt, tri = shapely.STRtree(tris).query(shapely.points(extra), predicate="intersects")
    attach = np.column_stack([np.repeat(pt, 3), vid[tri].ravel()])
    return tri_edges, attach


def _neighbour_pairs(points: np.ndarray, n_ends: int) -> np.ndarray:
    """Each point paired with its nearest others (cKDTree), as (i, j) rows; the first
    ``n_ends`` points (locations and aisle ends) get ``LOCATION_NEIGHBOURS`` of them."""
    n = len(points)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    tree = cKDTree(points)
    out = []
    for idx, want in ((np.arange(n_ends), LOCATION_NEIGHBOURS), (np.arange(n_ends, n), NEIGHBOURS)):
        k = min(want + 1, n)
        if len(idx) == 0:
            continue
        _, nbr = tree.query(points[idx], k=k)
        nbr = np.asarray(nbr).reshape(len(idx), k)
        out.append(np.column_stack([np.repeat(idx, k), nbr.ravel()]))
    pairs = np.vstack(out)
    return pairs[pairs[:, 0] != pairs[:, 1]]
