"""The two-hand grasp by friction, and the payload the arm motors can lift (no PyBullet here:
``twin check`` and the robot YAML's validation read it).

The hands hold the tote's side handles by squeezing them towards each other. In the carry pose
the arms reach forward, so a sideways push at a hand turns its shoulder-roll drive (the
shoulder-pitch and elbow axes lie across it and feel none of it). The squeeze each hand keeps
up for a whole carry is what its roll drive holds without end, over its lever:

    squeeze = motors.arm.rated_torque / lever,    lever = r_x |sin(q_pitch)|

with ``r_x`` the reach of the grip ahead of the shoulder at the top of a lift (``CARRY``, the
longest lever a carry holds a tote on, so the squeeze holds everywhere in a carry; reaching
down to a surface the levers are longer: docs/grip.md) and
``q_pitch`` the shoulder pitch the arm's inverse kinematics gives there (the roll axis is the
shoulder's forward axis turned by the pitch). The hand transmits to its handle, along it and
up, at most ``FRICTION * squeeze`` (Coulomb's cone); two hands carry ``2 FRICTION squeeze``.
Rated (continuous stall) torque, not peak: the squeeze is held for as long as the tote is.

That is the squeeze at the top of a lift, what ``liftable`` and the payload check count. In
the physics the hands squeeze with what the roll drives give in the arms' pose of the moment
(``moment_arm``, measured on the body each control period: ``Carry.renew``): drawn in to
walk, the hands sit nearer the roll axes and the same rated torque squeezes harder.

The shoulders must also lift the tote to the top of the lift: their pitch drives give their
peak torque (``motors.arm.peak_torque``, the physics' torque limit of the arm drives) and hold
the empty arm (``ARM_HOLD``) besides. What the arms can lift is the smaller of the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.motion import GRAVITY
from twin.physics.kinematics import SHOULDER, arm_ik

if TYPE_CHECKING:
    from twin.robot import Motor, RobotSpec

FRICTION = 0.5  # static friction of a hand's rubber pad on a dry moulded polypropylene handle
# (the 0.5 gripper makers size rubber-faced jaws with; rubber on hard plastics spans ~0.3-0.8)
ARM_HOLD = 8.0  # N m at each shoulder to hold the empty arm in the carry pose
CARRY = (0.42, 0.23, 1.32)  # grip point in the walking frame at the top of a lift, at shoulder
# height: the longest lever the shoulders hold a tote on


def roll_lever() -> float:
    """Moment arm (m) of a sideways push at a hand about its shoulder-roll axis, at ``CARRY``."""
    reach = CARRY[0] - SHOULDER[0]
    pitch, _, _ = arm_ik(reach, 0.0, 0.0)  # grip ahead of the shoulder, at its height
    return reach * abs(math.sin(pitch))


def squeeze(arm: Motor, lever: float | None = None) -> float:
    """Force (N) each hand presses its handle with: the roll drive's rated torque over its
    lever (by default ``roll_lever``, the top of a lift's)."""
    return arm.rated_torque / (roll_lever() if lever is None else lever)


def moment_arm(pivot: Sequence[float], axis: Sequence[float], point: Sequence[float],
               push: Sequence[float]) -> float:
    """Moment arm (m) about the joint axis through ``pivot`` along unit ``axis`` of a force
    along unit ``push`` at ``point``: |axis . ((point - pivot) x push)|."""
    r = [p - q for p, q in zip(point, pivot, strict=True)]
    cross = (r[1] * push[2] - r[2] * push[1], r[2] * push[0] - r[0] * push[2],
             r[0] * push[1] - r[1] * push[0])
    return abs(sum(a * c for a, c in zip(axis, cross, strict=True)))


def squeeze_power(arm: Motor) -> float:
    """Battery power (W) one arm's roll drive draws holding the squeeze at rest: copper loss
    ``I^2 R`` with ``I = tau / (Kt N)``, through the driver (no motion, no shaft power)."""
    current = arm.rated_torque / (arm.torque_constant * arm.gear_ratio)
    return current**2 * arm.winding_resistance / arm.driver_efficiency


@dataclass(frozen=True)
class Lift:
    """The payload (kg) the arms can lift, and what limits it."""

    grip_kg: float  # two hands' friction: 2 FRICTION squeeze / g
    shoulder_kg: float  # two shoulder-pitch drives at peak torque, less the arms' own hold

    @property
    def kg(self) -> float:
        return min(self.grip_kg, self.shoulder_kg)

    def why(self) -> str:
        """What limits the lift, in a planner's words."""
        if self.grip_kg <= self.shoulder_kg:
            return (f"the grip's friction; the shoulders would lift {self.shoulder_kg:.1f} kg")
        return f"the shoulders' peak torque; the grip would hold {self.grip_kg:.1f} kg"


def liftable(spec: RobotSpec, friction: float = FRICTION) -> Lift:
    """What ``spec``'s arm motors can lift to the top of a lift, standing still (the gait's
    accelerations take some of it while walking: docs/grip.md)."""
    arm = spec.motors.arm
    grip = 2.0 * friction * squeeze(arm) / GRAVITY
    shoulder = 2.0 * (arm.peak_torque - ARM_HOLD) / (GRAVITY * CARRY[0])
    return Lift(grip_kg=grip, shoulder_kg=max(shoulder, 0.0))
