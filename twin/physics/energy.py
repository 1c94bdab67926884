"""Electrical energy from the joint motors: each joint's mechanical power through its gear, plus
its motor's copper loss, through its driver; and the robot's electronics as constant draws.

Per joint and control period, with the joint torque ``tau`` and speed ``omega`` PyBullet reports
and the joint group's motor constants (robot YAML ``motors``):

- shaft power ``P = tau omega / eta_gear`` when the motor drives the joint, ``tau omega eta_gear``
  when the joint drives the motor (``eta_gear`` is the robot's ``drive_efficiency``);
- motor current ``I = tau / (Kt N)`` (torque constant times gear ratio) and copper loss
  ``I^2 R``: a joint that holds a torque at rest pays it, so standing costs what its holding
  torques cost, and nothing is added for "standing";
- battery draw ``max(P + I^2 R, 0) / eta_driver``: power a braking joint returns is not
  recovered (not into the battery, not into the other joints: the driver burns it);
- plus compute and radio (``power.constant``), which run whatever the joints do.

Each joint's power has this one home. What a joint's drive holds that PyBullet's torque does
not show (the squeeze of closed hands: the constraints hold the handles, ``twin.physics.carry``)
is added to that joint's torque (``held``) before its power is taken, never charged beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.motion import GRAVITY
from twin.robot import ROBOTS_DIR, Motor, RobotSpec

GROUP_WORDS = {"arm": ("shoulder", "elbow", "wrist"), "waist": ("waist",),
               "leg": ("hip", "knee", "ankle")}
"""Which motor group drives a joint, by the words in its URDF name."""


def motor_group(joint: str) -> str:
    """The motor group (``leg``, ``arm`` or ``waist``) of a URDF joint name."""
    for group, words in GROUP_WORDS.items():
        if any(word in joint for word in words):
            return group
    raise ValueError(f"joint {joint!r} belongs to no motor group (a name with one of: "
                     f"{', '.join(w for words in GROUP_WORDS.values() for w in words)})")


def urdf_joint_names(spec: RobotSpec) -> list[str]:
    """The joint names of the robot's URDF in PyBullet's joint order."""
    path = ROBOTS_DIR / (spec.urdf or "humanoid.urdf")
    return list(_joint_names(path, path.stat().st_mtime_ns))


@functools.cache
def _joint_names(path: Path, mtime_ns: int) -> tuple[str, ...]:
    import pybullet as pb

    client = pb.connect(pb.DIRECT)
    try:
        body = pb.loadURDF(str(path), physicsClientId=client)
        return tuple(pb.getJointInfo(body, i, physicsClientId=client)[1].decode()
                     for i in range(pb.getNumJoints(body, physicsClientId=client)))
    finally:
        pb.disconnect(client)


@dataclass
class EnergyMeter:
    """Integrates electrical energy (J), its copper loss, mechanical work, time and distance."""

    torque_per_amp: np.ndarray  # Kt N of each joint's drive, N m at the joint per A
    resistance: np.ndarray  # ohm, copper loss I^2 R
    driver_efficiency: np.ndarray
    gear_efficiency: float
    constant_w: float  # compute and radio
    mass: float
    energy_j: float = 0.0
    copper_j: float = 0.0
    mechanical_j: float = 0.0  # positive joint work
    time_s: float = 0.0
    distance_m: float = 0.0
    history: list[float] = field(default_factory=list)
    # N m each joint's drive holds beyond the torque PyBullet reports (joint order), or None
    held: np.ndarray | None = None
    # each control period's battery power, copper loss and positive work, joint by joint:
    # three rows summed in one call (``add``)
    _rows: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rows = np.empty((3, len(self.torque_per_amp)))

    @classmethod
    def for_robot(cls, spec: RobotSpec, torque_limits: np.ndarray,
                  names: Sequence[str] | None = None) -> EnergyMeter:
        """Meter with the motor constants of each joint's group (``names``: the URDF joint
        names in joint order; read from the URDF when not given) and the robot's electronics.
        ``torque_limits`` gives the joint order's length."""
        joints = list(names) if names is not None else urdf_joint_names(spec)
        if len(joints) != len(torque_limits):
            raise ValueError(f"{len(joints)} joint names for {len(torque_limits)} joints")
        motors: list[Motor] = [getattr(spec.motors, motor_group(j)) for j in joints]
        return cls(
            torque_per_amp=np.array([m.torque_constant * m.gear_ratio for m in motors]),
            resistance=np.array([m.winding_resistance for m in motors]),
            driver_efficiency=np.array([m.driver_efficiency for m in motors]),
            gear_efficiency=spec.drive_efficiency, constant_w=spec.power.constant,
            mass=spec.mass)

    def joint_power(self, torques: np.ndarray, speeds: np.ndarray) -> tuple[np.ndarray,
                                                                            np.ndarray]:
        """Battery power (W) each joint draws at these torques and speeds, and its copper
        loss (W)."""
        return self._power(torques, torques * speeds)

    def _power(self, torques: np.ndarray, mech: np.ndarray,
               out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``joint_power`` from the joints' mechanical power ``mech`` (torque times speed),
        into the rows of ``out`` if given (battery power, copper loss). Each value is the one
        of ``np.where(mech > 0, mech / eta, mech * eta)``, ``(tau / (Kt N)) ** 2 * R`` and
        ``np.clip(shaft + copper, 0, None) / eta_driver``, computed into fewer arrays (the
        control period's cost, issue 11)."""
        shaft = np.multiply(mech, self.gear_efficiency, out=None if out is None else out[0])
        np.divide(mech, self.gear_efficiency, out=shaft, where=mech > 0.0)
        copper = np.divide(torques, self.torque_per_amp, out=None if out is None else out[1])
        np.square(copper, out=copper)  # = ** 2
        copper *= self.resistance
        shaft += copper
        np.maximum(shaft, 0.0, out=shaft)  # = np.clip(..., 0.0, None)
        shaft /= self.driver_efficiency
        return shaft, copper

    def add(self, torques: np.ndarray, speeds: np.ndarray, dt: float) -> float:
        """Account one control period; returns the electrical power (W)."""
        if self.held is not None:
            torques = torques + self.held
        mech = torques * speeds
        rows = self._rows
        self._power(torques, mech, rows)
        np.maximum(mech, 0.0, out=rows[2])
        # each row's sum as ``row.sum()`` gives it (the same pairwise sum a row)
        joints, copper, work = np.add.reduce(rows, axis=1).tolist()
        power = joints + self.constant_w
        self.energy_j += power * dt
        self.copper_j += copper * dt
        self.mechanical_j += work * dt
        self.time_s += dt
        return power

    def soc(self, initial: float, battery_j: float) -> float:
        """State of charge after drawing this meter's energy from a battery at ``initial``."""
        return max(initial - self.energy_j / battery_j, 0.0)

    def cost_of_transport(self) -> float:
        """Energy / (mass g distance); inf if the robot did not move."""
        if self.distance_m <= 0:
            return float("inf")
        return self.energy_j / (self.mass * GRAVITY * self.distance_m)
