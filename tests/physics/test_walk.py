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


@pytest.fixture(scope="module")
def empty_at_loaded_speed(spec: RobotSpec, trial) -> Any:
    """The empty robot walked at the loaded speed: the same pace as the 15 kg walk."""
    world, robot, carry = trial.setup(spec, 0.0)
    try:
        return trial.walk(world, robot, spec.speed(15.0), carry)
    finally:
        world.close()


def test_carrying_costs_more_per_metre(walks, empty_at_loaded_speed) -> None:
    """At the same pace: a walk's joint work per metre rises with its speed, so the loaded walk
    at its rated 0.9 m/s is compared with an empty one at 0.9 m/s, not at the empty 1.2."""
    empty = empty_at_loaded_speed
    assert empty.ok, empty.note
    assert empty.speed == pytest.approx(walks[15.0][0].speed, rel=0.10)  # the same pace
    assert walks[15.0][0].energy_per_m > empty.energy_per_m


@pytest.mark.parametrize("payload", [0.0, 15.0])
def test_cost_of_transport_in_published_range(walks, spec: RobotSpec, payload: float) -> None:
    cot = walks[payload][0].energy_per_m / (spec.mass * GRAVITY)
    assert 0.2 <= cot <= 5.0


@pytest.mark.parametrize("payload", [0.0, 15.0])
def test_nothing_pushes_the_robot_but_its_joints(walks, payload: float) -> None:
    loads = walks[payload][1]
    assert (loads.calls, loads.force, loads.torque) == (0, 0.0, 0.0)
