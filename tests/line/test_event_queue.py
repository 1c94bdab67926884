"""The Engine fires SimPy's events in SimPy's order, and the calendar's on-shift stretch gives
what its sums give.

The order is checked against SimPy's own environment on random programs with many events due at
the same instant (whole-second delays, zero delays, events succeeded by hand, processes started
mid-run, which SimPy schedules as urgent, and runs stopped at instants events are due at). The
stretch is checked against the calendar's cumulative sums: inside one on-shift stretch the
on-shift time is the elapsed time and a job of ``p`` seconds ends ``p`` seconds after it starts;
across breaks and nights the sums decide.
"""

from __future__ import annotations

from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.config import Shifts
from twin.events import EventLog
from twin.kpi import STATION_STATES
from twin.line.calendar import WEEK, ShiftCalendar
from twin.line.clock import StateClock
from twin.line.engine import Engine

# a program: per process, steps of (kind, seconds): 0 wait, 1 succeed a shared event after
# waiting, 2 start a child process, 3 wait on the shared event, 4 sleep (the Engine's ``yield
# seconds``; a timeout on SimPy's own)
STEPS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=12)


def _play(env: Any, programs: list[list[tuple[int, int]]], stops: list[int]) -> list[Any]:
    """Run ``programs`` on ``env``, stopping at each of ``stops``; what fired, in order."""
    seen: list[Any] = []
    shared = [env.event()]

    def child(name: str, wait: int) -> Any:
        seen.append(("child", name, env.now))
        yield env.timeout(wait)
        seen.append(("child done", name, env.now))

    def proc(k: int, steps: list[tuple[int, int]]) -> Any:
        for i, (kind, s) in enumerate(steps):
            if kind == 0:
                yield env.timeout(s)
            elif kind == 1:
                yield env.timeout(s)
                if not shared[0].triggered:
                    shared[0].succeed(k)
            elif kind == 2:
                env.process(child(f"{k}.{i}", s))
            elif kind == 4:
                yield float(s) if isinstance(env, Engine) else env.timeout(float(s))
            else:
                got = yield shared[0] | env.timeout(s)
                if shared[0] in got:
                    shared[0] = env.event()
            seen.append((k, i, env.now))

    for k, steps in enumerate(programs):
        env.process(proc(k, steps))
    for stop in stops:
        if stop > env.now:
            env.run(until=stop)
            seen.append(("stop", env.now))
    env.run()
    seen.append(("end", env.now))
    return seen


@settings(max_examples=60, deadline=None)
@given(st.lists(STEPS, min_size=1, max_size=6), st.lists(st.integers(1, 20), max_size=3))
def test_engine_fires_what_simpy_fires_in_its_order(programs: list[list[tuple[int, int]]],
                                                     stops: list[int]) -> None:
    stops = sorted(stops)
    assert _play(Engine(), programs, stops) == _play(simpy.Environment(), programs, stops)


SHIFTS = Shifts.model_validate({
    "shifts": [{"start": "06:00", "end": "14:00"}, {"start": "14:00", "end": "22:00"}],
    "breaks": [{"start": "10:00", "end": "10:30"}, {"start": "18:00", "end": "18:30"}],
    "days_off": ["sat", "sun"]})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2 * WEEK), st.floats(0, 20000)), min_size=1,
                max_size=30))
def test_on_stretch_agrees_with_the_sums(spans: list[tuple[float, float]]) -> None:
    """A clock's on-shift time since its last change is the calendar's on_time (to rounding),
    and all of the elapsed time when both ends are in one on-shift stretch; a job started in
    a stretch that ends before the stretch does takes its own length."""
    cal = ShiftCalendar(SHIFTS)
    clock = StateClock(STATION_STATES, "starved", 0.0, cal, frozenset(STATION_STATES),
                       EventLog(enabled=False), "s", "station")
    for start, length in spans:
        end = start + length
        clock.since = start
        on = clock.on_since(end)
        assert on == pytest.approx(cal.on_time(start, end), abs=1e-6)
        lo, hi = cal.on_stretch(start)
        if lo < hi and end <= hi:  # on shift at the start, and still at the end
            assert cal.is_on(start) and on == end - start
            assert cal.advance(start, length) == pytest.approx(end, abs=1e-6)
        else:
            assert lo == hi == start and not cal.is_on(start) or end > hi
    lo, hi = cal.on_stretch(8 * 3600.0)  # Monday 08:00: in the stretch 06:00-10:00
    assert (lo, hi) == (6 * 3600.0, 10 * 3600.0)
    assert cal.on_stretch(10 * 3600.0) == (10 * 3600.0, 10 * 3600.0)  # the break: off
