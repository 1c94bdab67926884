"""twin optimize through the study machinery: every run in the store, resumable, the same
decision and the same stored runs on a local pool and on a Dask cluster, and the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from charger_standin import SIMULATOR, machine_repair
from study_standin import assert_same_tables, table_rows
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.config import Line
from twin.study.executors import DaskExecutor, Executor, InlineExecutor, LocalExecutor
from twin.study.optimize import OptimizePlan, Outcome, run_optimize
from twin.study.optimize_report import write_optimize_report
from twin.study.plan import Target
from twin.study.store import Store

LINE = Path(__file__).parents[2] / "lines" / "teaching" / "charger_queue.yaml"


@pytest.fixture(scope="module")
def line() -> Line:
    return twin.load_line(LINE)


def _plan(chargers: list[int], robots: list[int]) -> OptimizePlan:
    return OptimizePlan(factors={"chargers.swap.count": chargers, "fleet.count": robots},
                        target=Target.parse("mean_charger_wait_s<=180"), indifference=20.0,
                        hours=100, warmup=10, initial=6, batch=3, simulator=SIMULATOR)


def _optimize(line: Line, plan: OptimizePlan, path: Path, executor: Executor) -> Outcome:
    with Store(path) as store:
        out = run_optimize(line, plan, store, executor)
    executor.close()
    return out


def _decision(out: Outcome) -> tuple[object, ...]:
    search = out.search
    return (out.answer, out.runs, [(s.scenario, s.event, s.replications) for s in search.steps],
            dict(search.status))


def test_search_records_every_run_and_resumes_for_free(line: Line, tmp_path: Path) -> None:
    plan = _plan([1, 2, 3, 4], [10])
    path = tmp_path / "o.duckdb"
    first = _optimize(line, plan, path, InlineExecutor())
    exact = {c: machine_repair(10, c, 3600.0, 900.0) for c in (1, 2, 3, 4)}
    assert first.answer is not None
    assert first.answer.values[0] == min(c for c, w in exact.items() if w <= 180)
    assert first.new_runs == first.runs
    with Store(path, read_only=True) as store:
        stored = store.con.execute("SELECT count(*) FROM runs WHERE status = 'done'").fetchone()
        planned = store.con.execute("SELECT count(*) FROM plan_runs").fetchone()
    assert stored == planned == (first.runs,)
    again = _optimize(line, plan, path, InlineExecutor())
    assert again.new_runs == 0
    assert _decision(again) == _decision(first)
    html = write_optimize_report(path, tmp_path / "optimize.html").read_text()
    assert first.answer.name in html and "How the decision was reached" in html


@pytest.mark.slow
def test_local_pool_and_dask_cluster_decide_alike(line: Line, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    plan = _plan([1, 2, 3], [9, 10])
    pooled = _optimize(line, plan, tmp_path / "pool.duckdb", LocalExecutor(1))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cluster:
        dask = _optimize(line, plan, tmp_path / "dask.duckdb",
                         DaskExecutor(cluster.scheduler_address))
    assert _decision(dask) == _decision(pooled)
    assert_same_tables(table_rows(str(tmp_path / "pool.duckdb")),
                       table_rows(str(tmp_path / "dask.duckdb")))


def test_cli_answers_and_refuses_in_one_line(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    base = [str(LINE), "-f", "chargers.count=1:3", "--hours", "100", "--warmup", "10",
            "--workers", "0", "--simulator", SIMULATOR, "--initial", "6"]
    ok = runner.invoke(app, ["optimize", *base, "--target", "mean_charger_wait_s<=300",
                             "--indifference", "30"])
    assert ok.exit_code == 0, ok.output
    assert "chargers.swap.count=2" in ok.stdout
    assert (tmp_path / "optimize.html").exists()
    for extra, words in (
        (["--target", "mean_wait<=300"], "not a line KPI"),
        (["--target", "mean_charger_wait_s<=300", "-f", "chargers.swap.spares=1,2"],
         "--cost chargers.swap.spares"),
        (["--target", "mean_charger_wait_s<=300", "--cost", "fleet.count=1"],
         "not one of the factors"),
        (["--target", "mean_charger_wait_s<=0"], "--indifference"),
    ):
        bad = runner.invoke(app, ["optimize", *base, *extra])
        assert bad.exit_code == 2, (extra, bad.output)
        assert words in bad.output and len(bad.output.strip().splitlines()) == 1, bad.output


class _Crash(InlineExecutor):
    """Runs like InlineExecutor, then dies (as a killed process would) after ``left`` runs."""

    def __init__(self, left: int) -> None:
        self.left = left

    def run(self, specs, timeouts=None):  # type: ignore[no-untyped-def]
        for spec, outcome in super().run(specs, timeouts):
            if self.left == 0:
                raise KeyboardInterrupt
            self.left -= 1
            yield spec, outcome


def test_a_killed_search_resumes_to_the_same_decision(line: Line, tmp_path: Path) -> None:
    plan = _plan([1, 2, 3], [10])
    whole = _optimize(line, plan, tmp_path / "whole.duckdb", InlineExecutor())
    path = tmp_path / "killed.duckdb"
    with pytest.raises(KeyboardInterrupt):
        _optimize(line, plan, path, _Crash(13))
    resumed = _optimize(line, plan, path, InlineExecutor())
    assert _decision(resumed) == _decision(whole)
    assert resumed.new_runs == whole.runs - 13
