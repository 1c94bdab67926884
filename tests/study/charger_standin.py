"""Test helpers for ``twin optimize``: robots sharing chargers as a finite-source queue.

``machine_repair`` is the exact M/M/c//N answer; ``mean_wait`` simulates the same queue as a
birth-death chain (a few milliseconds a replication), and ``simulate`` wraps it in the shapes of
``twin.sim.simulate`` so the study machinery (executors, store) can run it as a stand-in for
``lines/teaching/charger_queue.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.config import Line
from twin.kpi import LOSSES, KPIs, LineKPIs
from twin.loader import apply_overrides

SIMULATOR = "charger_standin:simulate"


def machine_repair(n: int, c: int, work: float, service: float) -> float:
    """Mean wait for a charger (s) of n robots working an exponential ``work`` (s) between
    charges and c chargers serving in an exponential ``service`` (s): M/M/c//N."""
    r = service / work
    p = np.array([math.factorial(n) / math.factorial(n - k)
                  / (math.factorial(k) if k <= c else math.factorial(c) * c ** (k - c)) * r**k
                  for k in range(n + 1)])
    p /= p.sum()
    k = np.arange(n + 1)
    at_charger = float((k * p).sum())
    waiting = float((np.maximum(k - c, 0) * p).sum())
    return waiting / ((n - at_charger) / work)  # Little's law on the queue


def mean_wait(n: int, c: int, work: float, service: float, hours: float, warmup: float,
              seed: int | tuple[int, ...]) -> float:
    """One replication's mean wait (s): time-average queue over the window divided by the
    arrival rate over it (Little), the chain started with every robot working."""
    rng = np.random.default_rng(seed)
    lam, mu = 1.0 / work, 1.0 / service
    start, end = warmup * 3600.0, (warmup + hours) * 3600.0
    ups = [lam * (n - j) for j in range(n + 1)]
    totals = [ups[j] + mu * min(j, c) for j in range(n + 1)]
    queue = [max(j - c, 0) for j in range(n + 1)]
    size = int(n * lam * end * 3) + 100  # at most two events per arrival, and spare
    steps = rng.exponential(1.0, size).tolist()
    draws = rng.random(size).tolist()
    t, k, area, arrivals = 0.0, 0, 0.0, 0
    for dt, u in zip(steps, draws, strict=True):
        total = totals[k]
        nxt = t + dt / total
        if nxt > start:
            if nxt >= end:
                area += (end - max(t, start)) * queue[k]
                return area / max(arrivals, 1)
            area += (nxt - max(t, start)) * queue[k]
            t = nxt
            if u * total < ups[k]:
                k += 1
                arrivals += 1
            else:
                k -= 1
        else:
            t = nxt
            k += 1 if u * total < ups[k] else -1
    raise AssertionError("draw more steps: the chain outran its random numbers")


def charger_figures(line: Line) -> tuple[int, int, float, float]:
    """Robots, chargers, mean work between charges and mean swap (s) of a charger_queue line."""
    (group,) = line.chargers.values()
    battery = line.fleet.battery
    assert battery is not None and battery.runtime is not None
    work = battery.runtime.mean * (line.fleet.charging.charge_to  # type: ignore[union-attr]
                                   - line.fleet.charging.go_charge_below)
    return line.fleet.count, group.count, work, group.swap_time.mean  # type: ignore[union-attr]


@dataclass
class Result:
    kpis: KPIs
    series: pd.DataFrame
    events: pd.DataFrame | None = None


def simulate(line: Line, *, hours: float, seed: int = 0, warmup_hours: float | None = None,
             overrides: dict[str, Any] | None = None, events: bool = False,
             series_bin_s: float = 3600.0) -> Result:
    """The charger queue of ``line`` as a birth-death chain; only the wait KPI is measured."""
    if overrides:
        line = apply_overrides(line, overrides)
    n, c, work, service = charger_figures(line)
    warm = line.warmup / 3600.0 if warmup_hours is None else warmup_hours
    wait = mean_wait(n, c, work, service, hours, warm, seed)
    zero = dict.fromkeys(LOSSES, 0.0)
    ln = LineKPIs(
        horizon_s=hours * 3600.0, warmup_s=warm * 3600.0, throughput_per_hour=0.0,
        shift_hours=hours, throughput_per_shift_hour=0.0, produced_units=0, good_units=0,
        scrap_units=0, rework_units=0, availability=1.0, effectiveness=1.0, quality_ratio=1.0,
        oee=0.0, bottleneck="", mean_lead_time_s=0.0, wip_mean=0.0, wip_end=0,
        consumed_units=0, started_units=0, losses_s=zero, fleet_energy_kwh=0.0,
        kwh_per_unit=0.0, charges=0, mean_charger_wait_s=wait, robot_utilisation=0.0,
    )
    series = pd.DataFrame({"t_end": [], "good_units": [], "wip_mean": []})
    return Result(KPIs(line=ln, stations={}, robots={}, chargers={}), series)
