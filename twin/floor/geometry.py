"""The floor as shapely geometry: obstacle footprints, the room a robot's centre needs, free floor.

A robot's centre keeps ``layout.clearance`` from every obstacle, so navigation works on the
obstacles *grown* by the clearance (mitred, so a box stays a box) and treats the robot as a
point. Segment and point tests run in bulk against an STRtree of the grown obstacles, shrunk
by a hair so that walking along a grown edge, or through a gap exactly one robot wide, is
allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from twin.config import Layout, Obstacle

EPS = 1e-6  # metres: what counts as touching rather than entering an obstacle
MITRE_LIMIT = 4.0  # sharper obstacle corners are bevelled when grown


def footprint(o: Obstacle) -> shapely.Polygon:
    """An obstacle's footprint on the floor (un-grown)."""
    if o.points is not None:
        return shapely.Polygon(o.points)
    return shapely.box(*o.bounds)


def obstacle_polygons(layout: Layout) -> list[shapely.Polygon]:
    """Footprints of the layout's obstacles, in obstacle order."""
    return [footprint(o) for o in layout.obstacles]


def grown_polygons(layout: Layout) -> list[shapely.Polygon]:
    """Footprints grown by the robot clearance: where a robot's centre cannot be."""
    return list(_grow(np.asarray(obstacle_polygons(layout), dtype=object), layout.clearance))


def _grow(polys: np.ndarray, by: float) -> np.ndarray:
    if by <= 0 or len(polys) == 0:
        return polys
    return shapely.buffer(polys, by, join_style="mitre", mitre_limit=MITRE_LIMIT)


