"""Walkways equal the exact shortest paths where they are known, and never cross an obstacle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from floor_helpers import crosses_obstacle, exact_distances, layout, length
from hypothesis import given, settings
from hypothesis import strategies as st

import twin.floor.graph as graph_module
from twin.floor import blocked_location, build_walkways


def test_a_single_box_between_two_points() -> None:
    # box 4..6 x 2..8 grown by 0.5: go over its top corners (3.5, 8.5) and (6.5, 8.5)
    lay = layout(10, 10, [{"x0": 4, "y0": 2, "x1": 6, "y1": 8}],
                 {"a": [1, 5], "b": [9, 5]}, clearance=0.5)
    ways = build_walkways(lay)
    expected = 2 * math.hypot(2.5, 3.5) + 3.0
    assert ways.dist("a", "b") == pytest.approx(expected, rel=1e-12)
    assert ways.dist("b", "a") == pytest.approx(expected, rel=1e-12)
    path = ways.path("a", "b")
    assert len(path) == 4
    assert {tuple(p) for p in path[1:3].round(9)} == {(3.5, 8.5), (6.5, 8.5)}
    assert length(path) == pytest.approx(ways.dist("a", "b"), rel=1e-12)


def test_a_corridor_is_walked_straight() -> None:
    walls = [{"x0": 0, "y0": 0, "x1": 40, "y1": 4}, {"x0": 0, "y0": 6, "x1": 40, "y1": 10}]
    lay = layout(40, 10, walls, {"a": [0.5, 5], "b": [39.5, 5.2]}, clearance=0.4)
    ways = build_walkways(lay)
    assert ways.dist("a", "b") == pytest.approx(math.hypot(39, 0.2), rel=1e-12)
    assert len(ways.path("a", "b")) == 2


def test_an_l_bend_turns_at_the_inner_corner() -> None:
    # free floor is an L: the bottom strip y < 3 and the right strip x > 7
    lay = layout(10, 10, [{"x0": 0, "y0": 3, "x1": 7, "y1": 10}],
                 {"a": [1, 1.5], "b": [8.5, 9]}, clearance=0.5)
    ways = build_walkways(lay)
    corner = (7.5, 2.5)
    expected = math.hypot(corner[0] - 1, corner[1] - 1.5) + math.hypot(8.5 - 7.5, 9 - 2.5)
    assert ways.dist("a", "b") == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(ways.path("a", "b"), [[1, 1.5], corner, [8.5, 9]], atol=1e-9)


def test_a_triangle_is_passed_over_its_apex() -> None:
    # the triangle stands on the floor's edge: the only way past is over the apex (5, 3)
    lay = layout(10, 6, [{"points": [[4, 0], [6, 0], [5, 3]], "kind": "machine"}],
                 {"a": [0, 1], "b": [10, 1]})
    ways = build_walkways(lay)
    expected = 2 * math.hypot(5, 2)
    assert ways.dist("a", "b") == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(ways.path("a", "b"), [[0, 1], [5, 3], [10, 1]], atol=1e-9)


def test_a_polygon_footprint_blocks_its_locations() -> None:
    lay = layout(10, 10, [{"name": "press", "points": [[2, 2], [8, 2], [5, 8]]}],
                 {"inside": [5, 4], "near": [5, 8.2], "free": [1, 9]}, clearance=0.35)
    problems = blocked_location(lay)
    assert set(problems) == {"inside", "near"}
    assert "inside press" in problems["inside"]


def test_open_hall_with_few_obstacles_is_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    """The triangulation joins everything even when each node looks at one neighbour only."""
    monkeypatch.setattr(graph_module, "NEIGHBOURS", 1)
    monkeypatch.setattr(graph_module, "LOCATION_NEIGHBOURS", 1)
    rng = np.random.default_rng(4)
    locs = {f"p{k}": [float(x), float(y)] for k, (x, y) in
            enumerate(rng.uniform([1, 1], [119, 79], (25, 2)))}
    obstacles = [{"x0": 30, "y0": 30, "x1": 32, "y1": 50}, {"x0": 80, "y0": 10, "x1": 81, "y1": 12}]
    lay = layout(120, 80, obstacles, {k: v for k, v in locs.items()
                                      if not (29 < v[0] < 33 and 29 < v[1] < 51)
                                      and not (79 < v[0] < 82 and 9 < v[1] < 13)},
                 clearance=0.4)
    ways = build_walkways(lay)
    exact = exact_distances(lay)
    got = np.array([[ways.dist(a, b) for b in ways.names] for a in ways.names])
    assert np.isfinite(got).all()
    assert (got >= exact - 1e-9).all()


def test_paths_are_the_same_for_the_same_layout() -> None:
    lay = layout(30, 20, [{"x0": 5, "y0": 5, "x1": 9, "y1": 15},
                          {"points": [[15, 3], [20, 8], [14, 12]]},
                          {"x0": 22, "y0": 0, "x1": 23, "y1": 14}],
                 {"a": [1, 1], "b": [28, 18], "c": [12, 2], "d": [26, 2]}, clearance=0.4)
    one, two = build_walkways(lay), build_walkways(lay)
    for a in one.names:
        for b in one.names:
            np.testing.assert_array_equal(one.path(a, b), two.path(a, b))
    assert one.to_json() == two.to_json()


def test_to_json_writes_only_the_paths_asked_for() -> None:
    lay = layout(10, 10, [], {"a": [1, 1], "b": [9, 9], "c": [1, 9]})
    ways = build_walkways(lay)
    pid = ways.path_id("a", "b")
    assert list(ways.to_json([pid])["paths"]) == [str(pid)]
    assert len(ways.to_json()["paths"]) == 9
    assert ways.walked_path_ids() == []
    ways.path("c", "a")
    assert ways.walked_path_ids() == [ways.path_id("c", "a")]


def _cm(low: float, high: float) -> st.SearchStrategy[float]:
    """Coordinates as planners write them: to the centimetre."""
    return st.integers(int(low * 100), int(high * 100)).map(lambda v: v / 100)


_box = st.tuples(_cm(0, 17), _cm(0, 17), _cm(0.3, 5), _cm(0.3, 5))
_tri = st.tuples(_cm(1, 19), _cm(1, 19), _cm(0.5, 2.5), _cm(0, 6.28))


@settings(max_examples=40, deadline=None)
@given(boxes=st.lists(_box, max_size=5), tris=st.lists(_tri, max_size=2),
       seed=st.integers(0, 2**16), clearance=st.sampled_from([0.0, 0.3]))
def test_random_layouts_give_exact_paths_that_miss_obstacles(
        boxes: list[tuple[float, float, float, float]],
        tris: list[tuple[float, float, float, float]], seed: int, clearance: float) -> None:
    obstacles: list[dict[str, object]] = [
        {"x0": x, "y0": y, "x1": x + w, "y1": y + h} for x, y, w, h in boxes]
    obstacles += [{"points": [[cx + r * math.cos(t + k * 2.1), cy + r * math.sin(t + k * 2.1)]
                              for k in range(3)]} for cx, cy, r, t in tris]
    pts = np.random.default_rng(seed).uniform(0, 20, (6, 2))
    lay = layout(20, 20, obstacles, {f"p{k}": list(map(float, p)) for k, p in enumerate(pts)},
                 clearance=clearance)
    bad = blocked_location(lay)
    lay = lay.model_copy(update={"locations": {k: v for k, v in lay.locations.items()
                                               if k not in bad}})
    ways = build_walkways(lay)
    exact = exact_distances(lay)
    for i, a in enumerate(ways.names):
        for j, b in enumerate(ways.names):
            d = ways.dist(a, b)
            if not np.isfinite(exact[i, j]):
                assert not np.isfinite(d)
                continue
            assert d == pytest.approx(exact[i, j], rel=1e-9, abs=1e-6), (a, b)
            assert d == pytest.approx(ways.dist(b, a), rel=1e-9, abs=1e-6)
            path = ways.path(a, b)
            assert length(path) == pytest.approx(d, rel=1e-9, abs=1e-9)
            assert not crosses_obstacle(lay, path), (a, b, path)
