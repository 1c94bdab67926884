"""Electrical energy from the joint motors: each joint's torque through its gear, the gear's
no-load drag, the motor's copper loss, through its driver; and the robot's electronics as
constant draws.

Per joint and control period, with the joint torque ``tau`` and speed ``omega`` PyBullet reports
and the joint group's motor constants (robot YAML ``motors``), all torques at the joint:

- the torque the motor gives: ``tau / eta_gear`` while it drives or holds the joint,
  ``tau eta_gear`` while the joint drives it (``eta_gear``: the robot's ``drive_efficiency``),
  plus the gear's no-load drag against the motion while the joint moves,
  ``Kt N (I_NLS + K_INL n)`` (``n`` the joint's speed in rpm; ``motors.<group>.no_load_current``
  and ``.no_load_current_per_rpm``, the datasheet's no-load current and running current
  constant);
- shaft power: that torque times ``omega``;
- motor current ``I`` = that torque / (Kt N) (torque constant times gear ratio) and copper loss
  ``I^2 R``, ``R`` the windings' resistance at ``winding_temperature`` (copper +0.393 %/K): a
  joint that holds a torque at rest pays it, so standing costs what its holding torques cost,
  and nothing is added for "standing";
- battery draw ``max(shaft + copper, 0) / eta_driver``: power a braking joint returns is not
  recovered (not into the battery, not into the other joints: the driver burns it);
- plus compute and radio (``power.constant``), which run whatever the joints do.

Each joint's power has this one home. What a joint's drive holds that PyBullet's torque does
not show (the squeeze of closed hands: the constraints hold the handles, ``twin.physics.carry``)
is added to that joint's torque (``held``) before its power is taken, never charged beside it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.motion import GRAVITY
from twin.robot import ROBOTS_DIR, Motor, RobotSpec

_CONSTANTS: dict[tuple[tuple[float, ...], ...], tuple[tuple[float, float, float, float, float],
                                                     ...]] = {}  # see ``EnergyMeter._joints``

RPM = 60.0 / (2.0 * math.pi)
"""rpm per rad/s: datasheets give the no-load running current per rpm."""

HELD_SPEED = 0.01
"""rad/s below which a joint counts as held: its drag falls in proportion to none at rest (the
stall current of a held joint is its torque over the torque constant at the output; static
friction holds without current). Coulomb friction's sign made continuous: a standing robot's
joints jitter at about 2e-5 rad/s in the solver (at most 0.012), and a full drag flipping
sign every step would bill 8 W of copper that no real held joint draws. A modelling choice,
not a datasheet figure; walking joints turn at 1-2 rad/s."""

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
    resistance: np.ndarray  # ohm, copper loss I^2 R, at the windings' temperature
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
    # the gears' no-load drag against the motion, N m at the joint: at rest about to move, and
    # more per rad/s of joint speed (zeros: no drag)
    drag: np.ndarray | None = None
    drag_per_speed: np.ndarray | None = None
    # N m each joint's drive holds beyond the torque PyBullet reports (joint order), or None
    held: np.ndarray | None = None
    # each joint's constants as floats, read once here (``_account``): (drag per rad/s, drag,
    # Kt N, resistance, driver efficiency)
    _joints: tuple[tuple[float, float, float, float, float], ...] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.torque_per_amp)
        if self.drag is None:
            self.drag = np.zeros(n)
        if self.drag_per_speed is None:
            self.drag_per_speed = np.zeros(n)
        joints = tuple(zip(self.drag_per_speed.tolist(), self.drag.tolist(),
                           self.torque_per_amp.tolist(), self.resistance.tolist(),
                           self.driver_efficiency.tolist(), strict=True))
        # one copy for all the meters with these constants (the robots of one kind): each
        # control period reads them, and one copy stays in the cache where a copy a robot
        # would not, after the physics steps (issue 11)
        self._joints = _CONSTANTS.setdefault(joints, joints)

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
        kt_n = np.array([m.torque_constant * m.gear_ratio for m in motors])
        return cls(
            torque_per_amp=kt_n,
            resistance=np.array([m.resistance for m in motors]),
            driver_efficiency=np.array([m.driver_efficiency for m in motors]),
            gear_efficiency=spec.drive_efficiency, constant_w=spec.power.constant,
            mass=spec.mass,
            drag=kt_n * np.array([m.no_load_current for m in motors]),
            drag_per_speed=kt_n * np.array([m.no_load_current_per_rpm for m in motors]) * RPM)

    def joint_power(self, torques: np.ndarray, speeds: np.ndarray) -> tuple[np.ndarray,
                                                                            np.ndarray]:
        """Battery power (W) each joint draws at these torques and speeds, and its copper
        loss (W)."""
        battery, copper, _ = self._account(np.asarray(torques, float).tolist(),
                                           np.asarray(speeds, float).tolist())
        return np.array(battery), np.array(copper)

    def _account(self, torques: Sequence[float], speeds: Sequence[float],
                 held: Sequence[float] | None = None
                 ) -> tuple[list[float], list[float], list[float]]:
        """Each joint's battery power, copper loss and positive mechanical power (W) at these
        torques (plus ``held``, if given) and speeds: the motor's torque ``tau / eta`` where
        the mechanical power ``tau omega >= 0``, else ``tau eta``, plus the drag
        ``(drag + drag_per_speed |omega|) clip(omega / HELD_SPEED, -1, 1)``; shaft power that
        times ``omega``; copper ``(motor / (Kt N)) ** 2 R``; battery ``max(shaft + copper,
        0) / eta_driver``; work ``max(tau omega, 0)``.

        On Python floats, joint by joint: some 20 numpy calls on 21-element arrays cost
        about twice as much (issue 11, docs/step_cost.md). Each value is the one the
        elementwise array operations gave, bit for bit: the same operations in the same
        order (``x * x`` is ``np.square``; the clips and maxima keep a NaN, as numpy's do)."""
        eta = self.gear_efficiency
        inv_held = 1.0 / HELD_SPEED
        battery: list[float] = []
        copper: list[float] = []
        work: list[float] = []
        if held is not None:
            torques = [t + h for t, h in zip(torques, held, strict=True)]
        for tau, omega, (per_speed, drag, kt_n, ohm, driver) in zip(
                torques, speeds, self._joints, strict=True):
            mech = tau * omega
            motor = tau / eta if mech >= 0.0 else tau * eta
            # the drag, against the motion; none at rest, and in between in proportion
            share = omega * inv_held
            share = -1.0 if share < -1.0 else 1.0 if share > 1.0 else share
            motor += (abs(omega) * per_speed + drag) * share
            amps = motor / kt_n
            loss = amps * amps * ohm
            shaft = motor * omega + loss
            battery.append((0.0 if shaft < 0.0 else shaft) / driver)
            copper.append(loss)
            work.append(0.0 if mech < 0.0 else mech)
        return battery, copper, work

    def add(self, torques: np.ndarray, speeds: np.ndarray, dt: float) -> float:
        """Account one control period (each joint's torque and speed); returns the
        electrical power (W)."""
        held = None if self.held is None else self.held.tolist()
        battery, copper, work = self._account(torques.tolist(), speeds.tolist(), held)
        power = _row_sum(battery) + self.constant_w
        self.energy_j += power * dt
        self.copper_j += _row_sum(copper) * dt
        self.mechanical_j += _row_sum(work) * dt
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


def _row_sum(values: list[float]) -> float:
    """``np.add.reduce`` of the values as numpy sums a row of floats, bit for bit: from its
    identity 0.0, the pairwise sum, which for 8 to 128 values runs eight interleaved
    partial sums, adds them in a tree and then the rest one by one (fewer than 8: one by
    one); numpy itself for more. The meter's sums were numpy's; summed in another order
    their last bits, and so the energy, would differ."""
    n = len(values)
    if n < 8:
        total = 0.0
        for v in values:
            total += v
        return 0.0 + total
    if n > 128:
        return float(np.add.reduce(np.array(values)))
    r0, r1, r2, r3, r4, r5, r6, r7 = values[:8]
    end = n - n % 8
    for i in range(8, end, 8):
        v0, v1, v2, v3, v4, v5, v6, v7 = values[i:i + 8]
        r0 += v0
        r1 += v1
        r2 += v2
        r3 += v3
        r4 += v4
        r5 += v5
        r6 += v6
        r7 += v7
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for v in values[end:]:
        total += v
    return 0.0 + total
