"""The state of a line at any time t, rebuilt from its event log (read-only, deterministic)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin import kpi
from twin.config import Line
from twin.kpi import ROBOT_STATES
from twin.line.calendar import make_calendar
from viewer.gait import STRIDE_M
from viewer.poses import LinkFrame, PoseTable, yaw_of
from viewer.run import Run
from viewer.tally import StationTally

# what a station with several servers shows: the most urgent state among them
STATION_PRIORITY = ("down", "setup", "processing", "blocked", "starved", "off_shift")
MOVING_STATES = frozenset({"carrying", "walking_empty", "to_charger"})
WORKING_STATES = frozenset({"picking", "placing", "docking", "charging"})  # on the spot
QUEUED_STATES = frozenset({"waiting_spot", "waiting_charger"})  # in the queue behind it
SPACING_M = 0.75  # side-by-side spacing of robots standing at the same point


def natural_key(name: str) -> list[object]:
    """Sort key putting R2 before R10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class Step:
    """A step function of time: the last row at or before t holds."""

    t: np.ndarray
    state: np.ndarray
    value: np.ndarray
    part: np.ndarray

    def index(self, t: float) -> int:
        return int(np.searchsorted(self.t, t, side="right")) - 1


@dataclass(frozen=True)
class Trips:
    """A robot's walks: start time, planned duration, path id, destination."""

    t: np.ndarray
    duration: np.ndarray
    path: np.ndarray
    target: np.ndarray
    held_t: np.ndarray  # start of each stop for traffic (waiting_traffic rows)
    held_cum: np.ndarray  # traffic-held time before each stop's start (cumulative)
    held_end: np.ndarray  # end of each stop

    def held(self, t: float) -> float:
        """Seconds held by traffic before time t (whole stops and the one under way)."""
        k = int(np.searchsorted(self.held_t, t, side="right")) - 1
        if k < 0:
            return 0.0
        return float(self.held_cum[k] + min(t, self.held_end[k]) - self.held_t[k])


@dataclass(frozen=True)
class Snapshot:
    """Everything drawn at one instant; robots in ``Timeline.robots`` order."""

    t: float
    stations: dict[str, str]
    servers: dict[str, list[str]]
    robot_xy: np.ndarray
    robot_heading: np.ndarray
    robot_phase: np.ndarray
    robot_walking: np.ndarray
    robot_state: list[str]
    robot_soc: np.ndarray
    robot_units: np.ndarray
    buffers: dict[str, float]
    charger_queue: dict[str, float]
    produced: int  # good units out in the KPI window so far
    scrap: int  # units scrapped in the KPI window so far
    throughput_per_hour: float  # good units per on-shift hour over the KPI window so far
    oee: float  # line OEE over the KPI window so far (NaN before any on-shift time)
    on_shift: bool
    robot_links: LinkFrame | None = None  # physics runs: every link's world frame
    bottleneck: str = ""  # the KPI window's bottleneck so far (twin.kpi.bottleneck)
    window_start: float = 0.0  # where the KPI window starts: the warm-up end, else 0
    warming_up: bool = False  # t is inside the warm-up (figures are since t = 0)

    def robots_by_state(self) -> dict[str, int]:
        counts = dict.fromkeys(ROBOT_STATES, 0)
        for state in self.robot_state:
            counts[state] = counts.get(state, 0) + 1
        return counts


def _step(rows: pd.DataFrame) -> Step:
    return Step(
        t=rows["t"].to_numpy(dtype=float),
        state=rows["state"].to_numpy(dtype=object),
        value=rows["value"].to_numpy(dtype=float),
        part=rows["part"].to_numpy(dtype=np.int64),
    )


def _durations(rows: pd.DataFrame, trips: pd.DataFrame) -> np.ndarray:
    """Walk durations: the planned one when logged, else until the robot's next other state."""
    times = rows["t"].to_numpy(dtype=float)
    states = rows["state"].to_numpy(dtype=object)
    planned = trips["value"].fillna(0.0).to_numpy(dtype=float)
    out = planned.copy()
    positions = rows.index.get_indexer(trips.index)
    for k, (pos, state) in enumerate(zip(positions, trips["state"], strict=True)):
        if planned[k] > 0:
            continue
        later = np.nonzero((states[pos + 1:] != state) & (times[pos + 1:] > times[pos]))[0]
        out[k] = times[pos + 1 + later[0]] - times[pos] if len(later) else 0.0
    return out


