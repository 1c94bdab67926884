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
