"""The body from the robot file: how tall the humanoid is sets every length of its physics body
and of its controller, and which work surfaces its arms reach. No PyBullet here (``twin check``
and the robot YAML's validation read it; so does the viewer, for the work geometry).

The URDF (``assets/robots/humanoid.urdf``) and the controller's reference lengths (link lengths
in ``kinematics`` with the pelvis's heights, the gait's ``walking.GaitParameters``) are drawn
for a body ``REFERENCE_HEIGHT`` tall. A robot file's ``height`` scales all of them uniformly by
``s = height / REFERENCE_HEIGHT`` (geometric similarity): the URDF at load (PyBullet's
``globalScaling``, which scales every shape and joint frame and recomputes the links' inertias
from the scaled shapes, leaving masses and joint limits; the masses then follow the robot's
``mass``), the controller's lengths by ``s``, and its timing by ``sqrt(s)`` (a pendulum's
period goes with the square root of its length; speeds with it too, accelerations stay).
At the reference height ``s`` is exactly 1 and every figure is bit-for-bit the reference's.

The work geometry is the line's, not the robot's: surfaces ``STAND_HEIGHT`` high, a tote of
``TOTE_SIZE`` with handle bars ``HANDLE`` out; where the robot stands to work at it is the
body's: the tote's centre ``Body.stand_ahead`` ahead of the work pose (``STAND_AHEAD`` for the
reference body). ``Body.work_heights`` says which surface heights the arms reach from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.physics.kinematics import (
    ANKLE_HEIGHT,
    CROUCH_HEIGHT,
    FOREARM,
    HIP_Y,
    HIP_Z,
    PELVIS_HEIGHT,
    SHANK,
    SHOULDER,
    THIGH,
    UPPER_ARM,
    WAIST_Z,
)

if TYPE_CHECKING:
    from twin.physics.walking import GaitParameters

REFERENCE_HEIGHT = 1.76  # m, standing height the URDF and the controller's lengths are drawn for
STAND_HEIGHT = 0.80  # m, work surface of racks, stations and conveyors
STAND_AHEAD = 0.55  # m from a work pose to the centre of the tote on its surface (the
# reference body's: a body's own is x its scale, as far as its arms reach)
TOTE_SIZE = (0.30, 0.40, 0.20)  # m: depth (along the robot's heading), width, height
HANDLE = 0.03  # m the handle bars stick out on both sides
HANDLE_BELOW_RIM = 0.03  # m from the tote's rim down to its handle bars
PICK_WAIST = 0.35  # rad the waist bends forward as the hands reach for a tote's handles, with
# the pelvis at CROUCH_HEIGHT (twin.physics.primitives.pick writes the same 0.35: to be read here)
PICK_PELVIS_BACK = 0.10  # m (reference body) the balance moves the pelvis back from the work
# pose as the torso bends at a pick (measured: 0.103 m for walker_s2 at 1.76 m, 0.092 m at 1.50)
PICK_TOLERANCE = 0.03  # m the hands may stay from the handles and still grasp (the default of
# primitives.pick's tolerance, written there too: to be read here)


@dataclass(frozen=True)
class Body:
    """A humanoid's dimensions at ``scale`` times the reference body."""

    scale: float = 1.0

    @classmethod
    def of(cls, height: float) -> Body:
        """The body of a robot ``height`` m tall (``RobotSpec.height``)."""
        return cls(height / REFERENCE_HEIGHT)

    def length(self, metres: float) -> float:
        """A reference length, scaled to this body."""
        return metres * self.scale

    def duration(self, seconds: float) -> float:
        """A reference duration of the gait, scaled as a pendulum's period (sqrt of length)."""
        return seconds * math.sqrt(self.scale)

    def speed(self, metres_per_second: float) -> float:
        """A reference speed of the gait, scaled as a pendulum's (sqrt of length)."""
        return metres_per_second * math.sqrt(self.scale)

    @property
    def height(self) -> float:
        """Standing height (m)."""
        return self.length(REFERENCE_HEIGHT)

    @property
    def thigh(self) -> float:
        return self.length(THIGH)

    @property
    def shank(self) -> float:
        return self.length(SHANK)

    @property
    def upper_arm(self) -> float:
        return self.length(UPPER_ARM)

    @property
    def forearm(self) -> float:
        return self.length(FOREARM)

    @property
    def hip_y(self) -> float:
        return self.length(HIP_Y)

    @property
    def hip_z(self) -> float:
        return self.length(HIP_Z)

    @property
    def ankle_height(self) -> float:
        return self.length(ANKLE_HEIGHT)

    @property
    def waist_z(self) -> float:
        return self.length(WAIST_Z)

    @property
    def shoulder(self) -> tuple[float, float, float]:
        """The left shoulder joint from the waist joint (m)."""
        x, y, z = SHOULDER
        return (self.length(x), self.length(y), self.length(z))

    @property
    def crouch_height(self) -> float:
        """Pelvis centre above the floor while the hands work at a surface (m)."""
        return self.length(CROUCH_HEIGHT)

    @property
    def stand_ahead(self) -> float:
        """From the work pose to the centre of the tote on the surface (m)."""
        return self.length(STAND_AHEAD)

    @property
    def pelvis_height(self) -> float:
        """Pelvis centre above the floor while walking (m)."""
        return self.length(PELVIS_HEIGHT)

    def gait(self) -> GaitParameters:
        """The walking pattern's step geometry and timing, scaled."""
        from twin.physics.walking import GaitParameters

        return GaitParameters().scaled(self)

    def work_heights(self) -> tuple[float, float]:
        """Lowest and highest work surface (m) whose tote handles the arms reach from the work
        pose at a pick: pelvis crouched (``crouch_height``) and moved back by the balance
        (``PICK_PELVIS_BACK``), waist bent ``PICK_WAIST``, the handle ``stand_ahead`` ahead and
        half the tote's width plus ``HANDLE`` aside, within the arm's length and the grasp's
        tolerance of the shoulder. (0, 0): none. walker_s2's: 0.76-1.41 m."""
        sx, sy, sz = self.shoulder
        torso = math.hypot(sx, sz)
        lean = math.atan2(sx, sz) + PICK_WAIST
        ahead = torso * math.sin(lean) - self.length(PICK_PELVIS_BACK)
        up = self.crouch_height + self.waist_z + torso * math.cos(lean)
        aside = TOTE_SIZE[1] / 2 + HANDLE - sy
        across = math.hypot(self.stand_ahead - ahead, aside)
        arm = self.upper_arm + self.forearm + PICK_TOLERANCE
        if across >= arm:
            return (0.0, 0.0)
        rise = math.sqrt(arm * arm - across * across)
        handle = TOTE_SIZE[2] - HANDLE_BELOW_RIM  # handle bars above the surface
        return (up - rise - handle, up + rise - handle)

    def reaches(self, surface: float = STAND_HEIGHT) -> bool:
        """Whether the arms reach a tote on a surface ``surface`` m high."""
        low, high = self.work_heights()
        return low <= surface <= high


def shortest_reaching(surface: float = STAND_HEIGHT) -> float:
    """The least standing height (m, to the centimetre above) whose arms reach a tote on a
    surface ``surface`` m high."""
    lo, hi = 0.5, REFERENCE_HEIGHT
    if not Body.of(hi).reaches(surface):
        return math.inf
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if Body.of(mid).reaches(surface) else (mid, hi)
    return math.ceil(hi * 100.0) / 100.0


def tallest_reaching(surface: float = STAND_HEIGHT) -> float:
    """The greatest standing height (m, to the centimetre below) whose arms reach a tote on a
    surface ``surface`` m high."""
    lo, hi = REFERENCE_HEIGHT, 4.0
    if not Body.of(lo).reaches(surface):
        return -math.inf
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if Body.of(mid).reaches(surface) else (lo, mid)
    return math.floor(lo * 100.0) / 100.0
