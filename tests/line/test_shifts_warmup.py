"""Shift calendars and warm-up: planned downtime is the calendar's off time and no OEE loss;
warm-up forgets what was counted before it without changing the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from line_helpers import data_line

from twin.config import Line, Shifts, parse_clock
from twin.loader import apply_overrides
from twin.sim import simulate

DAY = 86400.0
WEEK = 7 * DAY
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def on_minutes(spec: Shifts) -> np.ndarray:
    """A boolean per minute of the week, built straight from the spec (not twin's calendar)."""
    on = np.zeros(7 * 24 * 60, dtype=bool)

    def mark(day: int, start: str, end: str, value: bool) -> None:
        s, e = int(parse_clock(start) // 60), int(parse_clock(end) // 60)
        if e <= s:
            e += 24 * 60
        for m in range(s, e):
            on[(day * 1440 + m) % on.size] = value

    for day in range(7):
        if DAYS[day] not in spec.days_off:
            for w in spec.shifts:
                mark(day, w.start, w.end, True)
    for day in range(7):
        for w in spec.breaks:
            mark(day, w.start, w.end, False)
    return on


def off_time(line: Line, t0: float, t1: float) -> float:
    """Seconds off shift in [t0, t1) (whole minutes)."""
    assert isinstance(line.shifts, Shifts)
    on = on_minutes(line.shifts)
    minutes = np.arange(int(t0 // 60), int(t1 // 60))
    return float((~on[minutes % on.size]).sum() * 60.0)


def working_end(line: Line, hours: float) -> float:
    """The clock time (s) at which ``hours`` of working time have passed since Monday 00:00."""
    if hours <= 0 or not isinstance(line.shifts, Shifts):
        return hours * 3600
    on = np.tile(on_minutes(line.shifts), 1 + int(hours // 24))
    return float((np.searchsorted(np.cumsum(on), round(hours * 60)) + 1) * 60)


@pytest.mark.parametrize(("warmup_h", "hours"), [(0.0, 168.0), (24.0, 168.0), (30.5, 100.0)])
def test_planned_downtime_is_the_calendars_off_time(warmup_h: float, hours: float) -> None:
    line = data_line("shifts")
    k = simulate(line, hours=hours, warmup_hours=warmup_h, seed=1).kpis
    t0 = working_end(line, warmup_h)  # the warm-up is working time
    assert k.line.window_start_s == pytest.approx(t0, abs=1e-6)
    off = off_time(line, t0, t0 + hours * 3600)
    if hours == 168.0:
        assert off == pytest.approx(78 * 3600.0)  # the fixture's own arithmetic
    press = k.stations["press"]
    assert press.losses_s["planned_downtime"] == pytest.approx(off, abs=1e-6)
    assert press.off_shift == pytest.approx(off / (hours * 3600), abs=1e-12)
    assert k.line.losses_s["planned_downtime"] == pytest.approx(off, abs=1e-6)
    # planned downtime is no availability loss: a press that always runs on shift is at 100%
    assert press.availability == pytest.approx(1.0, abs=1e-9)
    # (a unit cut by the warm-up or horizon end moves effectiveness by at most one cycle)
    one = 1.5 / k.line.good_units
    assert press.oee == pytest.approx(1.0, abs=one)
    assert k.line.oee == pytest.approx(1.0, abs=one)
    on = hours * 3600 - off
    assert abs(k.line.good_units - on / 60) <= 1


def test_availability_counts_breakdowns_but_not_shifts() -> None:
    line = apply_overrides(data_line("shifts"), {"stations.press.failures": {
        "ttf": {"dist": "exponential", "mean": "1 h"},
        "ttr": {"dist": "exponential", "mean": "10 min"}}})
    hours = 336.0
    k = simulate(line, hours=hours, seed=2).kpis
    press = k.stations["press"]
    off = off_time(line, 0, hours * 3600)
    pbt = hours * 3600 - off
    assert press.losses_s["planned_downtime"] == pytest.approx(off, abs=1e-6)
    assert press.failures > 50
    assert press.availability == pytest.approx(press.processing * hours * 3600 / pbt, rel=1e-9)
    assert press.availability == pytest.approx(
        1 - press.losses_s["breakdowns"] / pbt, abs=1e-9)
    # renewal: MTBF / (MTBF + MTTR) = 60 / 70 on shift time
    assert press.availability == pytest.approx(60 / 70, abs=0.03)


def test_humanoid_line_stations_and_robots_are_off_shift_off_shift() -> None:
    line = data_line("tote")
    hours = 168.0
    k = simulate(line, hours=hours, seed=4).kpis
    off = off_time(line, 0, hours * 3600)
    for sid, st in k.stations.items():
        assert st.losses_s["planned_downtime"] == pytest.approx(st.servers * off, abs=1e-6), sid
    for rid, r in k.robots.items():
        # robots idle off shift count as off_shift; they may also charge in breaks
        assert r.off_shift <= off / (hours * 3600) + 1e-9, rid
        assert r.off_shift > 0.5 * off / (hours * 3600), rid


def _parts(ev: pd.DataFrame) -> pd.DataFrame:
    out = ev[ev.kind == "part"][["t", "entity", "state", "part", "value"]].reset_index(drop=True)
    return out.astype({"entity": str, "state": str})


@pytest.mark.parametrize("name", ["mm1", "mixed", "tote"])
def test_warmup_resets_statistics_but_not_the_run(name: str) -> None:
    line = data_line(name)
    warm, hours = 20.0, 30.0
    w = working_end(line, warm)  # the warm-up is working time
    measured = simulate(line, hours=hours, warmup_hours=warm, seed=8, events=True)
    whole = simulate(line, hours=w / 3600 + hours, warmup_hours=0, seed=8, events=True)
    # the warm-up changes what is counted, not what happens
    pd.testing.assert_frame_equal(_parts(measured.events), _parts(whole.events))
    ev = whole.events
    parts = ev[ev.kind == "part"]
    state = parts.state.astype(str)
    after = parts.t > w
    k = measured.kpis.line
    assert k.warmup_s == warm * 3600 and k.window_start_s == w and k.horizon_s == hours * 3600
    assert k.good_units == int(((state == "done") & after).sum())
    assert k.scrap_units == int(((state == "scrap") & after).sum())
    assert k.started_units == int(((state == "created") & after).sum())
    done_after = parts[(state == "done") & after]
    assert k.mean_finished_lead_time_s == pytest.approx(float(done_after.value.mean()),
                                                        rel=1e-9)
    # WIP at the warm-up end + started after = good + scrap + WIP at the end
    wip_at_w = int(((state == "created") & ~after).sum() - (state.isin(["done", "scrap"])
                                                              & ~after).sum())
    assert wip_at_w + k.started_units == k.good_units + k.scrap_units + k.wip_end
    # time-average WIP over the measured window only
    delta = np.where(state == "created", 1, np.where(state.isin(["done", "scrap"]), -1, 0))
    t = parts.t.to_numpy()
    level = np.cumsum(delta)
    grid = np.append(t, w + hours * 3600)
    seg = np.clip(grid[1:], w, None) - np.clip(grid[:-1], w, None)
    assert k.wip_mean == pytest.approx(float((level * seg).sum()) / (hours * 3600), rel=1e-9)
    # state shares add up over the measured horizon, not warm-up + horizon
    for st in measured.kpis.stations.values():
        assert st.processing + st.setup + st.starved + st.blocked + st.down + st.off_shift \
            == pytest.approx(1.0, abs=1e-9)


def test_line_warmup_field_is_the_default() -> None:
    line = apply_overrides(data_line("mm1"), {"warmup": "3 h"})
    k = simulate(line, hours=5, seed=1).kpis.line
    assert k.warmup_s == 3 * 3600
    k0 = simulate(line, hours=5, seed=1, warmup_hours=0).kpis.line
    assert k0.warmup_s == 0
    assert k0.good_units != k.good_units


def test_arrivals_that_follow_shifts_pause_off_shift() -> None:
    line = apply_overrides(data_line("mm1"), {
        "sources.arrivals.follows_shifts": True,
        "shifts": {"shifts": [{"start": "08:00", "end": "16:00"}], "days_off": ["sat", "sun"]},
    })
    hours = 2 * 168.0
    result = simulate(line, hours=hours, seed=5, events=True)
    on = hours * 3600 - off_time(line, 0, hours * 3600)
    assert on == pytest.approx(2 * 5 * 8 * 3600)
    k = result.kpis.line
    (source,) = line.sources.values()
    assert source.interarrival is not None
    expected = on / source.interarrival.mean
    assert abs(k.started_units - expected) <= 4 * np.sqrt(expected)
    ev = result.events
    created = ev[(ev.kind == "part") & (ev.state.astype(str) == "created")].t.to_numpy()
    assert isinstance(line.shifts, Shifts)
    minute = (created // 60).astype(int) % (7 * 1440)
    assert on_minutes(line.shifts)[minute].all(), "a unit arrived off shift"
