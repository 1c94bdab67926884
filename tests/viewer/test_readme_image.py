"""The README's picture is made by a command in the repo and shows the line it names."""

from __future__ import annotations

import re
from pathlib import Path

import imageio.v3 as iio

import twin

ROOT = Path(__file__).resolve().parents[2]


def test_readme_image_is_rendered_by_make_from_the_line_it_names() -> None:
    readme = (ROOT / "README.md").read_text()
    alt, image = re.search(r"!\[([^\]]*)\]\(([^)]+\.png)\)", readme).groups()  # type: ignore[union-attr]
    recipe = (ROOT / "Makefile").read_text().split("readme-image:", 1)[1].split("\n\n")[0]
    command = re.search(r"twin render (\S+\.yaml) .*--out (\S+)", recipe)
    assert command is not None, "make readme-image does not run twin render"
    line_file, out = command.groups()
    assert out == image  # the command writes the file the README shows
    line = twin.load_line(ROOT / line_file)
    assert line.name in alt  # and the README names the line it draws
    assert f"`{line_file}` as shipped ({line.fleet.count} robots" in readme  # type: ignore[union-attr]
    docks = sum(c.count for c in line.chargers.values())
    assert f"{docks} swap dock" in readme
    assert iio.imread(ROOT / image).shape[:2] == (720, 1280)
