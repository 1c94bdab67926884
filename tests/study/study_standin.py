"""Test helpers: a tiny inline M/M/1 line and a fast stand-in simulator with simulate's shapes."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.config import Line
from twin.kpi import LOSSES, KPIs, LineKPIs, StationKPIs
from twin.loader import apply_overrides

SIMULATOR = "study_standin:simulate"


def mm1_line(mean_interarrival: float = 60.0, mean_service: float = 45.0,
             name: str = "mm1") -> Line:
    """One station, Poisson arrivals, exponential service, instant transport, no fleet."""
    return Line.model_validate({
        "name": name,
        "description": "M/M/1 <b>test</b> line & friends",
        "layout": {"floor": {"width": 10, "depth": 6},
                   "locations": {"inbound": [1, 3], "machine": [5, 3], "outbound": [9, 3]}},
        "products": {"part": {"routing": ["machine"]}},
        "sources": {"inbound": {"location": "inbound", "kind": "arrivals",
                                "interarrival": {"dist": "exponential",
                                                 "mean": mean_interarrival}}},
        "sinks": {"outbound": {"location": "outbound"}},
        "stations": {"machine": {"process": {"dist": "exponential", "mean": mean_service}}},
        "transport": {"default": {"kind": "instant"}},
    })


@dataclass
class Result:
    kpis: KPIs
    series: pd.DataFrame
    events: pd.DataFrame | None = None


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def simulate(line: Line, *, hours: float, seed: int = 0, warmup_hours: float | None = None,
             overrides: dict[str, Any] | None = None, events: bool = False,
             series_bin_s: float = 3600.0) -> Result:
    """M/M/1 by Lindley's recursion; starts empty; fails on purpose when servers == 3."""
    if overrides:
        line = apply_overrides(line, overrides)
    station = next(iter(line.stations.values()))
    if station.servers == 3:
        raise RuntimeError("stand-in: three servers are not supported <on purpose>")
    source = next(iter(line.sources.values()))
    assert source.interarrival is not None
    lam, mu = 1 / source.interarrival.mean, 1 / station.process.mean  # type: ignore[union-attr]
    warm = line.warmup if warmup_hours is None else warmup_hours * 3600.0
    horizon = warm + hours * 3600.0
    n = int(lam * horizon * 1.2 + 50)
    arrivals = np.cumsum(_rng(seed, "source:inbound").exponential(1 / lam, n))
    service = _rng(seed, "station:machine").exponential(1 / mu, n)
    arrivals = arrivals[arrivals < horizon]
    service = service[: len(arrivals)]
    depart = np.empty(len(arrivals))
    free = 0.0
    for i, (a, s) in enumerate(zip(arrivals, service, strict=True)):
        free = max(free, a) + s
        depart[i] = free
    done = depart <= horizon
    measured = horizon - warm
    out = done & (depart > warm)
    edges = np.arange(series_bin_s, horizon + 1e-9, series_bin_s)
    good_bins = np.histogram(depart[done], bins=np.r_[0.0, edges])[0]
    grid = np.linspace(0, horizon, 20001)
    in_system = (np.searchsorted(arrivals, grid, "right")
                 - np.searchsorted(depart, grid, "right"))
    wip_bins = [float(in_system[(grid > e - series_bin_s) & (grid <= e)].mean()) for e in edges]
    window = grid >= warm
    busy = float(np.clip(np.minimum(depart, horizon) - np.maximum(depart - service, warm),
                         0, None).sum())
    lead = (depart - arrivals)[out]
    losses = dict.fromkeys(LOSSES, 0.0)
    losses["valuable"] = busy
    losses["starved"] = measured - busy
    st = StationKPIs(
        servers=1, processing=busy / measured, setup=0, starved=1 - busy / measured, blocked=0,
        down=0, off_shift=0, availability=1.0, effectiveness=1.0, quality_ratio=1.0,
        oee=busy / measured, produced_units=int(out.sum()), good_units=int(out.sum()),
        scrap_units=0, rework_units=0, failures=0, mtbf_s=0.0, mttr_s=0.0, losses_s=losses,
    )
    ln = LineKPIs(
        horizon_s=measured, warmup_s=warm, throughput_per_hour=out.sum() / measured * 3600,
        shift_hours=measured / 3600, throughput_per_shift_hour=out.sum() / measured * 3600,
        produced_units=int(out.sum()), good_units=int(out.sum()), scrap_units=0,
        rework_units=0, availability=1.0, effectiveness=1.0, quality_ratio=1.0,
        oee=busy / measured, bottleneck="machine",
        mean_lead_time_s=float(lead.mean()) if len(lead) else 0.0,
        wip_mean=float(in_system[window].mean()), wip_end=int(in_system[-1]), consumed_units=0,
        started_units=len(arrivals), losses_s=losses, fleet_energy_kwh=0.0, kwh_per_unit=0.0,
        charges=0, mean_charger_wait_s=0.0, robot_utilisation=0.0,
    )
    series = pd.DataFrame({"t_end": edges, "good_units": good_bins.astype(float),
                           "wip_mean": wip_bins})
    log = None
    if events:
        log = pd.DataFrame({"t": arrivals[:50], "entity": "machine", "kind": "station",
                            "state": "processing", "part": -1, "value": 0.0})
    return Result(KPIs(line=ln, stations={"machine": st}, robots={}, chargers={}), series, log)


TIMING = ("started", "wall_s", "worker")


def table_rows(path: str) -> dict[str, pd.DataFrame]:
    """Every results table of a store, sorted, without timing columns (for equality checks)."""
    from twin.study.store import Store

    with Store(path, read_only=True) as store:
        out = {}
        for table, cols in store.tables.items():
            keep = [c for c in cols if c not in TIMING]
            names = ", ".join(f'"{c}"' for c in keep)
            order = ", ".join(f'"{c}"' for c in keep[:4])
            out[table] = store.con.execute(
                f"SELECT {names} FROM {table} ORDER BY {order}").df()
    return out


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    """Equal bit for bit (NaN equal to NaN)."""
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
