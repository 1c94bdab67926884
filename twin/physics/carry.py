"""A two-hand grasp: ball-joint constraints from each grip point to its handle, and drop checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pybullet as pb

from twin.physics.humanoid import Humanoid
from twin.physics.world import Tote, World

GRIP_FORCE = 400.0  # N each hand can hold before the grasp slips
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

    @classmethod
    def grasp(cls, world: World, robot: Humanoid, tote: Tote) -> Carry:
        """Close both fists on the handle bars. A fist holds its bar at two points along it
        (``FIST`` apart), so the tote cannot swing about the line between the hands: a pair
        of ball joints alone would let it swing like a pendulum under the handles."""
        c = world.client
        carry = cls(world, robot, tote)
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
                pb.changeConstraint(cid, maxForce=GRIP_FORCE / 2, physicsClientId=c)
                carry.constraints.append(cid)
        robot.hold(tote.body, carry.constraints)
        return carry

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
        """Weaken the grip to ``force`` N per hand (tests, fault injection)."""
        for cid in self.constraints:
            pb.changeConstraint(cid, maxForce=force, physicsClientId=self.world.client)

    def release(self) -> None:
        """Open both hands."""
        for cid in self.constraints:
            pb.removeConstraint(cid, physicsClientId=self.world.client)
        self.constraints.clear()
        self.robot.let_go()
