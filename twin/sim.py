"""The public entry point: simulate a line and get its KPIs, event log and time series."""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.checks import check_line
from twin.config import Line
from twin.events import EventLog
from twin.floor import Walkways, build_walkways
from twin.kpi import KPIs
from twin.loader import ConfigError, apply_overrides, dump, load_robot

if TYPE_CHECKING:
    import pandas as pd

    from twin.line.factory import Factory
    from twin.motion import MotionModel

VERSION = "0.1.0"


@dataclass
class RunResult:
    """What one run produced: KPIs, the event log (if kept) and per-bin series."""

    line: Line
    kpis: KPIs
    seed: int
    hours: float
    warmup_hours: float
    log: EventLog
    series_rows: list[tuple[float, int, float]]
    wall_s: float
    walkways_json: dict[str, Any]

    @property
    def events(self) -> pd.DataFrame:
        """The event log as a DataFrame (empty unless run with ``events=True``)."""
        return self.log.to_table().to_pandas()

    @property
    def series(self) -> pd.DataFrame:
        """Per bin of working time from t=0 (warm-up included): ``t_end`` (working seconds at
        the bin end), ``good_units``, ``wip_mean``."""
        import pandas as pd

        return pd.DataFrame(self.series_rows, columns=["t_end", "good_units", "wip_mean"])

    @property
    def warnings(self) -> list[str]:
        """One-line warnings about these KPIs (e.g. a window with no working time)."""
        from twin.kpi import warnings

        return warnings(self.kpis)

    def run_info(self) -> dict[str, Any]:
        return {"seed": self.seed, "hours": self.hours, "warmup_hours": self.warmup_hours,
                "version": VERSION, "wall_s": self.wall_s, "events": len(self.log)}

    def write(self, run_dir: str | Path) -> Path:
        """Write events.parquet, kpis.json, line.json, walkways.json and run.json."""
        out = Path(run_dir)
        out.mkdir(parents=True, exist_ok=True)
        if self.log.enabled:
            self.log.write(out / "events.parquet")
        (out / "kpis.json").write_text(self.kpis.model_dump_json(indent=1))
        (out / "line.json").write_text(json.dumps(dump(self.line), indent=1))
        (out / "walkways.json").write_text(json.dumps(self.walkways_json))
        (out / "run.json").write_text(json.dumps(self.run_info(), indent=1))
        return out


def _checked(line: Line, walkways: Walkways) -> Line:
    """Resolve the robot by name and run the load-time checks on a line built in code."""
    if line.fleet is not None and isinstance(line.fleet.robot, str):
        robot = load_robot(line.fleet.robot)
        line = line.model_copy(update={"fleet": line.fleet.model_copy(update={"robot": robot})})
    problems = check_line(line, walkways)
    if problems:
        raise ConfigError(f"{line.name}: {problems[0].field}: {problems[0].message}")
    return line


def simulate(line: Line, *, hours: float, seed: int = 0, warmup_hours: float | None = None,
             overrides: dict[str, Any] | None = None, events: bool = False,
             series_bin_s: float = 3600.0, motion: MotionModel | None = None) -> RunResult:
    """Run ``line`` for ``hours`` of clock time after a warm-up of ``warmup_hours`` of working
    (on-shift) time (default: the line's ``warmup``); t = 0 is Monday 00:00."""
    from twin.line.factory import Factory
    from twin.line.measure import measure

    if overrides:
        line = apply_overrides(line, overrides)
    if hours <= 0:
        raise ValueError("hours must be positive")
    warmup = line.warmup if warmup_hours is None else warmup_hours * 3600.0
    start = time.perf_counter()
    walkways = build_walkways(line.layout)
    line = _checked(line, walkways)
    factory = Factory(line, seed, log=events, motion=motion, walkways=walkways)
    series = _Series(factory, series_bin_s)
    if series_bin_s > 0:
        factory.env.process(series.run())
    horizon = hours * 3600.0
    # the warm-up is working time: 1 h on a line whose shift starts at 06:00 ends at 07:00
    start_s = factory.calendar.advance(0.0, warmup) if warmup > 0 else 0.0
    factory.run(until=start_s + horizon, warmup=start_s)
    if series_bin_s > 0:
        series.close_bin()
    kpis = measure(factory, horizon, warmup)
    return RunResult(line=line, kpis=kpis, seed=seed, hours=hours, warmup_hours=warmup / 3600,
                     log=factory.log, series_rows=series.rows, wall_s=time.perf_counter() - start,
                     walkways_json=walkways.to_json(walkways.walked_path_ids()))


class _Series:
    """Per-bin throughput and WIP from t=0, from totals the warm-up reset does not clear.

    Bins are ``step`` seconds of working (on-shift) time, and ``t_end`` is the working time at
    the bin end: nights and weekends fold away, so warm-up detection (MSER) and charts see the
    line while it works. On a 24/7 line working time is clock time. ``wip_mean`` is the WIP
    averaged over the bin's clock span (a bin that spans a night holds the units parked in it).
    """

    def __init__(self, factory: Factory, step: float) -> None:
        self.factory = factory
        self.step = step
        self.rows: list[tuple[float, int, float]] = []
        self.last = (0.0, 0, 0.0)  # clock time, good units, WIP area at the last bin end

    def run(self) -> Generator[Any, Any, None]:
        env, cal = self.factory.env, self.factory.calendar
        k = 0
        while True:
            k += 1
            yield env.timeout(max(cal.advance(0.0, k * self.step) - env.now, 0.0))
            self.close_bin()

    def close_bin(self) -> None:
        f = self.factory
        f._wip(0)
        t0, good0, area0 = self.last
        now = f.env.now
        if now <= t0:
            return
        work = f.calendar.on_time(0.0, now)
        self.rows.append((work, f.good_ever - good0, (f.wip_area_ever - area0) / (now - t0)))
        self.last = (now, f.good_ever, f.wip_area_ever)
