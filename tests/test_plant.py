"""The plant generator: halls of door lines that pass the checks, every time the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.config import Line
from twin.plant import dock_rows, plant, row_ids, to_yaml

CAR_PLANT = Path(__file__).resolve().parents[1] / "lines" / "car_plant.yaml"


def _write(tmp_path: Path, doc: dict[str, object]) -> Path:
    path = tmp_path / f"{doc['name']}.yaml"
    path.write_text(to_yaml(doc, "a generated plant"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("rows", "stations", "robots"), [(1, 5, 3), (4, 3, 2), (7, 7, 4)])
def test_generated_plants_pass_twin_check(tmp_path: Path, rows: int, stations: int,
                                          robots: int) -> None:
    doc = plant(rows, stations, robots, name=f"hall{rows}")
    path = _write(tmp_path, doc)
    line = twin.load_line(path)  # schema, references, zones, aisles, reachability
    assert len(line.stations) == rows * stations
    assert line.fleet is not None and line.fleet.count == rows * robots
    assert len(line.chargers) == len(dock_rows(rows, 3)) == -(-rows // 3)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output


def test_the_generator_is_deterministic() -> None:
    assert plant(9, 4, 3) == plant(9, 4, 3)
    assert to_yaml(plant(9, 4, 3)) == to_yaml(plant(9, 4, 3))
    assert plant(9, 4, 3) != plant(9, 4, 4)


def test_every_row_is_a_zone_with_its_own_robots() -> None:
    rows, robots = 11, 3
    line = Line.model_validate(plant(rows, 5, robots))
    assert line.fleet is not None
    zones = line.fleet.zones
    assert list(zones) == row_ids(rows)
    nodes = set(line.stations) | set(line.sources) | set(line.sinks)
    zoned = [n for z in zones.values() for n in z.nodes]
    assert sorted(zoned) == sorted(nodes), "every node in exactly one zone"
    for row, zone in zones.items():
        assert all(n.startswith(f"{row}_") for n in zone.nodes)
        assert zone.robots == robots
    assert sum(z.robots for z in zones.values()) == line.fleet.count


def test_spots_aisles_and_docks_are_realistic() -> None:
    line = Line.model_validate(plant(6, 5, 4))
    locs = line.layout.locations
    assert all(locs[s.location].spots == 2 for s in line.sources.values())  # rack faces
    assert all(locs[sid].spots == 1 for sid in line.stations)
    robot_w = 2 * line.layout.clearance
    assert all(a.width >= 4 * robot_w for a in line.layout.aisles), "two-way with room"
    assert len(line.layout.aisles) == 6 + 3  # a row aisle each, two main aisles, north aisle
    docks = [locs[c.location] for c in line.chargers.values()]
    assert len({round(d.y) for d in docks}) == len(docks), "docks spread across the hall"


def test_robots_serve_their_own_row(tmp_path: Path) -> None:
    rows, robots = 3, 2
    line = twin.load_line(_write(tmp_path, plant(rows, 3, robots, name="zoned")))
    result = twin.simulate(line, hours=10, seed=1, warmup_hours=0, events=True)
    assert result.kpis.line.produced_units > 0
    travel = result.events[result.events["kind"] == "travel"]
    assert len(travel) > 0
    for robot, walks in travel.groupby("entity", observed=True):
        row = row_ids(rows)[(int(str(robot).removeprefix("robot")) - 1) // robots]
        work = walks[walks["state"].isin(["carrying", "walking_empty"])]
        assert work["target"].astype(str).str.startswith(f"{row}_").all(), robot


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="rows must be at least 1"):
        plant(0)
    code = CliRunner().invoke(app, ["plant", "--rows", "2", "--robots-per-row", "0",
                                    "--out", "never.yaml"]).exit_code
    assert code == 2
    assert not Path("never.yaml").exists()


def test_twin_plant_writes_a_line_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "hall.yaml"
    result = CliRunner().invoke(app, ["plant", "--rows", "4", "--stations-per-row", "3",
                                      "--robots-per-row", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 4 car-plant door lines")
    line = twin.load_line(out)
    assert line.name == "hall"
    assert len(line.stations) == 12 and line.fleet is not None and line.fleet.count == 8


def test_car_plant_is_what_the_generator_makes() -> None:
    text = CAR_PLANT.read_text(encoding="utf-8")
    found = re.search(r"twin plant --rows (\d+) --stations-per-row (\d+) "
                      r"--robots-per-row (\d+)", text)
    assert found, "the car_plant header names the twin plant command that made it"
    rows, stations, robots = map(int, found.groups())
    assert rows * stations >= 50, "a hall of lines, not one line"
    expected = yaml.safe_load(to_yaml(plant(rows, stations, robots, name="car_plant")))
    assert yaml.safe_load(text) == expected


def test_narrow_row_aisles_cost_traffic_and_wide_ones_do_not() -> None:

    shares = {}
    for aisle in (1.2, 3.0):
        line = Line.model_validate(plant(2, 3, 3, aisle=aisle, name="p"))
        res = twin.simulate(line, hours=14, seed=1, warmup_hours=0)
        shares[aisle] = res.kpis.line.waiting_traffic_share
    assert shares[1.2] > 0.005, "robots meet head-on in one-robot row aisles"
    assert shares[3.0] == 0.0, "four abreast is open floor"
