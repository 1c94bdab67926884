"""Walk animation for surrogate runs: joint angles from pybullet_data's motion-capture walk clip.

The clip (``data/motions/humanoid3d_walk.txt``, DeepMimic format: y up, walking along +x) is
read lazily, once per process, on first use. Each frame holds its duration, the root position
and rotation, then the joints chest, neck, right hip, knee, ankle, shoulder, elbow, left hip,
knee, ankle, shoulder, elbow: quaternions (w, x, y, z) for spherical joints, one angle for the
knees and elbows. Only the sagittal (pitch) part is played, mapped onto the URDF's pitch
joints: hip, knee, ankle, shoulder and elbow per side, with the URDF's signs (a positive hip
pitch swings the leg back, a positive knee bends it, a negative shoulder raises the arm
forward, a negative elbow bends the forearm forward).

The clip's cycle is played per stride of ground covered (its stride scaled by leg length), so
the feet keep pace with the robot's walking speed. Without pybullet_data the legs swing by a sine.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STRIDE_M = 1.4  # phase unit of the replay: 2 pi of phase per STRIDE_M metres walked
SWING = 0.5  # sine fallback: leg swing amplitude (rad) at full stride
CARRY_SHOULDER = 0.3  # rad forward: upper arms a little ahead of the body while carrying
CARRY_ELBOW = 1.12  # rad forward: forearms level, hands at the tote's sides
CLIP_HIP_HEIGHT = 0.885  # m, the clip character's hip joint above its soles, standing
CLIP_FILE = "data/motions/humanoid3d_walk.txt"
# column of each joint in a clip frame, and whether it is a quaternion (4) or an angle (1)
_COLUMNS = {
    "hip_r": (16, 4), "knee_r": (20, 1), "ankle_r": (21, 4), "shoulder_r": (25, 4),
    "elbow_r": (29, 1), "hip_l": (30, 4), "knee_l": (34, 1), "ankle_l": (35, 4),
    "shoulder_l": (39, 4), "elbow_l": (43, 1),
}
FRAME_WIDTH = 44
KEYS = tuple(_COLUMNS)


def _rotate(q: np.ndarray, v: tuple[float, float, float]) -> np.ndarray:
    """Rotate vector v by quaternions q (..., 4) given as (w, x, y, z)."""
    w, u = q[..., :1], q[..., 1:]
    vec = np.broadcast_to(np.asarray(v, dtype=float), u.shape)
    t = 2 * np.cross(u, vec)
    return vec + w * t + np.cross(u, t)


@dataclass(frozen=True)
class WalkClip:
    """Sagittal joint angles (URDF convention) at cycle fractions 0..1, and the clip's stride."""

    phase: np.ndarray  # (F,) from 0 to 1 inclusive
    angles: dict[str, np.ndarray]  # key -> (F,) rad
    stride_m: float  # ground covered by one cycle (two steps)

    @classmethod
    def parse(cls, data: dict[str, object]) -> WalkClip:
        frames = np.asarray(data["Frames"], dtype=float)
        if frames.ndim != 2 or frames.shape[1] != FRAME_WIDTH or len(frames) < 3:
            raise ValueError(f"walk clip frames must be N x {FRAME_WIDTH}, got {frames.shape}")
        times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
        if times[-1] <= 0:
            raise ValueError("walk clip has no duration")
        step = frames[-1, 1:4] - frames[0, 1:4]
        angles: dict[str, np.ndarray] = {}
        for key, (col, width) in _COLUMNS.items():
            if width == 1:
                sagittal = frames[:, col]
            elif key.startswith("ankle"):
                toe = _rotate(frames[:, col:col + 4], (1.0, 0.0, 0.0))
                sagittal = np.arctan2(toe[:, 1], toe[:, 0])
            else:  # hip, shoulder: where the limb's downward axis points in the x-y plane
                down = _rotate(frames[:, col:col + 4], (0.0, -1.0, 0.0))
                sagittal = np.arctan2(down[:, 0], -down[:, 1])
            angles[key] = -sagittal  # the clip turns about +z (lateral, right); the URDF about +y
        return cls(times / times[-1], angles, float(math.hypot(step[0], step[2])))

    def at(self, fraction: np.ndarray) -> dict[str, np.ndarray]:
        """Angles at cycle fractions (any real numbers; wrapped to 0..1)."""
        f = np.mod(fraction, 1.0)
        return {k: np.interp(f, self.phase, v) for k, v in self.angles.items()}


@functools.cache
def walk_clip() -> WalkClip | None:
    """The walk clip from pybullet_data, read once per process; None when unavailable."""
    try:
        import pybullet_data

        path = Path(pybullet_data.getDataPath()) / CLIP_FILE
        return WalkClip.parse(json.loads(path.read_text()))
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return None


def walk_angles(phase: np.ndarray, moving: np.ndarray, carrying: np.ndarray,
                stride_m: float, clip: WalkClip | None) -> dict[str, np.ndarray]:
    """Pitch angles per joint key, one per robot: the clip while walking, standing otherwise.

    ``phase`` is the replay's gait phase (2 pi per ``STRIDE_M`` walked); ``stride_m`` the
    robot's own stride, over which one clip cycle plays. Arms hold the tote while carrying.
    """
    n = len(phase)
    if clip is not None and stride_m > 0:
        fraction = phase / (2 * math.pi) * STRIDE_M / stride_m
        angles = {k: np.where(moving, v, 0.0) for k, v in clip.at(fraction).items()}
    else:
        swing = np.where(moving, SWING * np.sin(phase), 0.0)
        zero = np.zeros(n)
        angles = {"hip_l": swing, "hip_r": -swing, "knee_l": zero, "knee_r": zero,
                  "ankle_l": zero, "ankle_r": zero, "shoulder_l": -0.6 * swing,
                  "shoulder_r": 0.6 * swing, "elbow_l": zero, "elbow_r": zero}
    for side in ("l", "r"):
        angles[f"shoulder_{side}"] = np.where(carrying, -CARRY_SHOULDER,
                                              angles[f"shoulder_{side}"])
        angles[f"elbow_{side}"] = np.where(carrying, -CARRY_ELBOW, angles[f"elbow_{side}"])
    return angles
