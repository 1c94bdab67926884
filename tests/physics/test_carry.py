"""Two-arm carry: the tote is lifted off its rack by the arms and held while walking (what the
grip holds, over-payload and drops: test_grip.py)."""

from __future__ import annotations

import pytest

from twin.physics import primitives as prim
from twin.physics.world import STAND_AHEAD, World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow


def test_tote_rises_and_stays_in_hands_over_10_m(spec: RobotSpec, trial) -> None:
    world, robot, carry = trial.setup(spec, 15.0)
    try:
        walked = trial.walk(world, robot, spec.speed(15.0), carry)
        assert walked.ok, walked.note
        assert min(walked.tote_rise) >= 0.30  # off the 0.80 m rack surface, all the way
        assert max(walked.gaps) <= 0.05
        assert robot.falls == 0
    finally:
        world.close()


def test_tote_sits_on_the_rack_until_the_arms_lift_it(spec: RobotSpec) -> None:
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        world.add_stand("rack", 0.0, 0.0, 0.0)
        tote = world.add_tote(15.0, STAND_AHEAD, 0.0)
        result, carry = world.run(robot, prim.pick(world, robot, tote))
        assert result.ok and carry is not None
        assert result.metrics["rise"] >= 0.30
        # the arms carry the load: shoulder pitch torques are well above the empty-arm hold
        torques = [abs(s[3]) for s in __import__("pybullet").getJointStates(
            robot.body, [robot.joint["left_shoulder_pitch"], robot.joint["right_shoulder_pitch"]],
            physicsClientId=world.client)]
        assert min(torques) > 25.0
    finally:
        world.close()
