"""OCEL 2.0 export of a run: valid against the standard's JSON schema, one event per event-log
row, objects for every unit, robot, tote, station and charger, carries naming the units they
moved (checked against the units the sink saw), the SQLite form holding the same log."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import twin
from twin import ocel
from twin.cli import app

SCHEMA = Path(__file__).resolve().parent / "data" / "ocel2-schema.json"
ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    line = twin.load_line(ROOT / "lines" / "tote_line.yaml")
    result = twin.simulate(line, hours=1, seed=4, events=True)  # 06:00-08:00 with warm-up
    return result.write(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def exported(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("ocel")
    j, s = out / "run.json", out / "run.sqlite"
    r = runner.invoke(app, ["export-ocel", str(run_dir), "--json", str(j), "--sqlite", str(s)])
    assert r.exit_code == 0, r.stderr
    assert "carried units named" in r.stdout
    return j, s


def test_json_validates_against_the_ocel2_schema(exported: tuple[Path, Path]) -> None:
    doc = json.loads(exported[0].read_text())
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(doc)
    # the schema's date-time format is not enforced without extra packages: check it here
    times = [dt.datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in doc["events"]]
    assert times == sorted(times) and times[0].weekday() == 0  # t = 0 is a Monday
    # every relationship points at an object, every type is declared
    ids = {o["id"] for o in doc["objects"]}
    assert all(r["objectId"] in ids for e in doc["events"] for r in e["relationships"])
    assert {e["type"] for e in doc["events"]} <= {t["name"] for t in doc["eventTypes"]}
    assert {o["type"] for o in doc["objects"]} == {t["name"] for t in doc["objectTypes"]}
    declared = {t["name"]: {a["name"] for a in t["attributes"]} for t in doc["eventTypes"]}
    assert all({a["name"] for a in e["attributes"]} <= declared[e["type"]] for e in doc["events"])
    done = [e for e in doc["events"] if e["type"] == "unit done"]
    assert done and all(float(next(a["value"] for a in e["attributes"]
                                   if a["name"] == "lead_time_s")) > 0 for e in done)


def test_counts_match_the_event_log(run_dir: Path, exported: tuple[Path, Path]) -> None:
    line, events = ocel.read_run(run_dir)
    doc = json.loads(exported[0].read_text())
    assert len(doc["events"]) == len(events)
    kinds = Counter(o["type"] for o in doc["objects"])
    parts = events[events["kind"] == "part"]
    robots = set(events.loc[events["kind"] == "robot", "entity"])
    assert kinds == {"unit": parts["part"].nunique(), "robot": len(robots), "tote": len(robots),
                     "station": len(line.stations), "charger": len(line.chargers)}
    # events by type: the log's rows by kind and state
    by_type = Counter(e["type"] for e in doc["events"])
    assert by_type["station processing"] == ((events["kind"] == "station")
                                             & (events["state"] == "processing")).sum()
    assert by_type["carry"] == ((events["kind"] == "travel")
                                & (events["state"] == "carrying")).sum()
    assert by_type["unit done"] == (parts["state"] == "done").sum()


def test_carries_name_the_units_the_sink_received(run_dir: Path) -> None:
    """The last carry of each unit goes to the sink, and the sink's 'done' rows say which units
    arrived: the inferred tote contents must be those units, each carried once per leg."""
    line, events = ocel.read_run(run_dir)
    log = ocel.build(line, events)
    assert log.carried > 100 and log.unmatched == 0
    sink = next(iter(line.sinks.values())).location
    to_sink: set[str] = set()
    legs: Counter[str] = Counter()
    for e in log.events:
        if e.type == "carry":
            carried = [i for i, q in e.relationships if q == "carried unit"]
            assert len(carried) == e.attributes["units"]
            legs.update(carried)
            if e.attributes["to"] == sink:
                to_sink.update(carried)
    done = {ocel.unit_id(int(p)) for p in events.loc[
        (events["kind"] == "part") & (events["state"] == "done"), "part"]}
    assert done and done <= to_sink
    assert to_sink - done <= {ocel.unit_id(int(p)) for p in events["part"] if p >= 0}
    # tote_line: rack -> 5 stations -> conveyor is 6 robot legs and a finished unit made all
    # 6 (rework repeats the work at the station itself, with no leg)
    assert {legs[u] for u in done} == {6}


def test_chargers_served_robots(run_dir: Path) -> None:
    line, events = ocel.read_run(run_dir)
    log = ocel.build(line, events)
    served = [e for e in log.events if e.type in ("robot charging", "robot docking")]
    assert served, "tote_line's robots swap batteries at the start of the day"
    for e in served:
        assert ("charger:swap_station", "served by") in e.relationships
        assert any(q == "robot" for _, q in e.relationships)


def test_sqlite_holds_the_same_log(exported: tuple[Path, Path]) -> None:
    doc = json.loads(exported[0].read_text())
    con = sqlite3.connect(exported[1])
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"event", "object", "event_object", "object_object", "event_map_type",
                "object_map_type"} <= tables
        maps = dict(con.execute("SELECT ocel_type, ocel_type_map FROM event_map_type"))
        assert set(maps) == {t["name"] for t in doc["eventTypes"]}
        # one table per event type and object type, and no other event_/object_ tables
        per_type = {t for t in tables if t.startswith(("event_", "object_"))} - {
            "event_object", "object_object", "event_map_type", "object_map_type"}
        omaps = dict(con.execute("SELECT ocel_type, ocel_type_map FROM object_map_type"))
        assert per_type == {f"event_{m}" for m in maps.values()} | {
            f"object_{m}" for m in omaps.values()}
        n_events = con.execute("SELECT count(*) FROM event").fetchone()[0]
        assert n_events == len(doc["events"])
        assert sum(con.execute(f'SELECT count(*) FROM "event_{m}"').fetchone()[0]
                   for m in maps.values()) == n_events
        e2o = con.execute("SELECT count(*) FROM event_object").fetchone()[0]
        assert e2o == sum(len(e["relationships"]) for e in doc["events"])
        carry = con.execute('SELECT sum(units) FROM "event_Carry"').fetchone()[0]
        assert carry == con.execute(
            "SELECT count(*) FROM event_object WHERE ocel_qualifier = 'carried unit'"
        ).fetchone()[0]
    finally:
        con.close()


def test_export_refuses_in_one_line(tmp_path: Path, run_dir: Path) -> None:
    r = runner.invoke(app, ["export-ocel", str(tmp_path), "--json", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "line.json: not found" in r.stderr
    r = runner.invoke(app, ["export-ocel", str(run_dir)])
    assert r.exit_code == 2 and "--json FILE, --sqlite FILE" in r.stderr
    r = runner.invoke(app, ["export-ocel", str(run_dir), "--json", str(tmp_path / "x.json"),
                            "--start", "2024-01-03"])
    assert r.exit_code == 2 and "is a Wednesday" in r.stderr
