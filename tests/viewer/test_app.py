"""The interactive controls, driven offscreen: speed, step, jump, cameras, picking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from viewer.app import SPEEDS, App
from viewer.replay import Timeline
from viewer.run import load_run


def test_controls(run_dir: Path) -> None:
    app = App(Timeline(load_run(run_dir)), start=600.0, speed=60, off_screen=True,
              window_size=(320, 180))
    assert app.speed == 50.0  # nearest preset
    app.faster()
    assert app.speed == 100.0
    for _ in range(20):
        app.faster()
    assert app.speed == SPEEDS[-1]
    app.slower()
    app.step()
    assert not app.playing and app.t > 600.0
    app.jump(1e9)
    assert app.t == app.timeline.horizon
    for preset in ("follow", "station", "top", "overview"):
        app.camera(preset)
    snap = app.scene.snapshot
    assert snap is not None
    assert app.describe(np.array([*snap.robot_xy[0], 1.0])).split("  ")[1].startswith("R1")
    assert "S2:" in app.describe(np.array([15.0, 10.2, 1.9]))
    app.bind()  # keys, slider and picking attach without a display
    app.playing = True
    before = app.t = 100.0
    app.tick()
    assert app.t >= before
    app.scene.close()
