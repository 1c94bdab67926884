"""Docking ends within the robot's tolerance from randomised approaches."""

from __future__ import annotations

import math

import numpy as np
import pybullet as pb
import pytest

from twin.physics import primitives as prim
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow


def test_docking_within_tolerance_in_95_percent_of_20_approaches(spec: RobotSpec) -> None:
    rng = np.random.default_rng(7)
    world = World()
    world.add_dock("charger", 0.0, 0.0, 0.0)
    tol = spec.dock_tolerance
    within = 0
    try:
        for i in range(20):
            bearing = math.pi + rng.uniform(-0.5 * math.pi, 0.5 * math.pi)
            reach = rng.uniform(0.8, 1.5)
            x, y = reach * math.cos(bearing), reach * math.sin(bearing)
            robot = world.add_humanoid(spec, x, y, rng.uniform(-math.pi, math.pi), name=f"r{i}")
            world.run(robot, prim.walk(world, robot, [[x, y], [0.0, 0.0]], 0.6, face=0.0))
            result = world.run(robot, prim.dock(world, robot, 0.0, 0.0, 0.0))
            px, py, yaw = robot.pose()
            err_pos = math.hypot(px, py)
            err_head = abs(math.degrees(math.atan2(math.sin(yaw), math.cos(yaw))))
            if err_pos <= tol.position and err_head <= tol.heading:
                within += 1
                assert result.ok
            pb.removeBody(robot.body, physicsClientId=world.client)
            del world.humanoids[robot.name]
    finally:
        world.close()
    assert within >= 19
