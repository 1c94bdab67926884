"""Pushes (issue 11): shoved at the pelvis for 0.1 s, standing and walking at 0.5 m/s, the
self-balancing humanoid recovers below a documented impulse and falls above another, from
behind and from the side (docs/pushes.md). The shove is this test's own: nothing in twin pushes
a robot from outside. Measured on walker_s2
(70 kg) over four directions and four moments of the gait: standing it recovers from 30 N s
and falls from 50 N s; walking, from 20 and 80 N s."""

from __future__ import annotations

import math

import pybullet as pb
import pytest

from twin.physics.humanoid import Humanoid
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow

STANDING = (30.0, 50.0)  # N s: caught at the first, a fall at the second
WALKING = (20.0, 80.0)  # at 0.5 m/s
WALK_SPEED = 0.5
PUSH_SECONDS = 0.1  # s a shove lasts: a push of a given impulse is impulse / this, in newtons


def push(world: World, robot: Humanoid, force: list[float]) -> None:
    """The disturbance: ``force`` (N, world frame) on the pelvis for one physics step (PyBullet
    applies an external force for one step only)."""
    pos, _ = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
    pb.applyExternalForce(robot.body, -1, force, pos, pb.WORLD_FRAME,
                          physicsClientId=world.client)


def push_trial(spec: RobotSpec, impulse: float, bearing: float, speed: float = 0.0,
               settle: float = 1.0, walk: float = 3.0, after: float = 3.0) -> bool:
    """The robot stands ``settle`` s (and walks ``walk`` s more at ``speed`` m/s, if any), is
    shoved at the pelvis for ``PUSH_SECONDS`` with ``impulse`` N s, horizontally, ``bearing``
    rad off its heading (0: from behind, pushing it forward; pi/2: from its right, pushing it
    left), and keeps on as before for ``after`` s, free to step. Returns whether it fell."""
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        dt = world.settings.control_period

        def tick(force: list[float] | None = None) -> None:
            robot.gait.command(speed, 0.0, 0.0)
            robot.control(dt)
            world.step((robot,), None if force is None else lambda: push(world, robot, force))

        for _ in range(round((settle + (walk if speed else 0.0)) / dt)):
            tick()
        way = robot.pose()[2] + bearing
        shove = impulse / PUSH_SECONDS
        for _ in range(round(PUSH_SECONDS / dt)):
            tick([shove * math.cos(way), shove * math.sin(way), 0.0])
        for _ in range(round(after / dt)):
            if robot.fallen:
                break
            tick()
        return robot.fallen
    finally:
        world.close()


@pytest.mark.parametrize("bearing", [0.0, 0.5 * math.pi], ids=["from behind", "from the side"])
@pytest.mark.parametrize(("speed", "impulses"), [(0.0, STANDING), (WALK_SPEED, WALKING)],
                         ids=["standing", "walking"])
def test_recovers_below_the_documented_push_and_falls_above(
        spec: RobotSpec, bearing: float, speed: float, impulses: tuple[float, float]) -> None:
    caught, felled = impulses
    assert not push_trial(spec, caught, bearing, speed)
    assert push_trial(spec, felled, bearing, speed)
