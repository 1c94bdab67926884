"""The line model against queueing theory: each closed form lies in the 95% CI of replications.

Closed forms are computed here from the fixture's parameters (no hard-coded answers). Every
assertion also bounds the CI half-width, so a loose CI cannot hide a wrong model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from line_helpers import assert_in_ci, data_line, machine_repair, metric, replicate

from twin.config import Line
from twin.distributions import Exponential
from twin.loader import apply_overrides


def _exp_mean(dist: object) -> float:
    assert isinstance(dist, Exponential), "the closed forms need exponential times"
    return dist.mean


def _arrival_rate(line: Line) -> float:
    (source,) = line.sources.values()
    return 1.0 / _exp_mean(source.interarrival)


def _service_rate(line: Line, sid: str) -> float:
    return 1.0 / _exp_mean(line.stations[sid].process)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue Wq of an M/M/c queue (Erlang C)."""
    a = lam / mu
    assert a < c
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


# ---------------------------------------------------------------------------------- M/M/1


@pytest.fixture(scope="module")
def mm1() -> Line:
    return data_line("mm1")


def _mm1_check(line: Line, n: int, hours: float, rel: float) -> None:
    lam, mu = _arrival_rate(line), _service_rate(line, "s1")
    assert lam / mu == pytest.approx(0.8)
    runs = replicate(line, n=n, hours=hours, warmup_hours=5)
    got = {
        "W": metric(runs, lambda k: k.line.mean_lead_time_s),
        "L": metric(runs, lambda k: k.line.wip_mean),
        "rho": metric(runs, lambda k: k.stations["s1"].processing),
        "X": metric(runs, lambda k: k.line.throughput_per_hour),
    }
    w = 1.0 / (mu - lam)
    assert_in_ci(got["W"], w, max_rel_half=rel, what="M/M/1 time in system W")
    assert_in_ci(got["L"], lam * w, max_rel_half=rel, what="M/M/1 number in system L")
    assert_in_ci(got["rho"], lam / mu, max_rel_half=rel / 4, what="M/M/1 utilisation")
    assert_in_ci(got["X"], lam * 3600, max_rel_half=rel / 4, what="M/M/1 throughput")


def test_mm1_matches_closed_form(mm1: Line) -> None:
    _mm1_check(mm1, n=15, hours=300, rel=0.05)


@pytest.mark.slow
def test_mm1_matches_closed_form_long(mm1: Line) -> None:
    _mm1_check(mm1, n=20, hours=1500, rel=0.025)


# ---------------------------------------------------------------------------------- M/M/c


def _mmc_check(n: int, hours: float, rel: float) -> None:
    line = data_line("mmc")
    c = line.stations["s1"].servers
    assert c == 3
    lam, mu = _arrival_rate(line), _service_rate(line, "s1")
    wq = erlang_c_wait(lam, mu, c)
    w = wq + 1.0 / mu
    runs = replicate(line, n=n, hours=hours, warmup_hours=2)
    lead = metric(runs, lambda k: k.line.mean_lead_time_s)
    wip = metric(runs, lambda k: k.line.wip_mean)
    util = metric(runs, lambda k: k.stations["s1"].processing)
    assert_in_ci(lead, w, max_rel_half=rel, what="M/M/3 time in system W")
    assert_in_ci(lead - 1.0 / mu, wq, max_rel_half=2.5 * rel, what="M/M/3 Erlang-C wait Wq")
    assert_in_ci(wip, lam * w, max_rel_half=rel, what="M/M/3 number in system L")
    assert_in_ci(util, lam / (c * mu), max_rel_half=rel / 4, what="M/M/3 server utilisation")


def test_mmc_matches_erlang_c() -> None:
    _mmc_check(n=15, hours=150, rel=0.04)


@pytest.mark.slow
def test_mmc_matches_erlang_c_long() -> None:
    _mmc_check(n=20, hours=600, rel=0.02)


# ---------------------------------------------------------------------------------- Jackson


def _tandem_check(n: int, hours: float, rel: float) -> None:
    line = data_line("tandem5")
    lam = _arrival_rate(line)
    (product,) = line.products.values()
    assert len(product.routing) == 5
    mus = [_service_rate(line, sid) for sid in product.routing]
    w = sum(1.0 / (mu - lam) for mu in mus)
    runs = replicate(line, n=n, hours=hours, warmup_hours=10)
    lead = metric(runs, lambda k: k.line.mean_lead_time_s)
    wip = metric(runs, lambda k: k.line.wip_mean)
    assert_in_ci(lead, w, max_rel_half=rel, what="Jackson tandem time in system")
    assert_in_ci(wip, lam * w, max_rel_half=rel, what="Jackson tandem number in system")
    for sid, mu in zip(product.routing, mus, strict=True):
        util = np.asarray([k.stations[sid].processing for k in runs])
        assert_in_ci(util, lam / mu, max_rel_half=rel / 3, what=f"tandem {sid} utilisation")


