"""Traffic cells: the floor cut into squares, each knowing how many robots can pass abreast.

A robot reserves the cells ahead of it before walking (see ``twin.line.traffic``). How many
robots a cell holds at once is the width of the passage through it divided by a robot's width
(twice the layout clearance). The passage width at a point is its *local thickness*: the
diameter of the largest disc of free floor that contains the point, so a point anywhere across
a 1.2 m aisle gets 1.2 m, not its own distance to the nearest wall. It is computed on a fine
raster with a few Euclidean distance transforms (linear in floor area); widths above
``MAX_LANES`` robots are capped, since such space never congests a walk.

Marked aisles (``layout.aisles``) override the measured width inside their rectangle; passing
bays add room to the cell they stand in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.ndimage import distance_transform_edt

from twin.config import Layout
from twin.floor.geometry import footprint

MAX_LANES = 4  # robots abreast beyond which a passage is treated as open floor
SUBCELLS = 4  # raster pixels per cell side, for the width measurement


@dataclass
class LaneGrid:
    """Traffic cells of side ``cell`` over the floor, with robots abreast per cell."""

    cell: float
    nx: int
    ny: int
    lanes: np.ndarray  # (ny, nx) int, >= 1
    width: np.ndarray  # (ny, nx) float, measured passage width (m), capped
    _along: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    def index(self, x: float, y: float) -> int:
        ix = min(max(int(x / self.cell), 0), self.nx - 1)
        iy = min(max(int(y / self.cell), 0), self.ny - 1)
        return iy * self.nx + ix

    def centre(self, k: int) -> tuple[float, float]:
        iy, ix = divmod(k, self.nx)
        return (ix + 0.5) * self.cell, (iy + 0.5) * self.cell

    def capacity(self, k: int) -> int:
        iy, ix = divmod(k, self.nx)
        return int(self.lanes[iy, ix])

    def along(self, key: int | None, path: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cells a path crosses, in order, with the arc length where it enters and leaves each.

        Cached under ``key`` (the walkway's path id); None: a path of its own, not kept.
        """
        hit = self._along.get(key) if key is not None else None
        if hit is not None:
            return hit
        step = self.cell / 8
        # samples every ``step`` or less along each segment (the segment's end included), all
        # segments at once: sample j of a segment of n at fraction j / n of it
        a, b = path[:-1], path[1:]
        seg = np.array([math.hypot(bx - ax, by - ay)
                        for (ax, ay), (bx, by) in zip(a.tolist(), b.tolist(), strict=True)])
        n = np.maximum(np.ceil(seg / step).astype(np.int64), 1)
        which = np.repeat(np.arange(len(seg)), n)
        first = np.concatenate(([0], np.cumsum(n)[:-1]))
        f = (np.arange(len(which)) - first[which] + 1) / n[which]
        xy = np.concatenate((path[:1], a[which] + (b[which] - a[which]) * f[:, None]))
        start = np.concatenate(([0.0], np.cumsum(seg)))  # arc length where each segment starts
        arc = np.concatenate(([0.0], start[which] + seg[which] * f))
        ix = np.clip((xy[:, 0] / self.cell).astype(int), 0, self.nx - 1)
        iy = np.clip((xy[:, 1] / self.cell).astype(int), 0, self.ny - 1)
        ids = iy * self.nx + ix
        change = np.flatnonzero(np.diff(ids)) + 1
        starts = np.concatenate(([0], change))
        cells = ids[starts]
        s_in = arc[starts]
        # a cell is left where the next is entered: halfway between the samples either side
        s_out = np.concatenate(((arc[change - 1] + arc[change]) / 2, [arc[-1]]))
        s_in = np.concatenate(([0.0], s_out[:-1]))
        hit = (cells.astype(np.int64), s_in, s_out)
        if key is not None:
            self._along[key] = hit
        return hit


def local_thickness(free: np.ndarray, res: float, cap: float) -> np.ndarray:
    """Diameter (m) of the largest free disc containing each pixel, capped at ``cap``."""
    dist = distance_transform_edt(free) * res  # to the nearest blocked pixel
    out = np.zeros(free.shape)
    radii = np.arange(res, cap / 2 + 1e-9, res)
    for r in radii:
        centres = dist >= r
        if not centres.any():
            break
        covered = distance_transform_edt(~centres) * res <= r
        out[covered & free] = 2 * r
    return out


