"""A humanoid's visual shapes from its URDF, placed in the rest pose, grouped by body part.

Handles the URDF subset the twin's robots use: joints and visuals with translation-only
origins and box, cylinder and sphere geometry. Anything else falls back to the drawn body.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvista as pv

from twin.config import Line


def _xyz(element: ET.Element | None, key: str = "xyz") -> np.ndarray:
    if element is None or element.get(key) is None:
        return np.zeros(3)
    return np.array([float(v) for v in str(element.get(key)).split()])


def _shape(geometry: ET.Element, centre: np.ndarray) -> pv.PolyData | None:
    box, cyl, ball = geometry.find("box"), geometry.find("cylinder"), geometry.find("sphere")
    if box is not None:
        half = _xyz(box, "size") / 2
        lo, hi = centre - half, centre + half
        return pv.Box(bounds=(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
    if cyl is not None:
        return pv.Cylinder(center=centre, direction=(0, 0, 1), radius=float(cyl.get("radius", 0)),
                           height=float(cyl.get("length", 0)), resolution=10)
    if ball is not None:
        return pv.Sphere(radius=float(ball.get("radius", 0)), center=centre,
                         theta_resolution=10, phi_resolution=8)
    return None


def role_of(link: str, shape: str) -> str:
    """Which animated group a link belongs to: leg_l, leg_r, arm_l, arm_r, head or body."""
    side = "l" if link.startswith("left") else "r" if link.startswith("right") else ""
    if side and any(k in link for k in ("thigh", "shank", "shin", "foot", "leg")):
        return f"leg_{side}"
    if side and any(k in link for k in ("arm", "hand", "elbow", "wrist")):
        return f"arm_{side}"
    if shape == "sphere" and link in ("torso", "head", "neck"):
        return "head"
    return "body" if link in ("torso", "chest") else "frame"


# pitch joints (axis 0 1 0) the walk animation turns, by the suffix of the joint's name
PITCH_KEYS = {"hip_pitch": "hip", "knee": "knee", "ankle_pitch": "ankle",
              "shoulder_pitch": "shoulder", "elbow": "elbow"}


@dataclass(frozen=True)
class Visual:
    """One visual shape in the rest pose (feet on z=0) and how it is posed.

    ``frame`` names the link as the physics pose table does (the joint that moves it, or the
    root link's own name); ``origin`` is that link frame's origin in the rest pose (every
    frame is axis-aligned there); ``chain`` lists the animated pitch hinges from the root
    out, as (key, pivot) with keys like ``hip_l`` or ``knee_r``.
    """

    role: str
    frame: str
    mesh: pv.PolyData
    origin: np.ndarray
    chain: tuple[tuple[str, np.ndarray], ...]


def _pitch_key(name: str, axis: np.ndarray) -> str | None:
    side = "l" if name.startswith("left") else "r" if name.startswith("right") else ""
    if not side or not np.allclose(np.abs(axis), (0, 1, 0)):
        return None
    for suffix, key in PITCH_KEYS.items():
        if name.endswith(suffix):
            return f"{key}_{side}"
    return None


def visuals(path: Path) -> list[Visual] | None:
    """The URDF's visual shapes posed at rest, or None if it is not the subset handled here.

    Needs pitch hinges at both hips and both shoulders for the walk animation.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    joints = root.findall("joint")
    children = {str(c.get("link")): j for j in joints if (c := j.find("child")) is not None}
    offset: dict[str, np.ndarray] = {}
    chains: dict[str, tuple[tuple[str, np.ndarray], ...]] = {}

    def place(link: str) -> np.ndarray:
        if link not in offset:
            joint = children.get(link)
            if joint is None:
                offset[link], chains[link] = np.zeros(3), ()
            else:
                parent = joint.find("parent")
                up = str(parent.get("link")) if parent is not None else ""
                base = place(up) if up else np.zeros(3)
                offset[link] = base + _xyz(joint.find("origin"))
                chain = chains.get(up, ())
                key = _pitch_key(str(joint.get("name")), _xyz(joint.find("axis")))
                chains[link] = chain + ((key, offset[link]),) if key else chain
        return offset[link]

    found: list[tuple[str, str, pv.PolyData, np.ndarray, str]] = []
    for link in root.findall("link"):
        name = str(link.get("name"))
        joint = children.get(name)
        frame = str(joint.get("name")) if joint is not None else name
        for visual in link.findall("visual"):
            geometry = visual.find("geometry")
            if geometry is None:
                continue
            mesh = _shape(geometry, place(name) + _xyz(visual.find("origin")))
            kind = next((c.tag for c in geometry), "")
            if mesh is not None:
                found.append((role_of(name, kind), frame, mesh.triangulate(), offset[name], name))
    keys = {k for chain in chains.values() for k, _ in chain}
    if not found or not {"hip_l", "hip_r", "shoulder_l", "shoulder_r"} <= keys:
        return None
    floor = min(float(m.bounds[4]) for _, _, m, _, _ in found)
    lift = np.array([0.0, 0.0, -floor])
    return [Visual(role, frame, mesh.translate(lift), origin + lift,
                   tuple((k, p + lift) for k, p in chains[name]))
            for role, frame, mesh, origin, name in found]


def robot_urdf(line: Line) -> Path | None:
    """The URDF of the line's robot, if it names one that exists."""
    from twin.robot import ROBOTS_DIR, RobotSpec

    fleet = line.fleet
    if fleet is None:
        return None
    spec = fleet.robot
    if isinstance(spec, str):
        try:
            from twin.loader import load_robot

            spec = load_robot(spec)
        except (ValueError, OSError):
            return None
    if not isinstance(spec, RobotSpec) or not spec.urdf:
        return None
    path = ROBOTS_DIR / spec.urdf
    return path if path.is_file() else None
