"""The store: failures recorded, resume skips finished runs, each run committed whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from study_standin import SIMULATOR, mm1_line, table_rows

from twin.study.executors import InlineExecutor
from twin.study.plan import StudyPlan
from twin.study.runner import run_study
from twin.study.store import Store


def _plan(**kw: object) -> StudyPlan:
    base: dict[str, object] = {"factors": {"stations.machine.servers": [1, 2, 3]},
                               "replications": 2, "hours": 4, "warmup": 0.5,
                               "simulator": SIMULATOR, "traces": False}
    return StudyPlan.model_validate({**base, **kw})


def test_failing_run_is_recorded_and_others_go_on(tmp_path: Path) -> None:
    seen: list[str] = []
    with Store(tmp_path / "s.duckdb") as store:
        result = run_study(mm1_line(), _plan(), store, InlineExecutor(),
                           on_done=lambda spec, out: seen.append(out.status))
        runs = store.con.execute(
            "SELECT scenario, status, error FROM runs ORDER BY scenario, replication").fetchall()
    assert result.done == 4 and result.failed == 2 and len(seen) == 6
    assert [r[1] for r in runs] == ["done"] * 4 + ["failed"] * 2
    assert all("three servers are not supported" in r[2] for r in runs[4:])


def test_resume_skips_finished_runs(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        run_study(mm1_line(), _plan(), store, InlineExecutor())
        first = dict(store.con.execute("SELECT key, started FROM runs").fetchall())
    ran: list[str] = []
    with Store(path) as store:
        result = run_study(mm1_line(), _plan(replications=3), store, InlineExecutor(),
                           on_done=lambda spec, out: ran.append(spec.key))
        after = dict(store.con.execute("SELECT key, started FROM runs").fetchall())
    assert result.skipped == 6 and len(ran) == 3 and not set(ran) & set(first)
    assert {k: after[k] for k in first} == first
    with Store(path) as store:
        again = run_study(mm1_line(), _plan(replications=3), store, InlineExecutor(),
                          retry_failed=True)
    assert again.skipped == 6 and again.failed == 3


def test_each_run_is_committed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        arrow = store._arrow

        def broken(table: str, rows: list[dict[str, object]]) -> pa.Table:
            data = arrow(table, rows)
            if table == "station_kpis":  # the insert of this table fails after runs went in
                data = data.append_column("surprise", pa.array([1.0] * len(data)))
            return data

        monkeypatch.setattr(store, "_arrow", broken)
        with pytest.raises(duckdb.Error):
            run_study(mm1_line(), _plan(factors={}), store, InlineExecutor())
        monkeypatch.undo()
        assert store.finished() == set()
        run_study(mm1_line(), _plan(factors={}), store, InlineExecutor())  # and carries on
    tables = table_rows(str(path))
    assert len(tables["runs"]) == len(tables["line_kpis"]) == 2
    assert len(tables["station_kpis"]) == 2
