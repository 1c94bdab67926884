"""Each teaching line's stated answer is reproduced within the 95% CI of replications."""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np
import pytest
from lines_helpers import TEACHING, assert_in_ci, replicate

import twin


def test_mm1_time_in_system_and_queue_length() -> None:
    # lambda = 1/60, mu = 1/45: W = 1 / (mu - lambda) = 180 s, L = 3, rho = 0.75
    runs = replicate(TEACHING / "mm1.yaml", lambda r: (
        r.kpis.line.mean_lead_time_s, r.kpis.line.wip_mean,
        r.kpis.stations["machine"].processing, r.kpis.line.throughput_per_hour,
    ), reps=8, hours=500, warmup_hours=20)
    assert_in_ci(runs[:, 0], 180.0, "M/M/1 time in system W (s)")
    assert_in_ci(runs[:, 1], 3.0, "M/M/1 parts in system L")
    assert_in_ci(runs[:, 2], 0.75, "M/M/1 utilisation rho")
    assert_in_ci(runs[:, 3], 60.0, "M/M/1 throughput per hour")


def test_tandem_jackson_lead_time() -> None:
    # 1/(1/30-1/60) + 1/(1/40-1/60) + 1/(1/45-1/60) = 60 + 120 + 180 = 360 s
    runs = replicate(TEACHING / "tandem.yaml", lambda r: (
        r.kpis.line.mean_lead_time_s, r.kpis.line.wip_mean,
    ), reps=6, hours=300, warmup_hours=20)
    assert_in_ci(runs[:, 0], 360.0, "tandem lead time (s)")
    assert_in_ci(runs[:, 1], 6.0, "tandem WIP")


def test_breakdowns_availability() -> None:
    # A = MTBF / (MTBF + MTTR) = 120 / 140; throughput = 60/h x A
    runs = replicate(TEACHING / "breakdowns.yaml", lambda r: (
        r.kpis.stations["press"].availability, r.kpis.line.throughput_per_hour,
        r.kpis.stations["press"].mtbf_s, r.kpis.stations["press"].mttr_s,
    ), reps=8, hours=500)
    assert_in_ci(runs[:, 0], 120 / 140, "availability")
    assert_in_ci(runs[:, 1], 60 * 120 / 140, "throughput per hour")
    assert_in_ci(runs[:, 2], 7200.0, "MTBF (s)")
    assert_in_ci(runs[:, 3], 1200.0, "MTTR (s)")


def test_six_losses_oee() -> None:
    a = 1 / (1 - 0.03)  # cycles per unit started (rework)
    per_unit = 0.5 * 40 + a * (72 + 72 * 6 / 60)  # on-shift seconds per unit started

    def figures(r: twin.RunResult) -> tuple[float, ...]:
        k = r.kpis.stations["cell"]
        on = 1 - k.off_shift
        good_per_on_hour = r.kpis.line.good_units / (r.kpis.line.horizon_s * on / 3600)
        return (k.availability, k.effectiveness, k.quality_ratio, k.oee, good_per_on_hour,
                k.setup / on, k.down / on)

    runs = replicate(TEACHING / "six_losses.yaml", figures, reps=8, hours=500)
    availability = a * 72 / per_unit
    assert_in_ci(runs[:, 0], availability, "availability")
    assert_in_ci(runs[:, 1], 60 / 72, "effectiveness")
    assert_in_ci(runs[:, 2], 0.92, "quality ratio")
    assert_in_ci(runs[:, 3], availability * 60 / 72 * 0.92, "OEE")
    assert_in_ci(runs[:, 4], 3600 / per_unit * 0.92 / 0.97, "good units per on-shift hour")
    assert_in_ci(runs[:, 5], 20 / per_unit, "setup share of on-shift time")
    assert_in_ci(runs[:, 6], a * 7.2 / per_unit, "breakdown share of on-shift time")


def _moving(buffer: int, extra: dict[str, Any]) -> np.ndarray:
    return replicate(TEACHING / "moving_bottleneck.yaml", lambda r: (
        r.kpis.line.throughput_per_hour, r.kpis.stations["assembly"].starved,
    ), reps=5, hours=300, overrides={"stations.assembly.input_buffer": buffer, **extra})


FASTER_REPAIR = {"stations.stamping.failures.ttr.mean": 600}
FASTER_ASSEMBLY = {"stations.assembly.process": 54}


def test_moving_bottleneck_small_buffer_stamping_matters_most() -> None:
    base, repair, faster = (_moving(1, x)[:, 0].mean() for x in ({}, FASTER_REPAIR,
                                                               FASTER_ASSEMBLY))
    assert 43 < base < 50, f"buffer 1: {base:.1f}/h, header says about 46"
    assert repair - base > faster - base > 0, (
        f"buffer 1: quicker repairs +{repair - base:.1f}/h should beat faster assembly "
        f"+{faster - base:.1f}/h")


@pytest.mark.slow
def test_moving_bottleneck_large_buffer_assembly_matters_most() -> None:
    runs = _moving(100, {})
    base = runs[:, 0].mean()
    repair = _moving(100, FASTER_REPAIR)[:, 0].mean()
    faster = _moving(100, FASTER_ASSEMBLY)[:, 0].mean()
    assert 57 < base <= 60.5, f"buffer 100: {base:.1f}/h, header says about 59"
    assert runs[:, 1].mean() < 0.05, "assembly should hardly ever starve with 100 parts"
    assert faster - base > 3 * max(repair - base, 0.1), (
        f"buffer 100: faster assembly +{faster - base:.1f}/h should beat quicker repairs "
        f"+{repair - base:.1f}/h")


def machine_repair(n: int, c: int, work: float, service: float) -> dict[str, float]:
    """Finite-source M/M/c//N: robots working ``work`` on average, ``c`` chargers."""
    r = service / work
    p = [factorial(n) / (factorial(n - k) * (factorial(k) if k <= c else
                                             factorial(c) * c ** (k - c))) * r**k
         for k in range(n + 1)]
    total = sum(p)
    p = [x / total for x in p]
    at_station = sum(k * x for k, x in enumerate(p))
    waiting = sum((k - c) * x for k, x in enumerate(p) if k > c)
    rate = (n - at_station) / work
    return {"wq": waiting / rate, "lq": waiting, "working": n - at_station,
            "utilisation": sum(min(k, c) * x for k, x in enumerate(p)) / c,
            "per_hour": rate * 3600}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("chargers", [1, 2])
def test_charger_queue_machine_repair(chargers: int) -> None:
    theory = machine_repair(5, chargers, work=3600.0, service=900.0)

    def figures(r: twin.RunResult) -> tuple[float, ...]:
        ch = r.kpis.chargers["swap"]
        working = sum(1 - v.waiting_charger - v.charging - v.docking - v.to_charger
                      for v in r.kpis.robots.values())
        return ch.mean_wait_s, ch.utilisation, ch.mean_queue, working, ch.charges / r.hours

    runs = replicate(TEACHING / "charger_queue.yaml", figures, reps=6, hours=600,
                     overrides={"chargers.swap.count": chargers})
    assert_in_ci(runs[:, 0], theory["wq"], f"wait for a charger, c={chargers} (s)")
    assert_in_ci(runs[:, 1], theory["utilisation"], f"charger utilisation, c={chargers}")
    assert_in_ci(runs[:, 2], theory["lq"], f"robots waiting, c={chargers}")
    assert_in_ci(runs[:, 3], theory["working"], f"robots working, c={chargers}")
    assert_in_ci(runs[:, 4], theory["per_hour"], f"swaps per hour, c={chargers}")
