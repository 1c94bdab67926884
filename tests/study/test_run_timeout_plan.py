"""A study YAML's run_timeout: the --run-timeout of a study file, same words, same meaning,
refused in one line naming the file and field; the command-line option wins over it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from twin.study.commands import study
from twin.study.plan import PlanError, load_plan, parse_run_timeout
from twin.study.store import Store

MM1 = Path(__file__).parents[2] / "lines" / "teaching" / "mm1.yaml"


def _plan(tmp_path: Path, value: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(f"factors:\n  stations.machine.servers: [2, 1]\nreplications: 1\nhours: 2\n"
                    f"warmup: 0\ntraces: false\nrun_timeout: {value}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("written", "seconds"), [
    ("'20 min'", 1200.0), ("90", 90.0), ("0.5", 0.5), ("off", math.inf), ("'off'", math.inf),
    ("auto", None),
])
def test_study_yaml_run_timeout_reads_as_the_option(tmp_path: Path, written: str,
                                                    seconds: float | None) -> None:
    plan = load_plan(_plan(tmp_path, written))
    assert parse_run_timeout(plan.run_timeout) == seconds


@pytest.mark.parametrize("written", ["0", "-3", "soon", "on", ".inf", "'1e400 s'"])
def test_study_yaml_run_timeout_refused_naming_file_and_field(tmp_path: Path,
                                                              written: str) -> None:
    with pytest.raises(PlanError) as refused:
        load_plan(_plan(tmp_path, written))
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'study.yaml'}: run_timeout: ")
    assert "\n" not in message and ("above 0 s" in message or "give seconds" in message)


def test_study_yaml_budget_stops_a_hung_run_and_the_option_wins(tmp_path: Path) -> None:
    """The stand-in hangs with two servers: stopped at the file's 0.4 s, or at the option's
    0.3 s when both are given; the one-server run finishes either way."""
    app = typer.Typer()
    app.command()(study)
    app.command("other")(lambda: None)  # two commands: the first word names the command
    plan = _plan(tmp_path, "0.4")
    for option, budget in (([], "0.4"), (["--run-timeout", "0.3"], "0.3")):
        store = tmp_path / f"s{budget}.duckdb"
        result = CliRunner().invoke(app, ["study", str(MM1), "--plan", str(plan), "--store",
                                          str(store), "--workers", "0", "--simulator",
                                          "stoppable:hang_in_python", *option])
        assert result.exit_code == 1, result.output  # a failed run: the study says so
        with Store(store, read_only=True) as db:
            runs = dict(db.con.execute("SELECT status, error FROM runs").fetchall())
        assert set(runs) == {"done", "failed"}
        assert runs["failed"].startswith(f"timed out: the run took over {budget} s")
