"""The view/render/export commands as the CLI registers them, on a run directory and a line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from viewer import commands

ROOT = Path(__file__).resolve().parents[2]
TOTE_LINE = ROOT / "lines" / "tote_line.yaml"


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(commands.view)
    app.command()(commands.render)
    app.command()(commands.export)
    return app


def test_render_png_from_replay(cli: typer.Typer, run_dir: Path, tmp_path: Path) -> None:
    import imageio.v3 as iio

    out = tmp_path / "frame.png"
    result = CliRunner().invoke(cli, ["render", "--replay", str(run_dir), "--out", str(out),
                                      "--at", "10 min", "--width", "320", "--height", "180"])
    assert result.exit_code == 0, result.output
    image = iio.imread(out)
    assert image.shape == (180, 320, 3) and image.std() > 10


def test_bad_run_dir_is_one_line_exit_2(cli: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "line.json").write_text("{}")
    result = CliRunner().invoke(cli, ["render", "--replay", str(tmp_path), "--out",
                                      str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "line.json" in result.output and "Traceback" not in result.output


def test_export_glb_and_html(cli: typer.Typer, run_dir: Path, tmp_path: Path) -> None:
    import trimesh

    glb, html = tmp_path / "scene.glb", tmp_path / "scene.html"
    result = CliRunner().invoke(cli, ["export", "--replay", str(run_dir), "--glb", str(glb),
                                      "--html", str(html), "--at", "600"])
    assert result.exit_code == 0, result.output
    scene = trimesh.load(glb)
    assert any(name.startswith("station") for name in scene.geometry)
    text = html.read_text()
    assert "plotly" in text and '"name":"robots"' in text.replace(" ", "")


def test_live_frame_equals_replay_of_written_run(tmp_path: Path) -> None:
    """A real run of tote_line: the frame drawn from memory equals the one from its run dir."""
    twin = pytest.importorskip("twin")
    if not TOTE_LINE.exists() or not hasattr(twin, "simulate"):
        pytest.skip("line model or lines/tote_line.yaml not available")
    from viewer.live import LiveRun
    from viewer.render import ViewerScene
    from viewer.replay import Timeline
    from viewer.run import load_run, run_from_events

    line = twin.load_line(TOTE_LINE)
    result = twin.simulate(line, hours=6, seed=2, events=True)
    result.write(tmp_path / "run")
    assert json.loads((tmp_path / "run" / "run.json").read_text())["seed"] == 2
    t = 6.5 * 3600  # Monday 06:30, on shift
    stepped = LiveRun(line, seed=2, hours=6)
    for moment in (600.0, 3000.0, 20000.0, t):  # the model advances as the viewer plays
        live = stepped.advance(moment)
    assert stepped.simulated_to < stepped.until  # not run to the end: really stepping
    memory = Timeline(run_from_events(line, result.events))
    replay = Timeline(load_run(tmp_path / "run"))
    assert live.at(t).robot_state == replay.at(t).robot_state == memory.at(t).robot_state
    np.testing.assert_array_equal(live.at(t).robot_xy, replay.at(t).robot_xy)
    frames = []
    for timeline in (live, replay):
        scene = ViewerScene(timeline, window_size=(480, 270))
        scene.show(t)
        frames.append(scene.image().astype(int))
        scene.close()
    assert np.abs(frames[0] - frames[1]).mean() < 0.5


def test_live_app_simulates_as_it_plays() -> None:
    twin = pytest.importorskip("twin")
    if not TOTE_LINE.exists():
        pytest.skip("lines/tote_line.yaml not available")
    from viewer.app import App
    from viewer.live import LiveRun

    live = LiveRun(twin.load_line(TOTE_LINE), seed=1, hours=8, chunk=600.0)
    app = App(live.timeline, start=6 * 3600.0, speed=1000, off_screen=True,
              window_size=(320, 180), live=live)
    first = live.simulated_to
    app.jump(6.5 * 3600)
    assert live.simulated_to > first and app.scene.snapshot is not None
    assert app.scene.snapshot.on_shift and app.horizon == live.until
    app.scene.close()