def build_lanes(layout: Layout) -> LaneGrid:
    """The traffic cells of a layout, with robots abreast from the geometry and the markings."""
    cell = layout.traffic.cell
    res = cell / SUBCELLS
    nx = max(int(math.ceil(layout.floor.width / cell)), 1)
    ny = max(int(math.ceil(layout.floor.depth / cell)), 1)
    px, py = nx * SUBCELLS, ny * SUBCELLS
    free = np.ones((py + 2, px + 2), dtype=bool)  # a ring of wall around the floor
    free[0, :] = free[-1, :] = free[:, 0] = free[:, -1] = False
    xs = (np.arange(px) + 0.5) * res
    ys = (np.arange(py) + 0.5) * res
    free[1:-1, 1:-1] &= (xs[None, :] <= layout.floor.width) & (ys[:, None] <= layout.floor.depth)
    for o in layout.obstacles:
        poly = footprint(o)
        x0, y0, x1, y1 = poly.bounds
        i0, i1 = max(int(x0 / res) - 1, 0), min(int(math.ceil(x1 / res)) + 1, px)
        j0, j1 = max(int(y0 / res) - 1, 0), min(int(math.ceil(y1 / res)) + 1, py)
        if i0 >= i1 or j0 >= j1:
            continue
        gx, gy = np.meshgrid(xs[i0:i1], ys[j0:j1])
        inside = shapely.contains_xy(poly, gx, gy)
        free[1 + j0:1 + j1, 1 + i0:1 + i1] &= ~inside
    robot_w = 2 * layout.clearance
    thick = local_thickness(free, res, MAX_LANES * max(robot_w, res) + res)[1:-1, 1:-1]
    blocks = thick.reshape(ny, SUBCELLS, nx, SUBCELLS)
    centre = blocks[:, SUBCELLS // 2, :, SUBCELLS // 2]
    width = np.where(centre > 0, centre, blocks.max(axis=(1, 3)))
    lanes = _lanes(width, robot_w)
    for aisle in layout.aisles:
        _mark(lanes, width, cell, aisle.start, aisle.end, aisle.width, robot_w)
    for bay in layout.passing_bays:
        ix = min(int(bay.x / cell), nx - 1)
        iy = min(int(bay.y / cell), ny - 1)
        lanes[iy, ix] += bay.spots
    return LaneGrid(cell=cell, nx=nx, ny=ny, lanes=lanes, width=width)


def _lanes(width: np.ndarray, robot_w: float) -> np.ndarray:
    if robot_w <= 0:
        return np.full(width.shape, MAX_LANES, dtype=np.int64)
    return np.clip(np.floor(width / robot_w + 1e-9), 1, MAX_LANES).astype(np.int64)


def _mark(lanes: np.ndarray, width: np.ndarray, cell: float, a: tuple[float, float],
          b: tuple[float, float], w: float, robot_w: float) -> None:
    """Give the cells whose centre lies in a marked aisle the aisle's width."""
    ny, nx = lanes.shape
    cx = (np.arange(nx) + 0.5) * cell
    cy = (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    along = (gx - ax) * ux + (gy - ay) * uy
    across = np.abs(-(gx - ax) * uy + (gy - ay) * ux)
    inside = (along >= -cell / 2) & (along <= length + cell / 2) & (across <= max(w, cell) / 2)
    width[inside] = w
    lanes[inside] = _lanes(np.array([w]), robot_w)[0]


def aisle_cells(grid: LaneGrid, a: tuple[float, float], b: tuple[float, float],
                w: float) -> np.ndarray:
    """Cell ids inside a marked aisle's rectangle (for its KPIs)."""
    lanes = np.zeros((grid.ny, grid.nx), dtype=np.int64)
    width = np.zeros((grid.ny, grid.nx))
    _mark(lanes, width, grid.cell, a, b, w, 1.0)
    return np.flatnonzero(lanes.ravel() > 0)
