"""Physics runs: every link posed from the pose table; surrogate runs: the walk clip's angles."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pixels import carrying_log, near

from twin.config import Line
from viewer.gait import STRIDE_M, walk_angles, walk_clip
from viewer.poses import PoseTable
from viewer.replay import Timeline
from viewer.run import Run, run_from_events
from viewer.style import ROBOT_COLOURS, TOTE, rgb
from viewer.urdf import robot_urdf, visuals

SIZE = (640, 360)


PELVIS = np.array([15.0, 4.0, 0.95])  # far from the walked path (y = 8.2) the log implies
TORSO = np.array([24.0, 12.0, 1.0])  # the torso link, torn off and laid flat
TOTE_AT = np.array([6.0, 12.5, 1.0])


def _quat_yaw(yaw: float) -> list[float]:
    return [0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)]


def _poses(line: Line, times: list[float], tote_until: float) -> pd.DataFrame:
    """R1's links at rest around PELVIS, except the torso (pitched 90 deg) and the tote."""
    urdf = robot_urdf(line)
    assert urdf is not None
    shapes = visuals(urdf)
    assert shapes is not None
    pelvis_rest = next(v.origin for v in shapes if v.frame == "pelvis")
    frames = {v.frame: v.origin for v in shapes}
    flat = [0.0, math.sin(math.pi / 4), 0.0, math.cos(math.pi / 4)]  # +90 deg about y
    rows = []
    for t in times:
        for link, origin in frames.items():
            pos, q = PELVIS + origin - pelvis_rest, [0.0, 0.0, 0.0, 1.0]
            if link == "waist_pitch":
                pos, q = TORSO, flat
            rows.append((t, "R1", link, *pos, *q))
        if t <= tote_until:
            rows.append((t, "R1", "tote", *TOTE_AT, *_quat_yaw(0.3)))
    return pd.DataFrame(rows, columns=["t", "robot", "link", "x", "y", "z",
                                       "qx", "qy", "qz", "qw"])


def _physics_timeline(line: Line, tote_until: float) -> Timeline:
    base = run_from_events(line, carrying_log(line).to_table().to_pandas())
    times = [110.0 + 0.1 * k for k in range(6)]
    run = Run(line=base.line, paths=base.paths, events=base.events,
              poses=_poses(line, times, tote_until))
    return Timeline(run)


def test_pose_table_interpolates_position_and_orientation() -> None:
    rows = []
    for k, (x, yaw) in enumerate([(9.0, 0.0), (11.0, math.pi / 2), (11.0, math.pi / 2)]):
        t = 0.1 * k
        rows.append((t, "R1", "pelvis", x, 2.0, 0.9, *_quat_yaw(yaw)))
        if k < 2:
            rows.append((t, "R1", "tote", x + 0.5, 2.0, 1.2, *_quat_yaw(yaw)))
    table = PoseTable(pd.DataFrame(rows, columns=["t", "robot", "link", "x", "y", "z",
                                                  "qx", "qy", "qz", "qw"]))
    x, y, yaw = table.at("R1", 0.05)  # type: ignore[misc]
    assert (x, y) == pytest.approx((10.0, 2.0))
    assert yaw == pytest.approx(math.pi / 4, abs=1e-6)  # nlerp half way is the slerp half way
    frame = table.frame(["R1", "R2"], 0.05)
    assert frame.posed.tolist() == [True, False]
    assert np.linalg.norm(frame.quat[0], axis=-1) == pytest.approx(1.0)
    tote = frame.index["tote"]
    assert table.frame(["R1"], 0.12).valid[0, tote]  # put down after 0.1: held briefly
    assert not table.frame(["R1"], 0.2).valid[0, tote]
    assert table.at("R1", 0.25) is None  # outside the recorded span


