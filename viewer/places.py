"""Where each thing of a line is drawn: machine bodies, buffer stacks, docks (pure geometry)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from twin.config import Line, Obstacle

MACHINE_SIZE = (1.6, 1.2, 1.5)  # drawn machine when the layout has no body for a station
BUFFER_SIDE = 0.9  # metres beside the serving point where a buffer's totes stand
NEAR_M = 3.0  # a machine this close to a serving point is that station's body


@dataclass(frozen=True)
class Box:
    """An axis-aligned box on the floor: x0, y0, x1, y1 and its height."""

    x0: float
    y0: float
    x1: float
    y1: float
    height: float
    points: list[tuple[float, float]] | None = None  # a polygon footprint inside the box

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


def station_point(line: Line, station: str) -> tuple[float, float, float]:
    """Serving point of a station: x, y and heading (rad) of a robot standing there."""
    loc = line.layout.locations[line.stations[station].location or station]
    return loc.x, loc.y, math.radians(loc.heading)


def _gap(o: Obstacle, x: float, y: float) -> float:
    """Distance from a point to an obstacle's bounding box (0 inside)."""
    x0, y0, x1, y1 = o.bounds
    return math.hypot(max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1))


def station_bodies(line: Line) -> dict[str, int]:
    """Station id -> index of the obstacle that is its machine.

    By name (station id or location) first, else the nearest free machine within
    ``NEAR_M`` of the serving point.
    """
    obstacles = line.layout.obstacles
    found: dict[str, int] = {}
    for sid, spec in line.stations.items():
        names = {sid, spec.location or sid}
        for i, o in enumerate(obstacles):
            if o.name in names:
                found[sid] = i
                break
    for sid in line.stations:
        if sid in found:
            continue
        x, y, _ = station_point(line, sid)
        near = [(_gap(o, x, y), i) for i, o in enumerate(obstacles)
                if o.kind == "machine" and i not in found.values()]
        near = [pair for pair in near if pair[0] <= NEAR_M]
        if near:
            found[sid] = min(near)[1]
    return found


def station_boxes(line: Line) -> dict[str, Box]:
    """Every station's machine body, in ``line.stations`` order (the bodies found once)."""
    bodies = station_bodies(line)
    return {sid: _body(line, sid, bodies.get(sid)) for sid in line.stations}


def station_body(line: Line, station: str) -> Box:
    """The machine body of a station: its obstacle, or a box ahead of its serving point."""
    return _body(line, station, station_bodies(line).get(station))


def _body(line: Line, station: str, index: int | None) -> Box:
    if index is not None:
        o = line.layout.obstacles[index]
        return Box(*o.bounds, o.height, points=o.points)
    x, y, heading = station_point(line, station)
    w, d, h = MACHINE_SIZE
    cx, cy = x + math.cos(heading) * (0.35 + d / 2), y + math.sin(heading) * (0.35 + d / 2)
    return Box(cx - w / 2, cy - d / 2, cx + w / 2, cy + d / 2, h)


def station_obstacles(line: Line) -> set[int]:
    """Indexes of obstacles drawn as station machines (coloured by state, not as walls)."""
    return set(station_bodies(line).values())


def charger_obstacles(line: Line) -> set[int]:
    """Indexes of machine obstacles that are charger or swap cabinets (next to a dock)."""
    docks = [line.layout.locations[c.location] for c in line.chargers.values()]
    taken = station_obstacles(line)
    return {i for i, o in enumerate(line.layout.obstacles)
            if i not in taken and o.kind == "machine"
            and any(_gap(o, d.x, d.y) <= NEAR_M for d in docks)}


_SIDE = re.compile(r"^(?P<owner>.+?)[._:/-](?P<side>in|input|out|output)$")


def buffer_anchor(line: Line, buffer: str) -> tuple[float, float, float] | None:
    """Floor point x, y and heading where a buffer's totes stack, or None if unknown."""
    owner, side = buffer, "in"
    match = _SIDE.match(buffer)
    if match:
        owner, side = match["owner"], match["side"]
    if owner in line.stations:
        x, y, heading = station_point(line, owner)
        sign = 1.0 if side.startswith("in") else -1.0
        nx, ny = -math.sin(heading) * sign, math.cos(heading) * sign
        return x + nx * BUFFER_SIDE, y + ny * BUFFER_SIDE, heading
    locations = line.layout.locations
    if owner in locations:
        loc = locations[owner]
        return loc.x, loc.y, math.radians(loc.heading)
    return None
