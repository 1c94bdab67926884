"""One-way aisles force detours, loops keep everything reachable, and cut-offs are named."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from floor_helpers import layout

from twin.floor import build_walkways, one_way_blocks
from twin.loader import ConfigError, load_line

DATA = Path(__file__).resolve().parents[1] / "data"
C = 0.35
# a block in the middle of a 20 x 10 hall: the lower corridor (y < 4) is the short way round
BLOCK = {"x0": 5, "y0": 4, "x1": 15, "y1": 7}
PLACES = {"W": [2, 5], "E": [18, 5]}
LOW = {"from": [5, 2], "to": [15, 2], "width": 4, "one_way": True}  # eastbound
HIGH = {"from": [15, 8.5], "to": [5, 8.5], "width": 3, "one_way": True}  # westbound


def _around(y: float) -> float:
    """W to E around the block past its grown corners at height y."""
    return math.hypot(5 - C - 2, y - 5) + (10 + 2 * C) + math.hypot(18 - 15 - C, y - 5)


def test_without_rules_the_short_side_both_ways() -> None:
    ways = build_walkways(layout(20, 10, [BLOCK], PLACES, clearance=C))
    assert ways.dist("W", "E") == pytest.approx(_around(4 - C), rel=1e-12)
    assert ways.dist("E", "W") == pytest.approx(ways.dist("W", "E"), rel=1e-12)


def test_a_one_way_aisle_forces_the_detour() -> None:
    ways = build_walkways(layout(20, 10, [BLOCK], PLACES, clearance=C, aisles=[LOW]))
    assert ways.dist("W", "E") == pytest.approx(_around(4 - C), rel=1e-12)
    assert ways.dist("E", "W") == pytest.approx(_around(7 + C), rel=1e-12)
    assert ways.path("E", "W")[:, 1].max() == pytest.approx(7 + C)
    assert one_way_blocks(ways, ["E", "W"]) == []


def test_a_one_way_loop_keeps_everything_reachable() -> None:
    places = {**PLACES, "N": [10, 9], "S": [10, 1]}
    ways = build_walkways(layout(20, 10, [BLOCK], places, clearance=C, aisles=[LOW, HIGH]))
    for a in places:
        for b in places:
            assert math.isfinite(ways.dist(a, b)), (a, b)
    assert ways.dist("W", "E") < ways.dist("E", "W")
    assert one_way_blocks(ways, sorted(places)) == []


def test_a_dead_end_one_way_aisle_is_named() -> None:
    wall = {"x0": 5, "y0": 4, "x1": 15, "y1": 10}  # the block reaches the north wall
    ways = build_walkways(layout(20, 10, [wall], PLACES, clearance=C, aisles=[LOW]))
    assert ways.dist("W", "E") < math.inf
    assert ways.dist("E", "W") == math.inf
    blocks = one_way_blocks(ways, ["E", "W"])
    assert len(blocks) == 1
    assert f"{blocks[0].field}: {blocks[0].message}" == (
        "layout.aisles[0]: the one-way rule makes 'W' unreachable from 'E'; reverse it or add "
        "a return aisle")


def test_twin_check_names_the_aisle(tmp_path: Path) -> None:
    data = yaml.safe_load((DATA / "tote.yaml").read_text())
    # close the gap above the wall but for a passage at y 10..13, and make it eastbound
    data["layout"]["obstacles"].append({"x0": 14, "y0": 13, "x1": 14.3, "y1": 16})
    data["layout"]["aisles"] = [{"from": [12, 11.5], "to": [16.5, 11.5], "width": 3,
                                 "one_way": True}]
    path = tmp_path / "one_way.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"layout\.aisles\[0\]: the one-way rule makes 'a1' "
                                          r"unreachable from 'a3'; reverse it or add a return"):
        load_line(path)


def test_a_polygon_obstacle_must_be_simple(tmp_path: Path) -> None:
    data = yaml.safe_load((DATA / "tote.yaml").read_text())
    data["layout"]["obstacles"].append({"points": [[0, 0], [2, 2], [2, 0], [0, 2]]})
    path = tmp_path / "bowtie.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"layout\.obstacles\[1\]: an obstacle polygon must be "
                                          r"simple, its edges not crossing each other "
                                          r"\(self-intersection at \[1 1\]\)"):
        load_line(path)


@pytest.mark.parametrize(("obstacle", "words"), [
    ({"points": [[0, 0], [1, 1]]}, "at least 3 distinct corners"),
    ({"points": [[0, 0], [1, 1], [2, 2]]}, "corners lie on one line"),
    ({"x0": 0, "y0": 0, "x1": 1, "y1": 1, "points": [[0, 0], [1, 0], [0, 1]]}, "not both"),
    ({"x0": 0, "y0": 0, "x1": 1}, "all four"),
])
def test_obstacle_forms_are_validated(tmp_path: Path, obstacle: dict[str, object],
                                      words: str) -> None:
    data = yaml.safe_load((DATA / "tote.yaml").read_text())
    data["layout"]["obstacles"].append(obstacle)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=words):
        load_line(path)
