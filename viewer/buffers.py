"""Work in process as stacked totes: all buffers' tote slots in ONE mesh, hidden ones collapsed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv

from twin.physics.body import TOTE_SIZE  # along heading, across, height (m): physics' tote
from viewer.style import TOTE, rgb

GAP = 0.04
FOOTPRINT = (2, 2)  # totes per layer: along heading, across
LAYERS = 3
SLOTS = FOOTPRINT[0] * FOOTPRINT[1] * LAYERS


def _template() -> tuple[np.ndarray, np.ndarray]:
    """One tote box, triangulated: its points (at the origin, bottom at z = 0) and faces."""
    lx, ly, h = TOTE_SIZE
    cube = pv.Box(bounds=(-lx / 2, lx / 2, -ly / 2, ly / 2, 0, h)).triangulate()
    return np.asarray(cube.points, dtype=float), np.asarray(cube.faces).reshape(-1, 4)[:, 1:]


def _slot_points(x: float, y: float, heading: float, box: np.ndarray) -> np.ndarray:
    """Tote boxes' points at a buffer point, bottom layer first: (SLOTS, points, 3)."""
    lx, ly, h = TOTE_SIZE
    c, s = math.cos(heading), math.sin(heading)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    turned = box @ rot.T
    out = []
    for layer in range(LAYERS):
        for i in range(FOOTPRINT[0]):
            for j in range(FOOTPRINT[1]):
                u = (i - (FOOTPRINT[0] - 1) / 2) * (lx + GAP)
                v = (j - (FOOTPRINT[1] - 1) / 2) * (ly + GAP)
                z = layer * (h + 0.01)
                out.append(turned + (x + u * c - v * s, y + u * s + v * c, z))
    return np.array(out)


class BufferTotes:
    """Stacks of totes for a set of buffers; ``update`` shows ceil(level / units per tote)."""

    def __init__(self, anchors: dict[str, tuple[float, float, float]], tote_units: int) -> None:
        self.names = sorted(anchors)
        self.tote_units = max(tote_units, 1)
        if not self.names:
            self.mesh = pv.PolyData()
            return
        box, faces = _template()
        full = np.concatenate([_slot_points(*anchors[name], box) for name in self.names])
        count, self._per_box = full.shape[0], len(box)
        tri = (faces[None] + (np.arange(count) * self._per_box)[:, None, None]).reshape(-1, 3)
        cells = np.hstack([np.full((len(tri), 1), 3), tri]).ravel()
        self.mesh = pv.PolyData(full.reshape(-1, 3).copy(), faces=cells)
        self._full = full
        self._hidden = self._full.mean(axis=1, keepdims=True).repeat(self._per_box, axis=1)
        self.mesh.point_data["rgb"] = np.tile(rgb(TOTE), (self.mesh.n_points, 1))

    def update(self, levels: dict[str, float]) -> None:
        """Show as many totes per buffer as its level needs (capped at the stack size)."""
        if not self.names:
            return
        counts = np.array([
            min(math.ceil(max(levels.get(n, 0.0), 0.0) / self.tote_units), SLOTS)
            for n in self.names
        ])
        shown = (np.arange(SLOTS)[None, :] < counts[:, None]).ravel()
        points = np.where(shown[:, None, None], self._full, self._hidden)
        target: Any = self.mesh.points
        target[:] = points.reshape(-1, 3)
        self.mesh.Modified()
