"""A run's event log as an object-centric event log (OCEL 2.0), in its JSON and SQLite forms,
for process-mining tools.

One OCEL event per row of the run's event log (``twin.events``), typed by kind and state
("station processing", "robot charging", "carry", "unit done" ...), related to the objects it
concerns: units, the robots and their totes, stations, chargers. A carry relates the robot, its
tote, the units in the tote and the stations it goes from and to; a robot's docking and
charging relate the charger that served it.

The event log says how many units a robot carries, not which: they are inferred by following
each unit along its route, first in, first out at every location (units leave a rack in the
order the log creates them; scrapped and consumed units are known by id). At a station with
one server this is exact; with several servers, units worked side by side may finish in either
order and the inference may swap them. ``Ocel.unmatched`` counts carried units it could not
name.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from twin.checks import leg_transport, node_location, routes
from twin.config import Line

EPOCH = "1970-01-01T00:00:00Z"
"""OCEL 2.0's time for object attributes that hold from the start."""
DEFAULT_START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
"""A Monday: twin's t = 0 is a Monday 00:00."""

OBJECT_TYPES: dict[str, list[tuple[str, str]]] = {
    "unit": [("product", "string")],
    "tote": [("units", "integer"), ("mass_kg", "float")],
    "robot": [("model", "string")],
    "station": [("location", "string"), ("servers", "integer")],
    "charger": [("location", "string"), ("mode", "string"), ("points", "integer")],
}
_KIND_ATTRS: dict[str, list[tuple[str, str]]] = {
    "station": [("server", "integer")],
    "robot": [("soc", "float"), ("location", "string")],
    "travel": [("from", "string"), ("to", "string"), ("duration_s", "float"),
               ("units", "integer"), ("path", "integer")],
    "buffer": [("buffer", "string"), ("level", "integer")],
    "charger": [("queue", "integer")],
    "part": [("where", "string")],
    "line": [],
}
_STATE_ATTRS: dict[str, list[tuple[str, str]]] = {
    "unit created": [("product", "string")],
    "unit done": [("lead_time_s", "float")],
}
_TRAVEL_NAMES = {"carrying": "carry", "walking_empty": "walk empty",
                 "to_charger": "walk to charger"}
_CHARGER_QUALIFIER = {"docking": "served by", "charging": "served by",
                      "waiting_charger": "waiting for", "to_charger": "heading to"}


@dataclass
class Event:
    id: str
    type: str
    time: str
    attributes: dict[str, Any]
    relationships: list[tuple[str, str]]


@dataclass
class Object:
    id: str
    type: str
    attributes: dict[str, Any]
    relationships: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Ocel:
    event_types: dict[str, list[tuple[str, str]]]
    object_types: dict[str, list[tuple[str, str]]]
    events: list[Event]
    objects: list[Object]
    carried: int = 0
    unmatched: int = 0

    def to_json(self) -> dict[str, Any]:
        """The OCEL 2.0 JSON document (attribute values as strings, typed by their type)."""
        def types(d: dict[str, list[tuple[str, str]]]) -> list[dict[str, Any]]:
            return [{"name": n, "attributes": [{"name": a, "type": t} for a, t in attrs]}
                    for n, attrs in d.items()]

        return {
            "objectTypes": types(self.object_types),
            "eventTypes": types(self.event_types),
            "objects": [{"id": o.id, "type": o.type,
                         "attributes": [{"name": k, "time": EPOCH, "value": _text(v)}
                                        for k, v in o.attributes.items()],
                         "relationships": [{"objectId": i, "qualifier": q}
                                           for i, q in o.relationships]}
                        for o in self.objects],
            "events": [{"id": e.id, "type": e.type, "time": e.time,
                        "attributes": [{"name": k, "value": _text(v)}
                                       for k, v in e.attributes.items() if v is not None],
                        "relationships": [{"objectId": i, "qualifier": q}
                                          for i, q in e.relationships]}
                       for e in self.events],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")

    def write_sqlite(self, path: Path) -> None:
        """The OCEL 2.0 relational form: event, object, event_object, object_object, the type
        maps, and one table per event type and per object type with its attributes."""
        if path.exists():
            path.unlink()
        con = sqlite3.connect(path)
        try:
            _write_tables(con, self)
            con.commit()
        finally:
            con.close()


_SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "float": "REAL", "boolean": "INTEGER",
              "time": "TIMESTAMP"}


