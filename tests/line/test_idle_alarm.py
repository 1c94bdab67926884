"""An idle robot goes to charge the moment standing has drained its battery to the mark.

The battery alarm is set early and kept across idle stretches (twin.line.fleet.battery_alarm);
whatever it does inside, the robot must leave idle for the charger exactly when its state of
charge reaches ``go_charge_below``, and never stand idle below it.
"""

from __future__ import annotations

import numpy as np
import pytest
from line_helpers import data_line

from twin.loader import apply_overrides
from twin.sim import simulate

MARK = 0.6


def test_idle_robot_leaves_for_the_charger_at_the_mark() -> None:
    line = apply_overrides(data_line("tote"), {
        "shifts": "24/7", "fleet.count": 6, "chargers.dock.mode": "plug",
        "chargers.dock.power": "1 kW", "fleet.charging.go_charge_below": MARK,
        "fleet.charging.charge_to": 0.9, "fleet.charging.in_breaks": False})
    ev = simulate(line, hours=72, seed=3, events=True).events
    robots = ev[ev.kind == "robot"]
    from_idle = 0
    for _, rows in robots.groupby(robots.entity.astype(str)):
        state = rows.state.astype(str).to_numpy()
        soc = rows.value.to_numpy()
        idle = state == "idle"
        # an idle robot never stands below the mark (a robot back from a trip may be there)
        stretch_end = np.flatnonzero(idle[:-1] & (state[1:] == "to_charger"))
        for i in stretch_end:
            assert soc[i] == pytest.approx(MARK, abs=1e-6), "left idle off the mark"
            from_idle += 1
        later = np.flatnonzero(idle[1:] & idle[:-1]) + 1  # idle rows after idle rows
        assert np.all(soc[later] >= MARK - 1e-6)
    assert from_idle >= 3, "the run should send idle robots to charge"
