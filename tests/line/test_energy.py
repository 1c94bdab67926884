"""Battery bookkeeping seen through the log: idle drain, plug charging time and target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from line_helpers import data_line

from twin.loader import apply_overrides
from twin.robot import RobotSpec
from twin.sim import RunResult, simulate


@pytest.fixture(scope="module")
def plug_run() -> RunResult:
    line = apply_overrides(data_line("tote"), {
        "shifts": "24/7", "chargers.dock.mode": "plug", "chargers.dock.power": "1 kW",
        "fleet.charging.go_charge_below": 0.5, "fleet.charging.charge_to": 0.9,
        "fleet.charging.in_breaks": False})
    return simulate(line, hours=48, seed=6, events=True)


def _robot_rows(run: RunResult) -> pd.DataFrame:
    ev = run.events
    rows = ev[ev.kind == "robot"].copy()
    rows["state"] = rows.state.astype(str)
    rows["entity"] = rows.entity.astype(str)
    return rows


def _spec(run: RunResult) -> RobotSpec:
    assert run.line.fleet is not None and isinstance(run.line.fleet.robot, RobotSpec)
    return run.line.fleet.robot


def test_idle_drains_standing_and_constant_power(plug_run: RunResult) -> None:
    spec = _spec(plug_run)
    watts = spec.power.standing + spec.power.constant
    checked = 0
    for _, rows in _robot_rows(plug_run).groupby("entity"):
        t, soc, state = rows.t.to_numpy(), rows.value.to_numpy(), rows.state.to_numpy()
        for i in np.flatnonzero(state[:-1] == "idle"):
            dt = t[i + 1] - t[i]
            if dt > 1.0:
                assert (soc[i] - soc[i + 1]) * spec.battery == pytest.approx(watts * dt,
                                                                            rel=1e-6)
                checked += 1
    assert checked > 20


def test_plug_charge_time_and_target(plug_run: RunResult) -> None:
    line = plug_run.line
    spec = _spec(plug_run)
    charger = line.chargers["dock"]
    assert line.fleet is not None
    target = line.fleet.charging.charge_to
    net = charger.power - spec.power.constant
    checked = 0
    for _, rows in _robot_rows(plug_run).groupby("entity"):
        t, soc, state = rows.t.to_numpy(), rows.value.to_numpy(), rows.state.to_numpy()
        for i in np.flatnonzero(state[:-1] == "charging"):
            assert soc[i] < line.fleet.charging.go_charge_below + 0.05
            assert t[i + 1] - t[i] == pytest.approx((target - soc[i]) * spec.battery / net,
                                                    rel=1e-9)
            assert soc[i + 1] == pytest.approx(target, abs=1e-9)
            checked += 1
    assert checked >= 3
    assert plug_run.kpis.line.charges >= checked


def test_energy_kpi_is_the_sum_of_drains(plug_run: RunResult) -> None:
    """energy_kwh = SOC lost outside charging, summed from the log (J -> kWh)."""
    spec = _spec(plug_run)
    for rid, rows in _robot_rows(plug_run).groupby("entity"):
        soc, state = rows.value.to_numpy(), rows.state.to_numpy()
        drop = soc[:-1] - soc[1:]
        used = drop[state[:-1] != "charging"].sum() * spec.battery / 3.6e6
        assert plug_run.kpis.robots[str(rid)].energy_kwh == pytest.approx(used, rel=0.02), rid


@pytest.mark.parametrize("in_breaks", [True, False])
def test_opportunistic_charging_in_breaks(in_breaks: bool) -> None:
    from line_helpers import data_line as load

    from twin.line.calendar import make_calendar

    line = apply_overrides(load("tote"), {"fleet.charging.in_breaks": in_breaks,
                                          "chargers.dock.mode": "plug"})
    run = simulate(line, hours=72, seed=2, events=True)
    assert line.fleet is not None
    threshold = line.fleet.charging.go_charge_below
    cal = make_calendar(line.shifts)
    rows = _robot_rows(run)
    early = []
    for _, mine in rows.groupby("entity"):
        t, soc, state = mine.t.to_numpy(), mine.value.to_numpy(), mine.state.to_numpy()
        for i in np.flatnonzero((state == "charging") & (soc > threshold + 0.01)):
            # when did it set off? (a robot that queued in a break may plug in after it)
            left = t[np.flatnonzero(state[:i] == "to_charger")[-1]]
            early.append(left)
    assert all(not cal.is_on(t) for t in early), "left to charge above threshold on shift"
    if in_breaks:
        assert len(early) >= 3, "no opportunistic charging off shift"
    else:
        assert early == []
