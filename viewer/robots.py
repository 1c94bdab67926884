"""All humanoids as ONE mesh: a body template posed per robot, points rewritten per frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv

from viewer.style import HEAD, LIMB, ROBOT_COLOURS, SOC_BACK, TOTE, rgb, soc_colour

SWING = 0.5  # leg swing amplitude (rad) at full stride
CARRY_ARM = 1.35  # arm angle holding a tote in front (rad)
BAR_HALF = 0.32  # half length of the battery bar (m)
BAR_Z = 2.02
FIXED = {"head": HEAD, "frame": LIMB, "leg_l": LIMB, "leg_r": LIMB, "arm_l": LIMB,
         "arm_r": LIMB, "tote": TOTE, "bar_back": SOC_BACK}
STATE_ROLES = ("body", "disc")  # drawn in the robot's state colour


@dataclass(frozen=True)
class Part:
    """A rigid piece of the body: its points, triangles, hinge point and role."""

    points: np.ndarray
    faces: np.ndarray
    pivot: np.ndarray
    role: str  # body, head, frame, leg_l/r, arm_l/r, tote, bar_back, bar_fill, disc


def _part(mesh: pv.PolyData, role: str, pivot: tuple[float, ...] | np.ndarray = (0, 0, 0)
          ) -> Part:
    tri = mesh.triangulate().clean()
    faces = np.asarray(tri.faces).reshape(-1, 4)[:, 1:]
    return Part(np.asarray(tri.points, dtype=float), faces, np.asarray(pivot, float), role)


def _box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> pv.PolyData:
    return pv.Box(bounds=(x0, x1, y0, y1, z0, z1))


def extras(height: float) -> list[Part]:
    """What every robot carries besides its body: state disc, tote, battery bar."""
    k = height / 1.76
    return [
        _part(pv.Disc(inner=0.0, outer=0.6, r_res=1, c_res=16).translate((0, 0, 0.012)), "disc"),
        _part(_box(0.16, 0.56, -0.2, 0.2, 0.95 * k, 1.2 * k), "tote", (0.36, 0, 1.07 * k)),
        _part(_box(-BAR_HALF - 0.02, BAR_HALF + 0.02, -0.035, 0.035, BAR_Z - 0.015,
                   BAR_Z + 0.075), "bar_back"),
        _part(_box(0.0, 1.0, -0.045, 0.045, BAR_Z, BAR_Z + 0.06), "bar_fill"),
    ]


def drawn_body(height: float = 1.76) -> list[Part]:
    """A humanoid of the given height from boxes, when no URDF is at hand."""
    k = height / 1.76
    hip, shoulder = 0.95 * k, 1.45 * k
    return [
        _part(_box(-0.12, 0.12, -0.19, 0.19, hip - 0.05, shoulder + 0.07), "body"),
        _part(pv.Sphere(radius=0.12 * k, center=(0.01, 0, shoulder + 0.22 * k),
                        theta_resolution=10, phi_resolution=8), "head"),
        _part(_box(-0.07, 0.07, 0.04, 0.17, 0.0, hip) + _box(-0.06, 0.14, 0.04, 0.17, 0.0, 0.06),
              "leg_l", (0, 0.1, hip)),
        _part(_box(-0.07, 0.07, -0.17, -0.04, 0.0, hip) + _box(-0.06, 0.14, -0.17, -0.04, 0.0,
              0.06), "leg_r", (0, -0.1, hip)),
        _part(_box(-0.05, 0.05, 0.2, 0.29, shoulder - 0.62 * k, shoulder + 0.04), "arm_l",
              (0, 0.245, shoulder)),
        _part(_box(-0.05, 0.05, -0.29, -0.2, shoulder - 0.62 * k, shoulder + 0.04), "arm_r",
              (0, -0.245, shoulder)),
    ]


def urdf_body(path: Path) -> list[Part] | None:
    """The robot's URDF visual shapes in the rest pose, hinged at hips and shoulders."""
    from viewer.urdf import rest_pose

    pose = rest_pose(path)
    if pose is None:
        return None
    shapes, hinges = pose
    pivots = {"leg_l": hinges["hip_l"], "leg_r": hinges["hip_r"],
              "arm_l": hinges["shoulder_l"], "arm_r": hinges["shoulder_r"]}
    return [_part(mesh, role, pivots.get(role, np.zeros(3))) for role, mesh in shapes]


