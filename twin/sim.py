"""The public entry point: simulate a line and get its KPIs, event log and time series."""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.config import Line
from twin.events import EventLog
from twin.kpi import KPIs
from twin.layout import build_walkways
from twin.loader import apply_overrides, dump

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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def events(self) -> pd.DataFrame:
        """The event log as a DataFrame (empty unless run with ``events=True``)."""
        return self.log.to_table().to_pandas()

    @property
    def series(self) -> pd.DataFrame:
        """Per time bin from t=0 (warm-up included): ``t_end``, ``good_units``, ``wip_mean``."""
        import pandas as pd

        return pd.DataFrame(self.series_rows, columns=["t_end", "good_units", "wip_mean"])

    def run_info(self) -> dict[str, Any]:
        return {"seed": self.seed, "hours": self.hours, "warmup_hours": self.warmup_hours,
                "version": VERSION, "wall_s": self.wall_s, "events": len(self.log), **self.extra}

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
        if "poses" in self.extra:
            pass
        return out


def simulate(line: Line, *, hours: float, seed: int = 0, warmup_hours: float | None = None,
             overrides: dict[str, Any] | None = None, events: bool = False,
             series_bin_s: float = 3600.0, motion: MotionModel | None = None) -> RunResult:
    """Run ``line`` for ``hours`` after a warm-up (default: the line's ``warmup``)."""
    from twin.line.factory import Factory
    from twin.line.measure import measure

    if overrides:
        line = apply_overrides(line, overrides)
    if hours <= 0:
        raise ValueError("hours must be positive")
    warmup = line.warmup if warmup_hours is None else warmup_hours * 3600.0
    start = time.perf_counter()
    walkways = build_walkways(line.layout)
    factory = Factory(line, seed, log=events, motion=motion, walkways=walkways)
    rows: list[tuple[float, int, float]] = []
    if series_bin_s > 0:
        factory.env.process(_series(factory, series_bin_s, rows))
    horizon = hours * 3600.0
    factory.run(until=warmup + horizon, warmup=warmup)
    kpis = measure(factory, horizon, warmup)
    return RunResult(line=line, kpis=kpis, seed=seed, hours=hours, warmup_hours=warmup / 3600,
                     log=factory.log, series_rows=rows, wall_s=time.perf_counter() - start,
                     walkways_json=walkways.to_json())


def _series(f: Factory, step: float, rows: list[tuple[float, int, float]]
            ) -> Generator[Any, Any, None]:
    env = f.env
    good_total = 0
    last_good = 0
    area_total = 0.0
    last_area = 0.0
    while True:
        yield env.timeout(step)
        f._wip(0)
        # counters reset at warm-up end; track through it with running offsets
        if f.good < last_good:
            last_good = 0
        if f.wip_area < last_area:
            last_area = 0.0
        good_total = f.good - last_good
        area_total = f.wip_area - last_area
        last_good, last_area = f.good, f.wip_area
        rows.append((env.now, good_total, area_total / step))
