"""A CAD floor plan (DXF) read into a line's layout: closed polylines become obstacles of their
layer's kind, block references and points become named locations.

- **Obstacles**: closed LWPOLYLINE/POLYLINE outlines (arcs flattened to within 1 cm) and
  circles (as 24-gons) on a layer the layer map names rack, machine, wall, conveyor or other,
  and the closed outlines inside block references (INSERTs) on such a layer (a machine drawn
  as a block). An axis-aligned rectangle is written as a box, any other outline as a polygon
  (``points``). A DXF ``thickness`` becomes the obstacle's height.
- **Locations**: INSERTs on a layer mapped to a location kind (station, charger, dock,
  buffer, point) and POINTs on those layers and on rack and conveyor layers. An INSERT's name
  is its attribute NAME (or ID), else its block's name; a POINT's name is the nearest TEXT on
  its layer within 2 m. An INSERT's rotation is the robot's heading there; an attribute KIND
  overrides the kind.
- **Floor**: a closed outline on a layer mapped to ``floor`` sets it; else the drawing's extent
  plus 1 m. Coordinates are moved so that the floor starts at (0, 0), and scaled to metres from
  the drawing's $INSUNITS (or ``units`` when the drawing does not say).

Layers map by name: a layer whose name contains one of the kinds (``RACKS``, ``A-WALL``,
``MACHINE_1``) maps to it unless the map given says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OBSTACLE_KINDS = ("rack", "machine", "wall", "conveyor", "other")
LOCATION_KINDS = ("station", "charger", "dock", "buffer", "point")
LAYER_KINDS = (*OBSTACLE_KINDS, *LOCATION_KINDS, "floor", "ignore")
"""What a layer can map to; "rack" and "conveyor" outlines are obstacles, their points
locations."""
UNITS_TO_M = {1: 0.0254, 2: 0.3048, 4: 0.001, 5: 0.01, 6: 1.0, 14: 0.1}
UNIT_NAMES = {"mm": 0.001, "cm": 0.01, "m": 1.0, "in": 0.0254, "ft": 0.3048}
FLATTEN_M = 0.01
CIRCLE_SIDES = 24
LABEL_REACH_M = 2.0
FLOOR_MARGIN_M = 1.0
DIGITS = 4
OUTLINES = ("LWPOLYLINE", "POLYLINE", "CIRCLE")


class DxfError(ValueError):
    """A plan that cannot be imported; the message names the file, entity and fix."""


@dataclass
class Plan:
    """The layout read from a drawing, in metres, floor at the origin."""

    width: float
    depth: float
    obstacles: list[dict[str, Any]]
    locations: dict[str, dict[str, Any]]
    skipped: dict[str, int] = field(default_factory=dict)
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0

    def layout(self) -> dict[str, Any]:
        return {"floor": {"width": self.width, "depth": self.depth},
                "obstacles": self.obstacles, "locations": self.locations}


def layer_kind(layer: str, layer_map: dict[str, str]) -> str | None:
    """The kind a layer maps to: the map's word for it, else a kind its name contains."""
    for name, kind in layer_map.items():
        if name.lower() == layer.lower():
            return kind
    low = layer.lower()
    for kind in ("floor", *OBSTACLE_KINDS[:-1], *LOCATION_KINDS[:-1], "location"):
        if kind in low:
            return "point" if kind == "location" else kind
    return None


