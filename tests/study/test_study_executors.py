"""Executors: a local pool and a real Dask cluster give the same rows as running inline."""

from __future__ import annotations

from pathlib import Path

import pytest
from study_standin import assert_same_tables, table_rows

import twin
from twin.config import Line
from twin.study.executors import DaskExecutor, Executor, InlineExecutor, LocalExecutor
from twin.study.plan import StudyPlan
from twin.study.runner import run_study
from twin.study.store import Store

TOTE = Path(__file__).parents[2] / "lines" / "tote_line.yaml"


@pytest.fixture(scope="module")
def tote() -> Line:
    if not TOTE.exists():
        pytest.skip("lines/tote_line.yaml is not there yet")
    return twin.load_line(TOTE)


def _study(line: Line, path: Path, executor: Executor) -> dict[str, object]:
    plan = StudyPlan(factors={"robots.count": [2, 3]}, replications=2, hours=10, warmup=1,
                     target="throughput_per_hour>=10")
    with Store(path) as store:
        result = run_study(line, plan, store, executor)
    executor.close()
    assert result.done == 4 + 1 and result.failed == 0  # and the trace run
    return table_rows(str(path))  # type: ignore[return-value]


@pytest.mark.slow
def test_local_pool_matches_inline_bit_for_bit(tote: Line, tmp_path: Path) -> None:
    inline = _study(tote, tmp_path / "inline.duckdb", InlineExecutor())
    pooled = _study(tote, tmp_path / "pool.duckdb", LocalExecutor(2))
    assert len(inline["robot_kpis"]) >= 2 * 2 + 2 * 3 + 2  # type: ignore[arg-type]
    assert len(inline["traces"]) > 0  # type: ignore[arg-type]
    assert_same_tables(inline, pooled)  # type: ignore[arg-type]


@pytest.mark.slow
def test_dask_cluster_matches_local_run(tote: Line, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cluster:
        dask = _study(tote, tmp_path / "dask.duckdb", DaskExecutor(cluster.scheduler_address))
    local = _study(tote, tmp_path / "local.duckdb", InlineExecutor())
    assert_same_tables(local, dask)  # type: ignore[arg-type]
