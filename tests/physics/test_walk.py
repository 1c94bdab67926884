"""Walking: commanded speed is achieved, loaded walking costs more, cost of transport lies
between a human's (0.2) and the hydraulic Atlas's (about 5), a plausibility band wider than the
measured humanoid range (DURUS 1.4-1.61 up; docs/energy.md), and no external force or torque acts
on the robot while it does."""

from __future__ import annotations

from typing import Any

import pytest

from twin.motion import GRAVITY
from twin.physics.loads import ExternalLoads
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def walks(spec: RobotSpec, trial) -> dict[float, tuple[Any, float]]:
    out = {}
    for payload in (0.0, 15.0):
        world, robot, carry = trial.setup(spec, payload)
        try:
            with ExternalLoads.watch() as loads:
                walked = trial.walk(world, robot, spec.speed(payload), carry)
            out[payload] = (walked, loads)
        finally:
            world.close()
    return out


@pytest.mark.parametrize("payload", [0.0, 15.0])
def test_commanded_speed_within_10_percent(walks, spec: RobotSpec, payload: float) -> None:
    walked, _ = walks[payload]
    assert walked.ok, walked.note
    assert walked.speed == pytest.approx(spec.speed(payload), rel=0.10)


def test_carrying_costs_more_per_metre(walks) -> None:
    assert walks[15.0][0].energy_per_m > walks[0.0][0].energy_per_m


@pytest.mark.parametrize("payload", [0.0, 15.0])
def test_cost_of_transport_in_published_range(walks, spec: RobotSpec, payload: float) -> None:
    cot = walks[payload][0].energy_per_m / (spec.mass * GRAVITY)
    assert 0.2 <= cot <= 5.0


@pytest.mark.parametrize("payload", [0.0, 15.0])
def test_nothing_pushes_the_robot_but_its_joints(walks, payload: float) -> None:
    loads = walks[payload][1]
    assert (loads.calls, loads.force, loads.torque) == (0, 0.0, 0.0)
