"""A window of a run as an animated glTF: the layout Y-up with named nodes and materials, each
humanoid a figure of rigid parts (torso, head, thighs, shins, upper arms, forearms) whose root
walks the run's paths and whose hips, knees, shoulders and elbows play the walk clip
(``viewer.gait``), a tote in its arms while it carries, and each station's body in the colour of
its state over time (core glTF cannot key a colour, so each state is a child node shown by
scale: 1 while the station is in it, 0 otherwise, stepped).

Robots follow the event log (the replay's walking paths and the gait clip), also for physics
runs: their recorded link poses are not used here yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from viewer import style
from viewer.buffers import TOTE_SIZE
from viewer.gait import CLIP_HIP_HEIGHT, walk_angles, walk_clip
from viewer.gltf import Gltf, pitch_quaternions, yaw_quaternions
from viewer.replay import Timeline
from viewer.scene import box, static_pieces, station_meshes

HIP, SHOULDER = 0.95, 1.45  # m above the soles: viewer.robots' drawn body, 1.76 m tall
THIGH = SHIN = HIP / 2
UPPER_ARM = FOREARM = 0.31
TOTE_AT = (0.36, 0.0, 1.07)  # where a carried tote's centre sits in the robot's frame
MAX_KEYS = 20_000


@dataclass(frozen=True)
class Joint:
    """A hinge of the figure: its key in the walk clip, parent, pivot, and the part it moves."""

    key: str
    parent: str
    pivot: tuple[float, float, float]
    part: tuple[float, float, float, float, float, float]  # box in the joint's frame


def _joints() -> list[Joint]:
    out = []
    for side, y in (("l", 1.0), ("r", -1.0)):
        out += [
            Joint(f"hip_{side}", "root", (0, 0.1 * y, HIP), (-0.07, -0.065, 0.07, 0.065, -THIGH,
                                                               0.03)),
            Joint(f"knee_{side}", f"hip_{side}", (0, 0, -THIGH),
                  (-0.06, -0.06, 0.06, 0.06, -SHIN, 0)),
            Joint(f"shoulder_{side}", "root", (0, 0.245 * y, SHOULDER),
                  (-0.05, -0.045, 0.05, 0.045, -UPPER_ARM, 0.04)),
            Joint(f"elbow_{side}", f"shoulder_{side}", (0, 0, -UPPER_ARM),
                  (-0.045, -0.04, 0.045, 0.04, -FOREARM, 0)),
        ]
    return out


def write_animated_glb(timeline: Timeline, paths: list[np.ndarray], out: Path, start: float,
                       end: float, fps: float = 10.0, speed: float = 1.0) -> int:
    """Write the window ``start``..``end`` (s of the run) played ``speed`` times faster, keyed
    ``fps`` times per second of animation; returns the number of keys."""
    step = speed / fps
    keys = int(np.floor((end - start) / step + 1e-9)) + 1
    if keys < 2 or keys > MAX_KEYS:
        raise ValueError(f"{keys} animation keys (window / speed x fps); give 2 to {MAX_KEYS}")
    times = start + step * np.arange(keys)
    snaps = [timeline.at(float(t)) for t in times]
    line = timeline.line
    g = Gltf()
    t_acc = g.accessor((times - start) / speed, "SCALAR", bounds=True)
    for piece in static_pieces(line, paths):
        mesh = g.mesh(piece.name, g.geometry(piece.mesh.vertices, piece.mesh.faces),
                      g.material(piece.name, style.rgb(piece.colour)))
        g.node(piece.name, mesh)
    _stations(g, timeline, snaps, t_acc)
    _robots(g, timeline, snaps, t_acc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(g.glb(f"{line.name} {start:g}-{end:g} s"))
    return keys


def _stations(g: Gltf, timeline: Timeline, snaps: list, t_acc: int) -> None:  # type: ignore[type-arg]
    for sid, body in zip(timeline.line.stations, station_meshes(timeline.line), strict=True):
        states = [s.stations.get(sid, "starved") for s in snaps]
        parent = g.node(f"station {sid}")
        geometry = g.geometry(body.vertices, body.faces)
        for state in dict.fromkeys(states):
            colour = style.STATION_COLOURS.get(state, "#5f8fbf")
            mesh = g.mesh(f"station {sid} {state}", geometry,
                          g.material(f"station {state}", style.rgb(colour)))
            node = g.node(f"station {sid} {state}", mesh, parent)
            shown = np.array([[1.0] * 3 if s == state else [0.0] * 3 for s in states])
            g.animate(node, "scale", t_acc, shown, step=True)


def _robots(g: Gltf, timeline: Timeline, snaps: list, t_acc: int) -> None:  # type: ignore[type-arg]
    if not timeline.robots:
        return
    limb = g.material("robot limb", style.rgb(style.LIMB))
    head = g.material("robot head", style.rgb(style.HEAD))
    tote_mat = g.material("tote", style.rgb(style.TOTE))
    torso = g.mesh("robot torso", g.geometry(*_box_mesh(-0.12, -0.19, 0.12, 0.19, HIP - 0.05,
                                                        SHOULDER + 0.07)), limb)
    skull = g.mesh("robot head", g.geometry(*_box_mesh(-0.1, -0.09, 0.12, 0.09, SHOULDER + 0.12,
                                                       SHOULDER + 0.34)), head)
    lx, ly, h = TOTE_SIZE
    tote = g.mesh("tote", g.geometry(*_box_mesh(-lx / 2, -ly / 2, lx / 2, ly / 2, -h / 2, h / 2)),
                  tote_mat)
    joints = _joints()
    part_mesh = {j.key: g.mesh(f"robot {j.key}", g.geometry(*_box_mesh(*j.part)), limb)
                 for j in joints}
    clip = walk_clip()
    stride = clip.stride_m * HIP / CLIP_HIP_HEIGHT if clip else 0.0
    xy = np.array([s.robot_xy for s in snaps])  # (keys, robots, 2)
    heading = np.array([s.robot_heading for s in snaps])
    carrying = np.array([[u > 0 for u in s.robot_units] for s in snaps])
    angles = [walk_angles(s.robot_phase, s.robot_walking, c, stride, clip)
              for s, c in zip(snaps, carrying, strict=True)]
    for i, rid in enumerate(timeline.robots):
        root = g.node(rid)
        g.node(f"{rid} torso", torso, root)
        g.node(f"{rid} head", skull, root)
        pos = np.concatenate([xy[:, i], np.zeros((len(snaps), 1))], axis=1)
        g.animate(root, "translation", t_acc, np.stack([pos[:, 0], pos[:, 2], -pos[:, 1]], 1))
        g.animate(root, "rotation", t_acc, yaw_quaternions(heading[:, i]))
        nodes = {"root": root}
        for j in joints:
            nodes[j.key] = g.node(f"{rid} {j.key}", parent=nodes[j.parent],
                                  translation_zup=j.pivot)
            g.node(f"{rid} {j.key} part", part_mesh[j.key], nodes[j.key])
            g.animate(nodes[j.key], "rotation", t_acc,
                      pitch_quaternions(np.array([a[j.key][i] for a in angles])))
        held = g.node(f"{rid} tote", tote, root, translation_zup=TOTE_AT)
        g.animate(held, "scale", t_acc, np.repeat(carrying[:, i:i + 1].astype(float), 3, 1),
                  step=True)


def _box_mesh(x0: float, y0: float, x1: float, y1: float, z0: float, z1: float
              ) -> tuple[np.ndarray, np.ndarray]:
    mesh = box(x0, y0, x1, y1, z0, z1)
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)
