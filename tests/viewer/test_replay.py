"""Replaying an event log: positions, states and clear errors for bad run directories."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from twin.config import Line
from twin.events import EventLog
from viewer.hud import clock, summary_lines
from viewer.replay import Timeline
from viewer.run import RunError, load_run, paths_of, run_from_events


def _pid(line: Line, a: str, b: str) -> int:
    names = list(line.layout.locations)
    return names.index(a) * len(names) + names.index(b)


def _one_robot_log(line: Line) -> EventLog:
    log = EventLog()
    log.add(0.0, "R1", "robot", "idle", 0, 0.8)
    log.add_travel(10.0, "R1", "carrying", "S1", "S2", _pid(line, "S1", "S2"), 10.0, 4)
    log.add(20.0, "R1", "robot", "placing", 4, 0.7)
    log.add(0.0, "S1", "station", "processing", -1, 0.0)
    log.add(30.0, "S1", "station", "down", -1, 0.0)
    log.add(5.0, "S2.in", "buffer", "level", -1, 6.0)
    return log


def test_robot_walks_its_path_at_logged_times(line: Line) -> None:
    run = run_from_events(line, _one_robot_log(line).to_table().to_pandas())
    tl = Timeline(run)
    s1, s2 = line.layout.locations["S1"], line.layout.locations["S2"]
    start = tl.at(5.0)
    assert start.robot_state == ["idle"]
    dock = line.layout.locations["dock"]
    np.testing.assert_allclose(start.robot_xy[0], [dock.x, dock.y])  # home: the first charger
    mid = tl.at(15.0)
    path = paths_of(line)[_pid(line, "S1", "S2")]
    assert len(path) == 2  # a straight walk between the two stations
    np.testing.assert_allclose(mid.robot_xy[0], [(s1.x + s2.x) / 2, (s1.y + s2.y) / 2])
    assert mid.robot_state == ["carrying"] and mid.robot_units[0] == 4
    assert math.isclose(mid.robot_heading[0], 0.0, abs_tol=1e-9)
    end = tl.at(25.0)
    np.testing.assert_allclose(end.robot_xy[0], [s2.x, s2.y])
    assert end.robot_state == ["placing"]
    assert 0.7 < tl.at(15.0).robot_soc[0] < 0.8  # interpolated between samples


def test_station_and_buffer_states(line: Line) -> None:
    tl = Timeline(run_from_events(line, _one_robot_log(line).to_table().to_pandas()))
    assert tl.at(10.0).stations["S1"] == "processing"
    assert tl.at(31.0).stations["S1"] == "down"
    assert tl.at(31.0).stations["S2"] == "starved"  # no rows yet: nothing to work on
    assert tl.at(4.0).buffers["S2.in"] == 0.0
    assert tl.at(6.0).buffers["S2.in"] == 6.0


def test_replay_equals_memory(run_dir: Path, line: Line) -> None:
    disk = Timeline(load_run(run_dir))
    memory = Timeline(run_from_events(line, load_run(run_dir).events))
    for t in (0.0, 333.3, 1200.0, 1799.0):
        a, b = disk.at(t), memory.at(t)
        np.testing.assert_array_equal(a.robot_xy, b.robot_xy)
        assert a.stations == b.stations and a.produced == b.produced


def test_hud_text(run_dir: Path) -> None:
    snap = Timeline(load_run(run_dir)).at(900.0)
    lines = summary_lines(snap, "demo")
    assert "Mon 00:15:00" in lines[0] and "units per shift hour" in lines[1]
    assert "OEE" in lines[1] and "since Mon 00:00" in lines[2]
    assert clock(86400 * 8 + 3661) == "Tue wk2 01:01:01"


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    return target


def test_missing_event_log_fails_clearly(run_dir: Path, tmp_path: Path) -> None:
    broken = _copy(run_dir, tmp_path)
    (broken / "events.parquet").unlink()
    with pytest.raises(RunError, match="events.parquet: event log not found") as info:
        load_run(broken)
    assert "\n" not in str(info.value)


def test_corrupt_event_log_fails_clearly(run_dir: Path, tmp_path: Path) -> None:
    broken = _copy(run_dir, tmp_path)
    (broken / "events.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ValueError, match="events.parquet: corrupt") as info:
        load_run(broken)
    assert "\n" not in str(info.value)


def test_wrong_columns_fail_clearly(run_dir: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    broken = _copy(run_dir, tmp_path)
    pq.write_table(pa.table({"t": [0.0]}), broken / "events.parquet")
    with pytest.raises(RunError, match="not a twin event log: missing columns"):
        load_run(broken)


def test_missing_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="run directory not found"):
        load_run(tmp_path / "nope")


def test_charging_robot_stands_at_the_dock_and_queue_behind(line: Line) -> None:
    log = EventLog()
    dock = line.layout.locations["dock"]
    for k, state in enumerate(("charging", "waiting_charger", "waiting_charger")):
        rid = f"R{k + 1}"
        log.add_travel(0.0, rid, "to_charger", "S1", "dock", _pid(line, "S1", "dock"), 5.0)
        log.add(5.0, rid, "robot", state, 0, 0.2)
    snap = Timeline(run_from_events(line, log.to_table().to_pandas())).at(10.0)
    np.testing.assert_allclose(snap.robot_xy[0], [dock.x, dock.y])
    # heading -90 deg: the queue lines up behind the dock, to +y, one robot after the other
    assert dock.y < snap.robot_xy[1][1] < snap.robot_xy[2][1]
    np.testing.assert_allclose(snap.robot_xy[1:, 0], dock.x, atol=1e-9)


def test_physics_pose_table_places_robots(line: Line, run_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    from viewer.run import Run

    run = load_run(run_dir)
    poses = pd.DataFrame({
        "t": [100.0, 200.0, 100.0], "robot": ["R1", "R1", "R1"],
        "link": ["pelvis", "pelvis", "left_foot"], "x": [1.0, 3.0, 9.0], "y": [2.0, 2.0, 9.0],
        "z": [0.9, 0.9, 0.0], "qx": [0.0] * 3, "qy": [0.0] * 3,
        "qz": [math.sin(math.pi / 4)] * 3, "qw": [math.cos(math.pi / 4)] * 3,
    })
    tl = Timeline(Run(line=run.line, paths=run.paths, events=run.events, poses=poses))
    snap = tl.at(150.0)
    np.testing.assert_allclose(snap.robot_xy[0], [2.0, 2.0])
    assert math.isclose(snap.robot_heading[0], math.pi / 2, abs_tol=1e-6)
    assert not np.allclose(tl.at(300.0).robot_xy[0], [3.0, 2.0])  # outside the span: the log
    broken = _copy(run_dir, tmp_path)
    (broken / "poses.parquet").write_bytes(b"junk")
    with pytest.raises(RunError, match="poses.parquet: corrupt"):
        load_run(broken)
