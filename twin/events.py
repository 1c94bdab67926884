"""The event log: one row per state change, appended to columns, written as Parquet.

Schema (DESIGN.md): ``t`` (s), ``entity``, ``kind``, ``state``, ``part`` (-1 if none),
``value`` (SOC, level, server index, planned duration...), plus ``origin``, ``target`` and
``path`` for robot ``travel`` rows, so a viewer can place a robot at any t.

Kinds and their rows:
- ``station``: state of server ``value`` of station ``entity``;
- ``robot``: robot state, ``value`` = state of charge (0..1), ``target`` = the location where
  the robot works or waits (for walking and ``waiting_traffic`` rows: where it is heading);
- ``travel``: a robot starts walking ``origin`` -> ``target`` on ``path``; ``state`` is the
  robot state (carrying, walking_empty, to_charger), ``value`` = the walk's duration (s),
  ``part`` = units carried;
- ``buffer``: ``entity`` = buffer id, ``state`` = "level", ``value`` = units in it;
- ``charger``: ``state`` = "queue", ``value`` = robots waiting;
- ``part``: ``state`` in created, done, scrap, rework, consumed (a component built into a
  unit at an assembly station); ``entity`` = where;
- ``line``: ``state`` in on_shift, off_shift, warmup_end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("t", pa.float64()),
        ("entity", pa.dictionary(pa.int32(), pa.string())),
        ("kind", pa.dictionary(pa.int8(), pa.string())),
        ("state", pa.dictionary(pa.int8(), pa.string())),
        ("part", pa.int64()),
        ("value", pa.float64()),
        ("origin", pa.dictionary(pa.int32(), pa.string())),
        ("target", pa.dictionary(pa.int32(), pa.string())),
        ("path", pa.int32()),
    ]
)

POSE_SCHEMA = pa.schema(
    [
        ("t", pa.float64()),
        ("robot", pa.dictionary(pa.int32(), pa.string())),
        ("link", pa.dictionary(pa.int32(), pa.string())),
        ("x", pa.float32()), ("y", pa.float32()), ("z", pa.float32()),
        ("qx", pa.float32()), ("qy", pa.float32()), ("qz", pa.float32()), ("qw", pa.float32()),
    ]
)


class EventLog:
    """Append-only columns; ``enabled=False`` makes every append a no-op."""

    __slots__ = ("enabled", "t", "entity", "kind", "state", "part", "value", "travel")

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.t: list[float] = []
        self.entity: list[str] = []
        self.kind: list[str] = []
        self.state: list[str] = []
        self.part: list[int] = []
        self.value: list[float] = []
        # sparse travel columns: row index -> (origin, target, path)
        self.travel: dict[int, tuple[str | None, str, int]] = {}

    def add(self, t: float, entity: str, kind: str, state: str, part: int = -1,
            value: float = float("nan"), where: str | None = None) -> None:
        if not self.enabled:
            return
        if where is not None:
            self.travel[len(self.t)] = (None, where, -1)
        self.t.append(t)
        self.entity.append(entity)
        self.kind.append(kind)
        self.state.append(state)
        self.part.append(part)
        self.value.append(value)

    def add_travel(self, t: float, robot: str, state: str, origin: str, target: str,
                   path: int, duration: float, units: int = -1) -> int:
        """Log the start of a walk; returns the row so its duration can be filled in later."""
        if not self.enabled:
            return -1
        row = len(self.t)
        self.travel[row] = (origin, target, path)
        self.add(t, robot, "travel", state, units, duration)
        return row

    def __len__(self) -> int:
        return len(self.t)

    def to_table(self) -> pa.Table:
        n = len(self.t)
        origin: list[str | None] = [None] * n
        target: list[str | None] = [None] * n
        path = [-1] * n
        for row, (o, d, p) in self.travel.items():
            origin[row], target[row], path[row] = o, d, p
        columns = [
            pa.array(self.t, pa.float64()),
            pa.array(self.entity, pa.string()).dictionary_encode(),
            pa.array(self.kind, pa.string()).dictionary_encode(),
            pa.array(self.state, pa.string()).dictionary_encode(),
            pa.array(self.part, pa.int64()),
            pa.array(self.value, pa.float64()),
            pa.array(origin, pa.string()).dictionary_encode(),
            pa.array(target, pa.string()).dictionary_encode(),
            pa.array(path, pa.int32()),
        ]
        return pa.Table.from_arrays(columns, schema=_cast_schema(columns))

    def write(self, path: Path) -> None:
        table = self.to_table().cast(SCHEMA)
        pq.write_table(table, path, compression="zstd")


def _cast_schema(columns: list[pa.Array]) -> pa.Schema:
    return pa.schema([(f.name, c.type) for f, c in zip(SCHEMA, columns, strict=True)])


def read_events(path: Path) -> pa.Table:
    """Read an event log, checking it has the twin's schema."""
    table = pq.read_table(path)
    missing = [name for name in SCHEMA.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{path} is not a twin event log: missing columns {missing}")
    return table


def placements(events: Any) -> tuple[int, float]:
    """Placements made, and the mean trip cycle (time between the ends of one robot's
    successive placements), read from an event log (a pandas frame of ``SCHEMA``). A place
    that failed (its ``placing`` row followed by ``task_failed``) is not counted, and a
    body's stops inside one place (``placing``, ``waiting_spot``, ``placing``: a physics
    robot waiting for its work pose to clear) are one place."""
    import numpy as np

    rows = events[events["kind"].astype(str) == "robot"]
    done, cycles = 0, []
    for _, g in rows.groupby(rows["entity"].astype(str), observed=True):
        g = g.sort_values("t", kind="stable")
        state, t = g["state"].astype(str).to_numpy(), g["t"].to_numpy()
        ends = []
        for i in range(len(state) - 1):
            if state[i] != "placing" or state[i + 1] in ("placing", "task_failed"):
                continue
            j = i + 1
            while j < len(state) and state[j] in ("waiting_spot", "waiting_traffic"):
                j += 1
            if j == len(state) or state[j] != "placing":
                ends.append(t[i + 1])
        done += len(ends)
        cycles.extend(np.diff(ends).tolist())
    return done, float(np.mean(cycles)) if cycles else float("nan")
