"""The surrogate prices a walk's bends as physics walks them: the self-balancing humanoid stops,
turns on the spot and sets off again at a bend sharper than ``twin.motion.BEND``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.motion import MotionTask, Surrogate, load_calibration, path_bends
from twin.physics import primitives as prim
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow

PATHS = {  # metres from where the robot stands after stepping back from its post
    "two right angles": [[0.0, 0.0], [3.0, 0.0], [3.0, 3.0], [6.0, 3.0]],
    "zigzag": [[0.0, 0.0], [2.0, 1.0], [4.0, 0.0], [6.0, 1.0], [8.0, 0.0]],
}


@pytest.mark.parametrize("name", list(PATHS))
def test_physics_walks_bends_in_the_time_the_surrogate_prices(spec: RobotSpec,
                                                               name: str) -> None:
    cal = load_calibration(spec)
    assert cal.source == "physics" and cal.walk.bend_s is not None
    model = Surrogate(spec, cal)
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        world.run(robot, prim.back_off(world, robot, 0.3))  # as the line's walks (calibrated)
        x0, y0, _ = robot.pose()
        pts = np.array(PATHS[name]) + np.array([x0, y0])
        end = math.atan2(*(pts[-1] - pts[-2])[::-1])
        t0 = world.time
        walked = world.run(robot, prim.walk(world, robot, pts, spec.speed(0.0), face=end))
        seconds = world.time - t0
    finally:
        world.close()
    assert walked.ok, walked.note
    d = float(np.hypot(*np.diff(pts, axis=0).T).sum())
    task = MotionTask("walk", "a", "b", 0.0, distance=d, path=pts,
                      heading_deg=math.degrees(end), start_heading_deg=0.0)
    priced = model._walk_nominal(task)[0]
    n, rad = path_bends(pts)
    blind = priced - n * cal.walk.bend_s - rad * cal.walk.turn_s_per_rad
    assert seconds == pytest.approx(priced, rel=0.12), (seconds, priced)
    assert seconds > 1.3 * blind  # a surrogate blind to bends would be far off