def test_jackson_tandem_matches_sum_of_mm1() -> None:
    _tandem_check(n=12, hours=250, rel=0.05)


@pytest.mark.slow
def test_jackson_tandem_matches_sum_of_mm1_long() -> None:
    _tandem_check(n=20, hours=1000, rel=0.025)


# ---------------------------------------------------------------------- machine repair


IDLE_BUG = ("fleet.py Robot.run: an idle robot woken by its low-battery timer re-checks a "
            "stale energy (not drained since set(IDLE)), idles again with no timer and never "
            "goes to charge; SOC runs negative, charges = 0")


WAIT_DRAIN_BUG = (
    "fleet.py Robot.set: a datasheet battery keeps draining at its work rate while the robot "
    "queues for a charger, with no floor (SOC reaches -393 on this line), and the plug time "
    "charge_time x (target - soc) grows with the wait: service is no longer Exp and no "
    "longer independent of the wait (Wq ~ 58,000 s against 295 s)")


def _repair_check(n_reps: int, hours: float, rel: float, mode: str = "swap") -> None:
    line = data_line("repair")
    if mode == "plug":
        # plug: charge time = charge_time sample x (charge_to - go_charge_below), still Exp
        line = apply_overrides(line, {"chargers.swap.mode": "plug",
                                      "fleet.battery.charge_time": {
                                          "dist": "exponential", "mean": "20 min"}})
    fleet = line.fleet
    assert fleet is not None and fleet.battery.model == "datasheet"
    (group,) = line.chargers.values()
    # datasheet battery: a full battery lasts R ~ Exp(runtime); charged to charge_to, the
    # robot works until go_charge_below: (charge_to - threshold) x R ~ Exp(that x runtime)
    band = fleet.charging.charge_to - fleet.charging.go_charge_below
    work = band * _exp_mean(fleet.battery.runtime)
    if group.mode == "swap":
        assert fleet.charging.charge_to == 1.0  # a swap gives a full battery
        service = _exp_mean(group.swap_time)
    else:
        service = band * _exp_mean(fleet.battery.charge_time)
    lam, mu = 1.0 / work, 1.0 / service
    exact = machine_repair(fleet.count, group.count, lam, mu)
    chg = "swap"
    runs = replicate(line, n=n_reps, hours=hours, warmup_hours=10)
    wait = metric(runs, lambda k: k.chargers[chg].mean_wait_s)
    queue = metric(runs, lambda k: k.chargers[chg].mean_queue)
    busy = metric(runs, lambda k: k.chargers[chg].utilisation)
    working = metric(runs, lambda k: float(np.mean([r.idle for r in k.robots.values()])))
    assert_in_ci(wait, exact["Wq"], max_rel_half=2 * rel, what="M/M/c//N charger wait Wq")
    assert_in_ci(queue, exact["Lq"], max_rel_half=2 * rel, what="M/M/c//N charger queue Lq")
    assert_in_ci(busy, exact["busy"], max_rel_half=rel, what="M/M/c//N charger utilisation")
    assert_in_ci(working, 1 - exact["L"] / fleet.count, max_rel_half=rel,
                 what="M/M/c//N share of robots working")


def test_machine_repair_matches_finite_source_queue() -> None:
    _repair_check(n_reps=12, hours=300, rel=0.05)


@pytest.mark.slow
def test_machine_repair_matches_finite_source_queue_long() -> None:
    _repair_check(n_reps=20, hours=1000, rel=0.03)


def test_machine_repair_with_plug_chargers() -> None:
    _repair_check(n_reps=12, hours=300, rel=0.05, mode="plug")


def test_machine_repair_closed_form_sanity() -> None:
    """The closed form itself: c >= N means no queue; c = 1 matches the teaching line."""
    free = machine_repair(4, 4, 0.5, 1.0)
    assert free["Lq"] == pytest.approx(0.0, abs=1e-12)
    assert free["L"] == pytest.approx(4 * 0.5 / 1.5)
    one = machine_repair(5, 1, 1 / 60, 1 / 15)
    assert one["L"] == pytest.approx(1.80, abs=0.01)
    assert one["Wq"] == pytest.approx(18.6, rel=0.01)
