"""A stepping pattern: foot targets for a commanded pelvis twist (vx, vy, wz).

Planted feet move opposite to the commanded twist in the pelvis frame, so a non-slipping foot
pushes the body along; the swing foot is carried to the next foothold on a raised arc. With
stepping off, both feet stay planted and the twist shifts the body over them (fine docking).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twin.physics.kinematics import ANKLE_HEIGHT, HIP_Y, HIP_Z

SIDES = ("left", "right")


@dataclass
class Foot:
    """A foot in the pelvis yaw frame: position of the ankle from the pelvis centre, yaw."""

    x: float
    y: float
    yaw: float = 0.0
    lift: float = 0.0


def _smooth(s: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(max(s, 0.0), 1.0))


class Gait:
    """Foot placement for a twist command; cadence grows with speed."""

    def __init__(self, pelvis_height: float = 0.86, step_height: float = 0.07,
                 sway: float = 0.025, stance_width: float = HIP_Y) -> None:
        self.pelvis_height = pelvis_height
        self.step_height = step_height
        self.sway = sway
        self.stance_width = stance_width
        self.feet = {"left": Foot(0.0, stance_width), "right": Foot(0.0, -stance_width)}
        self.twist = (0.0, 0.0, 0.0)
        self.stepping = False
        self.swing: str | None = None
        self.next_side = "left"
        self.t = 0.0
        self.start = Foot(0.0, 0.0)
        self.steps = 0
        self.hold = False
        self.lean = 0.0  # m the feet are placed ahead of the pelvis to balance a load in front

    def command(self, vx: float, vy: float, wz: float, stepping: bool = True,
                shift: bool = False) -> None:
        """Set the pelvis twist (m/s, m/s, rad/s in the pelvis frame) and whether to step;
        ``shift`` keeps both feet planted (no closing steps) so the twist moves the body."""
        self.twist = (vx, vy, wz)
        self.stepping = stepping
        self.hold = shift and not stepping

    def step_period(self) -> float:
        """Duration of one step (s): cadence 1.4 + 0.8 v steps/s."""
        vx, vy, wz = self.twist
        speed = math.hypot(vx, vy) + 0.3 * abs(wz)
        return 1.0 / (1.4 + 0.8 * speed)

    def _nominal(self, side: str) -> tuple[float, float]:
        return (0.0, self.stance_width if side == "left" else -self.stance_width)

    def settled(self) -> bool:
        """Both feet down near their nominal spots."""
        if self.swing is not None:
            return False
        return all(math.hypot(f.x - self._nominal(s)[0], f.y - self._nominal(s)[1]) < 0.03
                   and abs(f.yaw) < 0.03 for s, f in self.feet.items())

    def update(self, dt: float) -> None:
        """Advance the pattern by ``dt``."""
        vx, vy, wz = self.twist
        for side, foot in self.feet.items():
            if side != self.swing:
                foot.x, foot.y = (foot.x - dt * (vx - wz * foot.y),
                                  foot.y - dt * (vy + wz * foot.x))
                foot.yaw -= wz * dt
        if self.swing is None and not self.hold and (
            self.stepping or self._needs_closing_step()
        ):
            self.swing = self.next_side
            f = self.feet[self.swing]
            self.start = Foot(f.x, f.y, f.yaw)
            self.t = 0.0
        if self.swing is None:
            return
        period = self.step_period()
        self.t += dt
        s = self.t / period
        nx, ny = self._nominal(self.swing)
        half = 0.5 * period if self.stepping else 0.0
        tx, ty, tyaw = nx + vx * half, ny + vy * half, wz * half
        k = _smooth(s)
        f = self.feet[self.swing]
        f.x = self.start.x + (tx - self.start.x) * k
        f.y = self.start.y + (ty - self.start.y) * k
        f.yaw = self.start.yaw + (tyaw - self.start.yaw) * k
        f.lift = self.step_height * math.sin(math.pi * min(s, 1.0))
        if s >= 1.0:
            f.lift = 0.0
            self.next_side = "right" if self.swing == "left" else "left"
            self.swing = None
            self.steps += 1

    def _needs_closing_step(self) -> bool:
        f = self.feet[self.next_side]
        nx, ny = self._nominal(self.next_side)
        other = "right" if self.next_side == "left" else "left"
        g = self.feet[other]
        ox, oy = self._nominal(other)
        far = math.hypot(f.x - nx, f.y - ny) > 0.03 or abs(f.yaw) > 0.03
        other_far = math.hypot(g.x - ox, g.y - oy) > 0.03 or abs(g.yaw) > 0.03
        if not far and other_far:
            self.next_side = other
        return far or other_far

    def sway_offset(self) -> float:
        """Lateral shift of the feet that puts the pelvis over the stance foot."""
        if self.swing is None:
            return 0.0
        s = min(self.t / self.step_period(), 1.0)
        sign = 1.0 if self.swing == "right" else -1.0
        return -sign * self.sway * math.sin(math.pi * s)

    def ankle_targets(self) -> dict[str, tuple[float, float, float, float]]:
        """Ankle (x, y, z, yaw) from each hip joint, for the leg IK."""
        dy = self.sway_offset()
        out = {}
        for side, f in self.feet.items():
            hip_y = HIP_Y if side == "left" else -HIP_Y
            z = ANKLE_HEIGHT + f.lift - (self.pelvis_height + HIP_Z)
            out[side] = (f.x + self.lean, f.y + dy - hip_y, z, f.yaw)
        return out
