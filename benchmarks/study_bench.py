"""Study benchmark: pool speed-up (2 workers vs 1) and per-run overhead of the study machinery.

Run: ``.venv/bin/python benchmarks/study_bench.py [--hours 24] [--runs 40]``. Prints each
figure beside its baseline measured in the same run (floor 1.7x speed-up; overhead <= 5%).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import tempfile
import time
from pathlib import Path

import twin
from twin.config import Line
from twin.study.executors import Executor, InlineExecutor, LocalExecutor
from twin.study.plan import StudyPlan, code_version, replication_seed, run_specs, scenarios
from twin.study.runner import run_study
from twin.study.store import Store
from twin.study.worker import execute_run

LINE = Path(__file__).parents[1] / "lines" / "tote_line.yaml"


Times = tuple[float, float]  # wall, CPU of this process


def timed_study(line: Line, plan: StudyPlan, executor: Executor, store: Path) -> Times:
    """Wall and CPU time of one study into ``store``."""
    start, cpu = time.perf_counter(), time.process_time()
    with Store(store) as db:
        result = run_study(line, plan, db, executor)
    times = time.perf_counter() - start, time.process_time() - cpu
    assert result.failed == 0, "a benchmark run failed"
    return times


def bare(line: Line, plan: StudyPlan, runs: int) -> Times:
    """Wall and CPU time of the same simulations called directly, one after another."""
    start, cpu = time.perf_counter(), time.process_time()
    for r in range(runs):
        twin.simulate(line, hours=plan.hours, seed=replication_seed(plan.seed, r))
    return time.perf_counter() - start, time.process_time() - cpu


def machinery_cpu(line: Line, plan: StudyPlan, store: Path, runs: int = 40) -> float:
    """CPU seconds per run the study adds around a simulation: pickling the spec and the
    outcome and committing its rows (measured without the simulation)."""
    spec = run_specs(line, plan, scenarios(line, {}), None, code_version())[0]
    outcome = execute_run(spec)
    specs = [dataclasses.replace(spec, key=f"{i:024x}") for i in range(runs)]
    with Store(store) as db:
        db.record(specs[0], outcome, new=True)  # first insert into each table warms DuckDB
        cpu = time.process_time()
        for s in specs[1:]:
            pickle.loads(pickle.dumps(s))
            pickle.loads(pickle.dumps(outcome))
            db.record(s, outcome, new=True)
        return (time.process_time() - cpu) / (runs - 1)


def pool(workers: int) -> LocalExecutor:
    """A local pool with its processes started (startup is timed and printed apart)."""
    start = time.perf_counter()
    executor = LocalExecutor(workers)
    executor.warm_up()
    print(f"  pool of {workers}: processes started in {time.perf_counter() - start:.2f} s")
    return executor


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--overhead-runs", type=int, default=20)
    args = parser.parse_args()
    line = twin.load_line(LINE)
    tmp = Path(tempfile.mkdtemp(prefix="study_bench_"))
    twin.simulate(line, hours=1, seed=0)  # imports and caches warm
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (other work skews figures)")

    print(f"speed-up: {args.runs}-run study of {LINE.name}, {args.hours:g} h each")
    counts = [2, 3, 4, 5]
    plan = StudyPlan(factors={"fleet.count": counts}, replications=args.runs // len(counts),
                     hours=args.hours, traces=False)
    pools = {workers: pool(workers) for workers in (1, 2)}
    walls: dict[int, list[float]] = {1: [], 2: []}
    for i in range(2):  # interleaved rounds: load from other work hits both alike
        for workers, executor in pools.items():
            store = tmp / f"speed{workers}_{i}.duckdb"
            walls[workers].append(timed_study(line, plan, executor, store)[0])
            print(f"  round {i + 1}, {workers} worker(s): {walls[workers][-1]:.2f} s")
    for executor in pools.values():
        executor.close()
    one, two = min(walls[1]), min(walls[2])
    print(f"  speed-up 2 vs 1 workers (best rounds): {one / two:.2f}x (floor 1.7x, goal 1.9x)")

    n = args.overhead_runs
    print(f"overhead: {n} runs of {LINE.name}, {args.hours:g} h, against bare twin.simulate")
    print("  best of 3 interleaved rounds; CPU seconds of this process are the steady figure")
    one = StudyPlan(replications=n, hours=args.hours, traces=False)
    executor = pool(1)
    times: dict[str, list[Times]] = {"bare": [], "inline": [], "pool": [], "fixed": []}
    for i in range(3):
        times["bare"].append(bare(line, one, n))
        times["inline"].append(timed_study(line, one, InlineExecutor(), tmp / f"in{i}.duckdb"))
        times["pool"].append(timed_study(line, one, executor, tmp / f"pool{i}.duckdb"))
        times["fixed"].append(timed_study(line, one, executor, tmp / f"pool{i}.duckdb"))
    executor.close()
    best = {k: (min(t[0] for t in v), min(t[1] for t in v)) for k, v in times.items()}
    (base_wall, base_cpu), fixed = best["bare"], best["fixed"]
    print(f"  bare simulate: {base_wall:.2f} s wall, {base_cpu:.2f} s CPU "
          f"({base_cpu / n * 1000:.0f} ms CPU per run)")
    print(f"  once per study (open store, plan, resume check): {fixed[1] * 1000:.0f} ms CPU")
    per_run = machinery_cpu(line, one, tmp / "machinery.duckdb")
    print(f"  machinery alone (pickle spec + outcome, KPI rows, one commit): "
          f"{per_run * 1000:.1f} ms CPU per run = {per_run / (base_cpu / n) * 100:.1f}% of a run "
          "(target <= 5%)")
    wall, cpu = best["inline"]
    print(f"  study in this process (store + hashing): {wall:.2f} s wall "
          f"({(wall / base_wall - 1) * 100:+.1f}%), {cpu:.2f} s CPU: overhead "
          f"{(cpu - fixed[1] - base_cpu) / base_cpu * 100:+.1f}% per run (target <= 5%)")
    wall, cpu = best["pool"]
    print(f"  study on a 1-worker pool (+ scheduling): {wall:.2f} s wall "
          f"({(wall / base_wall - 1) * 100:+.1f}%); the parent spends "
          f"{(cpu - fixed[1]) / base_cpu * 100:.1f}% of a run's CPU per run on store, "
          "hashing, pickling and scheduling (target <= 5%)")


if __name__ == "__main__":
    main()
