"""Work in process as stacked totes: all buffers' tote slots in ONE mesh, hidden ones collapsed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv

from viewer.style import TOTE, rgb

TOTE_SIZE = (0.4, 0.3, 0.22)  # along heading, across, height (m)
GAP = 0.04
FOOTPRINT = (2, 2)  # totes per layer: along heading, across
LAYERS = 3
SLOTS = FOOTPRINT[0] * FOOTPRINT[1] * LAYERS


def _slot_boxes(x: float, y: float, heading: float) -> list[pv.PolyData]:
    """Tote boxes at a buffer point, bottom layer first."""
    lx, ly, h = TOTE_SIZE
    c, s = math.cos(heading), math.sin(heading)
    boxes = []
    for layer in range(LAYERS):
        for i in range(FOOTPRINT[0]):
            for j in range(FOOTPRINT[1]):
                u = (i - (FOOTPRINT[0] - 1) / 2) * (lx + GAP)
                v = (j - (FOOTPRINT[1] - 1) / 2) * (ly + GAP)
                z = layer * (h + 0.01)
                cube = pv.Box(bounds=(-lx / 2, lx / 2, -ly / 2, ly / 2, 0, h)).triangulate()
                cube = cube.rotate_z(math.degrees(heading))
                boxes.append(cube.translate((x + u * c - v * s, y + u * s + v * c, z)))
    return boxes


class BufferTotes:
    """Stacks of totes for a set of buffers; ``update`` shows ceil(level / units per tote)."""

    def __init__(self, anchors: dict[str, tuple[float, float, float]], tote_units: int) -> None:
        self.names = sorted(anchors)
        self.tote_units = max(tote_units, 1)
        boxes = [b for name in self.names for b in _slot_boxes(*anchors[name])]
        if not boxes:
            self.mesh = pv.PolyData()
            return
        self._per_box = boxes[0].n_points
        self.mesh = pv.merge(boxes, merge_points=False)
        self._full = np.asarray(self.mesh.points).copy().reshape(len(boxes), self._per_box, 3)
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
