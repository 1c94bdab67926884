"""Intervals from repeated M/M/1 studies cover the queueing-theory values about 95% of the time."""

from __future__ import annotations

from pathlib import Path

import pytest
from study_standin import mm1_line

from twin.study.analysis import intervals, load
from twin.study.executors import LocalExecutor
from twin.study.plan import StudyPlan
from twin.study.runner import run_study
from twin.study.store import Store

LAM, MU = 1 / 60, 1 / 30  # rho = 0.5
EXACT = {
    "throughput_per_hour": LAM * 3600,          # 60 units/h
    "wip_mean": (LAM / MU) / (1 - LAM / MU),    # L = 1
    "mean_lead_time_s": 1 / (MU - LAM),         # W = 60 s
}
STUDIES = 80


@pytest.mark.slow
def test_confidence_intervals_cover_mm1_values(tmp_path: Path) -> None:
    line = mm1_line(mean_interarrival=60, mean_service=30)
    hits = dict.fromkeys(EXACT, 0)
    executor = LocalExecutor(2)
    try:
        with Store(tmp_path / "cover.duckdb") as store:
            for study in range(STUDIES):
                plan = StudyPlan(replications=5, hours=8, warmup=1, seed=1000 + study)
                run_study(line, plan, store, executor)
                res = load(store)
                for kpi, exact in EXACT.items():
                    ci = intervals(res, kpi)[0]
                    assert ci.n == 5
                    hits[kpi] += ci.low <= exact <= ci.high
    finally:
        executor.close()
    coverage = {k: v / STUDIES for k, v in hits.items()}
    print(f"coverage over {STUDIES} studies: {coverage}")
    # 80 studies at a true 95%: 76 expected, sd 1.9; the bounds are about 3.5 sd away
    assert all(0.87 <= c <= 1.0 for c in coverage.values()), coverage
