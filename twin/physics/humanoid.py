"""The humanoid body in a PyBullet world: joint motors with torque limits, leg and arm targets,
the bounded torso assist, energy metering and fall detection.

The assist (documented, bounded, logged): a torque keeping the pelvis upright and turning with
the commanded yaw rate, a horizontal force of at most ``push_share`` of body weight toward the
commanded velocity, and a vertical force of at most ``lift_share`` (10%) of body weight. The legs
carry the rest of the weight through foot contacts; the base is never teleported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pybullet as pb

from twin.motion import GRAVITY
from twin.physics.energy import EnergyMeter
from twin.physics.frames import BodyFrames, yaw_of
from twin.physics.gait import SIDES, Gait
from twin.physics.kinematics import SHOULDER, WAIST_Z, arm_ik, leg_ik
from twin.robot import RobotSpec

LEG = ("hip_yaw", "hip_roll", "hip_pitch", "knee", "ankle_pitch", "ankle_roll")
ARM = ("shoulder_pitch", "shoulder_roll", "elbow")
FALL_HEIGHT = 0.55  # m, pelvis below this: fallen
FALL_TILT = 0.7  # rad, pelvis tilted beyond this: fallen
# Arm drives are sized for the rated payload in the carry pose with no margin: the rated
# max_payload lifts, 10% more sags out of the carry pose (cannot lift; tests/physics).
ARM_MARGIN = 1.0
ARM_HOLD = 8.0  # N m at each shoulder to hold the empty arm in the carry pose
CARRY_REACH = 0.42  # m from shoulder to grip in the carry pose


@dataclass(frozen=True)
class AssistLimits:
    """Bounds of the stabilising torso assist."""

    lift_share: float = 0.10
    push_share: float = 0.06
    tilt_torque: float = 200.0
    yaw_torque: float = 60.0


class Humanoid(BodyFrames):
    """One humanoid worker: body id, joints, gait, arm targets, energy meter."""

    def __init__(self, client: int, spec: RobotSpec, urdf: Path, x: float, y: float,
                 heading: float, name: str, assist: AssistLimits | None = None) -> None:
        self.client, self.spec, self.name = client, spec, name
        self.assist = assist or AssistLimits()
        self.gait = Gait()
        self.body = pb.loadURDF(str(urdf), [x, y, self.gait.pelvis_height + 0.01],
                                pb.getQuaternionFromEuler([0, 0, heading]),
                                physicsClientId=client)
        n = pb.getNumJoints(self.body, physicsClientId=client)
        self.joint = {pb.getJointInfo(self.body, i, physicsClientId=client)[1].decode(): i
                      for i in range(n)}
        self.order = list(range(n))
        urdf_mass = sum(pb.getDynamicsInfo(self.body, i, physicsClientId=client)[0]
                        for i in range(-1, n))
        scale = spec.mass / urdf_mass
        for i in range(-1, n):
            info = pb.getDynamicsInfo(self.body, i, physicsClientId=client)
            pb.changeDynamics(self.body, i, mass=info[0] * scale,
                              localInertiaDiagonal=[v * scale for v in info[2]],
                              physicsClientId=client)
        for side in SIDES:
            pb.changeDynamics(self.body, self.joint[f"{side}_ankle_roll"], lateralFriction=1.0,
                              physicsClientId=client)
        self.limits = np.array([pb.getJointInfo(self.body, i, physicsClientId=client)[10]
                                for i in self.order]) * spec.joint_torque_limit
        # Arms sized for max_payload: more than that sags out of the carry pose (cannot lift).
        shoulder = ARM_MARGIN * (ARM_HOLD + GRAVITY * CARRY_REACH * spec.max_payload / 2)
        arm_scale = shoulder / self.limits[self.joint["left_shoulder_pitch"]]
        for i in self.order:
            if "shoulder" in self._name(i) or "elbow" in self._name(i):
                self.limits[i] *= arm_scale
        self.gains = np.array([0.3 if "shoulder" in self._name(i) or "elbow" in self._name(i)
                               else 0.5 for i in self.order])
        self.meter = EnergyMeter.for_robot(spec, self.limits)
        self.waist = 0.0
        # hand targets in the walking frame (ahead, left, height); None: arms hang
        self.grips: dict[str, np.ndarray | None] = {"left": None, "right": None}
        self.targets = np.zeros(n)
        self.force = np.zeros(3)
        self.torque = np.zeros(3)
        self.fallen = False
        self.falls = 0
        self.last_xy = np.array([x, y])
        self._compute_targets()
        for i in self.order:
            pb.resetJointState(self.body, i, self.targets[i], physicsClientId=client)
        pb.setJointMotorControlArray(self.body, self.order, pb.VELOCITY_CONTROL,
                                     forces=[0.0] * n, physicsClientId=client)

    def stand_up(self, x: float, y: float, heading: float) -> None:
        """Reset to standing at (x, y, heading): the robot after its fall-recovery down time."""
        c = self.client
        self.gait = Gait()
        self.waist = 0.0
        self.grips = {"left": None, "right": None}
        pb.resetBasePositionAndOrientation(self.body, [x, y, self.gait.pelvis_height + 0.01],
                                           pb.getQuaternionFromEuler([0, 0, heading]),
                                           physicsClientId=c)
        pb.resetBaseVelocity(self.body, [0, 0, 0], [0, 0, 0], physicsClientId=c)
        self._compute_targets()
        for i in self.order:
            pb.resetJointState(self.body, i, self.targets[i], 0.0, physicsClientId=c)
        self.fallen = False
        self.last_xy = np.array([x, y])

    def _name(self, index: int) -> str:
        return next(k for k, v in self.joint.items() if v == index)

    # --- control -----------------------------------------------------------------------
    def _compute_targets(self) -> None:
        t = self.targets
        for side, (x, y, z, yaw) in self.gait.ankle_targets().items():
            for name, angle in zip(LEG, leg_ik(x, y, z, yaw), strict=True):
                t[self.joint[f"{side}_{name}"]] = angle
        t[self.joint["waist_pitch"]] = self.waist
        for side in SIDES:
            grip = self.grips[side]
            if grip is None:
                q: tuple[float, ...] = (0.0, 0.15 if side == "left" else -0.15, -0.3)
            else:
                torso_pos, torso_orn = self.link_frame("waist_pitch")
                inv_pos, inv_orn = pb.invertTransform(torso_pos, torso_orn)
                world = self.to_world(grip)
                local, _ = pb.multiplyTransforms(inv_pos, inv_orn, world.tolist(), (0, 0, 0, 1))
                sy = SHOULDER[1] if side == "left" else -SHOULDER[1]
                q = arm_ik(local[0] - SHOULDER[0], local[1] - sy, local[2] - SHOULDER[2])
            for name, qj in zip(ARM, q, strict=True):
                t[self.joint[f"{side}_{name}"]] = qj

    def control(self, dt: float) -> float:
        """One control period: gait, joint targets, motors, energy, assist, falls. Returns W."""
        c = self.client
        self.gait.update(dt)
        self._compute_targets()
        pb.setJointMotorControlArray(self.body, self.order, pb.POSITION_CONTROL,
                                     targetPositions=self.targets.tolist(),
                                     forces=self.limits.tolist(),
                                     positionGains=self.gains.tolist(), physicsClientId=c)
        states = pb.getJointStates(self.body, self.order, physicsClientId=c)
        torques = np.fromiter((s[3] for s in states), float, len(states))
        speeds = np.fromiter((s[1] for s in states), float, len(states))
        power = self.meter.add(torques, speeds, dt)
        pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=c)
        lin, ang = pb.getBaseVelocity(self.body, physicsClientId=c)
        xy = np.array(pos[:2])
        self.meter.distance_m += float(np.hypot(*(xy - self.last_xy)))
        self.last_xy = xy
        self._assist(pos, orn, lin, ang, dt)
        rot = pb.getMatrixFromQuaternion(orn)
        if not self.fallen and (pos[2] < FALL_HEIGHT or math.acos(min(rot[8], 1.0)) > FALL_TILT):
            self.fallen = True
            self.falls += 1
        return power

    def _assist(self, pos: Any, orn: Any, lin: Any, ang: Any, dt: float) -> None:
        a, weight = self.assist, self.spec.mass * GRAVITY
        if self.fallen:
            self.force[:] = 0.0
            self.torque[:] = 0.0
            return
        rot = pb.getMatrixFromQuaternion(orn)
        bz = np.array([rot[2], rot[5], rot[8]])
        w = np.array(ang)
        tilt = np.cross(bz, [0.0, 0.0, 1.0])
        tq = 1500.0 * tilt - 120.0 * w
        tq[2] = 0.0
        norm = float(np.linalg.norm(tq))
        if norm > a.tilt_torque:
            tq *= a.tilt_torque / norm
        vx, vy, wz = self.gait.twist
        yaw = yaw_of(orn)
        tq[2] = float(np.clip(80.0 * (wz - w[2]), -a.yaw_torque, a.yaw_torque))
        cy, sy = math.cos(yaw), math.sin(yaw)
        want = np.array([cy * vx - sy * vy, sy * vx + cy * vy])
        push = 400.0 * (want - np.array(lin[:2]))
        pn = float(np.linalg.norm(push))
        if pn > a.push_share * weight:
            push *= a.push_share * weight / pn
        lift = 4000.0 * (self.gait.pelvis_height - pos[2]) - 400.0 * lin[2]
        lift = float(np.clip(lift, 0.0, a.lift_share * weight))
        self.force[:] = (push[0], push[1], lift)
        self.torque[:] = tq
        work = abs(float(self.force @ np.array(lin))) + abs(float(tq @ w))
        self.meter.add_assist(work * dt, lift * dt)

    def apply_assist(self) -> None:
        """Apply the assist for one physics step (PyBullet clears external forces each step)."""
        if self.fallen:
            return
        c = self.client
        pos, _ = pb.getBasePositionAndOrientation(self.body, physicsClientId=c)
        pb.applyExternalForce(self.body, -1, self.force.tolist(), pos, pb.WORLD_FRAME,
                              physicsClientId=c)
        pb.applyExternalTorque(self.body, -1, self.torque.tolist(), pb.WORLD_FRAME,
                               physicsClientId=c)


__all__ = ["AssistLimits", "Humanoid", "WAIST_Z", "yaw_of"]
