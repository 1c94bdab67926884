"""The viewer draws every shipped line, with robots or without (five teaching lines have none)."""

from __future__ import annotations

from pathlib import Path

import imageio.v3 as iio
import pytest
from typer.testing import CliRunner

from twin.cli import app

LINES = Path(__file__).resolve().parents[2] / "lines"


@pytest.mark.parametrize("path", sorted((LINES / "teaching").glob("*.yaml")), ids=lambda p: p.stem)
def test_render_draws_every_teaching_line(path: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{path.stem}.png"
    result = CliRunner().invoke(app, ["render", str(path), "--out", str(out), "--hours", "1",
                                      "--at", "0.5 h", "--width", "320", "--height", "180"])
    assert result.exit_code == 0, result.output
    image = iio.imread(out)
    assert image.shape[:2] == (180, 320) and image.std() > 5  # a picture, not a blank frame


def test_render_refuses_a_time_past_the_run(tmp_path: Path) -> None:
    path = LINES / "teaching" / "mm1.yaml"
    result = CliRunner().invoke(app, ["render", str(path), "--out", str(tmp_path / "x.png"),
                                      "--hours", "1", "--at", "3 h"])
    assert result.exit_code == 2
    assert "past the end of the run (1 h)" in result.output


@pytest.mark.parametrize("path", sorted(LINES.glob("*.yaml")), ids=lambda p: p.stem)
def test_scene_draws_every_shipped_line(path: Path) -> None:
    """The big lines too: a quarter hour from Monday 00:00 (no warm-up) is enough to draw."""
    import twin
    from viewer.render import ViewerScene
    from viewer.replay import Timeline
    from viewer.run import run_from_events

    line = twin.load_line(path)
    result = twin.simulate(line, hours=0.25, warmup_hours=0, seed=0, events=True)
    scene = ViewerScene(Timeline(run_from_events(line, result.events)), window_size=(320, 180))
    scene.show(600.0)
    image = scene.image()
    scene.close()
    assert image.shape[:2] == (180, 320) and image.std() > 5
