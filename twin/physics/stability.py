"""How close a humanoid came to falling: the capture point's margin to the support polygon.

The capture point is where the body would have to step to come to rest as a linear inverted
pendulum: CoM + CoM velocity / omega (omega = sqrt(g / z_c), the walking pattern's own). While
it lies inside the support polygon (the convex hull of the soles on the floor) the body can stop
without a step; its distance to the polygon's edge is the margin, negative outside. Everything
is read from what the balance controller measured this control period (``Humanoid.control``:
the CoM of body and load, its filtered velocity, the feet the plan is anchored on): no PyBullet
query per period, one per primitive for the sole's size (the URDF's foot box).
"""

from __future__ import annotations

import math

import pybullet as pb

from twin.physics.humanoid import Humanoid
from twin.physics.walking import FOOT_CENTRE


def sole(robot: Humanoid) -> tuple[float, float]:
    """Half length and half width (m) of a sole: the foot's collision box in the URDF."""
    shape = pb.getCollisionShapeData(robot.body, robot.joint["left_ankle_roll"],
                                     physicsClientId=robot.client)
    length, width = shape[0][3][:2]
    return length / 2, width / 2


Point = tuple[float, float]


def support(robot: Humanoid, half: tuple[float, float]) -> list[Point]:
    """Corners of the soles on the floor: both feet standing and in double support, the
    stance foot while the other swings."""
    gait = robot.gait
    step = gait.step
    corners = []
    for side, foot in gait.feet.items():
        if step is not None and side == step.swing and step.t >= step.double:
            continue  # in the air
        c, s = math.cos(foot.yaw), math.sin(foot.yaw)
        for ax, ay in ((half[0], half[1]), (-half[0], half[1]), (-half[0], -half[1]),
                       (half[0], -half[1])):
            x = FOOT_CENTRE + ax
            corners.append((foot.x + c * x - s * ay, foot.y + s * x + c * ay))
    return corners


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def hull(points: list[Point]) -> list[Point]:
    """Convex hull (counter-clockwise, no repeated end) of a few points: Andrew's monotone
    chain."""
    pts = sorted(points)
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def margin(point: Point, polygon: list[Point]) -> float:
    """Signed distance (m) of ``point`` to the edge of the convex ``polygon`` (corners
    counter-clockwise): positive inside, negative outside."""
    px, py = point
    inside, outside = math.inf, math.inf
    for k, (ax, ay) in enumerate(polygon):
        bx, by = polygon[(k + 1) % len(polygon)]
        ex, ey, rx, ry = bx - ax, by - ay, px - ax, py - ay
        length2 = ex * ex + ey * ey
        inside = min(inside, (ex * ry - ey * rx) / math.sqrt(length2))  # left of the edge
        f = min(max((rx * ex + ry * ey) / length2, 0.0), 1.0)
        outside = min(outside, math.hypot(rx - f * ex, ry - f * ey))
    return inside if inside >= 0.0 else -outside


def capture_point(robot: Humanoid) -> Point:
    """The measured capture point (x, y) of the control period just run."""
    com, vel, omega = robot._last_com, robot.com_vel, robot.gait.omega
    return float(com[0]) + float(vel[0]) / omega, float(com[1]) + float(vel[1]) / omega


class Watch:
    """The smallest capture-point margin over the control periods it has seen."""

    def __init__(self, robot: Humanoid) -> None:
        self.robot = robot
        self.half = sole(robot)
        self.low = math.inf

    def see(self) -> None:
        """Take this period's margin."""
        self.low = min(self.low, margin(capture_point(self.robot),
                                        hull(support(self.robot, self.half))))
