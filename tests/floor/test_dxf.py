"""twin import-layout: a DXF plan drawn with ezdxf in the test (in millimetres, off the origin)
becomes a layout whose obstacles cover exactly the drawn outlines (rectangles as boxes,
everything else as polygons), whose locations are the drawn blocks and points, and which
`twin check` accepts in a line."""

from __future__ import annotations

import math
from pathlib import Path

import ezdxf
import pytest
import shapely
import yaml
from typer.testing import CliRunner

from twin.cli import app
from twin.floor import dxf
from twin.floor.geometry import obstacle_polygons
from twin.loader import load_line

runner = CliRunner()
ORIGIN = (250_000.0, -40_000.0)  # mm: where the hall sits in the drawing
MM = 1000.0


def mm(x: float, y: float) -> tuple[float, float]:
    """Metres on the floor -> drawing millimetres."""
    return ORIGIN[0] + x * MM, ORIGIN[1] + y * MM


def draw_plan(path: Path) -> dict[str, object]:
    """A 72 x 46 m hall: 50 obstacles (40 boxes, 6 polygons, 2 circles, 2 conveyors) and 20
    locations; returns what was drawn, in floor metres."""
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 4  # millimetres
    for name in ("RACKS", "MACHINES", "A-WALL", "CONVEYOR", "FLOOR", "STATIONS", "CHARGERS",
                 "LOCATIONS", "ANNOTATION"):
        doc.layers.add(name)
    msp = doc.modelspace()
    msp.add_lwpolyline([mm(0, 0), mm(72, 0), mm(72, 46), mm(0, 46)], close=True,
                       dxfattribs={"layer": "FLOOR"})
    drawn: dict[str, object] = {"boxes": [], "polygons": [], "circles": [], "locations": {}}
    boxes: list[tuple[float, float, float, float, str]] = drawn["boxes"]  # type: ignore[assignment]
    rack = doc.blocks.new("RACK_UNIT")  # the first row of racks is drawn as a block
    rack.add_lwpolyline([(0, 0), (3000, 0), (3000, 2000), (0, 2000)], close=True,
                        dxfattribs={"layer": "0", "thickness": 2200})
    for row in range(5):
        for col in range(8):
            x, y = 4 + 8 * col, 4 + 8 * row
            layer = "RACKS" if row % 2 == 0 else "MACHINES"
            boxes.append((x, y, x + 3, y + 2, layer))
            if row == 0:  # the last one turned half round about its far corner
                turned = col == 7
                msp.add_blockref("RACK_UNIT", mm(x + 3, y + 2) if turned else mm(x, y),
                                 dxfattribs={"layer": layer, "rotation": 180 if turned else 0})
                continue
            msp.add_lwpolyline([mm(x, y), mm(x + 3, y), mm(x + 3, y + 2), mm(x, y + 2)],
                               close=True, dxfattribs={"layer": layer, "thickness": 2200})
    for x0, x1 in ((4, 30), (38, 66)):  # two conveyors along the top
        boxes.append((x0, 43, x1, 44, "CONVEYOR"))
        msp.add_lwpolyline([mm(x0, 43), mm(x1, 43), mm(x1, 44), mm(x0, 44)], close=True,
                           dxfattribs={"layer": "CONVEYOR"})
    polys: list[list[tuple[float, float]]] = drawn["polygons"]  # type: ignore[assignment]
    for k in range(6):  # L-shaped machines, triangles and rotated boxes along the right wall
        x, y = 68.0, 3.0 + 6.5 * k
        if k % 3 == 0:
            pts = [(x, y), (x + 3, y), (x + 3, y + 1), (x + 1, y + 1), (x + 1, y + 3), (x, y + 3)]
        elif k % 3 == 1:
            pts = [(x, y), (x + 3, y + 1), (x + 0.5, y + 3)]
        else:
            c, s = math.cos(0.5), math.sin(0.5)
            pts = [(x + 1.5 + c * u - s * v, y + 1.5 + s * u + c * v)
                   for u, v in ((-1, -0.6), (1, -0.6), (1, 0.6), (-1, 0.6))]
        polys.append(pts)
        msp.add_lwpolyline([mm(*p) for p in pts], close=True, dxfattribs={"layer": "MACHINES"})
    circles: list[tuple[float, float, float]] = drawn["circles"]  # type: ignore[assignment]
    for cx in (20.0, 52.0):  # building columns
        circles.append((cx, 39.5, 0.4))
        msp.add_circle(mm(cx, 39.5), 0.4 * MM, dxfattribs={"layer": "A-WALL"})
    msp.add_lwpolyline([mm(1, 1), mm(2, 1)], dxfattribs={"layer": "A-WALL"})  # open: not one
    msp.add_line(mm(0, 0), mm(5, 5), dxfattribs={"layer": "ANNOTATION"})  # unmapped layer
    block = doc.blocks.new("WORKPLACE")
    block.add_circle((0, 0), 300)
    block.add_attdef("NAME", (0, 0))
    locs: dict[str, tuple[float, float, str]] = drawn["locations"]  # type: ignore[assignment]
    for k in range(16):  # stations in front of the boxes, facing them
        col, row = k % 8, k // 8
        x, y = 5.5 + 8 * col, 3.0 + 8 * (row * 2 + 1)
        name = f"st{k + 1}"
        locs[name] = (x, y, "station")
        ref = msp.add_blockref("WORKPLACE", mm(x, y), dxfattribs={"layer": "STATIONS",
                                                                  "rotation": 90})
        ref.add_attrib("NAME", name)
    locs["kit rack"] = (5.5, 3.0, "point")
    msp.add_point(mm(5.5, 3.0), dxfattribs={"layer": "LOCATIONS"})
    msp.add_text("kit rack", dxfattribs={"layer": "LOCATIONS", "insert": mm(5.8, 2.7)})
    locs["out"] = (17.0, 41.5, "point")
    msp.add_point(mm(17.0, 41.5), dxfattribs={"layer": "LOCATIONS"})
    msp.add_text("out", dxfattribs={"layer": "LOCATIONS", "insert": mm(17.2, 41.7)})
    locs["dock"] = (36.0, 1.5, "charger")
    ref = msp.add_blockref("WORKPLACE", mm(36.0, 1.5), dxfattribs={"layer": "CHARGERS"})
    ref.add_attrib("NAME", "dock")
    locs["spare"] = (60.0, 1.5, "point")
    msp.add_point(mm(60.0, 1.5), dxfattribs={"layer": "LOCATIONS"})
    msp.add_text("spare", dxfattribs={"layer": "LOCATIONS", "insert": mm(60.1, 1.6)})
    doc.saveas(path)
    return drawn


