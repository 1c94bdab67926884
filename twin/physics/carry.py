"""A two-hand grasp held by friction: ball-joint constraints from each grip point to its
handle whose force is bounded by the friction of the squeeze the arm motors hold
(``twin.physics.grip``), and drop checks.

The squeeze is each shoulder-roll drive's rated torque over the moment arm of the squeeze
about its axis in the arms' pose of the moment, the weaker hand's (the two hands press against
each other through the tote): ``renew`` measures it on the body every control period while
the hands are closed, so the grip is as strong as the arms are where they hold the tote (at the
top of a lift: ``grip.roll_lever``'s 167 N for walker_s2; drawn in to walk, nearer the roll
axes, more).

Each hand holds its bar at two contacts; each contact carries half the hand's squeeze, so it
transmits at most ``friction * squeeze / 2`` (PyBullet bounds each world axis of a
point-to-point constraint's force by its ``maxForce``: a box around the friction cone, up to
sqrt(2) wider on a diagonal; the squeeze's own direction is bounded alike, where a real hand
would press without limit and could not pull). Beyond that the tote slips in the hands; once a
hand is ``DROP_GAP`` from its handle the tote is lost.

The squeeze is held by the shoulder-roll drives, and the joints' torques in PyBullet show only
part of it: the constraints hold the handles, and the hands press on them only as far as the
arms' position servos hold them inside the handles (up to the contacts' bounds). While the
hands are closed ``renew`` therefore gives the energy meter each roll drive's torque as the
squeeze makes it: the squeeze's own torque about the roll axis, in place of the pressing along
the line between the hands that PyBullet reports (``EnergyMeter.held``). The meter takes each
roll joint's power once, from that torque: copper loss and work of the squeeze included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pybullet as pb

from twin.physics.grip import FRICTION, moment_arm, roll_lever, squeeze
from twin.physics.humanoid import Humanoid
from twin.physics.world import Tote, World

FIST = 0.06  # m of handle bar inside a closed hand
DROP_GAP = 0.05  # m between a hand and its handle: the tote is lost


@dataclass
class Carry:
    """A tote held in both hands of a humanoid."""

    world: World
    robot: Humanoid
    tote: Tote
    constraints: list[int] = field(default_factory=list)
    lost: bool = False
    friction: float = FRICTION
    cap: float = math.inf  # N a contact transmits at most whatever the squeeze (``loosen``)
    axes: dict[str, np.ndarray] = field(default_factory=dict)  # roll axes in their links
    rows: dict[str, int] = field(default_factory=dict)  # roll joints' rows in the joint order

    @classmethod
    def grasp(cls, world: World, robot: Humanoid, tote: Tote,
              friction: float = FRICTION) -> Carry:
        """Close both fists on the handle bars. A fist holds its bar at two points along it
        (``FIST`` apart), so the tote cannot swing about the line between the hands: a pair
        of ball joints alone would let it swing like a pendulum under the handles. Each
        contact holds what the friction of its share of the squeeze allows."""
        c = world.client
        carry = cls(world, robot, tote, friction=friction)
        carry.axes = {side: np.array(pb.getJointInfo(
            robot.body, robot.joint[f"{side}_shoulder_roll"], physicsClientId=c)[13])
            for side in ("left", "right")}
        carry.rows = {side: robot.order.index(robot.joint[f"{side}_shoulder_roll"])
                      for side in ("left", "right")}
        t_pos, t_orn = pb.getBasePositionAndOrientation(tote.body, physicsClientId=c)
        inv_pos, inv_orn = pb.invertTransform(t_pos, t_orn)
        along = np.array(pb.getMatrixFromQuaternion(t_orn)).reshape(3, 3)[:, 0]  # the bars
        for side in ("left", "right"):
            link = robot.joint[f"{side}_wrist"]
            f_pos, f_orn = robot.link_frame(f"{side}_wrist")
            com = pb.getDynamicsInfo(robot.body, link, physicsClientId=c)[3]
            f_inv_pos, f_inv_orn = pb.invertTransform(f_pos, f_orn)
            for k in (-0.5, 0.5):
                point = robot.grip_point(side) + k * FIST * along
                local, _ = pb.multiplyTransforms(inv_pos, inv_orn, point.tolist(), (0, 0, 0, 1))
                in_hand, _ = pb.multiplyTransforms(f_inv_pos, f_inv_orn, point.tolist(),
                                                  (0, 0, 0, 1))
                # pivot in the hand's inertial frame (PyBullet's link frame)
                pivot = tuple(in_hand[i] - com[i] for i in range(3))
                cid = pb.createConstraint(robot.body, link, tote.body, -1, pb.JOINT_POINT2POINT,
                                          (0, 0, 0), pivot, local, physicsClientId=c)
                pb.changeConstraint(cid, maxForce=carry.contact_force(), physicsClientId=c)
                carry.constraints.append(cid)
        robot.hold(tote.body, carry.constraints)
        robot.squeeze = carry.renew  # the squeeze follows the arms' pose from now on
        robot.meter.held = np.zeros(len(robot.order))  # renew fills the roll drives' rows
        return carry

    def _arms(self) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """The line the squeeze pushes along (unit, from the right grip point to the left), and
        each arm's shoulder-roll axis (world, unit), pivot and grip point, this instant."""
        grip = {s: self.robot.grip_point(s) for s in ("left", "right")}
        push = grip["left"] - grip["right"]
        push /= max(float(np.linalg.norm(push)), 1e-9)
        arms = {}
        for side, axis in self.axes.items():
            pivot, orn = self.robot.link_frame(f"{side}_shoulder_roll")
            turn = np.array(pb.getMatrixFromQuaternion(orn)).reshape(3, 3)
            arms[side] = (turn @ axis, np.array(pivot), grip[side])
        return push, arms

    @staticmethod
    def _levers(push: np.ndarray, arms: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
                ) -> dict[str, float]:
        return {side: moment_arm(pivot.tolist(), axis.tolist(), point.tolist(), push.tolist())
                for side, (axis, pivot, point) in arms.items()}

    def levers(self) -> dict[str, float]:
        """Moment arm (m) of each hand's squeeze about its shoulder-roll axis, this instant:
        the squeeze pushes along the line between the grip points."""
        return self._levers(*self._arms())

    def _squeeze(self, levers: dict[str, float]) -> float:
        return squeeze(self.robot.spec.motors.arm, min(max(levers.values()), roll_lever()))

    def squeeze(self) -> float:
        """Force (N) the hands press the handles with in the arms' pose of this instant: the
        roll drives' rated torque over the longer of the two levers, where that is shorter
        than at the top of a lift (drawn in to walk); else the top of a lift's squeeze, as
        ``liftable`` counts it (reaching down to a surface the levers are longer, to 0.58 m
        for walker_s2, and the squeeze there is not what the drives give: docs/grip.md)."""
        return self._squeeze(self.levers())

    def contact_force(self) -> float:
        """Most force (N) one contact transmits: friction times its half of a hand's squeeze
        (no more than a ``loosen``)."""
        return min(self.friction * self.squeeze() / 2.0, self.cap)

    def renew(self) -> None:
        """Bound each contact by the squeeze of the arms' pose of this instant, and give the
        meter the roll drives' squeeze (the robot calls it every control period while the
        hands are closed)."""
        push, arms = self._arms()
        held = self._squeeze(self._levers(push, arms))
        force = min(self.friction * held / 2.0, self.cap)
        for cid in self.constraints:
            pb.changeConstraint(cid, maxForce=force, physicsClientId=self.world.client)
        self._meter_squeeze(push, arms, held)

    def _meter_squeeze(self, push: np.ndarray,
                       arms: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                       held: float) -> None:
        """Each roll drive's torque as the squeeze ``held`` (N) makes it, for the meter. The
        torque PyBullet reports includes the hands pressing on the handles towards each other
        along ``push`` (what the contacts' forces on the tote along it have in opposite
        senses; what they have in the same sense moves the tote and stays); the meter counts
        the squeeze's torque about the roll axis in its place, at most the rated torque."""
        held_by = self.robot.meter.held
        if held_by is None:
            return
        c = self.world.client
        along = [float(push @ sum((np.array(pb.getConstraintState(cid, physicsClientId=c))
                                   for cid in self.constraints[2 * k:2 * k + 2]), np.zeros(3)))
                 for k in range(len(self.constraints) // 2)]  # each hand's, on the tote
        if len(along) != 2:
            return
        pressed = 0.5 * (along[1] - along[0])  # N each hand presses its handle inwards
        rated = self.robot.spec.motors.arm.rated_torque
        for side, inward in (("left", -push), ("right", push)):
            axis, pivot, point = arms[side]
            lever = float(axis @ np.cross(point - pivot, inward))  # N m a newton, signed
            # no more than the drive holds without end: reaching down to a surface the
            # squeeze kept (the top of a lift's) asks more of it than it gives (docs/grip.md)
            squeezed = math.copysign(min(held * abs(lever), rated), lever)
            held_by[self.rows[side]] = squeezed - pressed * lever

    def slick(self, friction: float) -> None:
        """Hands and handles of another ``friction`` from now on (wet, oily, worn pads)."""
        self.friction = friction
        self.renew()

    @staticmethod
    def ignore_hands(world: World, robot: Humanoid, tote: Tote) -> None:
        """Let the arms pass through the tote's walls (the hands close around the handles)."""
        for side in ("left", "right"):
            for arm_link in (f"{side}_wrist", f"{side}_elbow", f"{side}_shoulder_roll"):
                pb.setCollisionFilterPair(robot.body, tote.body, robot.joint[arm_link], -1, 0,
                                          physicsClientId=world.client)

    def gap(self) -> float:
        """Largest distance between a grip point and its handle (m)."""
        handles = self.tote.handles(self.world.client)
        return max(float(np.linalg.norm(self.robot.grip_point(s) - np.array(handles[s])))
                   for s in ("left", "right"))

    def dropped(self) -> bool:
        """True once a hand is further than ``DROP_GAP`` from its handle (grasp released)."""
        if not self.lost and self.gap() > DROP_GAP:
            self.lost = True
            self.release()
        return self.lost

    def loosen(self, force: float) -> None:
        """Weaken each contact to ``force`` N from now on (tests, fault injection)."""
        self.cap = force
        self.renew()

    def release(self) -> None:
        """Open both hands."""
        for cid in self.constraints:
            pb.removeConstraint(cid, physicsClientId=self.world.client)
        self.constraints.clear()
        self.robot.meter.held = None  # the roll drives stop squeezing
        self.robot.let_go()
