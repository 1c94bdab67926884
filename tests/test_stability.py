"""The capture-point margin (twin.physics.stability): hull and signed distance against
hand-worked answers, the support of both feet and of one, and a standing humanoid's margin
against its soles' geometry."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest

from twin.physics import stability
from twin.physics.walking import FOOT_CENTRE, Pose

HALF = (0.12, 0.055)  # a sole 0.24 x 0.11 m


def test_hull_drops_inner_and_collinear_points_and_runs_counter_clockwise() -> None:
    two_squares = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0),
                   (1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (0.5, 0.5)]
    corners = stability.hull(two_squares)
    assert sorted(corners) == [(0.0, 0.0), (0.0, 1.0), (2.0, 0.0), (2.0, 1.0)]
    area = 0.5 * sum(a[0] * b[1] - b[0] * a[1]
                     for a, b in zip(corners, corners[1:] + corners[:1], strict=True))
    assert area == pytest.approx(2.0)  # positive: counter-clockwise


@pytest.mark.parametrize(("point", "expected"), [
    ((1.0, 0.5), 0.5),             # centre of a 2 x 1 rectangle: half its height
    ((1.9, 0.5), 0.1),             # near the right edge
    ((3.0, 0.5), -1.0),            # beside it: the distance to the edge, negative
    ((3.0, 2.0), -math.sqrt(2)),   # off a corner: the distance to the corner
    ((2.0, 0.3), 0.0),             # on the edge
])
def test_margin_is_the_signed_distance_to_the_edge(point: tuple[float, float],
                                                   expected: float) -> None:
    rectangle = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0)]
    assert stability.margin(point, rectangle) == pytest.approx(expected, abs=1e-12)


def _robot(step: Any, yaw: float = 0.0) -> Any:
    c, s = math.cos(yaw), math.sin(yaw)
    feet = {"left": Pose(-0.1 * s, 0.1 * c, yaw), "right": Pose(0.1 * s, -0.1 * c, yaw)}
    return SimpleNamespace(gait=SimpleNamespace(feet=feet, step=step))


@pytest.mark.parametrize("yaw", [0.0, 0.7, -2.5])
def test_both_feet_down_then_one_swinging(yaw: float) -> None:
    c, s = math.cos(yaw), math.sin(yaw)
    centre = (FOOT_CENTRE * c, FOOT_CENTRE * s)  # between the soles' centres
    both = stability.hull(stability.support(_robot(None, yaw), HALF))
    # feet 0.2 m apart: the hull is 0.24 long and 0.31 wide; the nearest edge is a toe line
    assert stability.margin(centre, both) == pytest.approx(0.12)
    double = SimpleNamespace(swing="left", t=0.05, double=0.1)  # not lifted yet
    assert stability.hull(stability.support(_robot(double, yaw), HALF)) == both
    single = SimpleNamespace(swing="left", t=0.3, double=0.1)
    right = stability.hull(stability.support(_robot(single, yaw), HALF))
    assert len(right) == 4
    # the right sole's inner edge is 0.1 - 0.055 m from the centre line: outside by 0.045
    assert stability.margin(centre, right) == pytest.approx(-0.045)


def test_a_standing_humanoid_keeps_its_capture_point_near_the_middle_of_its_soles() -> None:
    from twin.calibrate import load_robot
    from twin.card import MARGIN
    from twin.physics import primitives as prim
    from twin.physics.world import World

    spec = load_robot("assets/robots/walker_s2.yaml")
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.4)
        assert stability.sole(robot) == pytest.approx(HALF)  # the URDF's foot box
        result = world.run(robot, prim.hold(world, robot, 1.0))
    finally:
        world.close()
    # at rest the capture point is the CoM over the middle of the feet: the margin is at most
    # half a sole's length (the toe and heel lines), and a standing body stays within 2 cm of it
    assert 0.10 < result.metrics[MARGIN] <= 0.12
