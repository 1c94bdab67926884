"""A humanoid's visual shapes from its URDF, placed in the rest pose, grouped by body part.

Handles the URDF subset the twin's robots use: joints and visuals with translation-only
origins and box, cylinder and sphere geometry. Anything else falls back to the drawn body.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
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


def rest_pose(path: Path) -> tuple[list[tuple[str, pv.PolyData]], dict[str, np.ndarray]] | None:
    """(role, mesh) per visual with the feet on z=0, and hinge points hip_l/r, shoulder_l/r."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    offset: dict[str, np.ndarray] = {}
    joints = root.findall("joint")
    children = {j.find("child").get("link"): j for j in joints  # type: ignore[union-attr]
                if j.find("child") is not None}
    hinges: dict[str, np.ndarray] = {}

    def place(link: str) -> np.ndarray:
        if link not in offset:
            joint = children.get(link)
            if joint is None:
                offset[link] = np.zeros(3)
            else:
                parent = joint.find("parent")
                base = place(str(parent.get("link"))) if parent is not None else np.zeros(3)
                offset[link] = base + _xyz(joint.find("origin"))
        return offset[link]

    shapes: list[tuple[str, pv.PolyData]] = []
    for link in root.findall("link"):
        name = str(link.get("name"))
        for visual in link.findall("visual"):
            geometry = visual.find("geometry")
            if geometry is None:
                continue
            mesh = _shape(geometry, place(name) + _xyz(visual.find("origin")))
            kind = next((c.tag for c in geometry), "")
            if mesh is not None:
                shapes.append((role_of(name, kind), mesh.triangulate()))
    for joint in joints:
        name, child = str(joint.get("name")), joint.find("child")
        if child is None:
            continue
        for side, key in (("left", "l"), ("right", "r")):
            if name.startswith(side) and "hip_pitch" in name:
                hinges[f"hip_{key}"] = place(str(child.get("link")))
            if name.startswith(side) and "shoulder_pitch" in name:
                hinges[f"shoulder_{key}"] = place(str(child.get("link")))
    if not shapes or len(hinges) < 4:
        return None
    floor = min(float(m.bounds[4]) for _, m in shapes)
    lift = np.array([0.0, 0.0, -floor])
    return ([(role, m.translate(lift)) for role, m in shapes],
            {k: v + lift for k, v in hinges.items()})


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
