"""Static meshes of a line's layout, built with trimesh: floor, walls, racks, conveyors, docks."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import trimesh

from twin.config import Line
from viewer import style
from viewer.places import charger_obstacles, station_boxes, station_obstacles

GRID_STEP = 1.0
LINE_W = 0.04  # painted line width (m)


@dataclass(frozen=True)
class Piece:
    """One named static mesh and its colour."""

    name: str
    mesh: trimesh.Trimesh
    colour: str


@functools.cache
def _unit_box() -> trimesh.Trimesh:
    return trimesh.creation.box(extents=(1.0, 1.0, 1.0))


def box(x0: float, y0: float, x1: float, y1: float, z0: float, z1: float) -> trimesh.Trimesh:
    """An axis-aligned box from its bounds (trimesh's unit box, scaled and moved)."""
    unit = _unit_box()
    size = np.array([x1 - x0, y1 - y0, z1 - z0])
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2])
    return trimesh.Trimesh(vertices=np.asarray(unit.vertices) * size + centre,
                           faces=np.asarray(unit.faces).copy(), process=False)


def prism(points: list[tuple[float, float]], z0: float, z1: float) -> trimesh.Trimesh:
    """A polygon footprint extruded from z0 to z1 (caps from shapely's triangulation)."""
    import shapely

    poly = shapely.orient_polygons(shapely.Polygon(points))  # counter-clockwise outline
    ring = np.asarray(poly.exterior.coords)[:-1]
    tris = shapely.get_parts(shapely.constrained_delaunay_triangles(poly))
    caps = shapely.get_coordinates(tris).reshape(-1, 4, 2)[:, :3]
    u, v = caps[:, 1] - caps[:, 0], caps[:, 2] - caps[:, 0]
    clockwise = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0] < 0
    caps = np.where(clockwise[:, None, None], caps[:, ::-1], caps)
    n, k = len(ring), len(caps)
    bottom = np.column_stack([caps.reshape(-1, 2), np.full(3 * k, z0)])
    top = np.column_stack([caps.reshape(-1, 2), np.full(3 * k, z1)])
    side = np.vstack([np.column_stack([ring, np.full(n, z0)]),
                      np.column_stack([ring, np.full(n, z1)])])
    idx = np.arange(3 * k).reshape(k, 3)
    i, j = np.arange(n), (np.arange(n) + 1) % n
    walls = np.vstack([np.column_stack([i, j, j + n]), np.column_stack([i, j + n, i + n])])
    faces = np.vstack([idx[:, ::-1], idx + 3 * k, walls + 6 * k])
    mesh = trimesh.Trimesh(vertices=np.vstack([bottom, top, side]), faces=faces)
    mesh.merge_vertices()
    return mesh


def _strip(a: np.ndarray, b: np.ndarray, width: float, z: float) -> trimesh.Trimesh | None:
    """A flat painted stripe from a to b on the floor."""
    d = b - a
    length = float(np.hypot(*d))
    if length < 1e-6:
        return None
    n = np.array([-d[1], d[0]]) / length * width / 2
    v = np.array([[*(a + n), z], [*(b + n), z], [*(b - n), z], [*(a - n), z]])
    return trimesh.Trimesh(vertices=v, faces=[[0, 1, 2], [0, 2, 3]], process=False)


