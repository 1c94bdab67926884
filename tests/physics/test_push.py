"""Pushes (issue 11): shoved at the pelvis for 0.1 s, standing and walking at 0.5 m/s, the
self-balancing humanoid recovers below a documented impulse and falls above another, from
behind and from the side (docs/pushes.md, ``trials.push_trial``). Measured on walker_s2
(70 kg) over four directions and four moments of the gait: standing it recovers from 30 N s
and falls from 50 N s; walking, from 20 and 80 N s."""

from __future__ import annotations

import math

import pytest

from twin.physics.trials import push_trial
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow

STANDING = (30.0, 50.0)  # N s: caught at the first, a fall at the second
WALKING = (20.0, 80.0)  # at 0.5 m/s
WALK_SPEED = 0.5


@pytest.mark.parametrize("bearing", [0.0, 0.5 * math.pi], ids=["from behind", "from the side"])
@pytest.mark.parametrize(("speed", "impulses"), [(0.0, STANDING), (WALK_SPEED, WALKING)],
                         ids=["standing", "walking"])
def test_recovers_below_the_documented_push_and_falls_above(
        spec: RobotSpec, bearing: float, speed: float, impulses: tuple[float, float]) -> None:
    caught, felled = impulses
    assert not push_trial(spec, caught, bearing, speed)
    assert push_trial(spec, felled, bearing, speed)
