"""The event log contract of DESIGN.md: schema, one state per entity, travel rows a viewer
can interpolate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from line_helpers import data_line

from twin.events import SCHEMA, read_events
from twin.kpi import ROBOT_STATES, STATION_STATES
from twin.sim import RunResult, simulate


@pytest.fixture(scope="module")
def tote() -> RunResult:
    return simulate(data_line("tote"), hours=30, seed=3, events=True)


def test_written_log_has_the_schema(tote: RunResult, tmp_path: Path) -> None:
    tote.write(tmp_path)
    table = read_events(tmp_path / "events.parquet")
    assert table.schema.names == SCHEMA.names
    assert table.schema.field("t").type == SCHEMA.field("t").type
    assert table.num_rows == len(tote.log)


def test_times_never_go_backwards(tote: RunResult) -> None:
    t = tote.events.t.to_numpy()
    assert (np.diff(t) >= 0).all()
    assert t.min() >= 0 and t.max() <= 30 * 3600


def test_states_are_the_design_states(tote: RunResult) -> None:
    ev = tote.events
    assert set(ev[ev.kind == "station"].state.astype(str)) <= set(STATION_STATES)
    assert set(ev[ev.kind == "robot"].state.astype(str)) <= set(ROBOT_STATES)
    assert set(ev[ev.kind == "part"].state.astype(str)) <= {"created", "done", "scrap",
                                                             "rework"}
    soc = ev[ev.kind == "robot"].value
    assert soc.between(0, 1).all()


def test_travel_rows_give_origin_target_path_and_duration(tote: RunResult) -> None:
    ev = tote.events
    travel = ev[ev.kind == "travel"]
    assert len(travel) > 50
    assert travel.origin.notna().all() and travel.target.notna().all()
    assert (travel.path >= 0).all()
    assert (travel.origin.astype(str) != travel.target.astype(str)).all()
    assert set(travel.state.astype(str)) <= {"carrying", "walking_empty", "to_charger"}
    robots = ev[ev.kind == "robot"]
    for rid, rows in travel.groupby("entity", observed=True):
        states = robots[robots.entity == rid]
        t_states = states.t.to_numpy()
        for t0, duration in zip(rows.t.to_numpy(), rows.value.to_numpy(), strict=True):
            # the walk ends where the robot's next state begins, after the planned duration
            nxt = t_states[np.searchsorted(t_states, t0, side="right")]
            assert nxt == pytest.approx(t0 + duration, abs=1e-6), (rid, t0, duration)


def test_travel_chains_location_to_location(tote: RunResult) -> None:
    travel = tote.events[lambda e: e.kind == "travel"]
    for _, rows in travel.groupby("entity", observed=True):
        origin = rows.origin.astype(str).to_numpy()
        target = rows.target.astype(str).to_numpy()
        assert (origin[1:] == target[:-1]).all()


def test_buffer_levels_stay_within_capacity(tote: RunResult) -> None:
    ev = tote.events
    levels = ev[(ev.kind == "buffer") & (ev.state.astype(str) == "level")]
    line = tote.line
    for sid, st in line.stations.items():
        inbox = levels[levels.entity.astype(str) == f"{sid}.in"].value
        if st.input_buffer is not None and len(inbox):
            assert inbox.max() <= st.input_buffer, sid
        outbox = levels[levels.entity.astype(str) == f"{sid}.out"].value
        if len(outbox):
            assert outbox.max() <= st.output_buffer, sid
        assert (pd.concat([inbox, outbox]) >= 0).all()