def _ideal_cycle(line: Line, station: str) -> float:
    spec = line.stations[station]
    if spec.ideal_cycle is not None:
        return float(spec.ideal_cycle)
    if isinstance(spec.process, dict):
        return float(np.mean([d.mean for d in spec.process.values()]))
    return float(spec.process.mean)


class Timeline:
    """Indexes an event log once so that ``at(t)`` is a handful of binary searches."""

    def __init__(self, run: Run) -> None:
        self.line = run.line
        self.paths = run.paths
        ev = run.events
        self.horizon = float(ev["t"].iloc[-1]) if len(ev) else 0.0
        by_kind = {str(k): g for k, g in ev.groupby("kind", sort=False)}
        empty = ev.iloc[:0]
        self.stations = list(run.line.stations)
        self._servers: dict[str, list[Step]] = {}
        station_rows = by_kind.get("station", empty)
        for sid in self.stations:
            rows = station_rows[station_rows["entity"] == sid]
            index = rows["value"].fillna(0).astype(int).to_numpy()
            count = max(run.line.stations[sid].servers, int(index.max()) + 1 if len(index) else 1)
            self._servers[sid] = [_step(rows[index == k]) for k in range(count)]
        moves = pd.concat([by_kind.get("robot", empty), by_kind.get("travel", empty)])
        moves = moves.sort_index()  # log order: the last row at a time wins
        self.robots = sorted(set(moves["entity"]), key=natural_key)
        self._robot: list[Step] = []
        self._soc: list[tuple[np.ndarray, np.ndarray]] = []
        self._trips: list[Trips] = []
        for rid in self.robots:
            rows = moves[moves["entity"] == rid]
            self._robot.append(_step(rows))
            soc = rows[(rows["kind"] == "robot") & rows["value"].notna()]
            self._soc.append((soc["t"].to_numpy(dtype=float), soc["value"].to_numpy(dtype=float)))
            trips = rows[rows["kind"] == "travel"]
            held_t, held_end = _stops(rows, self.horizon)
            self._trips.append(Trips(
                t=trips["t"].to_numpy(dtype=float),
                duration=_durations(rows, trips),
                path=trips["path"].to_numpy(dtype=np.int64),
                target=trips["target"].to_numpy(dtype=object),
                held_t=held_t, held_end=held_end,
                held_cum=np.concatenate([[0.0], np.cumsum(held_end - held_t)[:-1]]),
            ))
        self._levels = self._levels_of(by_kind, empty)
        self._queues = {
            str(k): _step(g) for k, g in by_kind.get("charger", empty).groupby("entity", sort=True)
        }
        parts = by_kind.get("part", empty)
        done = parts[parts["state"] == "done"]
        sink_names = set(run.line.sinks) | {s.location for s in run.line.sinks.values()}
        at_sink = done[done["entity"].isin(sink_names)]
        self._done = (at_sink if len(at_sink) else done)["t"].to_numpy(dtype=float)
        self._scrap = parts[parts["state"] == "scrap"]["t"].to_numpy(dtype=float)
        # the shift state comes from the line's calendar, not from the log's shift rows (a
        # live log that has not reached the first shift change has none)
        self.calendar = make_calendar(run.line.shifts)
        line_rows = by_kind.get("line", empty)
        warm = line_rows[line_rows["state"] == "warmup_end"]["t"].to_numpy(dtype=float)
        meta = run.meta or {}
        # the KPI window starts where the warm-up's working time ends: the log says where;
        # a log not yet there (live) or without warm-up rows goes by run.json or the line
        warmup = 3600.0 * float(meta["warmup_hours"]) if meta.get("warmup_hours") is not None \
            else float(run.line.warmup)
        self.window_start = float(warm[0]) if len(warm) else (
            float(self.calendar.advance(0.0, warmup)) if warmup > 0 else 0.0)
        # the simulated window ends ``hours`` after the warm-up (the log may end a little
        # before); the warm-up is working time, so its end is read from the log
        self.end = max(self.horizon, self.window_start + 3600.0 * float(meta.get("hours") or 0))
        self._counts = StationTally(self._servers, self._levels_of(by_kind, empty),
                                      parts, run.line)
        self._cum = {pid: self._cumlen(p) for pid, p in self.paths.items()}
        self._home = self._home_point()
        self._holding = {name: loc.holding for name, loc in run.line.layout.locations.items()
                         if loc.holding is not None}
        self.poses = PoseTable(run.poses) if run.poses is not None and len(run.poses) else None
        self.buffer_names = sorted(self._levels)
        self.routes = self._routes()

    @staticmethod
    def _levels_of(by_kind: dict[str, pd.DataFrame], empty: pd.DataFrame) -> dict[str, Step]:
        return {str(k): _step(g)
                for k, g in by_kind.get("buffer", empty).groupby("entity", sort=True)}

    def first_shift(self) -> float:
        """The first on-shift instant from Monday 00:00 (where a view starts)."""
        cal = self.calendar
        return 0.0 if cal.is_on(0.0) else float(cal.next_change(0.0))

    def _routes(self) -> set[int]:
        """Path ids of the product routes (source, stations, sink), when the log has no walks."""
        names = list(self.line.layout.locations)
        index, n = {name: k for k, name in enumerate(names)}, len(names)
        ids = set()
        for product in self.line.products.values():
            source = product.source or next(iter(self.line.sources))
            sink = product.sink or next(iter(self.line.sinks))
            chain = [self.line.sources[source].location]
            chain += [self.line.stations[s].location or s for s in product.routing]
            chain.append(self.line.sinks[sink].location)
            for a, b in zip(chain[:-1], chain[1:], strict=True):
                if a in index and b in index:
                    ids.add(index[a] * n + index[b])
        return ids

    @staticmethod
    def _cumlen(points: np.ndarray) -> np.ndarray:
        seg = np.hypot(*np.diff(points, axis=0).T) if len(points) > 1 else np.zeros(0)
        return np.concatenate([[0.0], np.cumsum(seg)])

    def _home_point(self) -> str:
        fleet, locations = self.line.fleet, self.line.layout.locations
        if fleet is not None and fleet.home:
            return fleet.home
        for charger in self.line.chargers.values():
            return charger.location
        return next(iter(locations))

    def _walk(self, pid: int, s: float) -> tuple[float, float, float]:
        points, cum = self.paths[pid], self._cum[pid]
        if len(points) < 2 or cum[-1] <= 0:
            return float(points[-1][0]), float(points[-1][1]), math.nan
        s = min(max(s, 0.0), cum[-1])
        k = min(int(np.searchsorted(cum, s, side="right")) - 1, len(points) - 2)
        a, b = points[k], points[k + 1]
        seg = cum[k + 1] - cum[k]
        f = (s - cum[k]) / seg if seg > 0 else 0.0
        x, y = a + (b - a) * f
        return float(x), float(y), math.atan2(b[1] - a[1], b[0] - a[0])

    def _robot_pose(self, i: int, t: float, state: str) -> tuple[float, float, float, float, str]:
        """x, y, heading, gait phase and the point it stands at ('' while walking)."""
        trips, locations = self._trips[i], self.line.layout.locations
        k = int(np.searchsorted(trips.t, t, side="right")) - 1
        if k >= 0:
            pid = int(trips.path[k])
            elapsed, duration = t - trips.t[k], trips.duration[k]
            walking = state in MOVING_STATES or state == "waiting_traffic"
            if pid in self.paths and elapsed < duration and walking:
                held = trips.held(t) - trips.held(trips.t[k])  # stops on this walk so far
                length = self._cum[pid][-1]
                moving = duration - _held_between(trips, trips.t[k], trips.t[k] + duration)
                s = length * (elapsed - held) / moving if moving > 0 else length
                x, y, heading = self._walk(pid, s)
                return x, y, heading, 2 * math.pi * s / STRIDE_M, ""
            place = str(trips.target[k])
        else:
            place = self._home
        loc = locations.get(place)
        if loc is None and k >= 0 and int(trips.path[k]) in self.paths:
            end = self.paths[int(trips.path[k])][-1]
            return float(end[0]), float(end[1]), 0.0, 0.0, place
        if loc is None:
            return 0.0, 0.0, 0.0, 0.0, place
        return loc.x, loc.y, math.radians(loc.heading), 0.0, place

    def at(self, t: float) -> Snapshot:
        """The state of everything at time t (seconds)."""
        servers = {
            sid: [str(s.state[j]) if (j := s.index(t)) >= 0 else "starved" for s in steps]
            for sid, steps in self._servers.items()
        }
        stations = {
            sid: next((p for p in STATION_PRIORITY if p in states), states[0])
            for sid, states in servers.items()
        }
        n = len(self.robots)
        xy, heading, phase = np.zeros((n, 2)), np.zeros(n), np.zeros(n)
        soc, units, states, places = np.ones(n), np.zeros(n, dtype=int), [], []
        walking = np.zeros(n, dtype=bool)
        for i, step in enumerate(self._robot):
            j = step.index(t)
            state = str(step.state[j]) if j >= 0 else "idle"
            x, y, h, ph, place = self._robot_pose(i, t, state)
            xy[i], heading[i], phase[i], walking[i] = (x, y), h, ph, not place
            ts, vs = self._soc[i]
            soc[i] = float(np.interp(t, ts, vs)) if len(ts) else 1.0
            units[i] = max(int(step.part[j]), 0) if j >= 0 else 0
            states.append(state)
            places.append(place)
        heading = np.where(np.isnan(heading), 0.0, heading)
        self._spread(xy, heading, places, states, self._holding)
        links = None
        if self.poses is not None:  # physics runs: the recorded pose wins where it exists
            links = self.poses.frame(self.robots, t)
            base = self.poses.index[self.poses.base]
            posed = links.posed
            xy[posed] = links.pos[posed, base, :2]
            heading[posed] = yaw_of(links.quat[posed, base])
        w = self._window(t)
        produced = int(np.searchsorted(self._done, t, side="right")
                       - np.searchsorted(self._done, w, side="right"))
        scrap = int(np.searchsorted(self._scrap, t, side="right")
                    - np.searchsorted(self._scrap, w, side="right"))
        rate, oee, bottleneck = self.kpis_between(w, t)
        return Snapshot(
            t=t, stations=stations, servers=servers, robot_xy=xy, robot_heading=heading,
            robot_phase=phase, robot_walking=walking, robot_state=states,
            robot_soc=np.clip(soc, 0.0, 1.0), robot_units=units,
            buffers={b: float(s.value[j]) if (j := s.index(t)) >= 0 else 0.0
                     for b, s in self._levels.items()},
            charger_queue={c: float(s.value[j]) if (j := s.index(t)) >= 0 else 0.0
                           for c, s in self._queues.items()},
            produced=produced, scrap=scrap,
            throughput_per_hour=rate, oee=oee, on_shift=bool(self.calendar.is_on(t)),
            robot_links=links, bottleneck=bottleneck, window_start=w,
            warming_up=t < self.window_start,
        )

    def congestion(self, cell: float = 1.0) -> list[tuple[float, float, float]]:
        """Where robots were held by traffic: (x, y, robot-seconds) per floor square of side
        ``cell``, from the log's ``waiting_traffic`` stops and the robots' positions then."""
        held: dict[tuple[int, int], float] = defaultdict(float)
        for i, trips in enumerate(self._trips):
            for t0, t1 in zip(trips.held_t, trips.held_end, strict=True):
                x, y, *_ = self._robot_pose(i, float(t0), "waiting_traffic")
                held[(int(x // cell), int(y // cell))] += float(t1 - t0)
        return [((ix + 0.5) * cell, (iy + 0.5) * cell, s) for (ix, iy), s in sorted(held.items())
                if s > 0]

    def _window(self, t: float) -> float:
        """Start of the KPI window shown at t: the warm-up end, or 0 while warming up."""
        return self.window_start if t >= self.window_start else 0.0

    def kpis_between(self, a: float, b: float) -> tuple[float, float, str]:
        """Good units per shift hour, line OEE and bottleneck over [a, b], by twin.kpi's
        definitions (the figures ``twin run`` reports for its window when a and b are its
        ends). Station processing time and shift time are exact; a station's produced count
        is read from its input buffer (units taken, reworks added, units on a server
        subtracted), exact for one product and within the servers' units of work otherwise."""
        good = int(np.searchsorted(self._done, b, side="right")
                   - np.searchsorted(self._done, a, side="right"))
        scrap = int(np.searchsorted(self._scrap, b, side="right")
                    - np.searchsorted(self._scrap, a, side="right"))
        shift_s = self.calendar.on_time(a, b)
        if not self.stations or b <= a:
            return kpi.per_hour(good, shift_s), math.nan, ""
        c = self._counts
        servers = {s: self.line.stations[s].servers for s in self.stations}
        span = b - a
        busy = {s: c.processing(s, b) - c.processing(s, a) for s in self.stations}
        neck = kpi.bottleneck({s: busy[s] / (servers[s] * span) for s in self.stations})
        made = c.produced(neck, b) - c.produced(neck, a)
        ideal = kpi.ideal_time_s(_ideal_cycle(self.line, neck) * made, busy[neck], made,
                                 self.line.stations[neck].ideal_cycle is not None)
        oee = kpi.oee(kpi.availability(busy[neck], servers[neck] * shift_s),
                      kpi.effectiveness(ideal, busy[neck]),
                      kpi.quality_ratio(good, good + scrap))
        return kpi.per_hour(good, shift_s), oee, neck

    @staticmethod
    def _spread(xy: np.ndarray, heading: np.ndarray, places: list[str], states: list[str],
                holding: dict[str, tuple[float, float]] | None = None) -> None:
        """Robots at one place never overlap: those working stand side by side on its spots,
        those queued line up from its holding point, the rest stand aside beyond the spots."""
        groups: dict[str, list[int]] = defaultdict(list)
        for i, place in enumerate(places):
            if place:
                groups[place].append(i)
        for place, members in groups.items():
            i0 = members[0]
            spot = xy[i0].copy()
            facing = np.array([math.cos(heading[i0]), math.sin(heading[i0])])
            side = np.array([-facing[1], facing[0]])
            working = [i for i in members if states[i] in WORKING_STATES]
            queued = [i for i in members if states[i] in QUEUED_STATES]
            aside = [i for i in members if i not in working and i not in queued]
            for rank, i in enumerate(working):
                xy[i] = spot + (rank - (len(working) - 1) / 2) * SPACING_M * side
            hold = holding.get(place) if holding else None
            away = np.asarray(hold, dtype=float) - spot if hold is not None else np.zeros(2)
            if hold is not None and float(np.hypot(*away)) >= SPACING_M:
                start = np.asarray(hold, dtype=float)
                back = away / float(np.hypot(*away))
            else:  # (a queue written on the spot itself, as a teaching line may: drawn behind)
                start, back = spot - 1.4 * SPACING_M * facing, -facing
            for rank, i in enumerate(queued):
                xy[i] = start + rank * SPACING_M * back
            first = (len(working) + 1) / 2 if working else 0.0  # alone: on the point itself
            for rank, i in enumerate(aside):
                xy[i] = spot + (first + rank) * SPACING_M * side


def _stops(rows: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each traffic stop of one robot (rows in log order); a stop still under
    way when the log ends lasts until ``horizon``."""
    robot = rows[rows["kind"] == "robot"]
    times = robot["t"].to_numpy(dtype=float)
    states = robot["state"].to_numpy(dtype=object)
    starts, ends = [], []
    for k in np.flatnonzero(states == "waiting_traffic"):
        starts.append(times[k])
        ends.append(times[k + 1] if k + 1 < len(times) else max(horizon, times[k]))
    return np.asarray(starts, dtype=float), np.asarray(ends, dtype=float)


def _held_between(trips: Trips, a: float, b: float) -> float:
    return trips.held(b) - trips.held(a)
