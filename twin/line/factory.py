"""The factory: builds the SimPy model of a line and runs it.

Construction follows the line description: sources, stations and the sink become nodes; each
consecutive pair in a product's route becomes a leg of its transport kind; the fleet and the
chargers serve the humanoid legs. Units are plain ints indexing a few lists (product, route
step, creation time), so the hot loop touches no dicts of dicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from twin.checks import leg_transport, node_location, routes
from twin.config import Fleet, Line
from twin.events import EventLog
from twin.floor import Walkways, build_walkways
from twin.floor.lanes import build_lanes
from twin.line.buffers import Inbox
from twin.line.calendar import make_calendar
from twin.line.chargers import ChargerGroup
from twin.line.engine import Engine
from twin.line.fleet import Dispatcher, Robot
from twin.line.spots import WorkSpot
from twin.line.station import Station
from twin.line.streams import RandomStreams
from twin.line.traffic import Traffic
from twin.line.transport import ConveyorLeg, HumanoidLeg, Sink, Source, StationPort
from twin.motion import MotionModel, MotionTask, Outcome, Surrogate
from twin.robot import RobotSpec

TRAFFIC_NEEDS_PLANS = (
    "this motion model neither plans walks nor keeps traffic rules itself: set "
    "layout.traffic.enabled=false")


class Factory:
    """A line ready to run: ``Factory(line, seed).run(until)``."""

    def __init__(self, line: Line, seed: int = 0, *, log: bool = False,
                 motion: MotionModel | None = None, walkways: Walkways | None = None) -> None:
        self.line = line
        self.env = Engine()
        self.streams = RandomStreams(seed)
        self.log = EventLog(enabled=log)
        self.calendar = make_calendar(line.shifts)
        self.walkways = walkways or build_walkways(line.layout)
        self.product_names = list(line.products)
        route_map = routes(line)
        self.routes = [route_map[p] for p in self.product_names]
        # units
        self.part_product: list[int] = []
        self.part_step: list[int] = []
        self.part_created: list[float] = []
        self.shift_watchers: list[Any] = []
        self.good_ever = 0  # never reset at warm-up: for time series from t=0
        self.wip_area_ever = 0.0
        self.wip = 0  # units in the system now (kept through the warm-up reset)
        self.reset_counts()
        # nodes
        self.sources = {k: Source(self, k, s) for k, s in line.sources.items()}
        self.sinks = {k: Sink(self, k, s) for k, s in line.sinks.items()}
        self.stations = {k: Station(self, k, s) for k, s in line.stations.items()}
        # fleet and chargers
        self.fleet_spec: Fleet = line.fleet or Fleet(count=0)
        self.chargers = {k: ChargerGroup(self, k, c) for k, c in line.chargers.items()
                         if c.count > 0}
        ways = self.walkways
        self.charger_xy = [tuple(ways.points[ways.index[g.location]].tolist())
                           for g in self.chargers.values()]
        self.dispatcher = Dispatcher(self, self.fleet_spec.dispatch)
        self.robots: dict[str, Robot] = {}
        self.traffic: Traffic | None = None
        self.plan_walk: Callable[[Robot, MotionTask], Outcome] | None = None
        self.zoned = bool(self.fleet_spec.zones)
        if self.fleet_spec.count:
            spec = self.fleet_spec.robot
            assert isinstance(spec, RobotSpec), "load the line with twin.load_line"
            self.motion = motion or Surrogate(spec)
            self.plan_walk = getattr(self.motion, "plan", None)
            alone = self.fleet_spec.count == 1  # one robot never meets another
            if line.layout.traffic.enabled and not alone:
                share = getattr(self.motion, "share_floor", None)  # a body keeps them itself
                if self.plan_walk is None and share is None:
                    raise ValueError(TRAFFIC_NEEDS_PLANS)
                self.traffic = Traffic(build_lanes(line.layout), line.layout.traffic)
                if self.plan_walk is None and share is not None:
                    share(self.traffic.grid, lambda rid, why: self.robots[rid].stopped(why))
            home = self.fleet_spec.home or next(iter(self.chargers.values())).location
            soc = self.fleet_spec.charging.initial_soc
            width = len(str(self.fleet_spec.count))
            zones = [z for z, spec_z in self.fleet_spec.zones.items()
                     for _ in range(spec_z.robots)]
            for k in range(self.fleet_spec.count):
                rid = f"robot{k + 1:0{width}d}"
                zone = zones[k] if k < len(zones) else None
                self.robots[rid] = Robot(self, rid, spec, self.motion, home, soc, zone)
        self.spots: dict[str, WorkSpot] = {}
        self._step_ins: dict[tuple[str, float], MotionTask | None] = {}
        self._hand_overs: dict[tuple[str, float], float] = {}  # hand_over's, kept
        self.legs: list[HumanoidLeg | ConveyorLeg] = []
        self._connect()

    # ------------------------------------------------------------------ construction
    def _inbox(self, node: str) -> Inbox:
        if node in self.stations:
            return self.stations[node].inbox
        return self.sinks[node]

    def _connect(self) -> None:
        line = self.line
        pairs = []
        kit_of: dict[tuple[str, str], Inbox] = {}  # legs that bring a component to assembly
        for k, route in enumerate(self.routes):
            for a, b in zip(route, route[1:], strict=False):
                if (a, b) not in pairs:
                    pairs.append((a, b))
            last = route[-1]
            if last in self.stations and k in self.stations[last].kits:
                kit_of[(route[-2], last)] = self.stations[last].kits[k]
        for a, b in pairs:
            spec = leg_transport(line, a, b)
            inbox = kit_of.get((a, b)) or self._inbox(b)
            if a in self.sources:
                port: Source | StationPort = self.sources[a]
                ports = self.sources[a].ports
            else:
                st = self.stations[a]
                port = StationPort(st.outbox, st.location)
                ports = st.ports
            if spec.kind == "instant":
                ports[b] = inbox
            elif spec.kind == "conveyor":
                ports[b] = None
                self.legs.append(ConveyorLeg(self, a, b, spec, port, inbox))
            else:
                ports[b] = None
                src_loc, dst_loc = node_location(line, a), node_location(line, b)
                leg = HumanoidLeg(self, a, b, spec, port, inbox, src_loc, dst_loc)
                leg.zone = self._zone_of(a, b)
                self.legs.append(leg)
                for loc in (src_loc, dst_loc):
                    if loc not in self.spots:
                        spots = line.layout.locations[loc].spots
                        self.spots[loc] = WorkSpot(self, loc, spots)
                leg.src_spot, leg.dst_spot = self.spots[src_loc], self.spots[dst_loc]

    def _zone_of(self, a: str, b: str) -> str | None:
        """The zone of a leg: the one holding its start node, else the one holding its end."""
        for node in (a, b):
            for name, zone in self.fleet_spec.zones.items():
                if node in zone.nodes:
                    return name
        return None

    # ------------------------------------------------------------------ units
    def reset_counts(self) -> None:
        now = self.env.now
        self.started = 0
        self.good = 0
        self.scrapped = 0
        self.consumed = 0
        self.lead_sum = 0.0
        self.lead_n = 0
        self.wip_area = 0.0
        self.wip_since = now
        # censored lead time (twin.kpi): units inside count from the window start
        self.window_start = now
        self.wip_start = self.wip
        self.stay_sum = 0.0  # unit-seconds in the window of the units that left
        self.entry_sum = self.wip * now  # sum of max(created, window start) of units inside

    def _wip(self, delta: int) -> None:
        now = self.env._now
        area = self.wip * (now - self.wip_since)
        self.wip_area += area
        self.wip_area_ever += area
        self.wip_since = now
        self.wip += delta

    def _left(self, part: int) -> None:
        """A unit leaves (good, scrap or consumed): add its time inside the window."""
        entered = max(self.part_created[part], self.window_start)
        self.stay_sum += self.env._now - entered
        self.entry_sum -= entered

    def new_part(self, product: int, where: str) -> int:
        part = len(self.part_product)
        self.part_product.append(product)
        self.part_step.append(1)  # index of the node it is heading for
        self.part_created.append(self.env._now)
        self.started += 1
        self.entry_sum += self.env._now
        self._wip(+1)
        if self.log.enabled:
            self.log.add(self.env.now, where, "part", "created", part, float(product))
        return part

    def finish(self, part: int, where: str) -> None:
        now = self.env._now
        self.good += 1
        self.good_ever += 1
        self.lead_sum += now - self.part_created[part]
        self.lead_n += 1
        self._left(part)
        self._wip(-1)
        if self.log.enabled:
            self.log.add(now, where, "part", "done", part, now - self.part_created[part])

    def consume(self, part: int, where: str) -> None:
        """A component built into a unit at an assembly station: it leaves as a unit."""
        self.consumed += 1
        self._left(part)
        self._wip(-1)
        if self.log.enabled:
            self.log.add(self.env.now, where, "part", "consumed", part)

    def scrap(self, part: int, where: str) -> None:
        self.scrapped += 1
        self._left(part)
        self._wip(-1)
        if self.log.enabled:
            self.log.add(self.env.now, where, "part", "scrap", part)

    def log_part(self, part: int, state: str, where: str) -> None:
        if self.log.enabled:
            self.log.add(self.env.now, where, "part", state, part)

    def nearest_charger(self, location: str) -> ChargerGroup | None:
        """The charger group with the least walk plus 1 km per robot queued there (the first
        such group in the line's order on a tie).

        Groups are looked at nearest in a straight line first: the walk is never shorter, so
        the search stops at the first group whose straight-line bound exceeds the best found,
        and the walks to far groups are never solved.
        """
        if not self.chargers:
            return None
        ways = self.walkways
        x, y = ways.points[ways.index[location]].tolist()
        bounds = []
        for k, g in enumerate(self.chargers.values()):
            gx, gy = self.charger_xy[k]
            # a hair under the straight line, so rounding never lifts it over the walk
            straight = math.hypot(gx - x, gy - y) * (1 - 1e-9) - 1e-9
            bounds.append((straight + 1e3 * len(g.points.queue), k, g))
        bounds.sort(key=lambda b: (b[0], b[1]))
        best: ChargerGroup | None = None
        best_key, best_k = math.inf, -1
        for bound, k, g in bounds:
            if bound > best_key:
                break
            key = ways.dist(location, g.location) + 1e3 * len(g.points.queue)
            if key < best_key or (key == best_key and k < best_k):
                best, best_key, best_k = g, key, k
        return best if best is not None else next(iter(self.chargers.values()))

    def hand_over(self, location: str, payload: float) -> float:
        """Seconds a robot handed a spot at ``location`` waits for the one before, holding
        ``payload``, to step off it (``Surrogate.clears_spot``); 0 where the motion model
        walks its bodies off and onto their poses itself (physics), or cannot say, and where
        the queue is told to stand on the spot itself (``holding`` on it). Kept per location
        and payload: asked at every hand-over, it reads the layout's config models."""
        known = self._hand_overs.get((location, payload))
        if known is not None:
            return known
        loc = self.line.layout.locations.get(location)
        if loc is None or getattr(self.motion, "walks_onto_poses", False) \
                or loc.holding_point() == (loc.x, loc.y):  # (a queue told to stand on it)
            known = 0.0
        else:
            clears = getattr(self.motion, "clears_spot", None)
            known = float(clears(payload)) if clears is not None else 0.0
        self._hand_overs[(location, payload)] = known
        return known

    def step_in(self, location: str, payload: float) -> MotionTask | None:
        """The walk of a robot handed a spot at ``location`` after queueing for it: from the
        holding point onto the spot, facing its heading (kept per location and payload).
        None when there is nothing to walk: the holding point is on the spot, or the motion
        model walks its bodies onto their work poses itself (physics does, in the act)."""
        key = (location, payload)
        if key in self._step_ins:
            return self._step_ins[key]
        task = None
        loc = self.line.layout.locations.get(location)
        if loc is not None and not getattr(self.motion, "walks_onto_poses", False):
            hx, hy = loc.holding_point()
            distance = math.hypot(loc.x - hx, loc.y - hy)
            if distance > 0:
                task = MotionTask("walk", location, location, payload, distance,
                                  np.array([(hx, hy), (loc.x, loc.y)]), loc.heading,
                                  start_heading_deg=loc.heading)
        self._step_ins[key] = task
        return task

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        for src in self.sources.values():
            src.start()
        for st in self.stations.values():
            st.start()
        for leg in self.legs:
            self.env.process(leg.run())
        for robot in self.robots.values():
            self.env.process(robot.run())
        if not self.calendar.always:
            self.env.process(self._shifts())

    def _shifts(self) -> Generator[simpy.Event, Any, None]:
        env, cal = self.env, self.calendar
        while True:
            yield env.timeout(cal.next_change(env.now) - env.now)
            on = cal.is_on(env.now)
            self.log.add(env.now, "line", "line", "on_shift" if on else "off_shift")
            for st in self.stations.values():
                for server in st.servers:
                    server.clock.relog(env.now)
            for robot in self.robots.values():
                robot.clock.relog(env.now, robot.soc)
            if on:
                self.dispatcher.shift_started()
                for poke in self.shift_watchers:
                    poke()
            else:
                self.dispatcher.break_started()

    def reset_statistics(self) -> None:
        """End of warm-up: forget everything counted so far, keep the state."""
        now = self.env.now
        self._wip(0)
        self.reset_counts()
        for st in self.stations.values():
            st.reset_counts()
            for server in st.servers:
                server.clock.reset(now)
        for robot in self.robots.values():
            robot.set(robot.clock.state, logged=False)
            robot.reset_counts()
            robot.clock.reset(now)
        for group in self.chargers.values():
            group.queue_area_until(now)
            group.reset_counts()
        for spot in self.spots.values():
            spot.reset_counts()
        if self.traffic is not None:
            self.traffic.reset_counts(now)
        self.log.add(now, "line", "line", "warmup_end")

    def run(self, until: float, warmup: float = 0.0) -> None:
        self.start()
        if warmup > 0:
            self.env.run(until=warmup)
            self.reset_statistics()
        self.env.run(until=until)
        # flush passive energy draws so batteries are exact at the end
        for robot in self.robots.values():
            robot.set(robot.clock.state, logged=False)