LINE_REST = """
products: {door: {routing: [st1, st2, st3, st9, st12]}}
sources: {kits: {location: kit rack, kind: rack}}
sinks: {out: {location: out}}
stations:
  st1: {process: 50 s, input_buffer: 4, output_buffer: 4}
  st2: {process: 50 s, input_buffer: 4, output_buffer: 4}
  st3: {process: 50 s, input_buffer: 4, output_buffer: 4}
  st9: {process: 50 s, input_buffer: 4, output_buffer: 4}
  st12: {process: 50 s, input_buffer: 4, output_buffer: 4}
transport: {default: {kind: humanoid, tote_units: 2, unit_mass: 2 kg, tote_mass: 2 kg}}
fleet: {robot: walker_s2, count: 2, home: dock}
chargers: {dock: {location: dock, count: 1, mode: swap}}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    path = tmp_path_factory.mktemp("dxf") / "hall.dxf"
    return path, draw_plan(path)


def test_import_then_check(plan: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    path, drawn = plan
    layout_file = tmp_path / "layout.yaml"
    r = runner.invoke(app, ["import-layout", str(path), "--out", str(layout_file)])
    assert r.exit_code == 0, r.stderr
    assert "50 obstacles (8 polygons), 20 locations, floor 72 x 46 m" in r.stdout
    assert "1 on layer 'A-WALL'" in r.stdout and "1 on layer 'ANNOTATION'" in r.stdout
    line_file = tmp_path / "hall.yaml"
    line_file.write_text("name: hall\n" + layout_file.read_text() + LINE_REST)
    r = runner.invoke(app, ["check", str(line_file)])
    assert r.exit_code == 0, r.stderr
    assert "ok" in r.stdout and "st12" in r.stdout
    line = load_line(line_file)
    lay = line.layout
    assert (lay.floor.width, lay.floor.depth) == (72, 46)
    # the footprints cover what was drawn: boxes exactly, polygons to 0.1 mm,
    # circles as 24-gons (area 24/(2 pi) sin(2 pi/24) of the circle's)
    exact = shapely.union_all(
        [shapely.box(*b[:4]) for b in drawn["boxes"]]  # type: ignore[attr-defined]
        + [shapely.Polygon(p) for p in drawn["polygons"]])  # type: ignore[attr-defined]
    feet = obstacle_polygons(lay)
    got = shapely.union_all([f for f, o in zip(feet, lay.obstacles, strict=True)
                             if o.kind != "wall"])
    # corners are written to 0.1 mm: the area between may be the outline's length x 0.05 mm
    assert got.symmetric_difference(exact).area < exact.length * 0.5e-4
    assert got.area == pytest.approx(exact.area, rel=1e-6)
    columns = [f for f, o in zip(feet, lay.obstacles, strict=True) if o.kind == "wall"]
    for foot, (cx, cy, radius) in zip(columns, drawn["circles"], strict=True):  # type: ignore[call-overload]
        assert foot.area == pytest.approx(
            math.pi * radius**2 * 24 / (2 * math.pi) * math.sin(2 * math.pi / 24), rel=1e-3)
        assert foot.centroid.distance(shapely.Point(cx, cy)) < 1e-4
    kinds = {o.kind for o in lay.obstacles}
    assert kinds == {"rack", "machine", "conveyor", "wall"}
    racks = [o for o in lay.obstacles if o.kind == "rack"]
    assert len(racks) == 24 and all(o.points is None and o.height == 2.2 for o in racks)
    assert sum(o.name.startswith("RACK_UNIT") for o in racks) == 8  # the block's, named by it
    polygons = [o for o in lay.obstacles if o.points is not None]
    assert sorted(len(o.points or []) for o in polygons) == [3, 3, 4, 4, 6, 6, 24, 24]
    # locations: names, places, kinds and headings as drawn
    assert set(lay.locations) == set(drawn["locations"])  # type: ignore[arg-type]
    for name, (x, y, kind) in drawn["locations"].items():  # type: ignore[attr-defined]
        loc = lay.locations[name]
        assert (loc.x, loc.y, loc.kind) == (pytest.approx(x), pytest.approx(y), kind)
        assert loc.heading == (90 if kind == "station" else 0)


def test_plan_read_in_metres_with_a_layer_map(plan: tuple[Path, dict[str, object]]) -> None:
    path, drawn = plan
    p = dxf.read_plan(path, {"A-WALL": "ignore", "ANNOTATION": "wall"}, units="mm")
    assert len(p.obstacles) == 48  # the columns ignored; a line is no outline
    assert p.skipped == {"A-WALL": 3, "ANNOTATION": 1}
    assert p.offset == pytest.approx((ORIGIN[0] / MM, ORIGIN[1] / MM)) and p.scale == 0.001
    doc = yaml.safe_load(dxf.to_yaml(p, "hall.dxf"))
    assert doc["layout"]["locations"]["kit rack"] == {"x": 5.5, "y": 3.0, "kind": "point"}


def test_mistakes_end_in_one_line(tmp_path: Path) -> None:
    bare = tmp_path / "bare.dxf"
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 0
    doc.modelspace().add_lwpolyline([(0, 0), (1, 0), (1, 1)], close=True,
                                    dxfattribs={"layer": "RACKS"})
    doc.saveas(bare)
    r = runner.invoke(app, ["import-layout", str(bare)])
    assert r.exit_code == 2 and "$INSUNITS is unset); give --units" in r.stderr
    r = runner.invoke(app, ["import-layout", str(bare), "--units", "m", "--layer", "RACKS"])
    assert r.exit_code == 2 and "write NAME=KIND" in r.stderr
    r = runner.invoke(app, ["import-layout", str(bare), "--units", "m", "--layer", "RACKS=shelf"])
    assert r.exit_code == 2 and "kind must be one of" in r.stderr
    r = runner.invoke(app, ["import-layout", str(bare), "--units", "m", "--layer",
                            "RACKS=ignore"])
    assert r.exit_code == 2 and "no obstacles or locations" in r.stderr
    junk = tmp_path / "junk.dxf"
    junk.write_text("not a drawing")
    r = runner.invoke(app, ["import-layout", str(junk)])
    assert r.exit_code == 2 and "not a readable DXF" in r.stderr