class RobotBatch:
    """N humanoids in one PolyData; ``update`` rewrites points and colours in place."""

    def __init__(self, count: int, height: float = 1.76, urdf: Path | None = None) -> None:
        self.count = count
        body = urdf_body(urdf) if urdf is not None else None
        self.parts = (body or drawn_body(height)) + extras(height)
        sizes = [len(p.points) for p in self.parts]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        self._per_robot = int(starts[-1])
        self._slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:],
                                                              strict=True)]
        template = np.vstack([p.faces + sl.start for p, sl in zip(self.parts, self._slices,
                                                                  strict=True)])
        offsets = (np.arange(count) * self._per_robot)[:, None, None]
        tri = (template[None] + offsets).reshape(-1, 3)
        cells = np.hstack([np.full((len(tri), 1), 3), tri]).ravel()
        self._points = np.zeros((count, self._per_robot, 3))
        self.mesh = pv.PolyData(self._points.reshape(-1, 3).copy(), faces=cells)
        self._colours = np.zeros((count, self._per_robot, 3), dtype=np.uint8)
        for part, sl in zip(self.parts, self._slices, strict=True):
            if part.role in FIXED:
                self._colours[:, sl] = rgb(FIXED[part.role])
        self.mesh.point_data["rgb"] = self._colours.reshape(-1, 3)
        self._state_rgb = {s: rgb(c) for s, c in ROBOT_COLOURS.items()}

    @staticmethod
    def _hinge(part: Part, angle: np.ndarray) -> np.ndarray:
        """Points of a part turned about its hinge's lateral (y) axis, one row per robot."""
        rel = part.points - part.pivot
        c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
        out = np.empty((len(angle), len(rel), 3))
        out[..., 0] = rel[:, 0] * c + rel[:, 2] * s + part.pivot[0]
        out[..., 1] = rel[:, 1] + part.pivot[1]
        out[..., 2] = -rel[:, 0] * s + rel[:, 2] * c + part.pivot[2]
        return out

    def update(self, xy: np.ndarray, heading: np.ndarray, phase: np.ndarray, moving: np.ndarray,
               carrying: np.ndarray, soc: np.ndarray, states: list[str]) -> None:
        """Pose every robot: position, heading (rad), gait phase, tote, battery and state colour."""
        n = self.count
        swing = np.where(moving, SWING * np.sin(phase), 0.0)
        arm = np.where(carrying, -CARRY_ARM, -0.6 * swing)
        angles = {"leg_l": swing, "leg_r": -swing, "arm_l": arm,
                  "arm_r": np.where(carrying, arm, -arm), "tote": np.zeros(n)}
        local = self._points
        for part, sl in zip(self.parts, self._slices, strict=True):
            if part.role == "tote":
                local[:, sl] = np.where(carrying[:, None, None], part.points, part.pivot)
            elif part.role in angles:
                local[:, sl] = self._hinge(part, angles[part.role])
            else:
                local[:, sl] = part.points
        c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
        world = np.empty_like(local)
        world[..., 0] = local[..., 0] * c - local[..., 1] * s + xy[:, 0:1]
        world[..., 1] = local[..., 0] * s + local[..., 1] * c + xy[:, 1:2]
        world[..., 2] = local[..., 2]
        colours = self._colours
        body = np.array([self._state_rgb.get(st, self._state_rgb["idle"]) for st in states])
        for part, sl in zip(self.parts, self._slices, strict=True):
            if part.role in ("bar_back", "bar_fill"):
                # the battery bar stays along x so it reads the same for every robot
                bar = np.broadcast_to(part.points, (n, len(part.points), 3)).copy()
                if part.role == "bar_fill":
                    bar[..., 0] = -BAR_HALF + bar[..., 0] * (2 * BAR_HALF) * soc[:, None]
                    colours[:, sl] = soc_colour(soc)[:, None, :]
                bar[..., 0] += xy[:, 0:1]
                bar[..., 1] += xy[:, 1:2]
                world[:, sl] = bar
            elif part.role in STATE_ROLES:
                colours[:, sl] = body[:, None, :]
        points: Any = self.mesh.points
        points[:] = world.reshape(-1, 3)
        rgb_data: Any = self.mesh.point_data["rgb"]
        rgb_data[:] = colours.reshape(-1, 3)
        self.mesh.Modified()
