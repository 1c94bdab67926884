"""The floor as shapely geometry: obstacle footprints, the room a robot's centre needs, free floor.

A robot's centre keeps ``layout.clearance`` from every obstacle, so navigation works on the
obstacles *grown* by the clearance (mitred, so a box stays a box) and treats the robot as a
point. Segment and point tests run in bulk against an STRtree of the grown obstacles, shrunk
by a hair so that walking along a grown edge, or through a gap exactly one robot wide, is
allowed. The segment test also runs one segment at a time in plain floats (``blocked_one``,
the same arithmetic), for string-pulling, whose every test depends on the one before.
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
    boxes: list[tuple[float, float, float, float, bool]]  # ``bounds`` and ``is_box`` as floats

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
        if len(seg):
            hit = _meets_box(a[seg], b[seg], self.bounds[ob])
            box = self.is_box[ob]
            out[seg[hit & box]] = True
            maybe = np.flatnonzero(hit & ~box)
            if len(maybe):
                maybe = maybe[~out[seg[maybe]]]
                touch = shapely.intersects(segs[seg[maybe]], self.walls[ob[maybe]])
                out[seg[maybe[touch]]] = True
        edge = np.flatnonzero(~out & self._along_edge(a, b))
        if len(edge):
            seg, ob = self.tree.query(segs[edge], predicate="dwithin", distance=2 * EPS)
            along = shapely.length(shapely.intersection(segs[edge][seg], self.grown[ob]))
            out[edge[seg[along > 2 * EPS]]] = True
        return out

    def blocked_one(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """``blocked`` for the one segment a-b, in plain floats: the same tests without numpy's
        cost per call, for callers that must test segments one at a time."""
        if not self.boxes:
            return False
        (ax, ay), (bx, by) = a, b
        segs = shapely.linestrings([[a, b]])  # an array of one: cheaper to query than one
        seg = segs[0]
        dx, dy = bx - ax, by - ay
        for k in self.wall_tree.query(segs)[1].tolist():
            x0, y0, x1, y1, box = self.boxes[k]
            if _meets_one_box(ax, ay, dx, dy, x0, y0, x1, y1) and (
                    box or shapely.intersects(seg, self.walls[k])):
                return True
        w, d = self.width, self.depth
        if (max(abs(ax), abs(bx)) <= EPS or max(abs(ay), abs(by)) <= EPS
                or max(abs(ax - w), abs(bx - w)) <= EPS or max(abs(ay - d), abs(by - d)) <= EPS):
            near = self.tree.query(seg, predicate="dwithin", distance=2 * EPS)
            return bool((shapely.length(shapely.intersection(seg, self.grown[near]))
                         > 2 * EPS).any())
        return False

    def _along_edge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """True for segments lying on one edge of the floor rectangle."""
        size = np.array([self.width, self.depth])
        low = np.maximum(np.abs(a), np.abs(b)) <= EPS
        high = np.maximum(np.abs(a - size), np.abs(b - size)) <= EPS
        return (low | high).any(axis=1)

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
    is_box = np.asarray(is_box, dtype=bool).reshape(-1)
    boxes = [(x0, y0, x1, y1, flag)
             for (x0, y0, x1, y1), flag in zip(bounds.tolist(), is_box.tolist(), strict=True)]
    return FloorGeometry(width=float(layout.floor.width), depth=float(layout.floor.depth),
                         grown=grown, solid=solid, tree=shapely.STRtree(solid), walls=walls,
                         wall_tree=shapely.STRtree(walls), bounds=bounds, is_box=is_box,
                         boxes=boxes)


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
    """True where segment a[i]-b[i] meets the closed box[i] (x0, y0, x1, y1): Liang-Barsky.

    Per axis, the segment enters the box's slab at ``near`` and leaves it at ``far`` (as
    fractions of its length); a segment parallel to a slab must start inside it.
    """
    d = b - a
    low, high = box[:, :2], box[:, 2:]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_low = (low - a) / d
        to_high = (high - a) / d
    rising, falling = d > 0, d < 0
    near = np.where(rising, to_low, np.where(falling, to_high, -np.inf))
    far = np.where(rising, to_high, np.where(falling, to_low, np.inf))
    in_slab = (d != 0) | ((a >= low) & (a <= high))
    return in_slab.all(axis=1) & (np.maximum(near.max(axis=1), 0.0)
                                  <= np.minimum(far.min(axis=1), 1.0))


def _meets_one_box(ax: float, ay: float, dx: float, dy: float,
                   x0: float, y0: float, x1: float, y1: float) -> bool:
    """``_meets_box`` for one segment (start, direction) and one box, in plain floats."""
    t0, t1 = 0.0, 1.0
    if dx > 0:
        t0, t1 = max(t0, (x0 - ax) / dx), min(t1, (x1 - ax) / dx)
    elif dx < 0:
        t0, t1 = max(t0, (x1 - ax) / dx), min(t1, (x0 - ax) / dx)
    elif not x0 <= ax <= x1:
        return False
    if dy > 0:
        t0, t1 = max(t0, (y0 - ay) / dy), min(t1, (y1 - ay) / dy)
    elif dy < 0:
        t0, t1 = max(t0, (y1 - ay) / dy), min(t1, (y0 - ay) / dy)
    elif not y0 <= ay <= y1:
        return False
    return t0 <= t1


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
