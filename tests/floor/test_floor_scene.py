"""Polygon obstacles are drawn as extruded polygons; box obstacles as before."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("trimesh")

from viewer.scene import prism, static_pieces  # noqa: E402
from viewer.synthetic import demo_line  # noqa: E402


def test_a_prism_is_the_extruded_footprint() -> None:
    mesh = prism([(0, 0), (0, 2), (2, 2), (2, 1), (1, 1), (1, 0)], 0.5, 1.5)
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(3.0)
    np.testing.assert_allclose(mesh.bounds, [[0, 0, 0.5], [2, 2, 1.5]])


def test_a_polygon_wall_is_in_the_scene() -> None:
    line = demo_line(robots=1)
    tri = {"points": [[1.0, 1.0], [2.0, 1.0], [1.5, 1.8]], "height": 2.0, "kind": "wall"}
    layout = line.layout.model_copy(
        update={"obstacles": [*line.layout.obstacles, type(line.layout.obstacles[0])(**tri)]})
    before = {p.name: p.mesh.volume for p in static_pieces(line, []) if p.name == "walls"}
    after = {p.name: p.mesh.volume for p in static_pieces(
        line.model_copy(update={"layout": layout}), []) if p.name == "walls"}
    assert after["walls"] - before.get("walls", 0.0) == pytest.approx(0.5 * 1.0 * 0.8 * 2.0)
