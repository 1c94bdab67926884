"""Where a humanoid body is: pelvis pose, link frames, hand grip points and the walking frame.

Read by the humanoid (``humanoid.Humanoid``), the primitives and the grasp: a body holds
``body``, ``joint`` (name -> index) and ``client``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pybullet as pb


def yaw_of(quat: tuple[float, ...] | list[float]) -> float:
    """Heading (rad) of a quaternion (x, y, z, w)."""
    x, y, z, w = quat
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


class BodyFrames:
    """Read-only geometry of a humanoid body in a PyBullet world."""

    body: int
    client: int
    joint: dict[str, int]

    def pose(self) -> tuple[float, float, float]:
        """Pelvis (x, y, heading rad) on the floor."""
        pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)
        return pos[0], pos[1], yaw_of(orn)

    def pelvis(self) -> tuple[tuple[float, float, float], tuple[float, float, float, float]]:
        """Pelvis position and orientation."""
        pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=self.client)
        return pos, orn

    def grip_point(self, side: str) -> np.ndarray:
        """World position of one hand's grip point."""
        state = pb.getLinkState(self.body, self.joint[f"{side}_wrist"],
                                physicsClientId=self.client)
        return np.array(state[4])  # the hand's frame sits on the wrist axis

    def link_frame(self, link: str) -> tuple[Any, Any]:
        """World frame (position, orientation) of the child link of joint ``link``."""
        state = pb.getLinkState(self.body, self.joint[link], physicsClientId=self.client)
        return state[4], state[5]

    def to_body(self, point: Any) -> np.ndarray:
        """A world point in the walking frame: (ahead, left, height above floor)."""
        x, y, yaw = self.pose()
        dx, dy = point[0] - x, point[1] - y
        c, s = math.cos(yaw), math.sin(yaw)
        return np.array([c * dx + s * dy, -s * dx + c * dy, point[2]])

    def to_world(self, point: Any, pose: tuple[float, float, float] | None = None
                 ) -> np.ndarray:
        """A walking-frame point (ahead, left, height) in world coordinates; ``pose``: the
        pelvis's ``pose()`` if already read."""
        x, y, yaw = self.pose() if pose is None else pose
        c, s = math.cos(yaw), math.sin(yaw)
        return np.array([x + c * point[0] - s * point[1], y + s * point[0] + c * point[1],
                         point[2]])
