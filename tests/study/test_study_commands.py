"""The study and report commands: user mistakes end in one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from twin.study.commands import report, study

MM1 = Path(__file__).parents[2] / "lines" / "teaching" / "mm1.yaml"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    app.command()(study)
    app.command()(report)
    return app


def _run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("args, words", [
    (["--vary", "stations.machine.servers"], "--vary"),
    (["--vary", "stations.nope.servers=1,2"], "nope"),
    (["--target", "fast please"], "target"),
    (["--warmup", "soon"], "warm"),
    (["-r", "0"], "replications"),
])
def test_mistakes_exit_2_with_one_line(app: typer.Typer, tmp_path: Path, args: list[str],
                                       words: str) -> None:
    if not MM1.exists():
        pytest.skip("lines/teaching/mm1.yaml is not there yet")
    code, out = _run(app, "study", str(MM1), "--store", str(tmp_path / "s.duckdb"), *args)
    assert code == 2, out
    assert "Traceback" not in out and words in out and out.startswith("error:")


def test_missing_files_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    code, out = _run(app, "study", str(tmp_path / "none.yaml"))
    assert code == 2 and "none.yaml" in out
    code, out = _run(app, "report", str(tmp_path / "none.duckdb"))
    assert code == 2 and "none.duckdb" in out


def test_study_yaml_then_report(app: typer.Typer, tmp_path: Path) -> None:
    if not MM1.exists():
        pytest.skip("lines/teaching/mm1.yaml is not there yet")
    plan = tmp_path / "study.yaml"
    plan.write_text(f"line: {MM1}\nfactors:\n  stations.machine.servers: '1:2'\n"
                    "replications: 3\nhours: 6\nwarmup: auto\n"
                    "target: mean_lead_time_s<=150\n")
    store, html = tmp_path / "s.duckdb", tmp_path / "r.html"
    code, out = _run(app, "study", "--plan", str(plan), "--store", str(store), "--workers", "0",
                     "--report", str(html), "--keep-events")
    assert code == 0, out
    assert len(list((tmp_path / "s_events").glob("*.parquet"))) == 1  # the trace run's log
    assert "Recommended: with 2 servers at machine, the line reaches lead time " in out
    assert "target of lead time at most 150 s" in out
    assert 10_000 < html.stat().st_size < 1_000_000  # inline SVG charts, no plotly
    code, out = _run(app, "study", "--plan", str(plan), "--store", str(store), "--workers", "0")
    assert code == 0 and "already in" in out
