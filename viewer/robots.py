"""All humanoids as ONE mesh: a body template posed per robot, points rewritten per frame.

Every part (a URDF visual, or a piece of the drawn body) is rigid, so posing it is one
rotation and translation per robot: ``points @ R.T + T``. Surrogate runs build R and T from
the heading and the walk clip's pitch angles along the part's hinge chain (``viewer.gait``);
physics runs take them from the recorded world frame of the part's link
(``viewer.poses``), and draw the held tote where the physics put it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv

from twin.physics.body import REFERENCE_HEIGHT, TOTE_SIZE
from viewer.gait import CLIP_HIP_HEIGHT, walk_angles, walk_clip
from viewer.poses import LinkFrame
from viewer.style import HEAD, LIMB, ROBOT_COLOURS, SOC_BACK, TOTE, rgb, soc_colour

BAR_HALF = 0.32  # half length of the battery bar (m)
BAR_Z = 2.02
PHYSICS_TOTE = np.array(TOTE_SIZE)  # the tote physics carries (its home: twin/physics/body.py)
FIXED = {"head": HEAD, "frame": LIMB, "leg_l": LIMB, "leg_r": LIMB, "arm_l": LIMB,
         "arm_r": LIMB, "tote": TOTE, "bar_back": SOC_BACK}
STATE_ROLES = ("body", "disc")  # drawn in the robot's state colour
Chain = tuple[tuple[str, np.ndarray], ...]


@dataclass(frozen=True)
class Part:
    """A rigid piece of the body in the rest pose, and how it is posed.

    ``pivot`` is where a hidden part (the tote when empty-handed) collapses to; ``frame`` the
    pose-table link that carries it in physics runs ('' for none), ``origin`` that frame's
    origin at rest and ``scale`` a per-axis stretch applied in that frame; ``chain`` the
    animated pitch hinges from the root out, (key, pivot), for surrogate runs.
    """

    points: np.ndarray
    faces: np.ndarray
    pivot: np.ndarray
    role: str  # body, head, frame, leg_l/r, arm_l/r, tote, bar_back, bar_fill, disc
    frame: str = ""
    origin: np.ndarray = field(default_factory=lambda: np.zeros(3))
    chain: Chain = ()
    scale: np.ndarray = field(default_factory=lambda: np.ones(3))


def _part(mesh: pv.PolyData, role: str, pivot: tuple[float, ...] | np.ndarray = (0, 0, 0),
          **pose: Any) -> Part:
    tri = mesh.triangulate().clean()
    faces = np.asarray(tri.faces).reshape(-1, 4)[:, 1:]
    return Part(np.asarray(tri.points, dtype=float), faces, np.asarray(pivot, float), role,
                **pose)


def _box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> pv.PolyData:
    return pv.Box(bounds=(x0, x1, y0, y1, z0, z1))


def extras(height: float) -> list[Part]:
    """What every robot carries besides its body: state disc, tote, battery bar."""
    k = height / REFERENCE_HEIGHT
    return [
        _part(pv.Disc(inner=0.0, outer=0.6, r_res=1, c_res=16).translate((0, 0, 0.012)), "disc"),
        _part(_box(0.16, 0.56, -0.2, 0.2, 0.95 * k, 1.2 * k), "tote", (0.36, 0, 1.07 * k),
              frame="tote", origin=np.array([0.36, 0, 1.075 * k]),
              scale=PHYSICS_TOTE / np.array([0.4, 0.4, 0.25 * k])),
        _part(_box(-BAR_HALF - 0.02, BAR_HALF + 0.02, -0.035, 0.035, BAR_Z - 0.015,
                   BAR_Z + 0.075), "bar_back"),
        _part(_box(0.0, 1.0, -0.045, 0.045, BAR_Z, BAR_Z + 0.06), "bar_fill"),
    ]


def drawn_body(height: float = REFERENCE_HEIGHT) -> list[Part]:
    """A humanoid of the given height from boxes, when no URDF is at hand."""
    k = height / REFERENCE_HEIGHT
    hip, shoulder = 0.95 * k, 1.45 * k
    return [
        _part(_box(-0.12, 0.12, -0.19, 0.19, hip - 0.05, shoulder + 0.07), "body"),
        _part(pv.Sphere(radius=0.12 * k, center=(0.01, 0, shoulder + 0.22 * k),
                        theta_resolution=10, phi_resolution=8), "head"),
        _part(_box(-0.07, 0.07, 0.04, 0.17, 0.0, hip) + _box(-0.06, 0.14, 0.04, 0.17, 0.0, 0.06),
              "leg_l", (0, 0.1, hip), chain=(("hip_l", np.array([0, 0.1, hip])),)),
        _part(_box(-0.07, 0.07, -0.17, -0.04, 0.0, hip) + _box(-0.06, 0.14, -0.17, -0.04, 0.0,
              0.06), "leg_r", (0, -0.1, hip), chain=(("hip_r", np.array([0, -0.1, hip])),)),
        _part(_box(-0.05, 0.05, 0.2, 0.29, shoulder - 0.62 * k, shoulder + 0.04), "arm_l",
              (0, 0.245, shoulder), chain=(("shoulder_l", np.array([0, 0.245, shoulder])),)),
        _part(_box(-0.05, 0.05, -0.29, -0.2, shoulder - 0.62 * k, shoulder + 0.04), "arm_r",
              (0, -0.245, shoulder),
              chain=(("shoulder_r", np.array([0, -0.245, shoulder])),)),
    ]


def urdf_body(path: Path, height: float = REFERENCE_HEIGHT) -> list[Part] | None:
    """The robot's URDF visual shapes in the rest pose, with their links and hinge chains,
    scaled to ``height`` as the physics scales the body (twin/physics/body.py)."""
    from viewer.urdf import visuals

    shapes = visuals(path)
    if shapes is None:
        return None
    k = height / REFERENCE_HEIGHT
    parts = []
    for v in shapes:
        chain = tuple((key, pivot * k) for key, pivot in v.chain)
        parts.append(_part(v.mesh.scale(k, inplace=False), v.role,
                           chain[-1][1] if chain else v.origin * k, frame=v.frame,
                           origin=v.origin * k, chain=chain))
    return parts


class RobotBatch:
    """N humanoids in one PolyData; ``update`` rewrites points and colours in place."""

    def __init__(self, count: int, height: float = REFERENCE_HEIGHT,
                 urdf: Path | None = None) -> None:
        self.count = count
        body = urdf_body(urdf, height) if urdf is not None else None
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
        if count:  # a line without robots draws none (VTK refuses empty colour arrays)
            self.mesh.point_data["rgb"] = self._colours.reshape(-1, 3)
        self._state_rgb = {s: rgb(c) for s, c in ROBOT_COLOURS.items()}
        # the walk clip plays one cycle per stride, scaled from the clip's by hip height
        self.clip = walk_clip()
        hips = [p for part in self.parts for k, p in part.chain if k.startswith("hip")]
        hip = float(hips[0][2]) if hips else 0.95 * height / REFERENCE_HEIGHT
        self.stride = self.clip.stride_m * hip / CLIP_HIP_HEIGHT if self.clip else 0.0

    def _chain(self, chain: Chain, angles: dict[str, np.ndarray], n: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pitch hinges composed: total angle and where the rest origin goes (x, z)."""
        total, x, z = np.zeros(n), np.zeros(n), np.zeros(n)
        for key, pivot in reversed(chain):  # distal hinge first
            a = angles.get(key)
            if a is None:
                continue
            c, s = np.cos(a), np.sin(a)
            rx, rz = x - pivot[0], z - pivot[2]
            x, z = rx * c + rz * s + pivot[0], -rx * s + rz * c + pivot[2]
            total = total + a
        return total, x, z

    def update(self, xy: np.ndarray, heading: np.ndarray, phase: np.ndarray, moving: np.ndarray,
               carrying: np.ndarray, soc: np.ndarray, states: list[str],
               links: LinkFrame | None = None) -> None:
        """Pose every robot: position, heading (rad), gait phase, tote, battery and state colour.

        With ``links`` (a physics run), robots it marks as posed take every part's world frame
        from it, and show the tote only where the physics recorded one.
        """
        n = self.count
        angles = walk_angles(phase, moving, carrying, self.stride, self.clip)
        ch, sh = np.cos(heading), np.sin(heading)
        flat = np.zeros((n, 3))
        flat[:, :2] = xy
        physics = links is not None and bool(links.posed.any())
        if physics:
            assert links is not None
            rotations = links.rotations()
        world, cache = self._points, {}
        for part, sl in zip(self.parts, self._slices, strict=True):
            if part.role in ("bar_back", "bar_fill"):
                continue
            keys = tuple(k for k, _ in part.chain)
            if keys not in cache:  # R = Rz(heading) Ry(pitch), T = Rz(heading) origin' + xy
                pitch, tx, tz = self._chain(part.chain, angles, n)
                ca, sa = np.cos(pitch), np.sin(pitch)
                rot = np.zeros((n, 3, 3))
                rot[:, 0, 0], rot[:, 0, 1], rot[:, 0, 2] = ch * ca, -sh, ch * sa
                rot[:, 1, 0], rot[:, 1, 1], rot[:, 1, 2] = sh * ca, ch, sh * sa
                rot[:, 2, 0], rot[:, 2, 2] = -sa, ca
                shift = flat + np.stack([ch * tx, sh * tx, tz], axis=1)
                cache[keys] = (rot, shift)
            rot, shift = cache[keys]
            hidden: np.ndarray | None = None
            if part.role == "tote":
                hidden = ~np.asarray(carrying, dtype=bool)
            if physics and part.frame and links is not None and part.frame in links.index:
                k = links.index[part.frame]
                use = links.posed & links.valid[:, k]
                if hidden is not None:  # the tote: only where the physics recorded one
                    hidden = np.asarray(np.where(links.posed, ~use, hidden), dtype=bool)
                if use.any():
                    r = rotations[:, k] * part.scale[None, None, :]
                    t = links.pos[:, k] - r @ part.origin
                    rot = np.where(use[:, None, None], r, rot)
                    shift = np.where(use[:, None], t, shift)
            if hidden is not None and hidden.any():  # collapse to a point: nothing drawn
                shift = np.where(hidden[:, None], shift + rot @ part.pivot, shift)
                rot = np.where(hidden[:, None, None], 0.0, rot)
            world[:, sl] = np.matmul(part.points, rot.transpose(0, 2, 1)) + shift[:, None, :]
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
