"""A small line and a plausible event log, for viewer tests, benchmarks and docs without a model."""

from __future__ import annotations

import numpy as np

from twin.config import Line
from twin.events import EventLog

LINE = {
    "name": "demo cell",
    "layout": {
        "floor": {"width": 30, "depth": 16},
        "obstacles": [
            {"name": "RACK", "x0": 1, "y0": 5.5, "x1": 2.6, "y1": 10.5, "height": 2.2,
             "kind": "rack"},
            {"name": "S1", "x0": 7.8, "y0": 9.2, "x1": 10.2, "y1": 11.2, "height": 1.7,
             "kind": "machine"},
            {"name": "S2", "x0": 13.8, "y0": 9.2, "x1": 16.2, "y1": 11.2, "height": 1.9,
             "kind": "machine"},
            {"name": "S3", "x0": 19.8, "y0": 9.2, "x1": 22.2, "y1": 11.2, "height": 1.6,
             "kind": "machine"},
            {"name": "OUT", "x0": 26, "y0": 7.0, "x1": 29.8, "y1": 8.0, "height": 0.9,
             "kind": "conveyor"},
            {"name": "north wall", "x0": 0, "y0": 15.7, "x1": 30, "y1": 16, "height": 3.0},
            {"name": "west wall", "x0": 0, "y0": 11.5, "x1": 0.3, "y1": 15.7, "height": 3.0},
        ],
        "locations": {
            "rack": {"x": 3.5, "y": 8, "kind": "rack", "heading": 180},
            "S1": {"x": 9, "y": 8.2, "kind": "station", "heading": 90},
            "S2": {"x": 15, "y": 8.2, "kind": "station", "heading": 90},
            "S3": {"x": 21, "y": 8.2, "kind": "station", "heading": 90},
            "out": {"x": 27.5, "y": 6.1, "kind": "conveyor", "heading": 90},
            "dock": {"x": 6, "y": 2.2, "kind": "charger", "heading": -90},
        },
    },
    "products": {"p": {"routing": ["S1", "S2", "S3"]}},
    "sources": {"rack": {"location": "rack"}},
    "sinks": {"out": {"location": "out"}},
    "stations": {
        "S1": {"process": 40, "input_buffer": 8, "output_buffer": 8},
        "S2": {"process": 55, "input_buffer": 8, "output_buffer": 8},
        "S3": {"process": 30, "input_buffer": 8, "output_buffer": 8},
    },
    "fleet": {"count": 6},
    "chargers": {"C1": {"location": "dock", "count": 2}},
}
LEGS = (("rack", "S1"), ("S1", "S2"), ("S2", "S3"), ("S3", "out"))


def demo_line(robots: int = 6) -> Line:
    """The demo cell with ``robots`` humanoids."""
    data = {**LINE, "fleet": {"count": robots}}
    return Line.model_validate(data)


def _stations(log: EventLog, rng: np.random.Generator, line: Line, hours: float) -> None:
    horizon = hours * 3600
    for sid in line.stations:
        t = 0.0
        while t < horizon:
            u = rng.random()
            state = ("processing" if u < 0.62 else "starved" if u < 0.8 else "blocked"
                     if u < 0.9 else "setup" if u < 0.95 else "down")
            log.add(t, sid, "station", state, -1, 0.0)
            t += float(rng.uniform(20, 90) if state != "down" else rng.uniform(120, 300))


def _robot(log: EventLog, rng: np.random.Generator, rid: str, walk: dict[tuple[str, str],
           tuple[int, float]], hours: float) -> None:
    horizon, t, place, soc = hours * 3600, 0.0, "dock", float(rng.uniform(0.4, 0.95))
    log.add(t, rid, "robot", "idle", 0, soc)
    t += float(rng.uniform(0, 30))
    while t < horizon:
        if soc < 0.3:
            pid, length = walk[(place, "dock")]
            duration = max(length / 1.2, 1.0)
            log.add_travel(t, rid, "to_charger", place, "dock", pid, duration, 0)
            t += duration
            soc -= duration * 3e-5
            log.add(t, rid, "robot", "docking", 0, soc)
            t += 20
            log.add(t, rid, "robot", "charging", 0, soc)
            t += (0.95 - soc) * 3000
            soc, place = 0.95, "dock"
            log.add(t, rid, "robot", "idle", 0, soc)
            continue
        a, b = LEGS[int(rng.integers(len(LEGS)))]
        for origin, target, state, units in ((place, a, "walking_empty", 0), (a, b, "carrying", 4)):
            pid, length = walk[(origin, target)]
            duration = max(length / (1.2 if units == 0 else 0.95), 1.0)
            log.add_travel(t, rid, state, origin, target, pid, duration, units)
            t += duration
            soc -= duration * 1.2e-4
            act = "picking" if units == 0 else "placing"
            log.add(t, rid, "robot", act, units, soc)
            t += 8.0 if units == 0 else 7.0
            soc -= 4e-4
        log.add(t, rid, "robot", "idle", 0, soc)
        place = b
        t += float(rng.uniform(0, 25))


def demo_log(line: Line, hours: float = 1.0, seed: int = 0) -> EventLog:
    """A deterministic, plausible event log for ``demo_line`` (not a simulation)."""
    from viewer.run import paths_of

    rng = np.random.default_rng(seed)
    names = list(line.layout.locations)
    n = len(names)
    paths = paths_of(line)
    walk = {}
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            p = paths[i * n + j]
            walk[(a, b)] = (i * n + j, float(np.hypot(*np.diff(p, axis=0).T).sum()))
    log = EventLog()
    log.add(0.0, "line", "line", "on_shift")
    _stations(log, rng, line, hours)
    count = line.fleet.count if line.fleet else 0
    for k in range(count):
        _robot(log, rng, f"R{k + 1}", walk, hours)
    for t in np.arange(0.0, hours * 3600, 30.0):
        for sid in line.stations:
            for side in ("in", "out"):
                log.add(float(t), f"{sid}.{side}", "buffer", "level", -1,
                        float(rng.integers(0, 30)))
        log.add(float(t), "C1", "charger", "queue", -1, float(rng.integers(0, 3)))
    for t in np.cumsum(rng.exponential(70.0, int(hours * 80))):
        if t < hours * 3600:
            log.add(float(t), "out", "part", "done" if rng.random() > 0.03 else "scrap")
    return log