@dataclass(frozen=True)
class FloorGeometry:
    """The floor rectangle and the grown obstacles, indexed for bulk segment and point tests."""

    width: float
    depth: float
    grown: np.ndarray  # (m,) shapely Polygons, obstacle order
    solid: np.ndarray  # (m,) grown polygons shrunk by EPS: their interiors block
    tree: shapely.STRtree  # over ``solid``
    walls: np.ndarray  # (w,) like ``solid``, but grown polygons that touch merged first
    wall_tree: shapely.STRtree  # over ``walls``
    bounds: np.ndarray  # (w, 4) bounding boxes of ``walls``
    is_box: np.ndarray  # (w,) True where a wall is its bounding box

    def blocked(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """For segments a[i]-b[i] ((k, 2) each): True where one enters an obstacle.

        The STRtree gives candidates by bounding box; a vectorised clip against the box
        settles the box-shaped obstacles (most of a factory), GEOS the other polygons.
        Obstacles that touch are merged first, and a stretch along the floor's edge is
        blocked where an obstacle touches that edge: no walking through zero-width gaps.
        """
        out = np.zeros(len(a), dtype=bool)
        if len(a) == 0 or len(self.walls) == 0:
            return out
        segs = shapely.linestrings(np.stack([a, b], axis=1))
        seg, ob = self.wall_tree.query(segs)
        hit = _meets_box(a[seg], b[seg], self.bounds[ob])
        sure = hit & self.is_box[ob]
        out[seg[sure]] = True
        maybe = np.flatnonzero(hit & ~self.is_box[ob] & ~out[seg])
        if len(maybe):
            touch = shapely.intersects(segs[seg[maybe]], self.walls[ob[maybe]])
            out[seg[maybe[touch]]] = True
        edge = np.flatnonzero(~out & self._along_edge(a, b))
        if len(edge):
            seg, ob = self.tree.query(segs[edge], predicate="dwithin", distance=2 * EPS)
            along = shapely.length(shapely.intersection(segs[edge][seg], self.grown[ob]))
            out[edge[seg[along > 2 * EPS]]] = True
        return out

    def _along_edge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True for segments lying on one edge of the floor rectangle."""
        on = np.zeros(len(a), dtype=bool)
        for axis, value in ((0, 0.0), (0, self.width), (1, 0.0), (1, self.depth)):
            on |= (np.abs(a[:, axis] - value) <= EPS) & (np.abs(b[:, axis] - value) <= EPS)
        return on

    def on_floor(self, xy: np.ndarray) -> np.ndarray:
        """True for points (k, 2) on the floor rectangle, edges included."""
        x, y = xy[:, 0], xy[:, 1]
        return (x >= 0) & (x <= self.width) & (y >= 0) & (y <= self.depth)

    def inside(self, xy: np.ndarray) -> np.ndarray:
        """Index of the first grown obstacle whose interior holds each point (k, 2), else -1."""
        out = np.full(len(xy), -1, dtype=np.int64)
        if len(xy) == 0 or len(self.solid) == 0:
            return out
        pts, obs = self.tree.query(shapely.points(xy), predicate="intersects")
        order = np.lexsort((obs, pts))[::-1]  # last write wins: the lowest obstacle index
        out[pts[order]] = obs[order]
        return out

    def free(self) -> shapely.Geometry:
        """The free floor: the floor rectangle minus the grown obstacles."""
        room = shapely.box(0.0, 0.0, self.width, self.depth)
        if len(self.grown) == 0:
            return room
        return shapely.difference(room, shapely.union_all(self.grown))


def floor_geometry(layout: Layout) -> FloorGeometry:
    """The layout's floor, grown obstacles and their STRtrees."""
    grown = _grow(np.asarray(obstacle_polygons(layout), dtype=object), layout.clearance)
    solid = _shrink(grown)
    walls = _shrink(_merge_touching(grown))
    bounds = shapely.bounds(walls).reshape(-1, 4) if len(walls) else np.zeros((0, 4))
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    is_box = np.isclose(shapely.area(walls), box_area, rtol=1e-9, atol=1e-12)
    return FloorGeometry(width=float(layout.floor.width), depth=float(layout.floor.depth),
                         grown=grown, solid=solid, tree=shapely.STRtree(solid), walls=walls,
                         wall_tree=shapely.STRtree(walls), bounds=bounds,
                         is_box=np.asarray(is_box, dtype=bool).reshape(-1))


def _shrink(polys: np.ndarray) -> np.ndarray:
    return shapely.buffer(polys, -EPS, join_style="mitre") if len(polys) else polys


def _merge_touching(grown: np.ndarray) -> np.ndarray:
    """Grown polygons, with those that only touch (no overlap to shrink into) merged."""
    if len(grown) < 2:
        return grown
    i, j = shapely.STRtree(grown).query(grown, predicate="dwithin", distance=2 * EPS)
    pair = i < j
    i, j = i[pair], j[pair]
    thin = shapely.area(shapely.intersection(grown[i], grown[j])) < 4 * EPS * EPS * 1e3
    i, j = i[thin], j[thin]
    if len(i) == 0:
        return grown
    n = len(grown)
    graph = csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    count, label = connected_components(graph, directed=False)
    groups = [np.flatnonzero(label == k) for k in range(count)]
    return np.asarray([grown[g[0]] if len(g) == 1 else shapely.union_all(grown[g])
                       for g in groups], dtype=object)


def _meets_box(a: np.ndarray, b: np.ndarray, box: np.ndarray) -> np.ndarray:
    """True where segment a[i]-b[i] meets the closed box[i] (x0, y0, x1, y1): Liang-Barsky."""
    d = b - a
    t0 = np.zeros(len(a))
    t1 = np.ones(len(a))
    ok = np.ones(len(a), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-d[:, 0], a[:, 0] - box[:, 0]), (d[:, 0], box[:, 2] - a[:, 0]),
                     (-d[:, 1], a[:, 1] - box[:, 1]), (d[:, 1], box[:, 3] - a[:, 1])):
            flat = p == 0
            ok &= ~(flat & (q < 0))
            r = q / p
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
    return ok & (t0 <= t1)


def obstacle_label(o: Obstacle) -> str:
    """How a message names an obstacle: its name, else its kind and first corner."""
    if o.name:
        return o.name
    x, y = o.points[0] if o.points is not None else (o.x0, o.y0)
    return f"{o.kind} at ({x:g}, {y:g})"


def blocked_location(layout: Layout) -> dict[str, str]:
    """Locations a robot cannot stand at (in a grown obstacle, off the floor): name -> reason."""
    geo = floor_geometry(layout)
    names = list(layout.locations)
    xy = np.array([(p.x, p.y) for p in layout.locations.values()], dtype=float).reshape(-1, 2)
    on, inside = geo.on_floor(xy), geo.inside(xy)
    problems: dict[str, str] = {}
    for k, name in enumerate(names):
        x, y = xy[k]
        if not on[k]:
            problems[name] = (f"({x:g}, {y:g}) is outside the floor "
                              f"{layout.floor.width:g} x {layout.floor.depth:g} m")
        elif inside[k] >= 0:
            label = obstacle_label(layout.obstacles[int(inside[k])])
            problems[name] = (f"({x:g}, {y:g}) is inside {label} or within the robot clearance "
                              f"({layout.clearance:g} m) of it")
    return problems
