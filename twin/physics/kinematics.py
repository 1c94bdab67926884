"""Closed-form inverse kinematics of the twin humanoid's legs and arms (pelvis/torso frames).

Legs: hip yaw-roll-pitch, knee, ankle pitch-roll; arms: shoulder pitch-roll, elbow. Angles are
in the URDF's conventions (positive pitch about +y swings a hanging limb backwards).
"""

from __future__ import annotations

import math

from twin.motion import wrap_angle

THIGH = 0.40
SHANK = 0.40
UPPER_ARM = 0.28
FOREARM = 0.30  # elbow to the grip point
HIP_Y = 0.09
HIP_Z = -0.08  # hip joints below the pelvis centre
ANKLE_HEIGHT = 0.07  # sole to ankle joint
SHOULDER = (0.0, 0.21, 0.40)  # from the waist joint, left side (+y)
WAIST_Z = 0.08


def _acos(x: float) -> float:
    return math.acos(min(max(x, -1.0), 1.0))


def leg_ik(x: float, y: float, z: float, yaw: float) -> tuple[float, ...]:
    """Joint angles (yaw, roll, pitch, knee, ankle pitch, ankle roll) putting the ankle at
    (x, y, z) from the hip joint with the foot flat and turned by ``yaw``."""
    c, s = math.cos(-yaw), math.sin(-yaw)
    px, py, pz = c * x - s * y, s * x + c * y, z
    roll = math.atan2(py, -pz)
    d = math.hypot(py, pz)
    length = min(math.hypot(px, d), THIGH + SHANK - 1e-4)
    knee = math.pi - _acos((THIGH**2 + SHANK**2 - length**2) / (2 * THIGH * SHANK))
    alpha = math.atan2(-px, d)
    pitch = alpha - _acos((THIGH**2 + length**2 - SHANK**2) / (2 * THIGH * length))
    return (yaw, roll, pitch, knee, -(pitch + knee), -roll)


def arm_ik(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Joint angles (shoulder pitch, shoulder roll, elbow) putting the grip at (x, y, z) from
    the shoulder, in the torso frame."""
    length = min(math.sqrt(x * x + y * y + z * z), UPPER_ARM + FOREARM - 1e-4)
    elbow = -(math.pi - _acos((UPPER_ARM**2 + FOREARM**2 - length**2)
                              / (2 * UPPER_ARM * FOREARM)))
    qx = -FOREARM * math.sin(elbow)
    qz = -UPPER_ARM - FOREARM * math.cos(elbow)
    roll = math.asin(min(max(-y / qz, -1.0), 1.0))
    c = qz * math.cos(roll)
    pitch = wrap_angle(math.atan2(x, z) - math.atan2(qx, c))
    return (pitch, roll, elbow)
