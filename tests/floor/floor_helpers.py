"""Small layouts and an exact reference: the full visibility graph, solved all pairs."""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.config import Layout
from twin.floor import floor_geometry


def layout(width: float, depth: float, obstacles: list[dict[str, object]],
           locations: dict[str, list[float]], clearance: float = 0.0,
           aisles: list[dict[str, object]] | None = None) -> Layout:
    """A layout from plain data."""
    return Layout.model_validate({
        "floor": {"width": width, "depth": depth}, "clearance": clearance,
        "obstacles": obstacles, "locations": locations, "aisles": aisles or [],
    })


def exact_distances(lay: Layout) -> np.ndarray:
    """All-pairs shortest distances between locations over the full visibility graph.

    Nodes: locations plus every vertex of the free floor; an edge wherever the straight
    segment stays in the free floor (checked against the grown obstacles, shrunk a hair).
    """
    geo = floor_geometry(lay)
    locs = np.array([(p.x, p.y) for p in lay.locations.values()], dtype=float)
    corners = np.unique(shapely.get_coordinates(geo.free()), axis=0)
    pts = np.vstack([locs, corners])
    n = len(pts)
    i, j = np.triu_indices(n, 1)
    ok = ~geo.blocked(pts[i], pts[j])
    i, j = i[ok], j[ok]
    w = np.maximum(np.hypot(*(pts[i] - pts[j]).T), 1e-9)
    graph = csr_matrix((np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))),
                       shape=(n, n))
    dist = dijkstra(graph, directed=False, indices=np.arange(len(locs)))[:, :len(locs)]
    np.fill_diagonal(dist, 0.0)
    return dist


def length(path: np.ndarray) -> float:
    """Length of a polyline (k, 2)."""
    return float(np.hypot(*np.diff(path, axis=0).T).sum())


def crosses_obstacle(lay: Layout, path: np.ndarray, tol: float = 1e-5) -> bool:
    """True if the polyline enters a grown obstacle deeper than ``tol``."""
    geo = floor_geometry(lay)
    inner = shapely.buffer(geo.grown, -tol, join_style="mitre")
    line = shapely.LineString(path) if len(path) > 1 else shapely.Point(path[0])
    return bool(shapely.intersects(line, inner).any())
