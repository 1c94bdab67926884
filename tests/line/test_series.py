"""The per-bin time series (``RunResult.series``) agrees with the event log, warm-up included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from line_helpers import data_line

from twin.sim import simulate

BIN = 3600.0


def _from_log(ev: pd.DataFrame, end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bin ends, good units per bin and time-average WIP per bin from the part rows."""
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
        wip.append(float((level * seg).sum()) / BIN)
    return edges[1:], good, np.asarray(wip)


def test_series_matches_the_log_without_warmup() -> None:
    result = simulate(data_line("mixed"), hours=30, warmup_hours=0, seed=1, events=True,
                      series_bin_s=BIN)
    ends, good, wip = _from_log(result.events, 30 * 3600)
    s = result.series
    n = len(s)
    assert n >= len(ends) - 1
    np.testing.assert_allclose(s.t_end.to_numpy(), ends[:n])
    np.testing.assert_array_equal(s.good_units.to_numpy(), good[:n])
    np.testing.assert_allclose(s.wip_mean.to_numpy(), wip[:n], rtol=1e-9, atol=1e-9)


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
