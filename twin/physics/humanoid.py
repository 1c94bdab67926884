"""The humanoid body in a PyBullet world, balanced and walked by its joint motors alone.

Each control period: measure the whole-body CoM and its capture point; re-anchor the walking
plan (LIPM + ZMP preview, ``walking.py``) on the stance foot as measured; fold the capture-point
error into the swing foot's foothold (stepping strategy); place the pelvis so that the CoM the
joints produce follows the plan; level the swing sole against the measured pelvis tilt; solve
the legs' IK for the planned ankle poses; swing the arms against the legs; and drive every
joint through a position servo bounded by the URDF's torque limits (scaled by the robot YAML)
and speed limits. No external force or torque acts on any link.

The body is the robot file's: its ``height`` scales the URDF, the lengths below and the gait
(``body.Body``), its ``mass`` the links' masses.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pybullet as pb

from twin.motion import GRAVITY, wrap_angle
from twin.physics.body import Body
from twin.physics.energy import EnergyMeter
from twin.physics.frames import BodyFrames, yaw_of
from twin.physics.grip import CARRY as CARRY  # the top of a lift: a home in grip.py
from twin.physics.kinematics import PELVIS_HEIGHT as PELVIS_HEIGHT  # home: kinematics.py
from twin.physics.kinematics import arm_fk, arm_ik, clip, leg_ik
from twin.physics.walking import SIDES, GaitParameters, Pose, WalkingPattern, other
from twin.robot import RobotSpec

LEG = ("hip_yaw", "hip_roll", "hip_pitch", "knee", "ankle_pitch", "ankle_roll")
ARM = ("shoulder_pitch", "shoulder_roll", "elbow")
HAND_PITCH = -1.0  # rad, the hands' pitch in the heading frame while reaching: in the middle of
# the wrist's range both at a handle on a work surface and in the carry pose
FALL_HEIGHT = 0.55  # m, pelvis below this: fallen (the reference body's)
FALL_TILT = 0.7  # rad, pelvis tilted beyond this: fallen
HUG = 0.08  # m the tote is then drawn in for walking
COM_ABOVE_PELVIS = 0.04  # m, the walking body's CoM above the pelvis centre (measured)
LOAD_FILTER = 0.5  # s, smoothing of the load the wrists feel (the grip forces ring with the
# body's sway: read fast, that ringing would feed back into the balance)
ARM_SWING = 1.0  # rad of shoulder pitch per metre between the feet
HANG_ROLL = 0.15  # rad, shoulder roll of an empty arm (left; the right's is its negative) ...
HANG_ELBOW = -0.3  # rad ... and its elbow: the arm hangs by the side, swinging with the legs
STEP_GAIN = 1.0  # foothold shift per metre of capture-point error
LEVEL_GAIN = 1.0  # swing sole levelled against this share of the pelvis tilt
HIP_PITCH = 0.5  # stance hip turns the pelvis back upright: rad per rad of tilt
HIP_ROLL = 0.3
STATE_GAIN = 0.0125  # share of the measured CoM state folded into the plan per period
STATE_SPEED = 0.5  # m/s at which that share is reached
STAND_GAIN = 0.005  # the same while standing (damps rocking on the soles)
STAND_DCM = 0.4  # pelvis shift per metre of capture-point error while standing: without it
# the standing body rocks on its soles (roll 0.03 rad for seconds; 0.3-0.5 take it under 0.002)
OFFSET_FILTER = 0.05  # s
LEG_GAIN = 0.3  # position gain of the leg servos (PyBullet's motor error reduction)
SOLE_TWIST = 0.03  # m (reference body), torsional friction of a sole: about 2/3 of its contact
# radius times mu (a planted foot resists twisting on the floor even when it touches along an edge)
ANKLE_GAIN = 0.2  # position gain of the ankle servos (lower: the soles give to the floor)
_FIRST = operator.itemgetter(0)  # a link state's first item: its CoM position


class Humanoid(BodyFrames):
    """One humanoid worker: body id, joints, walking pattern, arm targets, energy meter."""

    def __init__(self, client: int, spec: RobotSpec, urdf: Path, x: float, y: float,
                 heading: float, name: str, control_period: float = 1.0 / 120.0,
                 params: GaitParameters | None = None) -> None:
        self.client, self.spec, self.name = client, spec, name
        self.dt = control_period
        self.body_size = Body.of(spec.height)
        size = self.body_size  # the legs' lengths the IK reads every control period
        self._leg_sizes = (size.hip_z, size.hip_y, size.ankle_height, size.thigh, size.shank)
        self._fall_height = size.length(FALL_HEIGHT)
        self.params = params or self.body_size.gait()
        self.pelvis_height = self.body_size.pelvis_height
        self.load: list[int] = []  # grip constraints of a held object (the wrists' sensors)
        self.load_body = -1
        self.load_mass = 0.0  # kg the hands carry, from the wrists' vertical force
        self.load_point = np.zeros(3)  # where a load was let go (its weight fades there)
        self.squeeze: Callable[[], None] | None = None  # renews the hands' squeeze while they
        # hold (``Carry.renew``: the grip as strong as the arms are in their pose of the moment)
        self.body = pb.loadURDF(str(urdf), [x, y, self.pelvis_height + 0.01],
                                pb.getQuaternionFromEuler([0, 0, heading]),
                                globalScaling=self.body_size.scale, physicsClientId=client)
        n = pb.getNumJoints(self.body, physicsClientId=client)
        infos = [pb.getJointInfo(self.body, i, physicsClientId=client) for i in range(n)]
        self.joint = {info[1].decode(): i for i, info in enumerate(infos)}
        self.names = [info[1].decode() for info in infos]
        self.order = list(range(n))
        urdf_mass = sum(pb.getDynamicsInfo(self.body, i, physicsClientId=client)[0]
                        for i in range(-1, n))
        scale = spec.mass / urdf_mass
        for i in range(-1, n):
            info = pb.getDynamicsInfo(self.body, i, physicsClientId=client)
            pb.changeDynamics(self.body, i, mass=info[0] * scale,
                              localInertiaDiagonal=[v * scale for v in info[2]],
                              physicsClientId=client)
        self.masses = np.array([pb.getDynamicsInfo(self.body, i, physicsClientId=client)[0]
                                for i in range(-1, n)])
        self._mass = self.masses.sum()  # kg, the body's (read every control period)
        for side in SIDES:
            pb.changeDynamics(self.body, self.joint[f"{side}_ankle_roll"], lateralFriction=1.0,
                              spinningFriction=self.body_size.length(SOLE_TWIST),
                              physicsClientId=client)
        self.limits = np.array([info[10] for info in infos]) * spec.joint_torque_limit
        self.speed_limits = np.array([info[11] for info in infos])
        # arm drives: the shoulders give the arm motors' peak torque (a limit PyBullet applies at
        # every instant), elbow and wrist keep the URDF's proportions to them; what the arms
        # can lift follows from it and the grip (twin.physics.grip), not from max_payload
        arm_scale = spec.motors.arm.peak_torque / self.limits[self.joint["left_shoulder_pitch"]]
        for i in self.order:
            if any(k in self.names[i] for k in ("shoulder", "elbow", "wrist")):
                self.limits[i] *= arm_scale
        # joint indices by side, read every control period (no names formatted on the way)
        self._legs = {side: [self.joint[f"{side}_{name}"] for name in LEG] for side in SIDES}
        self._arms = {side: [self.joint[f"{side}_{name}"] for name in ARM] for side in SIDES}
        self._wrists = {side: self.joint[f"{side}_wrist"] for side in SIDES}
        self._ankles = {side: self.joint[f"{side}_ankle_roll"] for side in SIDES}
        self._waist = self.joint["waist_pitch"]
        # each limb's joints as one slice of the joint order where they are in a row (they
        # are in the URDF): its targets set by one slice assignment a period
        self._leg_rows = {side: _rows(leg) for side, leg in self._legs.items()}
        self._arm_rows = {side: _rows(arm) for side, arm in self._arms.items()}
        self._soles: dict[str, Any] = {}  # the ankles' link states ``_com`` read last
        self._reach_dt, self._reach, self._back = math.nan, self.speed_limits, self.speed_limits
        self.gains = np.array([0.3 if any(k in nm for k in ("shoulder", "elbow", "wrist"))
                               else ANKLE_GAIN if "ankle" in nm else LEG_GAIN
                               for nm in self.names])
        self.meter = EnergyMeter.for_robot(spec, self.limits, self.names)
        # the drives' torque limits and gains as PyBullet takes them, sent every physics step
        # (``servo``; both fixed from here on)
        self._forces, self._gains = self.limits.tolist(), self.gains.tolist()
        self.waist = 0.0
        self.grips: dict[str, np.ndarray | None] = {"left": None, "right": None}
        self.hand_pitch = HAND_PITCH  # rad, pitch of the hands in the heading frame
        self.targets = np.zeros(n)
        self._setpoint, self._move = np.zeros(n), np.zeros(n)  # see ``servo``, set below
        self.fallen = False
        self.falls = 0
        self.tilt = (0.0, 0.0)  # the pelvis's roll and pitch (``_tilt``)
        self.last_xy = (x, y)  # where the pelvis was (the meter's distance)
        self._reset_pattern(x, y, heading)
        self._compute_targets(np.array([x, y]), heading)
        for i in self.order:
            pb.resetJointState(self.body, i, self.targets[i], physicsClientId=client)
        self._hold_setpoints()
        pb.setJointMotorControlArray(self.body, self.order, pb.VELOCITY_CONTROL,
                                     forces=[0.0] * n, physicsClientId=client)
        self._reset_estimates()

    def _hold_setpoints(self) -> None:
        """The drives' setpoints at the targets, no move pending (``servo``): the joints were
        just set there."""
        self._setpoint, self._move = self.targets.copy(), np.zeros(len(self.order))

    def _reset_estimates(self) -> None:
        """The balance's estimates of the body (the CoM's offset from the pelvis, the tilt,
        the CoM's last place and velocity) from the body as it stands now."""
        self.offset = self._com_offset(self._com(), *self.pelvis())  # floats (x, y)
        self.tilt = (0.0, 0.0)  # the pelvis's roll and pitch (``_tilt``)
        cx, cy, _ = self._com().tolist()
        self._last_com = (cx, cy)  # floats: the control period's arithmetic is on floats
        self.com_vel = np.zeros(2)

    def _reset_pattern(self, x: float, y: float, heading: float) -> None:
        base = Pose(x, y, heading)
        w = self.params.stance_width
        left, right = base.compose(0.0, w), base.compose(0.0, -w)
        zc = self.pelvis_height + self.body_size.length(COM_ABOVE_PELVIS)
        self.gait = WalkingPattern(left, right, zc, self.dt, self.params)

    def stand_up(self, x: float, y: float, heading: float) -> None:
        """Reset to standing at (x, y, heading): the robot after its fall-recovery down time."""
        c = self.client
        self.waist = 0.0
        self.let_go(at_once=True)
        self.pelvis_height = self.body_size.pelvis_height
        self.grips = {"left": None, "right": None}
        pb.resetBasePositionAndOrientation(self.body, [x, y, self.pelvis_height + 0.01],
                                           pb.getQuaternionFromEuler([0, 0, heading]),
                                           physicsClientId=c)
        pb.resetBaseVelocity(self.body, [0, 0, 0], [0, 0, 0], physicsClientId=c)
        self._reset_pattern(x, y, heading)
        self._compute_targets(np.array([x, y]), heading)
        for i in self.order:
            pb.resetJointState(self.body, i, self.targets[i], 0.0, physicsClientId=c)
        self._hold_setpoints()
        # the drives hold the standing pose: left on the targets of the fall, they pulled the
        # body back down within seconds while it stood between tasks, uncontrolled
        self.servo(1.0)
        # the estimates start again from the body standing here: kept from where it lay,
        # the first control period read the CoM's jump as a velocity of tens of m/s and the
        # balance threw the body at its first step
        self._reset_estimates()
        self.fallen = False
        self.last_xy = (x, y)

    # --- state -------------------------------------------------------------------------
    def hold(self, body: int, constraints: list[int]) -> None:
        """The hands close on ``body`` through ``constraints``: from now on the balance counts
        the load the wrists feel, where the held object is, and the wrists keep the hands'
        pitch of this moment."""
        self.load_body, self.load = body, list(constraints)
        left = self._pitch_chain("left")
        self.hand_pitch = self.tilt[1] + sum(
            s[0] for s in pb.getJointStates(self.body, [*left, self.joint["left_wrist"]],
                                            physicsClientId=self.client))

    def _pitch_chain(self, side: str) -> list[int]:
        """The joints about the lateral axis between pelvis and wrist on one side: with the
        pelvis tilt and the wrist they set the hand's pitch."""
        return [self.joint["waist_pitch"], self.joint[f"{side}_shoulder_pitch"],
                self.joint[f"{side}_elbow"]]

    def let_go(self, at_once: bool = False) -> None:
        """The hands open: the wrists read nothing from now on, and the load the balance
        counts fades as its reading does (``LOAD_FILTER``) where the load was let go, so the
        body shifts back over its feet at the pace it shifted away (``at_once``: no load)."""
        if at_once or self.load_body < 0:
            self.load_body, self.load_mass = -1, 0.0
        else:
            self.load_point = np.array(pb.getBasePositionAndOrientation(
                self.load_body, physicsClientId=self.client)[0])
        self.load = []
        self.squeeze = None
        self.hand_pitch = HAND_PITCH

    def wrist_load(self) -> float:
        """The mass the hands carry this instant (kg): the wrists' vertical force over g. A
        tote still resting on a table weighs nothing in the hands yet."""
        lift = sum(pb.getConstraintState(cid, physicsClientId=self.client)[2]
                   for cid in self.load)
        return max(0.0, lift) / GRAVITY

    def _sense_load(self, dt: float) -> None:
        """The carried mass the balance counts: the wrists' reading over ``LOAD_FILTER``."""
        reading = self.wrist_load() if self.load else 0.0
        self.load_mass += (reading - self.load_mass) * _at_most_one(dt / LOAD_FILTER)
        if not self.load and self.load_mass < 0.1:
            self.load_body, self.load_mass = -1, 0.0

    def _com(self, base: Any = None) -> np.ndarray:
        """Centre of mass of the body and what its hands carry (world); ``base``: the pelvis
        position if already read. Keeps the ankles' link states it read (``_soles``)."""
        return self._with_load(self._body_moment(base))

    def _body_moment(self, base: Any = None) -> np.ndarray:
        """The links' masses times their CoM positions, summed (world, kg m): the body's CoM
        times its mass; ``base`` as in ``_com``. Keeps the ankles' link states it read."""
        c = self.client
        if base is None:
            base, _ = pb.getBasePositionAndOrientation(self.body, physicsClientId=c)
        states = pb.getLinkStates(self.body, self.order, physicsClientId=c)
        # only the ankles' are kept (``_sole``): the other states, some 500 small objects,
        # are freed on return while the cache still holds them, not a period later, after
        # the physics steps have evicted them (measured: 8 us a period for one robot)
        ankles = self._ankles
        self._soles = {"left": states[ankles["left"]], "right": states[ankles["right"]]}
        pts = np.fromiter(itertools.chain(base, *map(_FIRST, states)), float,
                          3 * len(states) + 3)  # the base's and each link's CoM position
        return self.masses @ pts.reshape(-1, 3)  # the links' positions, (n + 1, 3) as ever

    def _with_load(self, body: np.ndarray) -> np.ndarray:
        """The CoM of the body (its moment ``body``, ``_body_moment``) and of the load the
        balance counts (``load_mass`` where it is held, or where it was let go)."""
        if self.load_mass <= 0.0:
            return body / self._mass
        held = (pb.getBasePositionAndOrientation(self.load_body, physicsClientId=self.client)[0]
                if self.load else self.load_point)
        return (body + self.load_mass * np.array(held)) / (self._mass + self.load_mass)

    @staticmethod
    def _com_offset(com: np.ndarray, pos: Any, orn: Any, matrix: Any = None,
                    yaw: float | None = None) -> tuple[float, float]:
        """Horizontal offset (x, y) of ``com`` from the pelvis with the pelvis held level: what
        the joint angles put there, not what a tilt of the whole body does (that would feed
        back). ``matrix`` and ``yaw``: ``orn``'s rotation matrix and heading if already
        computed."""
        if matrix is None:
            matrix = pb.getMatrixFromQuaternion(orn)
        rot = np.array(matrix).reshape(3, 3)
        lx, ly, _ = (rot.T @ (com - np.array(pos))).tolist()
        if yaw is None:
            yaw = yaw_of(orn)
        c, s = math.cos(yaw), math.sin(yaw)
        return c * lx - s * ly, s * lx + c * ly

    @staticmethod
    def _tilt(orn: Any, matrix: Any = None, yaw: float | None = None) -> tuple[float, float]:
        """Pelvis roll and pitch in its heading frame (rad), floats; ``matrix`` and ``yaw``
        as in ``_com_offset``."""
        if matrix is None:
            matrix = pb.getMatrixFromQuaternion(orn)
        if yaw is None:
            yaw = yaw_of(orn)
        c, s = math.cos(yaw), math.sin(yaw)
        z = matrix[2::3]  # pelvis up axis in world (the matrix's third column)
        ahead, left = c * z[0] + s * z[1], -s * z[0] + c * z[1]
        return (-math.asin(_sine(left)), math.asin(_sine(ahead)))

    def settled(self) -> bool:
        """Standing still: the plan at rest and the body with it."""
        return (self.gait.settled() and float(np.linalg.norm(self.com_vel)) < 0.03
                and float(np.abs(self.tilt).max()) < 0.03)

    def cop(self) -> np.ndarray | None:
        """Measured centre of pressure of both feet (what sole force sensors report)."""
        total, moment = 0.0, np.zeros(2)
        for side in SIDES:
            for cp in pb.getContactPoints(self.body, -1, self.joint[f"{side}_ankle_roll"],
                                          physicsClientId=self.client):
                total += cp[9]
                moment += cp[9] * np.array(cp[6][:2])
        return moment / total if total > 50.0 else None

    def foot_pose(self, side: str) -> Pose:
        """Measured ankle position on the floor and heading of one foot."""
        pos, orn = self.link_frame(f"{side}_ankle_roll")
        return Pose(pos[0], pos[1], yaw_of(orn))

    def _sole(self, side: str) -> Pose:
        """``foot_pose`` from the links' states the last ``_com`` read (no motion since)."""
        state = self._soles[side]
        pos = state[4]
        return Pose(pos[0], pos[1], yaw_of(state[5]))

    def hang_point(self, side: str) -> np.ndarray:
        """Where the empty arm's pose (swing 0) puts one hand's grip point, in the walking
        frame, with the torso as it is: the goal a reach ends at before the hands let go of
        their grip points (``primitives._lower_arms``), so that the arm does not then swing to
        its hanging pose at the drives' speed limit."""
        size = self.body_size
        sx, sy, sz = size.shoulder
        left = side == "left"
        fx, fy, fz = arm_fk(0.0, HANG_ROLL if left else -HANG_ROLL, HANG_ELBOW, size.upper_arm,
                            size.forearm)
        torso_pos, torso_orn = self.link_frame("waist_pitch")
        world, _ = pb.multiplyTransforms(torso_pos, torso_orn,
                                         (sx + fx, (sy if left else -sy) + fy, sz + fz),
                                         (0, 0, 0, 1))
        return self.to_body(world)

    # --- control -----------------------------------------------------------------------
    def _compute_targets(self, pelvis_xy: Any, yaw: float) -> None:
        self.targets[:] = self._target_list(pelvis_xy, yaw)

    def _target_list(self, pelvis_xy: Any, yaw: float) -> list[float]:
        """The joint targets (joint order) for the pelvis at ``pelvis_xy`` heading ``yaw``:
        a list of floats (one numpy call where the control period takes them in, not one a
        joint group)."""
        t, size = self.targets.tolist(), self.body_size
        px, py = float(pelvis_xy[0]), float(pelvis_xy[1])
        c, s = math.cos(yaw), math.sin(yaw)  # Pose(px, py, yaw).local, written out
        size_hip_z, hip_y, ankle_height, thigh, shank = self._leg_sizes
        hip_z = self.pelvis_height + size_hip_z
        gait = self.gait
        feet, lifts = gait.feet, gait.lift
        stance = gait.stance()
        roll, pitch = self.tilt
        ahead = {}  # each ankle ahead of the pelvis
        for side in SIDES:
            foot_x, foot_y, foot_yaw = feet[side]
            dx, dy = foot_x - px, foot_y - py
            ax, ay = c * dx + s * dy, -s * dx + c * dy
            ahead[side] = ax
            hy = hip_y if side == "left" else -hip_y
            lift = lifts[side]
            z = ankle_height + lift - hip_z
            fyaw = wrap_angle(foot_yaw - yaw)  # feet and pelvis may sit either side of +-pi
            leg = self._legs[side]  # hip yaw, roll, pitch, knee, ankle pitch, roll
            _set(t, self._leg_rows[side], leg_ik(ax, ay - hy, z, fyaw, thigh, shank))
            if side != stance and lift > 0.0:
                # land flat: the swing sole levelled against the measured pelvis tilt
                t[leg[4]] -= LEVEL_GAIN * pitch
                t[leg[5]] -= LEVEL_GAIN * roll
            elif stance == side:  # hip strategy: the stance hip turns the
                # pelvis back upright (not on two feet: both hips would fight)
                t[leg[2]] -= HIP_PITCH * pitch
                t[leg[1]] -= HIP_ROLL * roll
        t[self._waist] = float(self.waist)  # as the array would store it
        torso: Any = None  # the torso's inverse frame and the pelvis pose, read once for both
        for side in SIDES:
            grip = self.grips[side]
            if grip is None:  # arms swing against the legs: their yaw momentum cancels
                swing = (ahead["left"] - ahead["right"] if side == "left"
                         else ahead["right"] - ahead["left"])
                swing = clip(ARM_SWING / size.scale * swing, -0.6, 0.6)
                q: tuple[float, ...] = (swing, HANG_ROLL if side == "left" else -HANG_ROLL,
                                        HANG_ELBOW)
            else:
                if torso is None:  # nothing moves between the two hands' reads
                    torso = (pb.invertTransform(*self.link_frame("waist_pitch")), self.pose())
                (inv_pos, inv_orn), pelvis = torso
                world = self.to_world(grip, pelvis)
                local, _ = pb.multiplyTransforms(inv_pos, inv_orn, world.tolist(), (0, 0, 0, 1))
                sx, sy, sz = size.shoulder
                sy = sy if side == "left" else -sy
                q = arm_ik(local[0] - sx, local[1] - sy, local[2] - sz, size.upper_arm,
                           size.forearm)
            _set(t, self._arm_rows[side], q)
            # the wrist holds the hand at its pitch whatever the arm and the body's tilt do
            # (a held tote stays level); an empty hand hangs in line with the forearm
            level = 0.0
            if grip is not None:
                waist, shoulder, elbow = self._pitch_chain(side)
                chain = t[waist] + (t[shoulder] + t[elbow])
                level = self.hand_pitch - chain - pitch
            t[self._wrists[side]] = level
        return t

    def servo(self, share: float) -> None:
        """Command the joint drives ``share`` of the way from the last control period's targets
        to this one's. A servo drive interpolates the setpoints it is sent at its own, faster
        loop; the world calls this before each physics step of a control period
        (``World.step``). Holding this period's targets for all its physics steps instead makes
        PyBullet's position servos, which close each step's error at ``gain / timestep``, speed
        every joint up in the first step and brake it in the second: a torque alternating at
        the step rate, up to the drive's limit, that no real drive makes (docs/energy.md)."""
        target = self.targets if share >= 1.0 else self._setpoint + self._move * share
        pb.setJointMotorControlArray(self.body, self.order, pb.POSITION_CONTROL,
                                     targetPositions=target.tolist(), forces=self._forces,
                                     positionGains=self._gains, physicsClientId=self.client)

    def control(self, dt: float) -> float:
        """One control period: plan, balance, joint targets, energy, falls. Returns W. The
        drives follow the targets during the period's physics steps (``servo``)."""
        c = self.client
        pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=c)
        if self.load and self.squeeze is not None:
            self.squeeze()
        body = self._body_moment(pos)  # the links read once a period: nothing moves
        # between the CoM with the load as last weighed and with the wrists' new reading
        weighed = (self._with_load(body)[:2].tolist() if self.load_mass > 0.0 or self.load
                   else None)
        self._sense_load(dt)
        # the CoM offset the joints produce, smoothed: read raw it would feed the vibration
        # of the stance back into the pelvis target
        com = self._with_load(body)
        if weighed is not None:
            # a new estimate of the held mass (a wrists' reading, or its fade after letting
            # go) moves the CoM estimate, not the body: the reading rings with each step (a
            # firm grip passes the hands' jolts on), and differentiated it would read as CoM
            # speed (0.04 m/s rms, 0.14 m/s peaks with 15 kg); the previous CoM takes the jump
            (last_x, last_y), (cx, cy, _), (wx, wy) = self._last_com, com.tolist(), weighed
            self._last_com = (last_x + (cx - wx), last_y + (cy - wy))
        matrix, heading = pb.getMatrixFromQuaternion(orn), yaw_of(orn)
        # below, the pairs (x, y) on floats: the same operations in the same order as on
        # arrays, a tenth of the time for two elements
        ox, oy = self._com_offset(com, pos, orn, matrix, heading)
        k = _at_most_one(dt / OFFSET_FILTER)
        off_x, off_y = self.offset
        off_x, off_y = off_x + (ox - off_x) * k, off_y + (oy - off_y) * k
        self.offset = (off_x, off_y)
        self.tilt = self._tilt(orn, matrix, heading)
        cx, cy, _ = com.tolist()  # Python floats: the same values, cheaper arithmetic, and
        # no numpy scalars carried into the plan (nudge, footholds, knots)
        last_x, last_y = self._last_com
        vx, vy = (cx - last_x) / dt, (cy - last_y) / dt
        self._last_com = (cx, cy)
        k = _at_most_one(dt / 0.03)
        cv = self.com_vel
        cvx, cvy = cv.tolist()
        cvx, cvy = cvx + (vx - cvx) * k, cvy + (vy - cvy) * k
        cv[0], cv[1] = cvx, cvy
        stance = self.gait.stance()
        # the plan rides on the foot that carries the body (the left one when standing)
        anchor = stance or "left"
        self.gait.anchor(anchor, self._sole(anchor))
        free = "right" if stance is None else other(stance)
        self.gait.plant(free, self._sole(free))
        x = self.gait.com.x
        omega = self.gait.omega
        (px, py), (pvx, pvy), _ = x.tolist()
        ex = (cx + cvx / omega) - (px + pvx / omega)  # capture point: measured - planned
        ey = (cy + cvy / omega) - (py + pvy / omega)
        self.gait.nudge((ex, ey), STEP_GAIN)
        if stance is None:
            pull = STAND_GAIN
        else:  # walking, the pattern restarts from where the body is, a little each tick
            # (not when stepping on the spot)
            pull = STATE_GAIN * _at_most_one(abs(self.gait.twist[0]) / STATE_SPEED)
        if pull > 0:
            x[0, 0], x[0, 1] = px + pull * (cx - px), py + pull * (cy - py)
            x[1, 0], x[1, 1] = pvx + pull * (cvx - pvx), pvy + pull * (cvy - pvy)
        self.gait.update()
        plan_x, plan_y = self.gait.com.x[0].tolist()
        yaw = self.gait.pelvis_yaw()
        # the pelvis goes where the joints put the CoM (body and load) on the plan; standing,
        # it also leans against the capture point's error (damps rocking on the soles)
        lean_x, lean_y = (-STAND_DCM * ex, -STAND_DCM * ey) if stance is None else (0.0, 0.0)
        wanted = self._target_list((plan_x - off_x + lean_x, plan_y - off_y + lean_y), yaw)
        if dt != self._reach_dt:  # targets move no faster than the drives turn
            self._reach_dt, self._reach = dt, self.speed_limits * dt
            self._back = -self._reach
        # the step from the last targets, clipped to the reach (np.clip's values, two ufuncs)
        step = np.subtract(wanted, self.targets)
        np.minimum(np.maximum(step, self._back, out=step), self._reach, out=step)
        # the drives follow the step a share a physics step (``servo``) from the last
        # targets, which the setpoint takes over as they are (no copy): the new targets are
        # a new array
        self._setpoint, self._move = self.targets, step
        self.targets = self.targets + step
        # each joint's position, speed, reaction and torque: the torques and speeds made
        # into one array (its rows), not two
        _, speeds, _, torques = zip(*pb.getJointStates(self.body, self.order,
                                                       physicsClientId=c), strict=True)
        joints = np.array((torques, speeds))
        power = self.meter.add(joints[0], joints[1], dt)
        last = self.last_xy
        self.meter.distance_m += float(np.hypot(pos[0] - last[0], pos[1] - last[1]))
        self.last_xy = pos[:2]
        if not self.fallen and self._down(pos[2], matrix[8]):
            self.fallen = True
            self.falls += 1
        return power

    def _down(self, z: float, up: float) -> bool:
        """A pelvis at height ``z`` whose axis has vertical component ``up`` is fallen: below
        the fall height or tilted past ``FALL_TILT``."""
        return z < self._fall_height or math.acos(1.0 if up > 1.0 else up) > FALL_TILT

    def toppled(self) -> bool:
        """A body no primitive controls (standing between tasks) has fallen: looked at from its
        pelvis, and counted as a controlled tick counts a fall."""
        if not self.fallen:
            pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)
            if self._down(pos[2], pb.getMatrixFromQuaternion(orn)[8]):
                self.fallen = True
                self.falls += 1
        return self.fallen


def _at_most_one(v: float) -> float:
    """``min(1.0, v)``, bit for bit (v unless it is not below 1), without the builtin's
    call (``kinematics.clip``)."""
    return v if v < 1.0 else 1.0


def _sine(v: float) -> float:
    """``max(-1.0, min(1.0, v))``, bit for bit: v within [-1, 1] for an arcsine."""
    m = v if v < 1.0 else 1.0
    return m if m > -1.0 else -1.0


def _rows(joints: list[int]) -> slice | list[int]:
    """The joints as a slice of the joint order if they follow each other in it, else as
    they are."""
    first = joints[0]
    return slice(first, first + len(joints)) if joints == [*range(first, first + len(joints))] \
        else joints


def _set(targets: list[float], rows: slice | list[int], angles: tuple[float, ...]) -> None:
    """Put ``angles`` into ``targets`` at ``rows`` (``_rows``)."""
    if isinstance(rows, slice):
        targets[rows] = angles
    else:
        for i, angle in zip(rows, angles, strict=True):
            targets[i] = angle


__all__ = ["Humanoid", "yaw_of"]
