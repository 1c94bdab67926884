"""The function every executor runs: one simulation, turned into plain rows for the store."""

from __future__ import annotations

import ctypes
import importlib
import io
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.config import Line
from twin.study.plan import TRACE_POINTS, RunSpec

Rows = list[dict[str, Any]]

RUN_TIMEOUT_FLOOR_S = 60.0
"""Least wall-clock budget of a run: process start, imports and walkways included."""
RUN_TIMEOUT_S_PER_UNIT_HOUR = 0.1
"""Budget per simulated hour and per unit of line size (station servers, robots, charge
points, sources, sinks). The slowest shipped lines need 5-16 ms per unit-hour (car_plant, the
traffic of narrow_aisle), so the budget stops only runs at least 6 times slower than those:
hangs, not busy machines."""


@dataclass
class RunOutcome:
    """What comes back from a worker: status, error, timings and rows per KPI table."""

    key: str
    status: str
    error: str = ""
    started: float = 0.0
    wall_s: float = 0.0
    worker: str = ""
    tables: dict[str, Rows] = field(default_factory=dict)
    events_parquet: bytes | None = None


def resolve(dotted: str) -> Callable[..., Any]:
    """Import ``package.module:function``."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def line_size(line: Line, overrides: dict[str, Any] | None = None) -> int:
    """Station servers, robots, charge points, sources and sinks of ``line`` with the counts
    a scenario overrides (``fleet.count``, ``stations.X.servers``, ``chargers.X.count``)."""
    counts = {f"stations.{k}.servers": s.servers for k, s in line.stations.items()}
    counts.update({f"chargers.{k}.count": c.count for k, c in line.chargers.items()})
    counts["fleet.count"] = line.fleet.count if line.fleet is not None else 0
    for path, value in (overrides or {}).items():
        if path in counts and isinstance(value, int) and not isinstance(value, bool):
            counts[path] = value
    return sum(counts.values()) + len(line.sources) + len(line.sinks)


def default_run_timeout(line: Line, hours: float, warmup_hours: float | None = None,
                        overrides: dict[str, Any] | None = None) -> float:
    """Wall-clock budget (s) of one run of ``line``: a floor plus a share per unit of line
    size and simulated hour, warm-up included (the line's own when ``warmup_hours`` is None)."""
    warm = line.warmup / 3600.0 if warmup_hours is None else warmup_hours
    return RUN_TIMEOUT_FLOOR_S + RUN_TIMEOUT_S_PER_UNIT_HOUR * line_size(line, overrides) * (
        hours + warm)


def spec_budget(spec: RunSpec) -> float:
    """The default wall-clock budget (s) of one run."""
    return default_run_timeout(spec.line, spec.hours, spec.warmup_hours, spec.overrides)


class RunTimeout(BaseException):
    """Raised inside a run that overran its wall-clock budget (a BaseException, so that no
    ``except Exception`` in a model swallows it)."""


TIMED_OUT = "timed out:"
"""How the error of a run stopped at its wall-clock budget begins (``timed_out``)."""


def timed_out(seconds: float) -> str:
    """The error recorded for a run stopped at its wall-clock budget."""
    shown = f"{seconds:,.0f}" if seconds >= 10 else f"{seconds:g}"
    return (f"{TIMED_OUT} the run took over {shown} s of wall time (a hang?); "
            "raise --run-timeout (run_timeout: in a study YAML) if the line is just slow")


class _Deadline:
    """Raises ``RunTimeout`` in the calling thread once ``seconds`` of wall time have passed.

    A timer thread injects the exception with ``PyThreadState_SetAsyncExc``; it lands at the
    next Python instruction of the run, so a simulation looping in Python stops within
    milliseconds, in a pool process, in a Dask worker thread or inline alike. A run stuck in
    C code is stopped by the local pool, which kills its process (executors.py)."""

    def __init__(self, seconds: float) -> None:
        self.thread = ctypes.c_ulong(threading.get_ident())
        self.lock = threading.Lock()
        self.armed = True
        self.fired = False
        self.timer = threading.Timer(seconds, self._ring)
        self.timer.daemon = True
        self.timer.start()

    def _ring(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(self.thread,
                                                           ctypes.py_object(RunTimeout))

    def disarm(self) -> None:
        """Stop the timer; drop the exception if it was set but not yet raised."""
        self.timer.cancel()
        with self.lock:
            self.armed = False
            if self.fired:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(self.thread, None)


def execute_run(spec: RunSpec, timeout_s: float | None = None) -> RunOutcome:
    """Run one simulation; never raises for a failing model (the error is returned). A run
    still going after ``timeout_s`` seconds of wall time is stopped and returned as failed."""
    started = time.time()
    clock = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        simulate = resolve(spec.simulator)  # imports: not the run's time
        deadline = _Deadline(timeout_s) if timeout_s else None
        try:
            result = simulate(
                spec.line, hours=spec.hours, seed=spec.seed, warmup_hours=spec.warmup_hours,
                overrides=spec.overrides or None, events=spec.events,
                series_bin_s=spec.series_bin_s,
            )
            tables = kpi_rows(result.kpis)
            if spec.role == "pilot":  # the warm-up search reads series; other runs skip them
                tables["series"] = series_rows(getattr(result, "series", None))
            events = getattr(result, "events", None) if spec.events else None
            if events is not None:
                tables["traces"] = trace_rows(events)
            blob = _parquet(events) if spec.keep_events and events is not None else None
        finally:
            if deadline is not None:
                deadline.disarm()
    except RunTimeout:
        return RunOutcome(spec.key, "failed", timed_out(timeout_s or 0.0), started,
                          time.perf_counter() - clock, worker)
    except Exception as exc:  # noqa: BLE001 - a failing run is data, not a crash
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return RunOutcome(spec.key, "failed", last[:2000], started,
                          time.perf_counter() - clock, worker)
    return RunOutcome(spec.key, "done", "", started, time.perf_counter() - clock, worker,
                      tables, blob)


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            row.update({f"loss_{k.removesuffix('_s')}_s": v for k, v in value.items()})
        else:
            row[name] = value
    return row


def kpi_rows(kpis: Any) -> dict[str, Rows]:
    """KPI model -> rows for the line, station, robot, charger and work-spot tables."""
    return {
        "line_kpis": [_flat(kpis.line.model_dump())],
        "station_kpis": [{"station": k, **_flat(v.model_dump())}
                         for k, v in kpis.stations.items()],
        "robot_kpis": [{"robot": k, **_flat(v.model_dump())} for k, v in kpis.robots.items()],
        "charger_kpis": [{"charger": k, **_flat(v.model_dump())}
                         for k, v in kpis.chargers.items()],
        "spot_kpis": [{"spot": k, **_flat(v.model_dump())} for k, v in kpis.spots.items()],
    }


def series_rows(series: Any) -> Rows:
    """Per-bin series (t_end, good_units, wip_mean) as rows."""
    if series is None or len(series) == 0:
        return []
    cols = ["t_end", "good_units", "wip_mean"]
    return [dict(zip(cols, map(float, row), strict=True))
            for row in series[cols].itertuples(index=False)]


def trace_rows(events: Any, points: int = TRACE_POINTS) -> Rows:
    """Robot state of charge and charger queue over time, thinned to ``points`` per entity."""
    if events is None or len(events) == 0:
        return []
    kind = events["kind"].astype(str)
    rows: Rows = []
    for what, mask in (("soc", kind == "robot"),
                       ("queue", (kind == "charger") & (events["state"].astype(str) == "queue"))):
        part = events.loc[mask, ["t", "entity", "value"]]
        for entity, group in part.groupby(part["entity"].astype(str), sort=True, observed=True):
            t = group["t"].to_numpy(float)
            v = group["value"].to_numpy(float)
            keep = np.isfinite(v)
            t, v = t[keep], v[keep]
            if len(t) > points:
                idx = np.unique(np.linspace(0, len(t) - 1, points).round().astype(int))
                t, v = t[idx], v[idx]
            rows.extend({"entity": str(entity), "what": what, "t": float(a), "value": float(b)}
                        for a, b in zip(t, v, strict=True))
    return rows


def _parquet(events: Any) -> bytes:
    buffer = io.BytesIO()
    events.to_parquet(buffer, compression="zstd")
    return buffer.getvalue()
