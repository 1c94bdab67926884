"""The results store: one DuckDB file, runs keyed by content hash, each run committed whole.

A run's row in ``runs`` and all its KPI rows go in one transaction, so a study killed at any
instant holds only complete runs; resuming skips every key already finished. Ctrl-C waits
until a write is over (DuckDB would otherwise turn it into an error mid-commit).
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import BaseModel

from twin.kpi import LOSSES, ChargerKPIs, LineKPIs, RobotKPIs, SpotKPIs, StationKPIs
from twin.study.plan import RunSpec, Scenario
from twin.study.worker import RunOutcome

RUN_COLUMNS = {
    "key": "VARCHAR PRIMARY KEY", "scenario": "INTEGER", "replication": "INTEGER",
    "role": "VARCHAR", "seed": "UBIGINT", "hours": "DOUBLE", "warmup_hours": "DOUBLE",
    "overrides": "VARCHAR", "config_hash": "VARCHAR", "code_version": "VARCHAR",
    "status": "VARCHAR", "error": "VARCHAR", "started": "DOUBLE", "wall_s": "DOUBLE",
    "worker": "VARCHAR", "events_path": "VARCHAR",
}
TIMING_COLUMNS = ("started", "wall_s", "worker")
_TYPES = {int: "BIGINT", float: "DOUBLE", str: "VARCHAR", bool: "BOOLEAN"}


def _columns(model: type[BaseModel], first: str | None) -> dict[str, str]:
    cols = {"key": "VARCHAR"}
    if first:
        cols[first] = "VARCHAR"
    for name, info in model.model_fields.items():
        ann = info.annotation
        if typing.get_origin(ann) is dict:
            cols.update({f"loss_{loss}_s": "DOUBLE" for loss in LOSSES})
        elif isinstance(ann, types.UnionType):
            cols[name] = "DOUBLE"
        else:
            cols[name] = _TYPES.get(ann, "VARCHAR")  # type: ignore[arg-type]
    return cols


def schema() -> dict[str, dict[str, str]]:
    """Table name -> column name -> DuckDB type, derived from the KPI models."""
    return {
        "runs": RUN_COLUMNS,
        "line_kpis": _columns(LineKPIs, None),
        "station_kpis": _columns(StationKPIs, "station"),
        "robot_kpis": _columns(RobotKPIs, "robot"),
        "charger_kpis": _columns(ChargerKPIs, "charger"),
        "spot_kpis": _columns(SpotKPIs, "spot"),
        "series": {"key": "VARCHAR", "t_end": "DOUBLE", "good_units": "DOUBLE",
                   "wip_mean": "DOUBLE"},
        "traces": {"key": "VARCHAR", "what": "VARCHAR", "entity": "VARCHAR", "t": "DOUBLE",
                   "value": "DOUBLE"},
        "scenarios": {"scenario": "INTEGER PRIMARY KEY", "name": "VARCHAR",
                      "overrides": "VARCHAR"},
        "plan_runs": {"key": "VARCHAR", "scenario": "INTEGER", "replication": "INTEGER",
                      "role": "VARCHAR"},
        "meta": {"name": "VARCHAR PRIMARY KEY", "value": "VARCHAR"},
    }


@contextlib.contextmanager
def whole() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block is over, then act on it as the handler in place
    before would have (KeyboardInterrupt by default). Only the main thread gets signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[int, Any]] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if before is None else before)
        if held:
            if callable(before):
                before(*held[0])
            elif before != signal.SIG_IGN:
                raise KeyboardInterrupt


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is a Ctrl-C that landed inside a DuckDB call: DuckDB raises its
    ``InterruptException``, or (2.0, in a query) a plain ``RuntimeError: Query interrupted``."""
    return isinstance(exc, duckdb.InterruptException) or (
        type(exc) is RuntimeError and "Query interrupted" in str(exc))


_KEY = re.compile(r"^[0-9a-f]{8,64}$")
RESULT_TABLES = ("line_kpis", "station_kpis", "robot_kpis", "charger_kpis", "spot_kpis", "series",
                 "traces")


