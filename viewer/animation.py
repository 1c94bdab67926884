"""A window of a run as an animated glTF: the layout Y-up with named nodes and materials, each
humanoid the viewer's figure of rigid parts (the robot's URDF visuals, or a figure of boxes)
posed over time as the viewer poses it (``viewer.robots``: the walk clip along the replay's
paths for surrogate runs, the recorded link frames for physics runs), its tote shown while it
holds one, and each station's body in the colour of its state over time (core glTF cannot key
a colour, so each state is a child node shown by scale: 1 while the station is in it, 0
otherwise, stepped).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from viewer import style
from viewer.gltf import Gltf, y_up
from viewer.replay import Timeline
from viewer.robots import FIXED
from viewer.scene import static_pieces, station_meshes

SKIPPED_ROLES = ("bar_back", "bar_fill", "disc")  # battery bar and state disc: HUD, not body
BODY = "#7a8694"  # the body's colour in the file (the viewer paints it by state)
MAX_KEYS = 20_000


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
    """Every robot as the viewer poses it, one node per rigid part keyed with the part's
    rotation, translation and scale (scale 0 while a part is hidden, as the tote)."""
    from viewer.render import HOLDING
    from viewer.robots import RobotBatch
    from viewer.urdf import robot_urdf

    n = len(timeline.robots)
    if not n:
        return
    batch = RobotBatch(n, urdf=robot_urdf(timeline.line))
    starts = np.concatenate([[0], np.cumsum([len(p.points) for p in batch.parts])])
    parts = [(k, p) for k, p in enumerate(batch.parts) if p.role not in SKIPPED_ROLES]
    fits = [_fitter(p.points) for _, p in parts]
    frames = np.zeros((len(snaps), n, len(parts), 3, 4))  # key, robot, part: [A | T]
    for f, snap in enumerate(snaps):
        carrying = (snap.robot_units > 0) | np.array([s in HOLDING for s in snap.robot_state])
        batch.update(snap.robot_xy, snap.robot_heading, snap.robot_phase, snap.robot_walking,
                     carrying, snap.robot_soc, snap.robot_state, links=snap.robot_links)
        world = np.asarray(batch.mesh.points).reshape(n, -1, 3)
        for j, (k, _) in enumerate(parts):
            frames[f, :, j] = fits[j](world[:, starts[k]:starts[k + 1]])
    labels = _labels([p for _, p in parts])
    meshes = []
    for (_, part), label in zip(parts, labels, strict=True):
        material = g.material(f"robot {part.role}", style.rgb(FIXED.get(part.role, BODY)))
        meshes.append(g.mesh(f"robot {label}", g.geometry(part.points, part.faces), material))
    for i, rid in enumerate(timeline.robots):
        root = g.node(rid)
        for j, label in enumerate(labels):
            node = g.node(f"{rid} {label}", meshes[j], root)
            rot, scale = _polar(frames[:, i, j, :, :3])
            g.animate(node, "translation", t_acc, y_up(frames[:, i, j, :, 3]))
            g.animate(node, "rotation", t_acc, _y_up_quaternions(rot))
            g.animate(node, "scale", t_acc, scale[:, [0, 2, 1]])


def _labels(parts: list[Any]) -> list[str]:
    """A name per part: its link (the pose table's frame) or role, numbered when repeated."""
    names = [p.frame or p.role for p in parts]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} {seen[name]}")
    return out


def _fitter(rest: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """For a part's rest points, a function of its posed points (robots, m, 3) returning each
    robot's 3 x 4 map [A | T] with posed = A rest + T, by least squares: the viewer poses every
    part rigidly (times a per-axis scale, or collapsed to a point when hidden)."""
    centre = rest.mean(axis=0)
    pinv = np.linalg.pinv(rest - centre)  # (3, m); exact for a part with 3-D extent

    def fit(world: np.ndarray) -> np.ndarray:
        mean = world.mean(axis=1)  # (robots, 3)
        a = np.einsum("rmi,jm->rij", world - mean[:, None, :], pinv)
        return np.concatenate([a, (mean - a @ centre)[:, :, None]], axis=2)

    return fit


def _polar(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations and per-axis scales of maps A = R diag(s) (s: column lengths; 0 while the part
    is collapsed, which keeps the rotation it had)."""
    scale = np.linalg.norm(a, axis=1)  # (K, 3) column lengths
    shown = (scale > 1e-9).all(axis=1)
    rot = a / np.where(scale > 1e-9, scale, 1.0)[:, None, :]
    u, _, vt = np.linalg.svd(rot)  # the nearest proper rotation
    rot = u @ vt
    rot[np.linalg.det(rot) < 0] *= -1
    for k in np.nonzero(~shown)[0]:  # in order: a run of hidden keys keeps the last rotation
        rot[k] = rot[k - 1] if k else np.eye(3)
    return rot, np.where(shown[:, None], scale, 0.0)


def _y_up_quaternions(rot: np.ndarray) -> np.ndarray:
    """Rotation matrices in twin's frame as glTF quaternions (x, y, z, w), kept continuous in
    sign so that keys interpolate the short way."""
    from scipy.spatial.transform import Rotation

    q = Rotation.from_matrix(rot).as_quat()  # x, y, z, w
    q = np.stack([q[:, 0], q[:, 2], -q[:, 1], q[:, 3]], axis=1)  # vector part turned Y-up
    turn = np.sign(np.einsum("ki,ki->k", q[1:], q[:-1]))
    flips = np.concatenate([[1.0], np.cumprod(np.where(turn == 0, 1.0, turn))])
    return q * flips[:, None]