def test_links_drawn_where_the_pose_table_puts_them(line: Line) -> None:
    from viewer.render import ViewerScene

    scene = ViewerScene(_physics_timeline(line, tote_until=110.25), window_size=SIZE,
                        hud=False, labels=False)
    scene.camera("top")
    snap = scene.show(110.2)
    np.testing.assert_allclose(snap.robot_xy[0], PELVIS[:2], atol=1e-6)
    image = scene.image()

    def patch(point: np.ndarray, half: int = 1) -> np.ndarray:
        col, row = scene.to_screen(*point)
        return image[int(row) - half:int(row) + half + 1, int(col) - half:int(col) + half + 1]

    carrying = ROBOT_COLOURS["carrying"]
    # the torso lies flat along +x from its link origin: its middle is 0.225 m ahead
    assert near(patch(TORSO + [0.225, 0.0, 0.11]), carrying).mean() > 0.8
    assert near(patch(PELVIS * [1, 1, 0] + [0.0, 0.45, 0.02]), carrying).mean() > 0.8  # disc
    walked = np.array([15.0, 8.2, 1.5])  # where the walk alone would have put the robot
    assert near(patch(walked, 4), carrying).mean() < 0.05
    assert near(patch(TOTE_AT + [0.0, 0.0, 0.1]), TOTE).mean() > 0.8
    # once the physics has put the tote down it is gone from the hands
    scene.show(110.45)
    image = scene.image()
    assert near(patch(TOTE_AT + [0.0, 0.0, 0.1], 3), TOTE).mean() < 0.05
    scene.close()


def test_physics_frames_are_deterministic(line: Line) -> None:
    from viewer.render import ViewerScene

    frames = []
    for _ in range(2):
        scene = ViewerScene(_physics_timeline(line, 110.25), window_size=(320, 180), hud=False,
                            labels=False)
        scene.show(110.17)
        frames.append(scene.image())
        scene.close()
    np.testing.assert_array_equal(frames[0], frames[1])


def test_walk_clip_angles() -> None:
    clip = walk_clip()
    if clip is None:
        pytest.skip("pybullet_data is not installed")
    assert clip.stride_m == pytest.approx(1.24, abs=0.05)
    assert clip.phase[0] == 0.0 and clip.phase[-1] == 1.0
    a = clip.angles
    assert a["knee_l"].min() > -0.05 and a["knee_l"].max() > 0.9  # knees bend one way only
    assert a["elbow_r"].max() < 0.05  # elbows bend forward (negative in the URDF)
    assert np.corrcoef(a["hip_l"], a["hip_r"])[0, 1] < -0.5  # legs alternate
    assert np.corrcoef(a["hip_l"], a["shoulder_l"])[0, 1] < -0.5  # arms swing against legs


def test_walk_angles_stride_carry_and_fallback() -> None:
    clip = walk_clip()
    stride = 1.2
    phase = np.array([0.0, 2 * math.pi * stride / STRIDE_M, 1.0, 1.0])
    moving = np.array([True, True, True, False])
    carrying = np.array([False, False, True, False])
    angles = walk_angles(phase, moving, carrying, stride, clip)
    if clip is not None:  # one clip cycle per stride walked
        assert angles["hip_l"][0] == pytest.approx(angles["hip_l"][1])
    assert angles["hip_l"][3] == 0.0 and angles["knee_r"][3] == 0.0  # standing still
    assert angles["shoulder_l"][2] < -0.2 and angles["elbow_l"][2] < -1.0  # holding the tote
    sine = walk_angles(phase, moving, carrying, stride, None)
    assert sine["hip_l"][2] == pytest.approx(0.5 * math.sin(1.0))
    assert sine["hip_r"][2] == pytest.approx(-0.5 * math.sin(1.0))


def test_clip_is_loaded_lazily() -> None:
    code = ("import viewer.robots, viewer.render, viewer.gait as g; "
            "print(g.walk_clip.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "0"


def test_walking_legs_follow_the_clip(line: Line) -> None:
    from viewer.robots import RobotBatch

    clip = walk_clip()
    if clip is None:
        pytest.skip("pybullet_data is not installed")
    batch = RobotBatch(2, urdf=robot_urdf(line))
    knee = clip.angles["knee_l"]
    bent = clip.phase[int(np.argmax(knee))]  # the left leg swings through, knee bent
    phase = np.full(2, 2 * math.pi * bent * batch.stride / STRIDE_M)
    batch.update(np.zeros((2, 2)), np.zeros(2), phase, np.array([True, False]),
                 np.zeros(2, bool), np.ones(2), ["walking_empty", "idle"])
    points = np.asarray(batch.mesh.points).reshape(2, -1, 3)
    foot = next(sl for p, sl in zip(batch.parts, batch._slices, strict=True)
                if p.frame == "left_ankle_roll")
    assert points[1, foot, 2].min() == pytest.approx(0.0, abs=1e-6)  # standing: sole on floor
    assert points[0, foot, 2].min() > 0.05  # swinging: the foot is lifted clear
    assert rgb(ROBOT_COLOURS["idle"]).shape == (3,)
