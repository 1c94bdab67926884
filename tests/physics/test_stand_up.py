"""A fallen robot stood up again (the line's fall recovery) stays up while it waits out its
recovery and walks on: its drives hold the standing pose (not the fall's), and its balance
starts from the body standing where it was stood up, not from where it lay."""

from __future__ import annotations

import math

import pybullet as pb
import pytest

from twin.physics import primitives as prim
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow


def test_a_robot_stood_up_away_from_where_it_lay_walks_on(spec: RobotSpec) -> None:
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        other = world.add_humanoid(spec, 5.0, 4.0, 0.0)
        # knocked over while its balance runs: tipped 70 degrees, it falls under control,
        # and its estimates follow the body down
        world.run(robot, prim.hold(world, robot, 1.0))
        pos, _ = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
        pb.resetBasePositionAndOrientation(robot.body, pos,
                                           pb.getQuaternionFromEuler([0.0, -1.2, 0.0]),
                                           physicsClientId=world.client)
        world.run(robot, prim.hold(world, robot, 3.0))
        assert robot.fallen
        robot.stand_up(1.0, 0.5, 0.0)  # a metre and more from where it lay
        # it waits out its recovery uncontrolled, as a robot between tasks does, while
        # another robot's work steps the world
        world.run(other, prim.hold(world, other, 15.0))
        pos, orn = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
        assert pos[2] > 0.8 * robot.pelvis_height and pb.getMatrixFromQuaternion(orn)[8] > 0.99
        walked = world.run(robot, prim.walk(world, robot, [[4.0, 0.5]], 0.9))
        assert walked.ok and not walked.fell, walked.note
        x, y, _ = robot.pose()
        assert math.hypot(x - 4.0, y - 0.5) < 0.3
    finally:
        world.close()
