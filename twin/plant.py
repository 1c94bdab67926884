"""A car-plant hall generator: rows of tote lines, aisles, kitting, swap docks and zones.

``plant(rows)`` returns a line document (the structure of a line YAML, plain dicts) for a hall
of parallel door lines like ``lines/tote_line.yaml``: each row has a parts rack, stations with
their machine bodies as obstacles and an outbound conveyor, all served from a 3 m row aisle in
front of them. Cross aisles 4 m wide run along both ends of the rows, a kitting area lines the
west wall (its shelves fill the rows' flow racks from behind, outside the model), and a
battery-swap dock stands in the middle of every few rows. Each row is a fleet zone with its own
robots, so robots serve their own row. Nothing is random: the same arguments give the same
document. ``twin plant`` writes it as YAML; ``lines/car_plant.yaml`` is one such plant.

Hall coordinates (m): x runs along the rows (rack at the west end, conveyor at the east end),
y across them. Row ``i`` has its aisle at ``y0 .. y0 + 3`` and its machine band (rack,
stations, conveyor, dock) at ``y0 + 3 .. y0 + 6``, where ``y0 = 1 + 6 i``; the back of one
row's machines borders the next row's aisle, and the 6 m gaps between machine bodies let
robots cross between rows.
"""

from __future__ import annotations

from typing import Any

ROW_AISLE = 3.0  # m: four robots abreast, two-way traffic with room to pass
CROSS_AISLE = 4.0  # m: the main aisles at both ends of the rows
BODY_DEPTH = 3.0  # m: depth of the machine band (station bodies)
STATION_PITCH = 10.0  # m: a 4 m machine body and a 6 m gap
STAND_OFF = 1.0  # m: from a machine face to where the robot stands
WALL = 1.0  # m: free floor along the hall walls
KIT_DEPTH = 9.0  # m: the kitting area along the west wall
FIRST_STATION = WALL + KIT_DEPTH + CROSS_AISLE + 11.0  # x of row stations' first body

# The five door-line stations of tote_line, repeated along longer rows:
# (id, obstacle name, process, extras)
STATIONS: tuple[tuple[str, str, dict[str, Any], dict[str, Any]], ...] = (
    ("frame", "frame prep", {"dist": "lognormal", "mean": "53 s", "cv": 0.15}, {}),
    ("harness", "wiring harness", {"dist": "lognormal", "mean": "55 s", "cv": 0.2}, {}),
    ("regulator", "window regulator", {"dist": "lognormal", "mean": "54 s", "cv": 0.15},
     {"failures": {"ttf": {"dist": "exponential", "mean": "4 h"},
                   "ttr": {"dist": "lognormal", "mean": "10 min", "cv": 0.5}}}),
    ("trim", "trim", {"dist": "lognormal", "mean": "56 s", "cv": 0.2}, {}),
    ("check", "final check", {"dist": "triangular", "low": "45 s", "mode": "52 s",
                              "high": "65 s"}, {"scrap": 0.01, "rework": 0.02}),
)


def row_ids(rows: int) -> list[str]:
    """Row ids ``r01``, ``r02``, ... (zero-padded to the widest)."""
    width = max(2, len(str(rows)))
    return [f"r{i + 1:0{width}d}" for i in range(rows)]


def station_ids(stations_per_row: int) -> list[str]:
    """Station ids within a row: frame, harness, ..., then frame2, harness2, ... if longer."""
    out = []
    for k in range(stations_per_row):
        base = STATIONS[k % len(STATIONS)][0]
        rep = k // len(STATIONS)
        out.append(base if rep == 0 else f"{base}{rep + 1}")
    return out


