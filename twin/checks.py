"""Load-time checks of a line: what would make a run impossible or meaningless.

Like Gymnasium's ``check_env`` for environments: every reference between parts resolves,
every place a robot must reach is reachable on foot, every tote is liftable, every fleet can
charge, every buffer can hold what is brought to it. ``twin check`` runs these on any line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.config import Line, Station, Transport
from twin.figures import resolve
from twin.floor import (
    Walkways,
    blocked_location,
    build_walkways,
    floor_geometry,
    one_way_blocks,
)
from twin.floor.geometry import obstacle_label
from twin.robot import RobotSpec


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


def leg_transport(line: Line, src: str, dst: str) -> Transport:
    for leg in line.transport.legs:
        if leg.src == src and leg.dst == dst:
            return leg
    return line.transport.default


def components(line: Line) -> set[str]:
    """Products consumed by an assembly station: their route ends there, not at a sink."""
    return {p for st in line.stations.values() for p in st.assemble}


def routes(line: Line) -> dict[str, list[str]]:
    """Product -> node sequence [source, stations..., sink] (a component's ends at assembly)."""
    only_source = next(iter(line.sources)) if len(line.sources) == 1 else None
    only_sink = next(iter(line.sinks)) if len(line.sinks) == 1 else None
    parts = components(line)
    out = {}
    for name, product in line.products.items():
        src = product.source or only_source or ""
        if name in parts:
            out[name] = [src, *product.routing]
            continue
        snk = product.sink or only_sink or ""
        out[name] = [src, *product.routing, snk]
    return out


def node_location(line: Line, node: str) -> str:
    if node in line.stations:
        return line.stations[node].location or node
    if node in line.sources:
        return line.sources[node].location
    if node in line.sinks:
        return line.sinks[node].location
    raise KeyError(node)


def check_line(line: Line, walkways: Walkways | None = None) -> list[Problem]:
    """Everything that would make a run impossible or meaningless, found before it starts."""
    out: list[Problem] = []
    locs = line.layout.locations
    names = set(line.stations) | set(line.sources) | set(line.sinks)
    for kind, group in (("sources", line.sources), ("sinks", line.sinks)):
        for key in group:
            if key in line.stations:
                out.append(Problem(f"{kind}.{key}", "has the same id as a station; rename it"))
    known = ", ".join(sorted(locs))
    for sid, st in line.stations.items():
        loc = st.location or sid
        if loc not in locs:
            field = f"stations.{sid}.location" if st.location else f"stations.{sid}"
            out.append(Problem(field, f"no location {loc!r} in layout.locations (known: {known})"))
        if isinstance(st.process, dict):
            for prod in st.process:
                if prod not in line.products:
                    out.append(Problem(f"stations.{sid}.process.{prod}", "unknown product"))
        slowest = _ideal_over_mean(st)
        if slowest is not None:
            out.append(Problem(f"stations.{sid}.ideal_cycle", slowest))
    for kind, group in (("sources", line.sources), ("sinks", line.sinks)):
        for key, item in group.items():
            if item.location not in locs:
                out.append(Problem(f"{kind}.{key}.location",
                                   f"no location {item.location!r} in layout.locations"))
    for cid, ch in line.chargers.items():
        if ch.location not in locs:
            out.append(Problem(f"chargers.{cid}.location",
                               f"no location {ch.location!r} in layout.locations"))
    for pname, product in line.products.items():
        for i, sid in enumerate(product.routing):
            if sid not in line.stations:
                out.append(Problem(f"products.{pname}.routing.{i}",
                                   f"unknown station {sid!r} (stations: "
                                   f"{', '.join(line.stations)})"))
        if product.source is None and len(line.sources) > 1:
            out.append(Problem(f"products.{pname}.source", "several sources: name one"))
        if product.source is not None and product.source not in line.sources:
            out.append(Problem(f"products.{pname}.source", f"unknown source {product.source!r}"))
        if product.sink is None and len(line.sinks) > 1:
            out.append(Problem(f"products.{pname}.sink", "several sinks: name one"))
        if product.sink is not None and product.sink not in line.sinks:
            out.append(Problem(f"products.{pname}.sink", f"unknown sink {product.sink!r}"))
        st_process = [line.stations[s].process for s in product.routing if s in line.stations]
        for sid, proc in zip(product.routing, st_process, strict=False):
            if isinstance(proc, dict) and pname not in proc:
                out.append(Problem(f"stations.{sid}.process",
                                   f"no processing time for product {pname!r}"))
    for sid, st in line.stations.items():
        for prod in st.assemble:
            if prod not in line.products:
                out.append(Problem(f"stations.{sid}.assemble.{prod}", "unknown product"))
            elif line.products[prod].routing[-1:] != [sid]:
                out.append(Problem(f"products.{prod}.routing",
                                   f"{prod} is a component of {sid}: its routing must end at "
                                   f"{sid}"))
    for i, leg in enumerate(line.transport.legs):
        for end, node in (("from", leg.src), ("to", leg.dst)):
            if node not in names:
                out.append(Problem(f"transport.legs.{i}.{end}", f"unknown node {node!r}"))
    for problem in blocked_location(line.layout).items():
        out.append(Problem(f"layout.locations.{problem[0]}", problem[1]))
    if out:
        return out
    # transport feasibility
    route_map = routes(line)
    parts = components(line)
    for sid, st in line.stations.items():
        if not st.assemble:
            continue
        into: dict[str, set[bool]] = {}
        feeds: dict[str, set[str]] = {}
        for prod, route in route_map.items():
            if sid in route:
                before = route[route.index(sid) - 1]
                into.setdefault(before, set()).add(prod in parts)
                if prod in parts:
                    feeds.setdefault(before, set()).add(prod)
        for src, prods in feeds.items():
            if len(prods) > 1:
                out.append(Problem(f"stations.{sid}.assemble",
                                   f"components {', '.join(sorted(prods))} all come from {src}: "
                                   "give each component a source (or station) of its own"))
        if not any(False in kinds for kinds in into.values()):
            out.append(Problem(f"stations.{sid}.assemble",
                               f"no product is made at {sid}: route a main product through it"))
        for src, kinds in into.items():
            if len(kinds) > 1:
                out.append(Problem(f"stations.{sid}.assemble",
                                   f"units and components both come from {src}: bring "
                                   "components from a node of their own (e.g. a kit source)"))
    humanoid_legs = set()
    for route in route_map.values():
        for a, b in zip(route, route[1:], strict=False):
            t = leg_transport(line, a, b)
            if t.kind == "humanoid":
                humanoid_legs.add((a, b))
    for a, b in sorted({(a, b) for r in route_map.values() for a, b in zip(r, r[1:],
                                                                             strict=False)}):
        t = leg_transport(line, a, b)
        if t.kind == "conveyor" and a in line.stations and line.stations[a].output_buffer < 1:
            out.append(Problem(f"stations.{a}.output_buffer",
                               f"is 0 but units leave {a} by conveyor to {b}: give it at least 1 "
                               "place to set a unit down"))
    fleet = line.fleet
    robot = fleet.robot if fleet is not None and isinstance(fleet.robot, RobotSpec) else None
    if robot is not None:
        out += [Problem(f"fleet.robot.{r.field}", r.message) for r in resolve(robot).refusals]
    if humanoid_legs and (fleet is None or fleet.count == 0):
        a, b = sorted(humanoid_legs)[0]
        out.append(Problem("fleet.count", f"transport {a} -> {b} is by humanoid but the line has "
                                          "no robots; add a fleet or make the leg instant"))
    for a, b in sorted(humanoid_legs):
        t = leg_transport(line, a, b)
        field = _leg_field(line, a, b)
        if robot is not None and t.payload(t.tote_units) > robot.max_payload + 1e-9:
            mass = t.payload(t.tote_units)
            out.append(Problem(field + ".tote_units",
                               f"a full tote {a} -> {b} weighs {mass:g} kg, over {robot.name}'s "
                               f"{robot.max_payload:g} kg payload; use smaller totes or lighter "
                               "units"))
        if a in line.stations and line.stations[a].output_buffer < t.load:
            out.append(Problem(f"stations.{a}.output_buffer",
                               f"is {line.stations[a].output_buffer} but a humanoid trip to {b} "
                               f"waits for {t.load} units: raise it to at least {t.load}"))
        field, cap = (_room(line, route_map, parts, a, b) if b in line.stations
                      else ("input_buffer", None))
        if cap is not None and cap < t.load:
            out.append(Problem(f"stations.{b}.{field}",
                               f"is {cap} but a humanoid brings {t.load} units a trip from {a}: "
                               f"raise it to at least {t.load}"))
    for a, b in sorted({(a, b) for r in route_map.values() for a, b in zip(r, r[1:],
                                                                             strict=False)}):
        rack = a in line.sources and line.sources[a].kind == "rack"
        if rack and b in line.stations:
            field, room = _room(line, route_map, parts, a, b)
            if room is None:
                out.append(Problem(f"stations.{b}.{field}",
                                   f"is unlimited but {b} is fed from the always-stocked rack "
                                   f"{a!r}: give it a finite {field} (the rack pulls to fill it)"))
    if fleet is not None and fleet.count > 0:
        points = sum(ch.count for ch in line.chargers.values())
        if points == 0:
            out.append(Problem("chargers", f"the fleet of {fleet.count} robots needs charging but "
                                           "the line has no charger points; add one"))
        if fleet.home is not None and fleet.home not in locs:
            out.append(Problem("fleet.home", f"no location {fleet.home!r}"))
    out += floor_problems(line, humanoid_legs)
    if out:
        return out
    # reachability on the walkways
    if humanoid_legs or (fleet is not None and fleet.count):
        ways = walkways or build_walkways(line.layout)
        must = {node_location(line, n) for leg in humanoid_legs for n in leg}
        must |= {ch.location for ch in line.chargers.values() if ch.count}
        start = _home(line)
        blocks = one_way_blocks(ways, sorted(must | {start}))
        out += [Problem(b.field, b.message) for b in blocks]
        if blocks:
            return out
        for loc in sorted(must):
            if ways.dist(start, loc) == float("inf"):
                out.append(Problem(f"layout.locations.{loc}",
                                   f"cannot be reached on foot from {start!r}: obstacles close "
                                   "it off (check walls and layout.clearance)"))
    return out


def _ideal_over_mean(st: Station) -> str | None:
    """A stated ideal cycle longer than a mean processing time: the station would beat its
    "ideal" on average and report an effectiveness (and OEE) above 1."""
    if st.ideal_cycle is None:
        return None
    dists = st.process.items() if isinstance(st.process, dict) else [("", st.process)]
    for prod, dist in dists:
        if st.ideal_cycle > dist.mean * (1 + 1e-9):
            of = f" of {prod}" if prod else ""
            return (f"{st.ideal_cycle:g} s is longer than the mean processing time{of} "
                    f"({dist.mean:g} s): the station would beat its ideal and report an OEE "
                    "above 1; give the fastest cycle it can run (at most the mean)")
    return None


def floor_problems(line: Line, humanoid_legs: set[tuple[str, str]]) -> list[Problem]:
    """Spots, holding points, marked aisles, passing bays and zones that cannot work."""
    out: list[Problem] = []
    layout = line.layout
    robot_w = 2 * layout.clearance
    w, d = layout.floor.width, layout.floor.depth

    def off_floor(x: float, y: float) -> bool:
        return not (0 <= x <= w and 0 <= y <= d)

    for i, aisle in enumerate(layout.aisles):
        field = f"layout.aisles.{i}"
        if aisle.width + 1e-9 < robot_w:
            out.append(Problem(f"{field}.width",
                               f"{aisle.width:g} m is narrower than a robot (2 x clearance = "
                               f"{robot_w:g} m): widen it or remove the aisle"))
        for end, (x, y) in (("from", aisle.start), ("to", aisle.end)):
            if off_floor(x, y):
                out.append(Problem(f"{field}.{end}", f"({x:g}, {y:g}) is off the floor"))
    for i, bay in enumerate(layout.passing_bays):
        if off_floor(bay.x, bay.y):
            out.append(Problem(f"layout.passing_bays.{i}", f"({bay.x:g}, {bay.y:g}) is off the "
                                                           "floor"))
    points_at: dict[str, int] = {}
    for ch in line.chargers.values():
        points_at[ch.location] = points_at.get(ch.location, 0) + ch.count
    for name, loc in layout.locations.items():
        if name in points_at and loc.spots not in (1, points_at[name]):
            out.append(Problem(f"layout.locations.{name}.spots",
                               f"{name} is a charger location: its spots are the charger's "
                               f"{points_at[name]} points; remove 'spots' or set chargers' count"))
        if loc.holding is not None and off_floor(*loc.holding):
            out.append(Problem(f"layout.locations.{name}.holding",
                               f"({loc.holding[0]:g}, {loc.holding[1]:g}) is off the floor"))
        elif loc.holding is not None and layout.obstacles:
            hit = int(floor_geometry(layout).inside(np.array([loc.holding], dtype=float))[0])
            if hit >= 0:
                out.append(Problem(f"layout.locations.{name}.holding",
                                   f"({loc.holding[0]:g}, {loc.holding[1]:g}) is inside "
                                   f"{obstacle_label(layout.obstacles[hit])} or within the "
                                   "robot clearance of it: robots could not queue there"))
    fleet = line.fleet
    if fleet is None or not fleet.zones:
        return out
    nodes = set(line.stations) | set(line.sources) | set(line.sinks)
    taken = 0
    zone_of: dict[str, str] = {}
    for name, zone in fleet.zones.items():
        for node in zone.nodes:
            if node not in nodes:
                out.append(Problem(f"fleet.zones.{name}.nodes",
                                   f"unknown node {node!r} (stations, sources and sinks)"))
            elif node in zone_of:
                out.append(Problem(f"fleet.zones.{name}.nodes",
                                   f"{node!r} is already in zone {zone_of[node]!r}"))
            else:
                zone_of[node] = name
        if taken >= fleet.count:
            out.append(Problem(f"fleet.zones.{name}",
                               f"no robot serves it: the fleet has {fleet.count} robots and the "
                               f"zones before it take them all; raise fleet.count"))
        taken += zone.robots
        served = [leg for leg in humanoid_legs if leg[0] in zone.nodes or leg[1] in zone.nodes]
        if not served:
            out.append(Problem(f"fleet.zones.{name}.nodes",
                               "no humanoid leg starts or ends at these nodes: its robots "
                               "would never work"))
    if taken >= fleet.count:
        for a, b in sorted(humanoid_legs):
            if a not in zone_of and b not in zone_of:
                out.append(Problem("fleet.zones",
                                   f"transport {a} -> {b} is in no zone and every robot is in "
                                   "one: add a node to a zone or leave some robots unzoned"))
                break
    return out


def _room(line: Line, route_map: dict[str, list[str]], parts: set[str], a: str, b: str
          ) -> tuple[str, int | None]:
    """Which buffer of station ``b`` units from ``a`` land in, and its capacity."""
    for prod, route in route_map.items():
        if prod in parts and route[-2:] == [a, b]:
            return "kit_buffer", line.stations[b].kit_buffer
    return "input_buffer", line.stations[b].input_buffer


def _leg_field(line: Line, a: str, b: str) -> str:
    for i, leg in enumerate(line.transport.legs):
        if leg.src == a and leg.dst == b:
            return f"transport.legs.{i}"
    return "transport.default"


def _home(line: Line) -> str:
    if line.fleet is not None and line.fleet.home:
        return line.fleet.home
    for ch in line.chargers.values():
        return ch.location
    return next(iter(line.layout.locations))
