"""The ``twin`` command line: run, check, schema; user mistakes exit 2 with one message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from twin.cli import app
from twin.events import SCHEMA, read_events
from twin.kpi import ROBOT_STATES, STATION_STATES

DATA = Path(__file__).resolve().parent / "data"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))
TWIN = Path(sys.executable).parent / "twin"
LINE_KPIS = ("throughput_per_hour", "produced_units", "good_units", "scrap_units",
             "availability", "effectiveness", "quality_ratio", "oee", "mean_lead_time_s",
             "wip_mean")
ROBOT_KPIS = ("energy_kwh", "kwh_per_unit", "charges")
STATION_KPIS = ("mtbf_s", "mttr_s")

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_run_json_has_the_design_kpis() -> None:
    code, out, _ = invoke("run", str(DATA / "tote.yaml"), "--hours", "8", "--json")
    assert code == 0
    k = json.loads(out)
    assert {"line", "stations", "robots", "chargers"} <= set(k)
    assert set(LINE_KPIS) <= set(k["line"])
    assert set(k["stations"]) == {"a1", "a2", "a3", "a4"}
    for st in k["stations"].values():
        assert set(STATION_STATES) | set(STATION_KPIS) <= set(st)
    assert len(k["robots"]) == 4
    for r in k["robots"].values():
        assert set(ROBOT_STATES) | set(ROBOT_KPIS) <= set(r)
    assert k["line"]["good_units"] > 0
    assert k["line"]["horizon_s"] == 8 * 3600


def test_run_prints_a_table() -> None:
    code, out, _ = invoke("run", str(DATA / "mm1.yaml"), "--hours", "2")
    assert code == 0
    assert "throughput_per_hour" in out and "oee" in out and "s1" in out


def test_json_is_reproducible_and_seeded() -> None:
    args = ("run", str(DATA / "mixed.yaml"), "--hours", "12", "--json")
    a, b = invoke(*args, "--seed", "3")[1], invoke(*args, "--seed", "3")[1]
    c = invoke(*args, "--seed", "4")[1]
    assert a == b
    assert a != c


def test_set_changes_the_result() -> None:
    # one unit a trip: the fleet, not the stations, limits the line
    args = ("run", str(DATA / "tote.yaml"), "--hours", "24", "--json", "--set",
            "transport.default.tote_units=1")
    one = json.loads(invoke(*args, "--set", "fleet.count=1")[1])
    four = json.loads(invoke(*args, "--set", "fleet.count=4")[1])
    assert len(one["robots"]) == 1 and len(four["robots"]) == 4
    assert one["line"]["good_units"] < four["line"]["good_units"]
    faster = json.loads(invoke(*args, "--set", "fleet.count=4", "--set",
                               "stations.a2.process=30 s", "--set", "stations.a1.servers=2")[1])
    assert faster["stations"]["a1"]["servers"] == 2


def test_warmup_option() -> None:
    code, out, _ = invoke("run", str(DATA / "mm1.yaml"), "--hours", "3", "--warmup", "2",
                          "--json")
    assert code == 0
    assert json.loads(out)["line"]["warmup_s"] == 7200


def test_out_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, _, _ = invoke("run", str(DATA / "tote.yaml"), "--hours", "6", "--warmup", "6",
                        "--seed", "2", "--out", str(out))
    assert code == 0
    names = {"events.parquet", "kpis.json", "line.json", "walkways.json", "run.json"}
    assert names <= {p.name for p in out.iterdir()}
    table = read_events(out / "events.parquet")
    assert pq.read_schema(out / "events.parquet").names == SCHEMA.names
    assert table.num_rows > 100
    kinds = set(table.column("kind").to_pylist())
    assert {"station", "robot", "travel", "part"} <= kinds
    kpis = json.loads((out / "kpis.json").read_text())
    events = table.to_pandas()
    start = kpis["line"]["window_start_s"]  # 6 h of working time after Monday 00:00
    assert start > 6 * 3600
    done = events[(events.state == "done") & (events.t > start)]
    assert kpis["line"]["good_units"] == len(done) > 0
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 2 and run["hours"] == 6 and run["events"] == table.num_rows
    assert json.loads((out / "line.json").read_text())["name"] == "tote_test"
    json.loads((out / "walkways.json").read_text())


def test_schema_is_valid_json() -> None:
    code, out, _ = invoke("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Line"
    assert "stations" in schema["properties"]
    code, out, _ = invoke("schema", "--robot")
    assert code == 0
    assert "max_payload" in json.loads(out)["properties"]


def test_check_prints_layout_and_distances() -> None:
    code, out, _ = invoke("check", str(DATA / "tote.yaml"))
    assert code == 0
    assert "ok" in out and "rack" in out and "humanoid" in out


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
@pytest.mark.parametrize("command", ["check", "run"])
def test_broken_lines_exit_2_with_a_message(path: Path, command: str) -> None:
    code, out, err = invoke(command, str(path))
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("error: "), err
    assert str(path) in err


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_lines_print_one_line(path: Path) -> None:
    code, _, err = invoke("check", str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("args", "words"), [
    (["--set", "fleet.cuont=3"], "cuont"),
    (["--set", "fleet.count"], "path=value"),
    (["--hours", "0"], "--hours"),
    (["--warmup", "-1"], "--warmup"),
])
def test_bad_options_exit_2(args: list[str], words: str) -> None:
    code, out, err = invoke("run", str(DATA / "tote.yaml"), *args)
    assert code == 2, (out, err)
    assert words in err
    assert "Traceback" not in out + err


def test_calibrate_refit_refuses_seeds_and_a_missing_calibration(tmp_path: Path) -> None:
    """--refit runs no physics: --seeds with it is refused, as is a file with nothing to refit;
    neither writes anything."""
    robot = str(Path(__file__).parents[1] / "assets" / "robots" / "walker_s2.yaml")
    code, out, err = invoke("calibrate", robot, "--refit", "--seeds", "3",
                            "--out", str(tmp_path / "c.json"))
    assert code == 2 and "--seeds" in err and "Traceback" not in out + err
    code, out, err = invoke("calibrate", robot, "--refit", "--out", str(tmp_path / "c.json"))
    assert code == 2 and "no calibration to refit" in err and "Traceback" not in out + err
    assert not any(tmp_path.iterdir())


def test_missing_file_exits_2() -> None:
    code, _, err = invoke("check", str(DATA / "no_such_line.yaml"))
    assert code == 2 and "no such file" in err


@pytest.mark.skipif(not TWIN.exists(), reason="the twin script is not installed in this venv")
def test_the_installed_script_never_shows_a_traceback() -> None:
    """The real executable, all broken files at once (in parallel: each start costs ~1 s)."""
    env = {**os.environ, "COLUMNS": "200"}
    procs = {p: subprocess.Popen([str(TWIN), "check", str(p)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env) for p in BROKEN}
    for path, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (path, out, err)
        assert "Traceback" not in out + err, (path, err)
        assert err.startswith("error: ") and str(path) in err, (path, err)