class Store:
    """A DuckDB results file; one writer process at a time."""

    def __init__(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such study store")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        self.tables = schema()
        if not read_only:
            # one small transaction per run: DuckDB's thread pool costs more than it saves
            self.con.execute("SET threads=1")
            self._create()
        self.order = self._columns()  # the file's column order: inserts are positional

    def _columns(self) -> dict[str, list[str]]:
        rows = self.con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
        out: dict[str, list[str]] = {}
        for table, column in rows:
            out.setdefault(table, []).append(column)
        return out

    def _create(self) -> None:
        """Create missing tables, and add columns the KPI models gained since."""
        have = self._columns()
        for name, cols in self.tables.items():
            if name not in have:
                body = ", ".join(f'"{c}" {t}' for c, t in cols.items())
                self.con.execute(f"CREATE TABLE {name} ({body})")
                continue
            for col, kind in cols.items():
                if col not in have[name]:
                    kind = kind.replace(" PRIMARY KEY", "")
                    self.con.execute(f'ALTER TABLE {name} ADD COLUMN "{col}" {kind}')

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def keys(self) -> set[str]:
        """Keys of every recorded run, whatever its status."""
        return {r[0] for r in self.con.execute("SELECT key FROM runs").fetchall()}

    def finished(self, include_failed: bool = True) -> set[str]:
        """Keys of runs already recorded (done, and failed unless retrying)."""
        states = ("done", "failed") if include_failed else ("done",)
        marks = ", ".join("?" for _ in states)
        rows = self.con.execute(f"SELECT key FROM runs WHERE status IN ({marks})",
                                list(states)).fetchall()
        return {r[0] for r in rows}

    def set_plan(self, meta: dict[str, Any], grid: Iterable[Scenario],
                 specs: Iterable[RunSpec]) -> None:
        """Record the current study: its settings, scenarios and the runs it consists of."""
        with whole():
            self._set_plan(meta, grid, specs)

    def _set_plan(self, meta: dict[str, Any], grid: Iterable[Scenario],
                  specs: Iterable[RunSpec]) -> None:
        self.con.begin()
        try:
            self.con.execute("DELETE FROM scenarios")
            self.con.execute("DELETE FROM plan_runs")
            self.con.execute("DELETE FROM meta")
            self._insert("meta", [{"name": k, "value": json.dumps(v, default=str)}
                                  for k, v in meta.items()])
            self._insert("scenarios", [{"scenario": s.id, "name": s.name,
                                        "overrides": json.dumps(s.overrides, default=str)}
                                       for s in grid])
            self._insert("plan_runs", [{"key": s.key, "scenario": s.scenario,
                                        "replication": s.replication, "role": s.role}
                                       for s in specs])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    def add_plan_runs(self, specs: Iterable[RunSpec]) -> None:
        """Append runs to the current plan (main runs once the warm-up is known)."""
        with whole():
            self.con.begin()
            self._insert("plan_runs", [{"key": s.key, "scenario": s.scenario,
                                        "replication": s.replication, "role": s.role}
                                       for s in specs])
            self.con.commit()

    def meta(self) -> dict[str, Any]:
        """The study settings recorded by ``set_plan``."""
        return {k: json.loads(v) for k, v in self.con.execute("SELECT * FROM meta").fetchall()}

    def record(self, spec: RunSpec, outcome: RunOutcome, events_path: str = "",
               new: bool = False) -> None:
        """Write one run and all its rows in a single transaction, replacing an earlier try
        unless the caller knows the key is ``new``."""
        with whole():
            self._record(spec, outcome, events_path, new)

    def _record(self, spec: RunSpec, outcome: RunOutcome, events_path: str, new: bool) -> None:
        run = {
            "key": spec.key, "scenario": spec.scenario, "replication": spec.replication,
            "role": spec.role, "seed": spec.seed, "hours": spec.hours,
            "warmup_hours": spec.warmup_hours,
            "overrides": json.dumps(spec.overrides, sort_keys=True, default=str),
            "config_hash": spec.meta.get("config_hash", ""), "code_version": spec.code_version,
            "status": outcome.status, "error": outcome.error, "started": outcome.started,
            "wall_s": outcome.wall_s, "worker": outcome.worker, "events_path": events_path,
        }
        tables = {"runs": self._arrow("runs", [run])}
        for table in RESULT_TABLES:
            rows = outcome.tables.get(table) or []
            if rows:
                tables[table] = self._arrow(table, [{"key": spec.key, **row} for row in rows])
        # one script, one round trip: the engine's cost per statement call dominates here
        if not _KEY.match(spec.key):
            raise ValueError(f"bad run key {spec.key!r}")
        seen = not new and self.con.execute(
            "SELECT count(*) FROM runs WHERE key = ?", [spec.key]).fetchall()[0][0]
        deletes = [f"DELETE FROM {t} WHERE key = '{spec.key}';"
                   for t in ("runs", *RESULT_TABLES)] if seen else []
        inserts = [f"INSERT INTO {t} SELECT * FROM new_{t};" for t in tables]
        try:
            _script(self.con, " ".join(["BEGIN TRANSACTION;", *deletes, *inserts, "COMMIT;"]),
                    **{f"new_{t}": data for t, data in tables.items()})
        except BaseException:
            self.con.rollback()
            raise

    def _arrow(self, table: str, rows: list[dict[str, Any]]) -> pa.Table:
        cols = self.order[table]
        return pa.Table.from_pylist([{c: row.get(c) for c in cols} for row in rows])

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.con.from_arrow(self._arrow(table, rows)).insert_into(table)


def _script(con: duckdb.DuckDBPyConnection, sql: str, new_runs: pa.Table,
            new_line_kpis: pa.Table | None = None, new_station_kpis: pa.Table | None = None,
            new_robot_kpis: pa.Table | None = None, new_charger_kpis: pa.Table | None = None,
            new_spot_kpis: pa.Table | None = None,
            new_series: pa.Table | None = None, new_traces: pa.Table | None = None) -> None:
    """Run ``sql``, whose ``FROM new_<table>`` clauses read these Arrow tables by name
    (DuckDB's replacement scans look them up among this function's locals)."""
    con.execute(sql)
