"""Pictures: robots and stations are drawn where and how the log says; frames are reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pixels import carrying_log, near

from twin.config import Line
from twin.events import EventLog
from viewer.replay import Timeline
from viewer.run import load_run, run_from_events
from viewer.style import ROBOT_COLOURS, STATION_COLOURS

IMAGES = Path(__file__).parent / "images"
SIZE = (480, 270)


def _scene(timeline: Timeline, hud: bool = False, labels: bool = False):  # noqa: ANN202
    from viewer.render import ViewerScene

    return ViewerScene(timeline, window_size=SIZE, hud=hud, labels=labels)


def _forced(line: Line) -> EventLog:
    """The carrying moment, with station S2 forced down at 50 s."""
    log = carrying_log(line)
    log.add(50.0, "S2", "station", "down", -1, 0.0)
    return log


def test_robot_drawn_at_its_position(line: Line) -> None:
    tl = Timeline(run_from_events(line, _forced(line).to_table().to_pandas()))
    scene = _scene(tl)
    scene.camera("top")
    snap = scene.show(112.0)  # half way from S1 (9, 8.2) to S3 (21, 8.2)
    np.testing.assert_allclose(snap.robot_xy[0], [15.0, 8.2])
    image = scene.image()
    col, row = scene.to_screen(15.0, 8.2, 1.5)
    mask = near(image, ROBOT_COLOURS["carrying"])
    rows, cols = np.nonzero(mask)
    assert len(rows) > 5, "the carrying robot's colour is not on screen"
    assert abs(cols.mean() - col) < 8 and abs(rows.mean() - row) < 8
    scene.close()


def test_station_down_drawn_in_down_colour(line: Line) -> None:
    tl = Timeline(run_from_events(line, _forced(line).to_table().to_pandas()))
    scene = _scene(tl)
    scene.camera("top")
    scene.show(60.0)
    image = scene.image()
    col, row = scene.to_screen(15.0, 10.6, 1.9)  # the top of S2's body
    patch = image[int(row) - 3:int(row) + 4, int(col) - 3:int(col) + 4]
    assert near(patch, STATION_COLOURS["down"]).mean() > 0.9
    col, row = scene.to_screen(9.0, 10.6, 1.7)  # S1 keeps processing
    patch = image[int(row) - 3:int(row) + 4, int(col) - 3:int(col) + 4]
    assert near(patch, STATION_COLOURS["processing"]).mean() > 0.9
    scene.close()


def test_replay_is_deterministic_and_equals_live(run_dir: Path, line: Line) -> None:
    replay = load_run(run_dir)
    frames = []
    for timeline in (Timeline(replay), Timeline(replay),
                     Timeline(run_from_events(line, replay.events))):
        scene = _scene(timeline, hud=True, labels=True)
        scene.show(901.5)
        frames.append(scene.image())
        scene.close()
    np.testing.assert_array_equal(frames[0], frames[1])
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() < 0.5


def test_overview_matches_reference(run_dir: Path) -> None:
    import imageio.v3 as iio

    scene = _scene(Timeline(load_run(run_dir)), hud=True, labels=True)
    scene.show(600.0)
    image = scene.image()
    scene.close()
    reference = IMAGES / "overview.png"
    if not reference.exists():  # first run on a new machine: record, then compare next time
        iio.imwrite(reference, image)
        pytest.skip("reference image recorded")
    expected = iio.imread(reference)
    assert expected.shape == image.shape
    diff = float(np.abs(expected.astype(int) - image.astype(int)).mean())
    assert diff < 3.0, f"overview differs from {reference.name} by {diff:.1f} grey levels"


def test_gif_has_the_frames(run_dir: Path, tmp_path: Path) -> None:
    import imageio.v3 as iio

    from viewer.render import render_video

    scene = _scene(Timeline(load_run(run_dir)))
    out = render_video(scene, tmp_path / "clip.gif", 100.0, 130.0, fps=5, speed=10)
    scene.close()
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 16 and frames.shape[1:3] == (SIZE[1], SIZE[0])
    assert not np.array_equal(frames[0], frames[-1])