def _table_name(type_name: str) -> str:
    """An event or object type as a table suffix: CamelCase letters and digits."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", type_name) if w)


def _write_tables(con: sqlite3.Connection, log: Ocel) -> None:
    cur = con.cursor()
    cur.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    cur.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
    cur.execute("CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, "
                "ocel_qualifier TEXT, PRIMARY KEY (ocel_event_id, ocel_object_id, "
                "ocel_qualifier))")
    cur.execute("CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, "
                "ocel_qualifier TEXT, PRIMARY KEY (ocel_source_id, ocel_target_id, "
                "ocel_qualifier))")
    cur.execute("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    cur.execute("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    cur.executemany("INSERT INTO event_map_type VALUES (?, ?)",
                    [(t, _table_name(t)) for t in log.event_types])
    cur.executemany("INSERT INTO object_map_type VALUES (?, ?)",
                    [(t, _table_name(t)) for t in log.object_types])
    for t, attrs in log.event_types.items():
        cols = "".join(f', "{a}" {_SQL_TYPES[k]}' for a, k in attrs)
        cur.execute(f'CREATE TABLE "event_{_table_name(t)}" (ocel_id TEXT PRIMARY KEY, '
                    f"ocel_time TIMESTAMP{cols})")
    for t, attrs in log.object_types.items():
        cols = "".join(f', "{a}" {_SQL_TYPES[k]}' for a, k in attrs)
        cur.execute(f'CREATE TABLE "object_{_table_name(t)}" (ocel_id TEXT, ocel_time TIMESTAMP, '
                    f"ocel_changed_field TEXT{cols})")
    cur.executemany("INSERT INTO event VALUES (?, ?)", [(e.id, e.type) for e in log.events])
    cur.executemany("INSERT INTO object VALUES (?, ?)", [(o.id, o.type) for o in log.objects])
    cur.executemany("INSERT INTO event_object VALUES (?, ?, ?)",
                    [(e.id, i, q) for e in log.events for i, q in e.relationships])
    cur.executemany("INSERT INTO object_object VALUES (?, ?, ?)",
                    [(o.id, i, q) for o in log.objects for i, q in o.relationships])
    by_type: dict[str, list[Event]] = {}
    for e in log.events:
        by_type.setdefault(e.type, []).append(e)
    for t, evs in by_type.items():
        names = [a for a, _ in log.event_types[t]]
        marks = ", ".join("?" * (len(names) + 2))
        cur.executemany(f'INSERT INTO "event_{_table_name(t)}" VALUES ({marks})',
                        [(e.id, e.time, *(e.attributes.get(a) for a in names)) for e in evs])
    for t, attrs in log.object_types.items():
        names = [a for a, _ in attrs]
        marks = ", ".join("?" * (len(names) + 3))
        cur.executemany(f'INSERT INTO "object_{_table_name(t)}" VALUES ({marks})',
                        [(o.id, EPOCH, None, *(o.attributes.get(a) for a in names))
                         for o in log.objects if o.type == t])


def _text(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --- building the log from a run ----------------------------------------------------------------

def unit_id(part: int) -> str:
    return f"unit:{part}"


def read_run(run_dir: Path) -> tuple[Line, pd.DataFrame]:
    """A run directory's line and event log; ValueError naming the file if either is bad."""
    from twin.events import read_events

    line_file, events_file = run_dir / "line.json", run_dir / "events.parquet"
    for f in (line_file, events_file):
        if not f.is_file():
            raise ValueError(f"{f}: not found; write a run with `twin run LINE --out DIR`")
    try:
        line = Line.model_validate(json.loads(line_file.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise ValueError(f"{line_file}: not a twin line ({str(exc).splitlines()[0]})") from exc
    try:
        table = read_events(events_file)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{events_file}: unreadable event log ({exc})") from exc
    df = table.to_pandas()
    for col in ("entity", "kind", "state", "origin", "target"):
        df[col] = df[col].astype(object)
    return line, df


class _Units:
    """Which units sit at which location, in arrival order, along their routes."""

    def __init__(self, line: Line) -> None:
        self.routes = list(routes(line).values())
        self.products = list(line.products)
        self.loc = {n: node_location(line, n) for r in self.routes for n in r}
        self.humanoid = {(a, b): leg_transport(line, a, b).kind == "humanoid"
                         for r in self.routes for a, b in zip(r, r[1:], strict=False)}
        self.pools: dict[str, OrderedDict[int, int]] = {}  # location -> unit -> route index
        self.where: dict[int, list[str]] = {}
        self.product: dict[int, int] = {}

    def arrive(self, part: int, index: int) -> None:
        """The unit is at its route's node ``index``; it reaches the next nodes on its own
        over legs no robot walks."""
        route = self.routes[self.product[part]]
        places = []
        j = index
        while True:
            loc = self.loc[route[j]]
            self.pools.setdefault(loc, OrderedDict())[part] = j
            places.append(loc)
            if j + 1 >= len(route) or self.humanoid[(route[j], route[j + 1])]:
                break
            j += 1
        self.where[part] = places

    def leave(self, part: int) -> None:
        for loc in self.where.pop(part, []):
            self.pools[loc].pop(part, None)

    def take(self, origin: str, target: str, n: int) -> list[tuple[int, int]]:
        """The ``n`` oldest units at ``origin`` whose next robot leg goes to ``target``;
        each with the route index it will reach."""
        out: list[tuple[int, int]] = []
        for part, j in list(self.pools.get(origin, {}).items()):
            route = self.routes[self.product[part]]
            if j + 1 < len(route) and self.loc[route[j + 1]] == target:
                out.append((part, j + 1))
                self.leave(part)
                if len(out) == n:
                    break
        return out


def build(line: Line, events: pd.DataFrame, start: dt.datetime = DEFAULT_START) -> Ocel:
    """The OCEL 2.0 log of a run: one event per event-log row."""
    stations = {st.location or sid: sid for sid, st in line.stations.items()}
    chargers: dict[str, list[str]] = {}
    for cid, ch in line.chargers.items():
        chargers.setdefault(ch.location, []).append(cid)
    buffers = {f"{sid}.in": (sid, "input buffer of") for sid in line.stations}
    buffers.update({f"{sid}.out": (sid, "output buffer of") for sid in line.stations})
    for sid, st in line.stations.items():
        for product in st.assemble:
            buffers[f"{sid}.{product}"] = (sid, "kit buffer of")
    units = _Units(line)
    robots: dict[str, None] = {}
    pending: dict[str, list[tuple[int, int]]] = {}  # robot -> units in its tote, not placed
    event_types: dict[str, list[tuple[str, str]]] = {}
    out: list[Event] = []
    carried = unmatched = 0
    base = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    cols = zip(events["t"].tolist(), events["entity"].tolist(), events["kind"].tolist(),
               events["state"].tolist(), events["part"].tolist(), events["value"].tolist(),
               events["origin"].tolist(), events["target"].tolist(), events["path"].tolist(),
               strict=True)
    for row, (t, entity, kind, state, part, value, origin, target, path) in enumerate(cols):
        value = None if value is None or math.isnan(value) else float(value)
        rels: list[tuple[str, str]] = []
        attrs: dict[str, Any] = {}
        if kind == "station":
            etype = f"station {state}"
            attrs["server"] = None if value is None else int(value)
            rels.append((f"station:{entity}", "station"))
        elif kind == "robot":
            etype = f"robot {state}"
            robots[entity] = None
            attrs.update(soc=value, location=target)
            rels.append((f"robot:{entity}", "robot"))
            if state == "placing" and entity in pending:
                for p, j in pending.pop(entity):
                    units.arrive(p, j)
            if target in stations:
                rels.append((f"station:{stations[target]}", "at"))
            if state in _CHARGER_QUALIFIER:
                rels += [(f"charger:{c}", _CHARGER_QUALIFIER[state])
                         for c in chargers.get(target, [])]
        elif kind == "travel":
            etype = _TRAVEL_NAMES.get(state, f"walk {state}")
            robots[entity] = None
            n = int(part) if part >= 0 else 0
            attrs.update({"from": origin, "to": target, "duration_s": value,
                          "units": n, "path": int(path)})
            rels.append((f"robot:{entity}", "carrier" if state == "carrying" else "walker"))
            for p, j in pending.pop(entity, []):  # never placed: leave them where they went
                units.arrive(p, j)
            if state == "carrying":
                rels.append((f"tote:{entity}", "tote"))
                took = units.take(origin, target, n)
                carried += n
                unmatched += n - len(took)
                pending[entity] = took
                rels += [(unit_id(p), "carried unit") for p, _ in took]
            if origin in stations:
                rels.append((f"station:{stations[origin]}", "from"))
            if target in stations:
                rels.append((f"station:{stations[target]}", "to"))
            if state == "to_charger":
                rels += [(f"charger:{c}", "heading to") for c in chargers.get(target, [])]
        elif kind == "part":
            etype = f"unit {state}"
            attrs["where"] = entity
            if state == "created":
                attrs["product"] = units.products[int(value or 0)]
                units.product[part] = int(value or 0)
                units.arrive(part, 0)
            elif state in ("done", "scrap", "consumed"):
                units.leave(part)
                if state == "done":
                    attrs["lead_time_s"] = value
            rels.append((unit_id(part), "unit"))
            if entity in line.stations:
                rels.append((f"station:{entity}", "at"))
        elif kind == "buffer":
            etype = "buffer level"
            attrs.update(buffer=entity, level=None if value is None else int(value))
            if entity in buffers:
                sid, qualifier = buffers[entity]
                rels.append((f"station:{sid}", qualifier))
        elif kind == "charger":
            etype = "charger queue"
            attrs["queue"] = None if value is None else int(value)
            rels.append((f"charger:{entity}", "charger"))
        else:
            etype = f"{kind} {state}"
        if etype not in event_types:
            event_types[etype] = _KIND_ATTRS.get(kind, []) + _STATE_ATTRS.get(etype, [])
        when = base + dt.timedelta(seconds=float(t))
        out.append(Event(f"e{row}", etype, when.isoformat(timespec="microseconds") + "Z",
                         attrs, _unique(rels)))
    objects = _objects(line, units, robots)
    return Ocel(event_types, dict(OBJECT_TYPES), out, objects, carried, unmatched)


def _unique(rels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(rels))


def _objects(line: Line, units: _Units, robots: dict[str, None]) -> list[Object]:
    """Every unit the run created, each robot with its tote, every station and charger."""
    from twin.robot import RobotSpec

    objs = [Object(unit_id(p), "unit", {"product": units.products[prod]})
            for p, prod in sorted(units.product.items())]
    model = ""
    tote_units, tote_mass = 0, 0.0
    if line.fleet is not None:
        robot = line.fleet.robot
        model = robot.name if isinstance(robot, RobotSpec) else str(robot)
        tote_units = line.transport.default.tote_units
        tote_mass = line.transport.default.tote_mass
    for rid in robots:
        objs.append(Object(f"robot:{rid}", "robot", {"model": model}))
        objs.append(Object(f"tote:{rid}", "tote", {"units": tote_units, "mass_kg": tote_mass},
                           [(f"robot:{rid}", "carried by")]))
    for sid, st in line.stations.items():
        objs.append(Object(f"station:{sid}", "station",
                           {"location": st.location or sid, "servers": st.servers}))
    for cid, ch in line.chargers.items():
        objs.append(Object(f"charger:{cid}", "charger",
                           {"location": ch.location, "mode": ch.mode, "points": ch.count}))
    return objs