def read_plan(path: Path, layer_map: dict[str, str] | None = None,
              units: str | None = None) -> Plan:
    """Read a DXF floor plan; DxfError with one readable line on any problem."""
    import ezdxf
    layer_map = layer_map or {}
    for mapped, to in layer_map.items():
        if to not in LAYER_KINDS:
            raise DxfError(f"--layer {mapped}={to}: kind must be one of {', '.join(LAYER_KINDS)}")
    try:
        doc = ezdxf.readfile(str(path))
    except OSError as exc:
        if path.is_file():  # ezdxf says IOError for a file that is no DXF
            raise DxfError(f"{path}: not a readable DXF drawing ({exc})") from exc
        raise DxfError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except ezdxf.DXFError as exc:
        raise DxfError(f"{path}: not a readable DXF drawing ({exc})") from exc
    scale = _scale(doc, path, units)
    outlines: list[tuple[str, str, list[tuple[float, float]], float]] = []
    floors: list[list[tuple[float, float]]] = []
    points: list[tuple[str, str, float, float, float, str | None]] = []
    labels: list[tuple[str, float, float, str]] = []
    skipped: dict[str, int] = {}
    e: Any
    for e in doc.modelspace():
        layer: str = e.dxf.layer
        kind: str | None = layer_kind(layer, layer_map)
        etype = e.dxftype()
        if etype in ("TEXT", "MTEXT"):
            text = e.plain_text() if etype == "MTEXT" else e.dxf.text
            p = e.dxf.insert
            labels.append((layer, p.x * scale, p.y * scale, str(text).strip()))
            continue
        if kind is None or kind == "ignore":
            skipped[layer] = skipped.get(layer, 0) + 1
            continue
        where = f"{path}: {etype} on layer {layer!r} (handle {e.dxf.handle})"
        if etype in OUTLINES:
            pts = _outline(e, scale, where)
            if pts is None:
                skipped[layer] = skipped.get(layer, 0) + 1
                continue
            thick = float(e.dxf.get("thickness", 0.0) or 0.0) * scale
            if kind == "floor":
                floors.append(pts)
            elif kind in OBSTACLE_KINDS:
                outlines.append((layer, kind, pts, abs(thick)))
            else:
                skipped[layer] = skipped.get(layer, 0) + 1
        elif etype == "INSERT" and kind in OBSTACLE_KINDS:  # a machine drawn as a block
            found = 0
            for v in e.virtual_entities():
                if v.dxftype() in OUTLINES:
                    pts = _outline(v, scale, f"{where}, block {e.dxf.name!r}")
                    if pts is not None:
                        thick = float(v.dxf.get("thickness", 0.0) or 0.0) * scale
                        outlines.append((str(e.dxf.name), kind, pts, abs(thick)))
                        found += 1
            if not found:
                skipped[layer] = skipped.get(layer, 0) + 1
        elif etype in ("INSERT", "POINT"):
            loc_kind = "rack" if kind == "rack" else "conveyor" if kind == "conveyor" else (
                kind if kind in LOCATION_KINDS else None)
            if loc_kind is None:
                skipped[layer] = skipped.get(layer, 0) + 1
                continue
            p = e.dxf.insert if etype == "INSERT" else e.dxf.location
            name: str | None = None
            heading, attr_kind = 0.0, None
            if etype == "INSERT":
                attrs = {a.dxf.tag.upper(): str(a.dxf.text).strip() for a in e.attribs}
                name = attrs.get("NAME") or attrs.get("ID") or e.dxf.name
                heading = float(e.dxf.get("rotation", 0.0))
                attr_kind = attrs.get("KIND", "").lower() or None
            points.append((layer, attr_kind or loc_kind, p.x * scale, p.y * scale, heading,
                           name))
        else:
            skipped[layer] = skipped.get(layer, 0) + 1
    return _assemble(path, outlines, floors, points, labels, skipped, scale)


def _outline(e: Any, scale: float, where: str) -> list[tuple[float, float]] | None:
    """The corners (m) of a closed polyline or a circle; None for an open polyline."""
    from ezdxf import path as ezpath

    if e.dxftype() == "CIRCLE":
        c, r = e.dxf.center, e.dxf.radius
        pts = [(c.x + r * math.cos(2 * math.pi * k / CIRCLE_SIDES),
                c.y + r * math.sin(2 * math.pi * k / CIRCLE_SIDES)) for k in range(CIRCLE_SIDES)]
    elif not e.is_closed:
        return None
    else:
        pts = [(v.x, v.y) for v in ezpath.make_path(e).flattening(FLATTEN_M / scale)]
    pts = _clean([(x * scale, y * scale) for x, y in pts])
    if len(pts) < 3:
        raise DxfError(f"{where}: a closed outline needs 3 distinct corners; delete it or "
                       "redraw it")
    return pts


def _scale(doc: Any, path: Path, units: str | None) -> float:
    if units is not None:
        if units not in UNIT_NAMES:
            raise DxfError(f"--units {units!r}: use one of {', '.join(UNIT_NAMES)}")
        return UNIT_NAMES[units]
    code = int(doc.header.get("$INSUNITS", 0))
    if code == 0:
        raise DxfError(f"{path}: the drawing does not say its units ($INSUNITS is unset); "
                       "give --units mm, cm or m")
    if code not in UNITS_TO_M:
        raise DxfError(f"{path}: drawing units code {code} ($INSUNITS) is not a length twin "
                       "reads; give --units mm, cm or m")
    return UNITS_TO_M[code]


