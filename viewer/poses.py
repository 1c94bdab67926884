"""Robot placement from a physics run's pose table (``poses.parquet``): base link x, y and yaw."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASE_LINKS = ("base", "base_link", "pelvis", "torso", "root")


@dataclass(frozen=True)
class Track:
    """One robot's base pose samples, sorted by time."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    yaw: np.ndarray


def _yaw(qx: np.ndarray, qy: np.ndarray, qz: np.ndarray, qw: np.ndarray) -> np.ndarray:
    return np.arctan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz))


class BasePoses:
    """Each robot's base as the physics put it; used instead of the walked path in its span."""

    def __init__(self, poses: pd.DataFrame) -> None:
        self.tracks: dict[str, Track] = {}
        frame = poses.assign(robot=poses["robot"].astype(str), link=poses["link"].astype(str))
        for robot, rows in frame.groupby("robot", sort=True):
            links = list(dict.fromkeys(rows["link"]))
            base = next((name for name in BASE_LINKS if name in links), links[0])
            rows = rows[rows["link"] == base].sort_values("t", kind="stable")
            q = [rows[c].to_numpy(dtype=float) for c in ("qx", "qy", "qz", "qw")]
            self.tracks[str(robot)] = Track(
                t=rows["t"].to_numpy(dtype=float), x=rows["x"].to_numpy(dtype=float),
                y=rows["y"].to_numpy(dtype=float), yaw=_yaw(*q))

    def at(self, robot: str, t: float) -> tuple[float, float, float] | None:
        """x, y, yaw of the robot's base at t, or None outside the recorded span."""
        track = self.tracks.get(robot)
        if track is None or not len(track.t) or not track.t[0] <= t <= track.t[-1]:
            return None
        k = int(np.searchsorted(track.t, t, side="right")) - 1
        yaw = float(track.yaw[min(k, len(track.t) - 1)])
        x = float(np.interp(t, track.t, track.x))
        y = float(np.interp(t, track.t, track.y))
        return x, y, yaw if math.isfinite(yaw) else 0.0
