"""Conservation on every line we have (lines/**/*.yaml and tests/data/*.yaml).

State times add up to the horizon, units are conserved (started = good + scrap + WIP at the
end), the KPIs agree with the event log, and Little's law holds on the log.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from line_helpers import REPO, all_line_files, data_line

from twin.kpi import ROBOT_STATES, STATION_STATES
from twin.loader import load_line
from twin.sim import RunResult, simulate

HOURS = 36.0
LINES = all_line_files()


def _id(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:  # pragma: no cover
        return path.name


@pytest.fixture(scope="module", params=LINES, ids=[_id(p) for p in LINES])
def run(request: pytest.FixtureRequest) -> RunResult:
    line = load_line(request.param)
    return simulate(line, hours=HOURS, seed=7, warmup_hours=0, events=True)


def _state_times(ev: pd.DataFrame, kind: str, horizon: float) -> dict[tuple[str, float], dict]:
    """Seconds per state for each (entity, server) from the log's state rows."""
    rows = ev[ev.kind == kind]
    out: dict[tuple[str, float], dict[str, float]] = {}
    key_cols = ["entity", "value"] if kind == "station" else ["entity"]
    for key, grp in rows.groupby(key_cols, observed=True, sort=False):
        t = grp.t.to_numpy()
        dt = np.diff(np.append(t, horizon))
        acc: dict[str, float] = {}
        for state, d in zip(grp.state.astype(str), dt, strict=True):
            acc[state] = acc.get(state, 0.0) + float(d)
        key = key if isinstance(key, tuple) else (key,)
        server = float(key[1]) if len(key) > 1 else 0.0  # type: ignore[arg-type]
        out[(str(key[0]), server)] = acc
    return out


def test_state_shares_add_up_to_the_horizon(run: RunResult) -> None:
    k = run.kpis
    for sid, st in k.stations.items():
        total = sum(getattr(st, s) for s in STATION_STATES)
        assert total == pytest.approx(1.0, abs=1e-9), f"station {sid} shares sum to {total}"
        assert all(getattr(st, s) >= -1e-12 for s in STATION_STATES)
        losses = sum(st.losses_s.values())
        assert losses == pytest.approx(st.servers * k.line.horizon_s, rel=1e-9), sid
    for rid, r in k.robots.items():
        total = sum(getattr(r, s) for s in ROBOT_STATES)
        assert total == pytest.approx(1.0, abs=1e-9), f"robot {rid} shares sum to {total}"
        assert all(getattr(r, s) >= -1e-12 for s in ROBOT_STATES)


def test_units_are_conserved(run: RunResult) -> None:
    line = run.kpis.line
    assert line.started_units == (line.good_units + line.scrap_units + line.consumed_units
                                  + line.wip_end)
    assert line.produced_units == line.good_units + line.scrap_units
    assert line.wip_end >= 0
    stations = run.kpis.stations
    assert sum(s.scrap_units for s in stations.values()) == line.scrap_units
    for sid, s in stations.items():
        assert s.produced_units == s.good_units + s.scrap_units + s.rework_units, sid


def test_log_agrees_with_kpis(run: RunResult) -> None:
    k, ev = run.kpis.line, run.events
    parts = ev[ev.kind == "part"]
    states = parts.state.astype(str)
    assert (states == "created").sum() == k.started_units
    assert (states == "done").sum() == k.good_units
    assert (states == "scrap").sum() == k.scrap_units
    assert (states == "consumed").sum() == k.consumed_units
    done = parts[states == "done"]
    created = parts[states == "created"].set_index("part").t
    lead = done.t.to_numpy() - created.loc[done.part].to_numpy()
    np.testing.assert_allclose(done.value.to_numpy(), lead, atol=1e-6)
    if k.good_units:
        assert float(lead.mean()) == pytest.approx(k.mean_finished_lead_time_s, rel=1e-9)


def test_state_times_in_log_match_kpis(run: RunResult) -> None:
    """The log's state rows give the same state times as the model's accumulators."""
    horizon = run.kpis.line.horizon_s
    ev = run.events
    got = _state_times(ev, "station", horizon)
    for sid, st in run.kpis.stations.items():
        for state in STATION_STATES:
            from_log = sum(acc.get(state, 0.0) for (e, _), acc in got.items() if e == sid)
            assert from_log / (st.servers * horizon) == pytest.approx(
                getattr(st, state), abs=1e-6), (sid, state)
    got = _state_times(ev, "robot", horizon)
    for rid, r in run.kpis.robots.items():
        acc = got[(rid, 0.0)]
        for state in ROBOT_STATES:
            assert acc.get(state, 0.0) / horizon == pytest.approx(getattr(r, state),
                                                                  abs=1e-6), (rid, state)


def _little(ev: pd.DataFrame, horizon: float) -> tuple[float, float, float, float]:
    """(time-average WIP, departure rate, mean sojourn of departed, open parts' area / T)."""
    parts = ev[ev.kind == "part"]
    states = parts.state.astype(str)
    created = parts[states == "created"].set_index("part").t
    gone = parts[states.isin(["done", "scrap", "consumed"])].set_index("part").t
    end = pd.Series(horizon, index=created.index)
    end.loc[gone.index] = gone
    area = float((end - created).sum())
    sojourn = (gone - created.loc[gone.index]).to_numpy()
    open_area = float((horizon - created.drop(gone.index)).sum())
    rate = len(gone) / horizon
    return area / horizon, rate, float(sojourn.mean()) if len(sojourn) else 0.0, \
        open_area / horizon


def test_littles_law_on_the_log(run: RunResult) -> None:
    k = run.kpis.line
    wip, rate, sojourn, open_term = _little(run.events, k.horizon_s)
    # the time-average WIP of the log is the model's wip_mean
    assert wip == pytest.approx(k.wip_mean, rel=1e-9, abs=1e-12)
    # L = lambda W, up to the parts still inside at the end (a sample-path identity)
    assert wip == pytest.approx(rate * sojourn + open_term, rel=1e-9, abs=1e-12)
    if k.good_units + k.scrap_units >= 200:
        assert rate * sojourn == pytest.approx(wip, rel=0.1), "Little's law off by > 10%"
    # the KPIs count the open parts' ages too (censoring), so L = lambda W holds exactly
    assert k.departures_per_hour / 3600 == pytest.approx(rate, rel=1e-12)
    if k.departed_units:
        assert k.mean_lead_time_s == pytest.approx(wip / rate, rel=1e-9)


@pytest.mark.parametrize("name", ["mm1", "tandem5", "mixed"])
def test_littles_law_long_run(name: str) -> None:
    """On stable lines over a long horizon, L = throughput x mean sojourn within 2%."""
    result = simulate(data_line(name), hours=400, seed=11, warmup_hours=0, events=True)
    wip, rate, sojourn, _ = _little(result.events, result.kpis.line.horizon_s)
    assert rate * sojourn == pytest.approx(wip, rel=0.02)
    assert wip == pytest.approx(result.kpis.line.wip_mean, rel=1e-9)
