"""Every user mistake, in a file or an option, ends in one line on stderr and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from twin import options
from twin.cli import main

ROOT = Path(__file__).resolve().parent.parent
MM1 = ROOT / "lines/teaching/mm1.yaml"
TOTE = ROOT / "lines/tote_line.yaml"


def _twin(args: list[str], capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["twin", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0), capsys.readouterr().err


def _one_line(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


def _mm1(tmp: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    text = MM1.read_text(encoding="utf-8")
    assert old in text
    path = tmp / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


SERVICE = "process: {dist: exponential, mean: 45 s}"
ARRIVALS = "interarrival: {dist: exponential, mean: 60 s}"


@pytest.mark.parametrize(("old", "new", "words"), [
    (SERVICE, "process: .inf", ["stations.machine.process", "finite"]),
    (SERVICE, "process: {dist: exponential, mean: 1e400 s}", ["finite duration"]),
    (SERVICE, "process: .nan", ["finite"]),
    (SERVICE, "process: 0", ["at least 1 s", ":37:"]),
    (SERVICE, "process: -0.0", ["at least 1 s"]),
    (SERVICE, "process: 1e-9 s", ["at least 1 s"]),
    (ARRIVALS, "interarrival: 0", ["sources.inbound.interarrival", "at least 1 s"]),
    (SERVICE, SERVICE + "\n    servers: 1000000000", ["servers", "100"]),
    (SERVICE, SERVICE + "\n    input_buffer: 1000000000", ["input_buffer", "100,000"]),
    (SERVICE, "process: {dist: lognormal, mean: 45 s, cv: .inf}", ["cv", "finite"]),
    (SERVICE, "process: {dist: gamma, mean: 45 s, cv: 1e9}", ["cv", "at most 10"]),
    (SERVICE, "process: {dist: weibull, shape: 1e-9, scale: 45 s}", ["shape"]),
    (SERVICE, SERVICE + "\n    failures: {ttf: 0, ttr: 0}", ["ttf", "at least 60 s"]),
    ("floor: {width: 10, depth: 6}", "floor: {width: 1e9, depth: 6}", ["floor.width", "5 km"]),
    ("inbound: [1, 3]", "inbound: {x: 1, y: 3, heading: .inf}", ["heading", "finite"]),
])
def test_bad_values_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch, old: str, new: str,
                                 words: list[str]) -> None:
    path = _mm1(tmp_path, old, new)
    _one_line(*_twin(["check", str(path)], capsys, monkeypatch), str(path), *words)


def test_calendar_needs_working_time(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = _mm1(tmp_path, "transport:", 'shifts: {shifts: [{start: "08:00", end: "16:00"}], '
                "days_off: [mon, tue, wed, thu, fri, sat, sun]}\ntransport:")
    _one_line(*_twin(["check", str(path)], capsys, monkeypatch), "no working time")


def test_fleet_of_two_to_the_64(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    text = TOTE.read_text(encoding="utf-8").replace("  count: 3\n", f"  count: {2**64}\n")
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    _one_line(*_twin(["check", str(path)], capsys, monkeypatch), "fleet.count", "1000")


def test_robot_name_is_not_a_path(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    robot = (ROOT / "assets/robots/walker_s2.yaml").read_text(encoding="utf-8")
    (tmp_path / "evil.yaml").write_text(robot.replace("name: walker_s2", "name: ../../x"),
                                        encoding="utf-8")
    text = TOTE.read_text(encoding="utf-8").replace("robot: walker_s2", "robot: evil.yaml")
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    _one_line(*_twin(["check", str(path)], capsys, monkeypatch), "name", "no slash")


@pytest.mark.parametrize(("content", "words"), [
    (b"name: \xff\xfe\n", ["not UTF-8", ":1:"]),
    (b"name: a\nname: b\n", ["duplicate key 'name'", "line 1", "line 2"]),
    (b"a: " + b"[" * 200 + b"]" * 200 + b"\n", ["nested deeper than 64"]),
    (b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n", ["nested"]),
    (b"a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + b"".join(
        b"%s: &%s [%s]\n" % (bytes([98 + i]), bytes([98 + i]),
                             b", ".join([b"*" + bytes([97 + i])] * 10)) for i in range(9)),
     ["200,000 values", "aliases"]),
    (b"a: &a [*a]\n", ["refers to the value that contains it"]),
    (b"", ["empty"]),
    (b"- 1\n", ["mapping"]),
])
def test_unsafe_yaml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch, content: bytes,
                                 words: list[str]) -> None:
    path = tmp_path / "line.yaml"
    path.write_bytes(content)
    _one_line(*_twin(["check", str(path)], capsys, monkeypatch), *words)


def test_a_folder_or_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _one_line(*_twin(["check", str(tmp_path)], capsys, monkeypatch), "folder")
    _one_line(*_twin(["check", str(tmp_path / "no.yaml")], capsys, monkeypatch), "no such")


@pytest.mark.parametrize(("args", "words"), [
    (["--hours", "inf"], ["--hours", "finite"]),
    (["--hours", "nan"], ["--hours", "finite"]),
    (["--hours", "1e9"], ["--hours", "at most"]),
    (["--hours", "-1"], ["--hours"]),
    (["--warmup", "nan"], ["--warmup"]),
    (["--warmup", "-2"], ["--warmup"]),
    (["--seed", "-3"], ["--seed", "0 to"]),
    (["--seed", "abc"], ["--seed", "twin run --help"]),
    (["--set", "stations.machine.servers=[1,"], ["--set", "malformed YAML"]),
    (["--set", "stations.machine.servers=1000000000"], ["servers"]),
    (["--set", "nosuch.field=1"], ["nosuch"]),
    (["--motion", "teleport"], ["--motion"]),
    (["--bogus"], ["No such option: --bogus"]),
    (["--hours"], ["--hours"]),
])
def test_run_options_are_one_line(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch, args: list[str],
                                  words: list[str]) -> None:
    _one_line(*_twin(["run", str(MM1), *args], capsys, monkeypatch), *words)


def test_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "taken"
    file.write_text("x")
    _one_line(*_twin(["run", str(MM1), "--hours", "0.1", "--out", str(file)], capsys,
                     monkeypatch), "--out", "is a file")
    _one_line(*_twin(["run", str(MM1), "--hours", "0.1", "--out", str(file / "sub")], capsys,
                     monkeypatch), "--out")


@pytest.mark.parametrize(("args", "words"), [
    (["--workers", "-3"], ["--workers -3"]),
    (["--seed", "-1"], ["--seed"]),
    (["--replications", "0"], ["--replications"]),
    (["--hours", "inf"], ["--hours"]),
    (["--hours", "1e9"], ["--hours"]),
    (["--warmup", "nan"], ["--warmup"]),
    (["--warmup", "soon"], ["--warmup", "auto"]),
    (["--vary", "stations.machine.servers=1:1000000000"], ["--vary", "10,000 values"]),
    (["--vary", "stations.machine.servers=1:1000000.0:0.5"], ["--vary", "10,000 values"]),
    (["--vary", "stations.machine.servers=[1,"], ["--vary", "malformed YAML"]),
    (["--vary", "stations.machine.servers=1:.inf"], ["--vary", "finite"]),
    (["--vary", "a=1:100", "--vary", "b=1:100", "--vary", "c=1:100"], ["runs", "at most"]),
    (["--target", "throughput_per_hr>=3"], ["--target", "did you mean throughput_per_hour"]),
    (["--target", "nonsense"], ["target"]),
    (["--scheduler", "nowhere"], ["--scheduler", "tcp://"]),
])
def test_study_options_are_one_line_before_any_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        args: list[str], words: list[str]) -> None:
    store = tmp_path / "s.duckdb"
    code, err = _twin(["study", str(MM1), "--store", str(store), "--workers", "0", *args],
                      capsys, monkeypatch)
    _one_line(code, err, *words)
    assert not store.exists()


def test_study_store_must_be_a_duckdb_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database, just notes\n")
    _one_line(*_twin(["study", str(MM1), "--store", str(tmp_path)], capsys, monkeypatch),
              "--store", "folder")
    _one_line(*_twin(["study", str(MM1), "--store", str(text)], capsys, monkeypatch),
              "--store", "not a DuckDB file")
    assert text.read_text() == "not a database, just notes\n"


def test_study_plan_file_is_read_safely(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("replications: 2\nreplications: 3\n")
    _one_line(*_twin(["study", str(MM1), "--plan", str(plan)], capsys, monkeypatch),
              "duplicate key")
    plan.write_text("factors: {fleet.count: '1:1000000000'}\n")
    _one_line(*_twin(["study", str(MM1), "--plan", str(plan)], capsys, monkeypatch),
              "10,000 values")


def test_one_unit_rule_for_hours() -> None:
    assert options.warmup("10") == options.warmup("1e1") == options.warmup("10 h") == 10.0
    assert options.warmup("90 min") == 1.5
    assert options.study_warmup("auto") == "auto"
    assert options.hours("1e1") == 10.0
    with pytest.raises(options.OptionError):
        options.hours("0")
    assert options.warmup("0") == 0.0


def test_the_script_prints_no_box() -> None:
    """The installed entry point: a typer option error is one line, not a framed panel."""
    proc = subprocess.run([sys.executable, "-c", "from twin.cli import main; main()", "run",
                           str(MM1), "--seed", "x"], capture_output=True, text=True,
                          timeout=60, check=False)
    _one_line(proc.returncode, proc.stderr, "--seed")
    assert "╭" not in proc.stderr


def test_traffic_cells_of_a_huge_floor_are_refused(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5 km hall in 1 m cells once took minutes and 20 GB to set up; now one line."""
    code, err = _twin(["run", str(TOTE), "--set", "layout.floor.width=5000", "--set",
                       "layout.floor.depth=5000"], capsys, monkeypatch)
    _one_line(code, err, "fleet", "traffic", "layout.traffic.cell")