def _clean(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Corners without the closing repeat or consecutive duplicates."""
    out: list[tuple[float, float]] = []
    for x, y in pts:
        if not out or math.dist(out[-1], (x, y)) > 1e-9:
            out.append((x, y))
    if len(out) > 1 and math.dist(out[0], out[-1]) <= 1e-9:
        out.pop()
    return out


def _assemble(path: Path, outlines: list[tuple[str, str, list[tuple[float, float]], float]],
              floors: list[list[tuple[float, float]]],
              points: list[tuple[str, str, float, float, float, str | None]],
              labels: list[tuple[str, float, float, str]], skipped: dict[str, int],
              scale: float) -> Plan:
    if len(floors) > 1:
        raise DxfError(f"{path}: {len(floors)} floor outlines; keep one on the floor layer")
    xs = [x for _, _, pts, _ in outlines for x, _ in pts] + [p[2] for p in points]
    ys = [y for _, _, pts, _ in outlines for _, y in pts] + [p[3] for p in points]
    if floors:
        x0, y0 = min(x for x, _ in floors[0]), min(y for _, y in floors[0])
        x1, y1 = max(x for x, _ in floors[0]), max(y for _, y in floors[0])
    elif xs:
        x0, y0 = min(xs) - FLOOR_MARGIN_M, min(ys) - FLOOR_MARGIN_M
        x1, y1 = max(xs) + FLOOR_MARGIN_M, max(ys) + FLOOR_MARGIN_M
    else:
        raise DxfError(f"{path}: no obstacles or locations on any mapped layer (layers seen: "
                       f"{', '.join(sorted(skipped)) or 'none'}); map them with --layer "
                       "NAME=KIND")

    def r(v: float) -> float:
        return round(v, DIGITS) + 0.0

    obstacles = []
    counts: dict[str, int] = {}
    for layer, kind, pts, height in outlines:
        counts[layer] = counts.get(layer, 0) + 1
        o: dict[str, Any] = {"name": f"{layer} {counts[layer]}", "kind": kind}
        local = [(r(x - x0), r(y - y0)) for x, y in pts]
        box = _box(local)
        if box is not None:
            o.update(x0=box[0], y0=box[1], x1=box[2], y1=box[3])
        else:
            o["points"] = [list(p) for p in local]
        if height > 0:
            o["height"] = r(height)
        obstacles.append(o)
    locations: dict[str, dict[str, Any]] = {}
    for layer, kind, x, y, heading, name in points:
        if name is None:
            name = _label(layer, x, y, labels) or f"{layer}_{len(locations) + 1}"
        if name in locations:
            raise DxfError(f"{path}: two locations named {name!r} (layer {layer!r}); give "
                           "each block a distinct NAME attribute or label")
        loc: dict[str, Any] = {"x": r(x - x0), "y": r(y - y0), "kind": kind}
        if heading:
            loc["heading"] = r(((heading + 180) % 360) - 180)
        locations[name] = loc
    return Plan(r(x1 - x0), r(y1 - y0), obstacles, locations, skipped, (x0, y0), scale)


def _box(pts: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """The rectangle's bounds if the outline is an axis-aligned rectangle."""
    if len(pts) != 4:
        return None
    xs = sorted({p[0] for p in pts})
    ys = sorted({p[1] for p in pts})
    if len(xs) != 2 or len(ys) != 2:
        return None
    if {(x, y) for x in xs for y in ys} != set(pts):
        return None
    return xs[0], ys[0], xs[1], ys[1]


def _label(layer: str, x: float, y: float, labels: list[tuple[str, float, float, str]]) -> str:
    best, dist = "", LABEL_REACH_M
    for lay, lx, ly, text in labels:
        d = math.hypot(lx - x, ly - y)
        if lay == layer and text and d <= dist:
            best, dist = text, d
    return best


def _key(name: str) -> str:
    """A location name as a YAML key: plain when safe, else double-quoted."""
    import json
    import re

    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name)
    reserved = name.lower() in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    return name if plain and not reserved else json.dumps(name)


def to_yaml(plan: Plan, source: str) -> str:
    """The layout section of a line YAML, one obstacle and one location a line."""
    import yaml

    def flow(d: dict[str, Any]) -> str:
        return yaml.safe_dump(d, default_flow_style=True, sort_keys=False, width=10_000).strip()

    lines = [f"# layout imported from {source} (drawing units x {plan.scale:g} = m; drawing "
             f"point ({plan.offset[0]:g}, {plan.offset[1]:g}) m is the floor's (0, 0))",
             "layout:",
             f"  floor: {{width: {plan.width:g} m, depth: {plan.depth:g} m}}",
             "  obstacles:" + ("" if plan.obstacles else " []")]
    lines += [f"    - {flow(o)}" for o in plan.obstacles]
    lines.append("  locations:" + ("" if plan.locations else " {}"))
    lines += [f"    {_key(n)}: {flow(loc)}" for n, loc in plan.locations.items()]
    return "\n".join(lines) + "\n"
