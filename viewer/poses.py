"""Robots posed from a physics run's pose table (``poses.parquet``, ``twin.events.POSE_SCHEMA``).

The table holds, at the physics pose rate (10 Hz), every robot's link frames in world
coordinates: ``pelvis`` (the base), one row per URDF joint naming the frame of the link that
joint moves (``left_knee`` is the shank), and ``tote`` while the robot holds one. Rows are only
written while the physics world is stepping; between samples, and across idle gaps where
nothing moved, positions are interpolated linearly and orientations by normalised linear
interpolation of the quaternions (nlerp; at 10 Hz it is indistinguishable from slerp).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BASE_LINKS = ("pelvis", "base", "base_link", "torso", "root")
HOLD_SAMPLES = 1.5  # a link that vanishes (a tote put down) is held this many sample periods


@dataclass(frozen=True)
class Track:
    """One robot's samples: times (T,), positions (T, L, 3), quaternions xyzw (T, L, 4)."""

    t: np.ndarray
    pos: np.ndarray
    quat: np.ndarray
    valid: np.ndarray  # (T, L): the link was recorded in that sample


@dataclass(frozen=True)
class LinkFrame:
    """World frames of every robot's links at one instant, robots in timeline order."""

    names: tuple[str, ...]
    index: dict[str, int]
    pos: np.ndarray  # (n, L, 3)
    quat: np.ndarray  # (n, L, 4) x, y, z, w; unit length
    valid: np.ndarray  # (n, L)
    posed: np.ndarray  # (n,) the robot is inside its recorded span

    def rotations(self) -> np.ndarray:
        """(n, L, 3, 3) rotation matrices of the quaternions."""
        return quat_matrix(self.quat)


def quat_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of unit quaternions (..., 4) given as x, y, z, w."""
    x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty(q.shape[:-1] + (3, 3))
    out[..., 0, 0] = 1 - 2 * (y * y + z * z)
    out[..., 0, 1] = 2 * (x * y - z * w)
    out[..., 0, 2] = 2 * (x * z + y * w)
    out[..., 1, 0] = 2 * (x * y + z * w)
    out[..., 1, 1] = 1 - 2 * (x * x + z * z)
    out[..., 1, 2] = 2 * (y * z - x * w)
    out[..., 2, 0] = 2 * (x * z - y * w)
    out[..., 2, 1] = 2 * (y * z + x * w)
    out[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def yaw_of(q: np.ndarray) -> np.ndarray:
    """Heading (rad) of quaternions (..., 4) given as x, y, z, w."""
    x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


class PoseTable:
    """Every robot's link frames as the physics put them, interpolated to any time."""

    def __init__(self, poses: pd.DataFrame) -> None:
        robots = poses["robot"].astype(str).to_numpy()
        links = poses["link"].astype(str).to_numpy()
        self.names: tuple[str, ...] = tuple(sorted(set(links)))
        self.index = {name: k for k, name in enumerate(self.names)}
        self.base = next((n for n in BASE_LINKS if n in self.index), self.names[0]
                         if self.names else "")
        link_code = np.array([self.index[name] for name in links], dtype=np.int64)
        times = poses["t"].to_numpy(dtype=float)
        xyz = poses[["x", "y", "z"]].to_numpy(dtype=float)
        quat = poses[["qx", "qy", "qz", "qw"]].to_numpy(dtype=float)
        self.tracks: dict[str, Track] = {}
        n_links = len(self.names)
        for robot in sorted(set(robots)):
            rows = np.nonzero(robots == robot)[0]
            t, sample = np.unique(times[rows], return_inverse=True)
            pos = np.zeros((len(t), n_links, 3))
            q = np.zeros((len(t), n_links, 4))
            q[..., 3] = 1.0
            valid = np.zeros((len(t), n_links), dtype=bool)
            pos[sample, link_code[rows]] = xyz[rows]
            q[sample, link_code[rows]] = quat[rows]
            valid[sample, link_code[rows]] = True
            norm = np.linalg.norm(q, axis=-1, keepdims=True)
            q = np.where(norm > 1e-9, q / np.where(norm > 1e-9, norm, 1.0), [0, 0, 0, 1.0])
            self.tracks[robot] = Track(t, pos, q, valid)
        steps = [np.diff(tr.t) for tr in self.tracks.values() if len(tr.t) > 1]
        period = float(np.median(np.concatenate(steps))) if steps else 0.1
        self.hold = HOLD_SAMPLES * period

    def _sample(self, track: Track, t: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Positions, quaternions and validity of one robot's links at t, or None outside."""
        times = track.t
        if not len(times) or not times[0] <= t <= times[-1]:
            return None
        if len(times) == 1:
            return track.pos[0], track.quat[0], track.valid[0]
        k = min(int(np.searchsorted(times, t, side="right")) - 1, len(times) - 2)
        f = (t - times[k]) / (times[k + 1] - times[k])
        both = track.valid[k] & track.valid[k + 1]
        # a link only in the earlier sample is held briefly, then drops (a tote put down)
        held = (track.valid[k] & ~track.valid[k + 1] & (t - times[k] <= self.hold)
                & (t < times[k + 1]))
        w = np.where(both, f, 0.0)[:, None]
        pos = track.pos[k] + w * (track.pos[k + 1] - track.pos[k])
        q0, q1 = track.quat[k], track.quat[k + 1]
        q1 = np.where((q0 * q1).sum(-1, keepdims=True) < 0, -q1, q1)  # the shorter way round
        q = q0 + w * (q1 - q0)
        q /= np.linalg.norm(q, axis=-1, keepdims=True)
        return pos, q, both | held

    def frame(self, robots: list[str], t: float) -> LinkFrame:
        """Every robot's link frames at t; robots outside their recorded span are not posed."""
        n, n_links = len(robots), len(self.names)
        pos = np.zeros((n, n_links, 3))
        quat = np.zeros((n, n_links, 4))
        quat[..., 3] = 1.0
        valid = np.zeros((n, n_links), dtype=bool)
        posed = np.zeros(n, dtype=bool)
        base = self.index.get(self.base)
        for i, robot in enumerate(robots):
            track = self.tracks.get(robot)
            got = self._sample(track, t) if track is not None else None
            if got is None or base is None or not got[2][base]:
                continue
            pos[i], quat[i], valid[i] = got
            posed[i] = True
        return LinkFrame(self.names, self.index, pos, quat, valid, posed)

    def at(self, robot: str, t: float) -> tuple[float, float, float] | None:
        """x, y, yaw of the robot's base at t, or None outside the recorded span."""
        links = self.frame([robot], t)
        if not links.posed[0]:
            return None
        b = self.index[self.base]
        x, y = links.pos[0, b, :2]
        return float(x), float(y), float(yaw_of(links.quat[0, b]))


BasePoses = PoseTable  # the older name: it placed only the base
