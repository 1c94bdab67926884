"""Closed-form inverse kinematics of the twin humanoid's legs and arms (pelvis/torso frames).

Legs: hip yaw-roll-pitch, knee, ankle pitch-roll; arms: shoulder pitch-roll, elbow. Angles are
in the URDF's conventions (positive pitch about +y swings a hanging limb backwards).

The lengths below are the reference body's (``body.REFERENCE_HEIGHT`` tall, the URDF's); a
robot of another height passes its own (``body.Body``) to ``leg_ik`` and ``arm_ik``.
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
PELVIS_HEIGHT = 0.84  # m, pelvis centre above the floor while walking
CROUCH_HEIGHT = 0.80  # m, the pelvis while the hands work at a surface (pick, place)


def clip(v: float, lo: float, hi: float) -> float:
    """``min(max(v, lo), hi)``, bit for bit and for any values (a NaN, signed zeros): the
    builtins' own rules (``max(v, lo)`` is v unless lo > v, ``min(m, hi)`` m unless hi < m)
    as two comparisons. The builtins' calls cost about 0.2 us each on this machine's Python,
    and a control period made some forty (issue 11, docs/step_cost.md)."""
    m = lo if lo > v else v
    return hi if hi < m else m


def _acos(x: float) -> float:
    return math.acos(min(max(x, -1.0), 1.0))


def leg_ik(x: float, y: float, z: float, yaw: float, thigh: float = THIGH,
           shank: float = SHANK) -> tuple[float, ...]:
    """Joint angles (yaw, roll, pitch, knee, ankle pitch, ankle roll) putting the ankle at
    (x, y, z) from the hip joint with the foot flat and turned by ``yaw``."""
    c, s = math.cos(-yaw), math.sin(-yaw)
    px, py, pz = c * x - s * y, s * x + c * y, z
    roll = math.atan2(py, -pz)
    d = math.hypot(py, pz)
    # the clips as comparisons (``clip``), not min/max calls: the legs are solved every
    # control period, and the builtins' calls were half of this function's time
    length = math.hypot(px, d)
    reach = thigh + shank - 1e-4
    if reach < length:  # = min(length, reach)
        length = reach
    # each square taken once (the same values), _acos written out
    thigh2, shank2, length2 = thigh**2, shank**2, length**2
    acos = math.acos
    v = (thigh2 + shank2 - length2) / (2 * thigh * shank)
    knee = math.pi - acos(clip(v, -1.0, 1.0))
    alpha = math.atan2(-px, d)
    v = (thigh2 + length2 - shank2) / (2 * thigh * length)
    pitch = alpha - acos(clip(v, -1.0, 1.0))
    return (yaw, roll, pitch, knee, -(pitch + knee), -roll)


def arm_ik(x: float, y: float, z: float, upper: float = UPPER_ARM,
           fore: float = FOREARM) -> tuple[float, float, float]:
    """Joint angles (shoulder pitch, shoulder roll, elbow) putting the grip at (x, y, z) from
    the shoulder, in the torso frame."""
    length = min(math.sqrt(x * x + y * y + z * z), upper + fore - 1e-4)
    elbow = -(math.pi - _acos((upper**2 + fore**2 - length**2)
                              / (2 * upper * fore)))
    qx = -fore * math.sin(elbow)
    qz = -upper - fore * math.cos(elbow)
    roll = math.asin(min(max(-y / qz, -1.0), 1.0))
    c = qz * math.cos(roll)
    pitch = wrap_angle(math.atan2(x, z) - math.atan2(qx, c))
    return (pitch, roll, elbow)


def arm_fk(pitch: float, roll: float, elbow: float, upper: float = UPPER_ARM,
           fore: float = FOREARM) -> tuple[float, float, float]:
    """The grip (x, y, z) from the shoulder, in the torso frame, of the joint angles (shoulder
    pitch, shoulder roll, elbow): ``arm_ik``'s inverse."""
    qx = -fore * math.sin(elbow)
    qz = -upper - fore * math.cos(elbow)
    c = qz * math.cos(roll)
    reach, angle = math.hypot(qx, c), pitch + math.atan2(qx, c)
    return (reach * math.sin(angle), -qz * math.sin(roll), reach * math.cos(angle))
