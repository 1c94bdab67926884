"""The fast paths keep the model's meaning: the Engine fires SimPy's events in SimPy's order,
the calendar's remembered stretch gives the sums a fresh look-up gives, and the nearest charger
found nearest-first is the one a search of every group finds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from line_helpers import data_line
from simpy.core import NORMAL

from twin.config import Line, Shifts
from twin.line import factory as factory_module
from twin.line.calendar import WEEK, ShiftCalendar
from twin.line.engine import PARKED, Engine
from twin.line.factory import Factory
from twin.plant import plant
from twin.sim import simulate


class SimPySleeps(simpy.Environment):
    """SimPy's own Environment, with a sleep (a process yielding seconds, see
    ``twin.line.engine``) turned into the timeout it stands for, made when it is yielded, and a
    parked process into one waiting on an event that ``wake`` succeeds after its delay."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.parked: dict[simpy.Process, simpy.Event] = {}

    def process(self, generator: Any) -> simpy.Process:  # type: ignore[override]
        return super().process(self._timeouts(generator))

    def wake(self, process: simpy.Process, delay: float) -> None:
        event = self.parked.pop(process)
        event._ok = True
        event._value = None
        self.schedule(event, NORMAL, delay)

    def _timeouts(self, generator: Any) -> Any:
        try:
            target = next(generator)
            while True:
                if isinstance(target, (float, int)):
                    target = self.timeout(target)
                elif target is PARKED:
                    target = self.parked[self.active_process] = self.event()  # type: ignore
                try:
                    value = yield target
                except BaseException as failed:  # noqa: BLE001 (handed to the process)
                    target = generator.throw(failed)
                else:
                    target = generator.send(value)
        except StopIteration as done:
            return done.value


def test_engine_logs_what_simpy_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A day of the tote line with warm-up: the same event log, row for row, and the same KPIs
    under the Engine as under SimPy's own Environment (its sleeps made timeouts)."""
    line = data_line("tote")
    fast = simulate(line, hours=24, seed=7, warmup_hours=2, events=True)
    monkeypatch.setattr(factory_module, "Engine", SimPySleeps)
    plain = simulate(line, hours=24, seed=7, warmup_hours=2, events=True)
    assert len(fast.log) > 1000
    assert fast.events.equals(plain.events)
    assert fast.kpis == plain.kpis


def test_engine_stops_where_simpy_stops() -> None:
    """Run to t: events at t scheduled before the stop fire only if urgent; the clock ends at t;
    a second run goes on from there; a negative timeout is refused as SimPy refuses it."""
    seen: dict[str, list[tuple[str, float]]] = {}
    for name, env in (("simpy", simpy.Environment()), ("engine", Engine())):
        log = seen[name] = []

        def ticker(env: Any = env, log: list[tuple[str, float]] = log) -> Any:
            while True:
                yield env.timeout(2.5)
                log.append(("tick", env.now))

        def once(env: Any = env, log: list[tuple[str, float]] = log) -> Any:
            yield env.timeout(5.0)
            log.append(("once", env.now))

        env.process(ticker())
        env.run(until=5.0)
        log.append(("stop", env.now))
        env.process(once())
        env.run(until=11)
        log.append(("stop", env.now))
        with pytest.raises(ValueError):
            env.timeout(-1.0)
        with pytest.raises(ValueError):
            env.run(until=3.0)
    assert seen["engine"] == seen["simpy"]
    assert ("stop", 5.0) in seen["engine"] and ("tick", 5.0) not in seen["engine"][:2]


SHIFTS = Shifts.model_validate({
    "shifts": [{"start": "06:00", "end": "14:00"}, {"start": "14:00", "end": "22:00"}],
    "breaks": [{"start": "10:00", "end": "10:30"}, {"start": "18:00", "end": "18:30"}],
    "days_off": ["sat", "sun"]})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 3 * WEEK, allow_nan=False), min_size=1, max_size=40))
def test_calendar_remembers_nothing_that_changes_an_answer(times: list[float]) -> None:
    """is_on and cumulative asked in any order (repeats, neighbours, jumps back) answer what a
    fresh calendar answers, bit for bit."""
    kept = ShiftCalendar(SHIFTS)
    for t in times + [t + 1.0 for t in times] + times[::-1]:
        fresh = ShiftCalendar(SHIFTS)
        assert kept.is_on(t) == fresh.is_on(t)
        assert kept.cumulative(t) == fresh.cumulative(t)


def test_calendar_edges() -> None:
    """On at a shift start, off at its end; no on-time across a weekend."""
    cal = ShiftCalendar(SHIFTS)
    assert cal.is_on(6 * 3600.0) and not cal.is_on(6 * 3600.0 - 1e-6)
    assert not cal.is_on(22 * 3600.0) and cal.is_on(22 * 3600.0 - 1e-6)
    assert cal.is_on(10 * 3600.0 - 1.0) and not cal.is_on(10 * 3600.0)
    friday_night, monday_morning = 4 * 86400 + 22 * 3600.0, WEEK + 6 * 3600.0
    assert cal.cumulative(monday_morning) == cal.cumulative(friday_night)
    assert cal.cumulative(WEEK) == 5 * 15 * 3600.0  # 16 h a day less two 30 min breaks


def test_nearest_charger_is_the_best_of_all_groups() -> None:
    """From every location of a nine-dock hall, with robots queued at random docks: the group
    with the least walk plus 1 km per robot queued, the first in the line's order on a tie."""
    line = Line.model_validate(plant(9, 3, 2, rows_per_dock=1, name="docks"))
    factory = Factory(simulate(line, hours=0.01).line, 0)
    groups = list(factory.chargers.values())
    assert len(groups) == 9
    rng = np.random.default_rng(3)
    ways = factory.walkways
    for trial in range(3):
        for g in groups:
            g.points.queue.clear()
            g.points.queue.extend([None] * int(rng.integers(0, 2)) if trial else [])
        for loc in ways.names:
            keys = [ways.dist(loc, g.location) + 1e3 * len(g.points.queue) for g in groups]
            best = min(keys)
            assert math.isfinite(best)
            want = groups[keys.index(best)]
            assert factory.nearest_charger(loc) is want, (loc, trial)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), -1])
def test_a_bad_sleep_is_refused_as_a_negative_timeout(bad: float) -> None:
    """A process sleeping a negative or NaN time fails the run with SimPy's error for a
    negative timeout, by ``run`` to a time and by ``step``; a whole-number sleep is a sleep."""
    for until in (10.0, None):
        env = Engine()
        seen: list[float] = []

        def proc(env: Engine = env, seen: list[float] = seen) -> Any:
            yield 2  # an int: seconds too
            seen.append(env.now)
            yield bad

        env.process(proc())
        with pytest.raises(ValueError, match="Negative delay"):
            env.run(until=until)
        assert seen == [2.0]
