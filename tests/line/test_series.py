"""The per-bin time series (``RunResult.series``) agrees with the event log, warm-up included.

Bins are hours of working time: on a line with shifts, nights and breaks fold away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from line_helpers import data_line

from twin.config import Line, Shifts, parse_clock
from twin.sim import simulate

BIN = 3600.0


def _working_edges(line: Line, end: float) -> np.ndarray:
    """Clock times (s) at which each whole hour of working time ends, from the spec's minutes."""
    assert isinstance(line.shifts, Shifts)
    on = np.zeros(7 * 1440, dtype=bool)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for day in range(7):
        if days[day] in line.shifts.days_off:
            continue
        for w in line.shifts.shifts:
            on[day * 1440 + int(parse_clock(w.start) // 60):
               day * 1440 + int(parse_clock(w.end) // 60)] = True
    for day in range(7):
        for w in line.shifts.breaks:
            on[day * 1440 + int(parse_clock(w.start) // 60):
               day * 1440 + int(parse_clock(w.end) // 60)] = False
    work = np.cumsum(np.tile(on, 2))
    ends = [float((np.searchsorted(work, 60 * k) + 1) * 60) for k in range(1, 200)]
    return np.asarray([0.0] + [e for e in ends if e <= end])


def _from_log(ev: pd.DataFrame, end: float, edges: np.ndarray | None = None,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin ends, good units per bin and time-average WIP per bin from the part rows."""
    if edges is None:
        edges = np.arange(0.0, end + BIN / 2, BIN)
    parts = ev[ev.kind == "part"]
    state = parts.state.astype(str)
    done = parts[state == "done"].t.to_numpy()
    good = np.histogram(done, bins=edges)[0]
    gone = state.isin(["done", "scrap", "consumed"])
    delta = np.where(state == "created", 1, np.where(gone, -1, 0))
    t = parts.t.to_numpy()
    level = np.cumsum(delta)
    grid = np.append(t, end)
    wip = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        seg = np.clip(grid[1:], a, b) - np.clip(grid[:-1], a, b)
        wip.append(float((level * seg).sum()) / (b - a))
    return edges[1:], good, np.asarray(wip)


def test_series_matches_the_log_without_warmup() -> None:
    line = data_line("mixed")
    result = simulate(line, hours=30, warmup_hours=0, seed=1, events=True, series_bin_s=BIN)
    edges = _working_edges(line, 30 * 3600)
    ends, good, wip = _from_log(result.events, 30 * 3600, edges)
    s = result.series
    n = len(ends)
    assert len(s) in (n, n + 1)  # a partial last bin
    # t_end is working time: whole hours of it, nights and breaks folded away
    np.testing.assert_allclose(s.t_end.to_numpy()[:n], BIN * np.arange(1, n + 1))
    assert ends[-1] > s.t_end.iloc[n - 1]
    np.testing.assert_array_equal(s.good_units.to_numpy()[:n], good)
    np.testing.assert_allclose(s.wip_mean.to_numpy()[:n], wip, rtol=1e-9, atol=1e-9)
    assert s.good_units.sum() == result.kpis.line.good_units  # no warm-up: every unit counted


@pytest.mark.parametrize("warmup", [2.0, 2.5])
def test_series_matches_the_log_across_the_warmup(warmup: float) -> None:
    hours = 10.0
    result = simulate(data_line("mm1"), hours=hours, warmup_hours=warmup, seed=1,
                      events=True, series_bin_s=BIN)
    end = (warmup + hours) * 3600
    ends, good, wip = _from_log(result.events, end)
    assert len(result.series) == len(good) + (1 if end % BIN else 0)  # a partial last bin
    s = result.series.iloc[: len(good)]
    np.testing.assert_array_equal(s.good_units.to_numpy(), good)
    np.testing.assert_allclose(s.t_end.to_numpy(), ends)
    np.testing.assert_allclose(s.wip_mean.to_numpy(), wip, rtol=1e-9)
