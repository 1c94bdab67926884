"""A robot's trip written out in ``Robot.run`` and the same trip through the helpers agree.

``Robot.run`` carries out a trip's common path itself when the motion model plans at once (the
surrogate's ``plan``) and sends the rest through ``walk``, ``do`` and ``set``; a motion model with
``execute`` only (physics) goes through those helpers all the way. The surrogate with its ``plan``
hidden draws the same outcomes from the same robot streams in the same order, so on a floor whose
aisles never hold a robot (a generated plant: 3 m aisles, four robots abreast) both must make the
same trips: the same tasks, distance and charges per robot and the same output, and the same
energy and time in each state to rounding (the written-out path waits out its decision latency
and the walk to the pick in one timeout, the helpers in two).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from twin.config import Line
from twin.kpi import ROBOT_STATES
from twin.loader import load_robot
from twin.motion import MotionTask, Outcome, Surrogate, Worker
from twin.plant import plant
from twin.sim import simulate


class Stepwise:
    """The surrogate without ``plan``: the line takes it for a body and uses the helpers."""

    def __init__(self, model: Surrogate) -> None:
        self.model = model

    def execute(self, env: Any, robot: Worker, task: MotionTask) -> Generator[Any, Any, Outcome]:
        return self.model.execute(env, robot, task)

    def clears_spot(self, payload: float) -> float:
        return self.model.clears_spot(payload)

    def share_floor(self, grid: Any, told: Callable[[str, str | None], None]) -> None:
        """Nothing to share: no aisle of this floor ever holds a robot (checked below)."""


def test_written_out_trip_matches_the_helpers() -> None:
    line = Line.model_validate(plant(2, 3, 5, name="flat_trip"))
    spec = load_robot("walker_s2")
    flat = simulate(line, hours=30, seed=3, warmup_hours=0, series_bin_s=0,
                    motion=Surrogate(spec))
    helped = simulate(line, hours=30, seed=3, warmup_hours=0, series_bin_s=0,
                      motion=Stepwise(Surrogate(spec)))
    assert flat.kpis.line.waiting_traffic_share == 0.0  # no holds: the two may be compared
    assert flat.kpis.line.good_units > 100
    assert flat.kpis.line.good_units == helped.kpis.line.good_units
    assert flat.kpis.robots.keys() == helped.kpis.robots.keys()
    for rid, a in flat.kpis.robots.items():
        b = helped.kpis.robots[rid]
        assert a.tasks > 0
        assert (a.tasks, a.charges, a.failed_tasks) == (b.tasks, b.charges, b.failed_tasks)
        assert a.distance_m == b.distance_m  # the same walks, added in the same order
        assert a.energy_kwh == pytest.approx(b.energy_kwh, rel=1e-9)
        for state in ROBOT_STATES:
            assert getattr(a, state) == pytest.approx(getattr(b, state), rel=1e-9, abs=1e-9)