def dock_rows(rows: int, rows_per_dock: int) -> list[int]:
    """The rows holding a swap dock: the middle row of each group of ``rows_per_dock``."""
    out = []
    for first in range(0, rows, rows_per_dock):
        size = min(rows_per_dock, rows - first)
        out.append(first + (size - 1) // 2)
    return out


def plant(rows: int, stations_per_row: int = 5, robots_per_row: int = 4, *,
          rows_per_dock: int = 3, dock_points: int = 2, spares: int = 6,
          aisle: float = ROW_AISLE, name: str = "plant") -> dict[str, Any]:
    """A car-plant hall of ``rows`` door lines as a line document (see the module doc).

    Args:
        rows: parallel tote lines in the hall.
        stations_per_row: stations in each row, between its rack and its conveyor.
        robots_per_row: humanoids in each row's zone (fleet size = rows x robots_per_row).
        rows_per_dock: rows sharing one battery-swap dock.
        dock_points: swap points per dock.
        spares: spare batteries per swap point.
        aisle: the width of each row's aisle, between its machine faces and the backs of the
            row before: 3 m lets four robots abreast, 1.4 m two, 1.2 m one at a time.
        name: the line's name (a line file's name must match its file name).
    """
    for what, value in (("rows", rows), ("stations_per_row", stations_per_row),
                        ("robots_per_row", robots_per_row), ("rows_per_dock", rows_per_dock),
                        ("dock_points", dock_points)):
        if value < 1:
            raise ValueError(f"{what} must be at least 1, got {value}")
    if spares < 0:
        raise ValueError(f"spares must be at least 0, got {spares}")
    if not 1.0 <= aisle <= 10.0:
        raise ValueError(f"aisle must be between 1 and 10 m, got {aisle:g}")
    pitch = aisle + BODY_DEPTH
    ids = row_ids(rows)
    kinds = station_ids(stations_per_row)
    east = FIRST_STATION + STATION_PITCH * stations_per_row + 4.0  # conveyor's east end
    width = east + 1.0 + CROSS_AISLE + WALL
    depth = WALL + pitch * rows + ROW_AISLE + WALL
    west_aisle_x = WALL + KIT_DEPTH + CROSS_AISLE / 2
    east_aisle_x = east + 1.0 + CROSS_AISLE / 2
    obstacles: list[dict[str, Any]] = []
    locations: dict[str, dict[str, Any]] = {}
    aisles: list[dict[str, Any]] = [
        {"name": "west main aisle", "from": [west_aisle_x, WALL], "to": [west_aisle_x,
                                                                          depth - WALL],
         "width": f"{CROSS_AISLE:g} m"},
        {"name": "east main aisle", "from": [east_aisle_x, WALL], "to": [east_aisle_x,
                                                                          depth - WALL],
         "width": f"{CROSS_AISLE:g} m"},
    ]
    products: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    sinks: dict[str, Any] = {}
    stations: dict[str, Any] = {}
    zones: dict[str, Any] = {}
    chargers: dict[str, Any] = {}
    docks = dock_rows(rows, rows_per_dock)
    dock_width = len(str(len(docks)))
    for i, row in enumerate(ids):
        y0 = WALL + pitch * i  # row aisle from y0 to y0 + aisle
        band = y0 + aisle  # machine faces
        stand = band - min(STAND_OFF, aisle / 2)  # where robots stand to work
        obstacles.append(_box(f"{row} kitting shelf", "rack", WALL, band, WALL + KIT_DEPTH - 1,
                              band + 1.2, 2.0))
        aisles.append({"name": f"{row} aisle", "from": [WALL + KIT_DEPTH, y0 + aisle / 2],
                       "to": [east + 1.0, y0 + aisle / 2], "width": f"{aisle:g} m"})
        rack_x = WALL + KIT_DEPTH + CROSS_AISLE + 1.0
        obstacles.append(_box(f"{row} parts rack", "rack", rack_x, band, rack_x + 5, band + 2,
                              2.2))
        locations[f"{row}_rack"] = {"x": rack_x + 2.5, "y": stand, "kind": "rack",
                                    "heading": 90, "spots": 2}
        sources[f"{row}_rack"] = {"location": f"{row}_rack", "kind": "rack"}
        routing = []
        for k, kind in enumerate(kinds):
            sid = f"{row}_{kind}"
            _, label, process, extras = STATIONS[k % len(STATIONS)]
            x0 = FIRST_STATION + STATION_PITCH * k
            obstacles.append(_box(f"{row} {label}", "machine", x0, band, x0 + 4, band + 3, 1.6))
            locations[sid] = {"x": x0 + 2, "y": stand, "kind": "station", "heading": 90}
            stations[sid] = {"process": dict(process), "ideal_cycle": "50 s",
                             **_copy(extras), "input_buffer": 6, "output_buffer": 6}
            routing.append(sid)
        x0 = FIRST_STATION + STATION_PITCH * stations_per_row
        obstacles.append(_box(f"{row} outbound conveyor", "conveyor", x0, band, x0 + 4,
                              band + 1.5, 0.9))
        locations[f"{row}_out"] = {"x": x0 + 2, "y": stand, "kind": "conveyor", "heading": 90,
                                   "spots": 2}
        sinks[f"{row}_out"] = {"location": f"{row}_out"}
        products[f"{row}_door"] = {"routing": routing, "source": f"{row}_rack",
                                   "sink": f"{row}_out"}
        zones[row] = {"nodes": [f"{row}_rack", *routing, f"{row}_out"],
                      "robots": robots_per_row}
        if i in docks:
            did = f"swap{docks.index(i) + 1:0{dock_width}d}"
            mid = (stations_per_row - 1) // 2  # the dock stands in the gap after this station
            gx = FIRST_STATION + STATION_PITCH * mid + 4.0 + 3.0  # centre of the 6 m gap
            obstacles.append(_box(f"swap dock {did[4:]}", "machine", gx - 1.5, band, gx + 1.5,
                                  band + 1.2, 1.8))
            locations[did] = {"x": gx, "y": band - 0.8, "kind": "charger", "heading": 90}
            chargers[did] = {"location": did, "count": dock_points, "mode": "swap",
                             "swap_time": "3 min", "spares": spares, "power": "1.5 kW"}
    aisles.append({"name": "north aisle", "from": [WALL + KIT_DEPTH, depth - WALL - ROW_AISLE / 2],
                   "to": [east + 1.0, depth - WALL - ROW_AISLE / 2],
                   "width": f"{ROW_AISLE:g} m"})
    first_dock = next(iter(chargers))
    first_station = f"{ids[0]}_{kinds[min(2, len(kinds) - 1)]}"
    facts = {"transport.default.tote_units": "payload_counterweight",
             "fleet.robot": "tote_carry_loop",
             f"chargers.{first_dock}.swap_time": "battery_swap_time",
             f"chargers.{first_dock}.power": "spec_walker_s2_recharge"}
    if "failures" in stations[first_station]:
        facts[f"stations.{first_station}.failures"] = "sudden_failures"
    return {
        "name": name,
        "description": (f"Car-plant hall: {rows} door lines x {stations_per_row} stations, "
                        f"{rows * robots_per_row} humanoids in row zones, {len(docks)} swap "
                        f"dock{'s' if len(docks) > 1 else ''}"),
        "layout": {
            "floor": {"width": f"{width:g} m", "depth": f"{depth:g} m"},
            "clearance": "0.35 m",
            "obstacles": obstacles,
            "aisles": aisles,
            "locations": locations,
        },
        "products": products,
        "sources": sources,
        "sinks": sinks,
        "stations": stations,
        "transport": {"default": {"kind": "humanoid", "tote_units": 2, "unit_mass": "6 kg",
                                  "tote_mass": "2 kg"}},
        "fleet": {
            "robot": "walker_s2",
            "count": rows * robots_per_row,
            "home": first_dock,
            "dispatch": "longest_waiting",
            "zones": zones,
            # swap when low, not in breaks: a swapped battery is full whatever it had left
            "charging": {"go_charge_below": 0.25, "charge_to": 0.95, "in_breaks": False},
        },
        "chargers": chargers,
        "shifts": {
            "shifts": [{"start": "06:00", "end": "14:00"}, {"start": "14:00", "end": "22:00"}],
            "breaks": [{"start": "10:00", "end": "10:30"}, {"start": "18:00", "end": "18:30"}],
            "days_off": ["sat", "sun"],
        },
        "warmup": "1 h",
        "facts": facts,
    }


def header(rows: int, stations_per_row: int = 5, robots_per_row: int = 4,
           aisle: float = ROW_AISLE) -> str:
    """The comment a generated plant file starts with: what it is and how to make it again."""
    docks = len(dock_rows(rows, 3))
    marked = "" if aisle == ROW_AISLE else f" --aisle {aisle:g}"
    return "\n".join([
        f"{rows} car-plant door lines in one hall, generated by `twin plant --rows {rows} "
        f"--stations-per-row {stations_per_row} --robots-per-row {robots_per_row}{marked}`.",
        "",
        f"Each row: a parts rack, {stations_per_row} stations (tote_line's door stations) with "
        "their machine bodies, an outbound",
        f"conveyor, all served from a {aisle:g} m row aisle; {CROSS_AISLE:g} m main aisles "
        "at both ends of the rows; a kitting",
        f"area along the west wall; {docks} battery-swap dock{'s' if docks > 1 else ''} "
        "(one for every 3 rows, 2 points, 6 spares a",
        f"point); one fleet zone of {robots_per_row} humanoids per row, so robots serve their "
        "own row. Two shifts, Mon-Fri.",
        "Run it: twin run <this file> --hours 40",
    ])


def _box(name: str, kind: str, x0: float, y0: float, x1: float, y1: float,
         height: float) -> dict[str, Any]:
    return {"name": name, "kind": kind, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
            "height": height}


def _copy(value: Any) -> Any:
    """A deep copy of plain dicts, so no two stations share a mapping (YAML anchors)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line."""


class _Block(dict):  # type: ignore[type-arg]
    """A mapping written one item a line."""


FLOW = ("layout.obstacles", "layout.aisles", "layout.locations", "products", "sources",
        "sinks", "fleet.zones", "chargers")  # whose items are written one per line


def _flowed(value: Any, path: str = "") -> Any:
    if isinstance(value, dict):
        items = {k: _flowed(v, f"{path}.{k}".lstrip(".")) for k, v in value.items()}
        if path == "facts":
            return _Block(items)
        return _Flow(items) if path.rpartition(".")[0] in FLOW else items
    if isinstance(value, list):
        return [_flowed(v, f"{path}.{k}") for k, v in enumerate(value)]
    return value


def to_yaml(doc: dict[str, Any], header: str = "") -> str:
    """The document as YAML in the style of the shipped lines: small mappings on one line."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)

    def block(dumper: yaml.SafeDumper, data: _Block) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)

    _Dumper.add_representer(_Flow, flow)
    _Dumper.add_representer(_Block, block)
    body = yaml.dump(_flowed(doc), Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                     width=200, allow_unicode=True)
    lines = [f"# {text}".rstrip() for text in header.splitlines()] if header else []
    return "\n".join(lines) + ("\n" if lines else "") + body


__all__ = ["dock_rows", "header", "plant", "row_ids", "station_ids", "to_yaml"]
