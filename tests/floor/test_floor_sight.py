"""Line of sight one segment at a time agrees with the bulk test, and paths pulled lazily do
not depend on which other paths were asked for first."""

from __future__ import annotations

import numpy as np
from floor_helpers import layout

from twin.floor import blocked_location, build_walkways, floor_geometry
from twin.floor.geometry import _meets_box, _meets_one_box

OBSTACLES: list[dict[str, object]] = [
    {"x0": 2, "y0": 2, "x1": 5, "y1": 4},
    {"x0": 5, "y0": 2, "x1": 6, "y1": 6},  # touches the first: merged into one wall
    {"x0": 8, "y0": 0, "x1": 9, "y1": 3},  # stands on the floor's edge
    {"points": [[11, 5], [14, 6], [12, 9]]},
    {"x0": 3, "y0": 7, "x1": 7, "y1": 8},
]
AISLES: list[dict[str, object]] = [{"from": [1, 10.5], "to": [15, 10.5], "width": 2,
                                    "one_way": True}]


def _segments(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Segments on a half-metre grid (touching corners, running along edges and the floor's
    border, parallel to box sides), some of no length, and some at random."""
    a = rng.integers(0, 33, (k, 2)) / 2.0
    b = rng.integers(0, 33, (k, 2)) / 2.0
    b[: k // 4, 1] = a[: k // 4, 1]
    b[k // 4: k // 2, 0] = a[k // 4: k // 2, 0]
    b[k // 2: k // 2 + 20] = a[k // 2: k // 2 + 20]
    loose = rng.random(k) < 0.3
    a[loose] = rng.uniform(0, 16, (loose.sum(), 2))
    return np.clip(a, 0, 16), np.clip(b, 0, 12)


def test_the_clip_agrees_box_by_box() -> None:
    """On a coarse grid segments touch boxes at corners and run along their sides."""
    rng = np.random.default_rng(0)
    a, b = _segments(rng, 20000)
    low = rng.integers(0, 30, (len(a), 2)) / 2.0
    box = np.hstack([low, low + rng.integers(0, 8, (len(a), 2)) / 2.0])
    bulk = _meets_box(a, b, box)
    assert 0.05 < bulk.mean() < 0.95
    one = [_meets_one_box(ax, ay, bx - ax, by - ay, *bounds)
           for (ax, ay), (bx, by), bounds in zip(a.tolist(), b.tolist(), box.tolist(), strict=True)]
    np.testing.assert_array_equal(one, bulk)


def test_one_segment_at_a_time_agrees_with_the_bulk_test() -> None:
    for clearance in (0.0, 0.5):
        lay = layout(16, 12, OBSTACLES, {"a": [0.5, 0.5]}, clearance=clearance, aisles=AISLES)
        geo = floor_geometry(lay)
        graph = build_walkways(lay).graph
        a, b = _segments(np.random.default_rng(7), 4000)
        bulk = geo.blocked(a, b)
        assert 0.1 < bulk.mean() < 0.9
        one = [geo.blocked_one((float(p), float(q)), (float(r), float(s)))
               for (p, q), (r, s) in zip(a.tolist(), b.tolist(), strict=True)]
        np.testing.assert_array_equal(one, bulk)
        walk = graph.walkable(a, b)
        assert (walk != ~bulk).any()  # the one-way aisle forbids some
        one = [graph.walkable_one((p, q), (r, s))
               for (p, q), (r, s) in zip(a.tolist(), b.tolist(), strict=True)]
        np.testing.assert_array_equal(one, walk)


def test_paths_do_not_depend_on_the_order_they_are_asked_in() -> None:
    rng = np.random.default_rng(3)
    locs = {f"p{k}": [float(x), float(y)] for k, (x, y) in
            enumerate(rng.integers(1, 30, (14, 2)) / 2.0)}
    lay = layout(16, 12, OBSTACLES, locs, clearance=0.3, aisles=AISLES)
    bad = blocked_location(lay)
    lay = lay.model_copy(update={"locations": {
        k: v for k, v in lay.locations.items() if k not in bad}})
    pairs = [(a, b) for a in lay.locations for b in lay.locations]
    first, second = build_walkways(lay), build_walkways(lay)
    for a, b in pairs:
        first.dist(a, b)
    for k in rng.permutation(len(pairs)):
        a, b = pairs[k]
        if np.isfinite(second.dist(a, b)):
            second.path(a, b)
    for a, b in pairs:
        assert first.dist(a, b) == second.dist(a, b), (a, b)
        if np.isfinite(first.dist(a, b)):
            np.testing.assert_array_equal(first.path(a, b), second.path(a, b))