def _concat(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """Several meshes as one (trimesh's own helper is typed loosely)."""
    merged: Any = trimesh.util.concatenate(meshes)
    return cast(trimesh.Trimesh, merged)


def _merge(meshes: list[trimesh.Trimesh | None]) -> trimesh.Trimesh | None:
    real = [m for m in meshes if m is not None]
    return _concat(real) if real else None


def floor(line: Line) -> list[Piece]:
    """Concrete slab with a 1 m grid."""
    w, d = line.layout.floor.width, line.layout.floor.depth
    slab = box(0, 0, w, d, -0.05, 0.0)
    grid: list[trimesh.Trimesh | None] = []
    for x in np.arange(0, w + 1e-9, GRID_STEP):
        grid.append(_strip(np.array([x, 0.0]), np.array([x, d]), 0.015, 0.002))
    for y in np.arange(0, d + 1e-9, GRID_STEP):
        grid.append(_strip(np.array([0.0, y]), np.array([w, y]), 0.015, 0.002))
    pieces = [Piece("floor", slab, style.FLOOR)]
    merged = _merge(grid)
    if merged is not None:
        pieces.append(Piece("grid", merged, style.GRID))
    return pieces


def aisles(paths: list[np.ndarray]) -> Piece | None:
    """Yellow walkway markings along the robots' paths."""
    stripes = []
    for points in paths:
        for a, b in zip(points[:-1], points[1:], strict=True):
            stripes.append(_strip(np.asarray(a), np.asarray(b), 0.12, 0.004))
    merged = _merge(stripes)
    return Piece("aisles", merged, style.AISLE) if merged is not None else None


def congestion(held: list[tuple[float, float, float]], cell: float = 1.0) -> list[Piece]:
    """Floor squares where robots waited for traffic, coloured by how long: three shades on a
    log scale from the least to the most waited-at square."""
    if not held:
        return []
    low, high = math.log(min(s for *_, s in held)), math.log(max(s for *_, s in held))
    shades: list[list[trimesh.Trimesh]] = [[], [], []]
    for x, y, s in held:
        level = min(int(3 * (math.log(s) - low) / (high - low)), 2) if high > low else 2
        h = cell / 2 * 0.9
        shades[level].append(box(x - h, y - h, x + h, y + h, 0.003, 0.006))
    return [Piece(f"congestion_{k}", _concat(meshes), colour)
            for k, (meshes, colour) in enumerate(zip(shades, style.CONGESTION, strict=True))
            if meshes]


def rack(x0: float, y0: float, x1: float, y1: float, h: float) -> list[Piece]:
    """Pallet rack: blue uprights, orange beams, totes on the shelves."""
    post = 0.08
    frame = [box(x, y, x + post, y + post, 0, h) for x in (x0, x1 - post) for y in (y0, y1 - post)]
    levels = [0.05, h * 0.35, h * 0.68]
    shelves = [box(x0, y0, x1, y1, z, z + 0.06) for z in levels]
    totes = []
    long_x = (x1 - x0) >= (y1 - y0)
    span = (x1 - x0) if long_x else (y1 - y0)
    n = max(int(span // 0.6), 1)
    for z in levels:
        for k in range(n):
            f0, f1 = (k + 0.1) / n, (k + 0.9) / n
            if long_x:
                totes.append(box(x0 + span * f0, y0 + 0.1, x0 + span * f1, y1 - 0.1, z + 0.06,
                                 z + 0.3))
            else:
                totes.append(box(x0 + 0.1, y0 + span * f0, x1 - 0.1, y0 + span * f1, z + 0.06,
                                 z + 0.3))
    return [
        Piece("rack_frame", _concat(frame), style.RACK_FRAME),
        Piece("rack_shelf", _concat(shelves), style.RACK_SHELF),
        Piece("rack_totes", _concat(totes), style.TOTE),
    ]


def conveyor(x0: float, y0: float, x1: float, y1: float, h: float) -> list[Piece]:
    """Belt conveyor: grey frame with a dark belt on top."""
    top = min(h, 0.9)
    return [
        Piece("conveyor_frame", box(x0, y0, x1, y1, 0, top - 0.05), style.CONVEYOR_FRAME),
        Piece("conveyor_belt", box(x0 + 0.05, y0 + 0.05, x1 - 0.05, y1 - 0.05, top - 0.05, top),
              style.CONVEYOR_BELT),
    ]


def charger(x: float, y: float, heading: float, count: int, spacing: float) -> list[Piece]:
    """Charging points: a yellow floor pad where the robot stands, a cabinet in front of it."""
    pads, cabinets = [], []
    fx, fy = math.cos(heading), math.sin(heading)
    lx, ly = -fy, fx
    for k in range(max(count, 1)):
        off = (k - (max(count, 1) - 1) / 2) * spacing
        px, py = x + lx * off, y + ly * off
        pads.append(box(px - 0.32, py - 0.32, px + 0.32, py + 0.32, 0.0, 0.012))
        cx, cy = px + fx * 0.55, py + fy * 0.55
        cabinets.append(box(cx - 0.2, cy - 0.2, cx + 0.2, cy + 0.2, 0.0, 1.3))
    return [
        Piece("charger_pad", _concat(pads), style.CHARGER_PAD),
        Piece("charger", _concat(cabinets), style.CHARGER),
    ]


def static_pieces(line: Line, paths: list[np.ndarray], spacing: float = 0.75) -> list[Piece]:
    """Every static mesh of the layout, merged by colour so the scene has few actors."""
    pieces = floor(line)
    marked = aisles(paths)
    if marked is not None:
        pieces.append(marked)
    machines, cabinets = station_obstacles(line), charger_obstacles(line)
    walls = []
    for i, o in enumerate(line.layout.obstacles):
        if i in machines:
            continue
        x0, y0, x1, y1 = o.bounds
        if i in cabinets:
            body = box(x0, y0, x1, y1, 0, o.height) if o.points is None else \
                prism(o.points, 0, o.height)
            pieces.append(Piece("charger", body, style.CHARGER))
        elif o.points is not None:
            colour = {"rack": style.RACK_FRAME, "conveyor": style.CONVEYOR_FRAME}.get(o.kind)
            top = min(o.height, 0.9) if o.kind == "conveyor" else o.height
            if colour is None:
                walls.append(prism(o.points, 0, o.height))
            else:
                pieces.append(Piece(f"{o.kind}_frame", prism(o.points, 0, top), colour))
        elif o.kind == "rack":
            pieces += rack(x0, y0, x1, y1, o.height)
        elif o.kind == "conveyor":
            pieces += conveyor(x0, y0, x1, y1, o.height)
        else:
            walls.append(box(x0, y0, x1, y1, 0, o.height))
    if walls:
        pieces.append(Piece("walls", _concat(walls), style.WALL))
    for c in line.chargers.values():
        loc = line.layout.locations[c.location]
        drawn = charger(loc.x, loc.y, math.radians(loc.heading), c.count, spacing)
        pieces += drawn[:1] if cabinets else drawn
    return _group(pieces)


def _group(pieces: list[Piece]) -> list[Piece]:
    """Merge pieces of the same name (and so colour) into one mesh each."""
    names: dict[str, list[Piece]] = {}
    for p in pieces:
        names.setdefault(p.name, []).append(p)
    return [
        Piece(name, _concat([p.mesh for p in group]), group[0].colour)
        for name, group in names.items()
    ]


def station_meshes(line: Line) -> list[trimesh.Trimesh]:
    """One machine body per station, in ``line.stations`` order, with a control-panel top."""
    meshes = []
    for b in station_boxes(line).values():
        meshes.append(box(b.x0, b.y0, b.x1, b.y1, 0.0, b.height) if b.points is None
                      else prism(b.points, 0.0, b.height))
    return meshes
