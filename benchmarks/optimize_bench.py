"""twin optimize against a full factorial on tote_line: same answer, how many runs.

The full factorial is the grid robots 1-8 x swap docks 1-3 x spare packs 1-4 (96 scenarios)
with 20 replications each (1920 runs); its answer is the cheapest scenario whose 95% lower
confidence bound meets the target (the rule ``twin study`` recommends by), with the same prices
the search uses. ``twin optimize`` then searches the same grid with the same seeds. Both stores
are kept in ``--dir``, so a second call resumes (and costs nothing).

Run: ``nice -n 10 .venv/bin/python benchmarks/optimize_bench.py [--hours 12] [--target 59]``
(about 20 minutes of a loaded two-core machine for the factorial, one for the search). Other
targets (``--replay``) are decided from the factorial's stored runs, which are exactly the runs a
live search would make.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import twin
from twin.study.executors import Executor, LocalExecutor
from twin.study.optimize import OptimizePlan, candidates, make_search, prices, run_optimize
from twin.study.plan import StudyPlan, Target, scenarios
from twin.study.runner import run_study
from twin.study.search import Candidate, Request
from twin.study.stats import mean_ci
from twin.study.store import Store

LINE = Path(__file__).parents[1] / "lines" / "tote_line.yaml"
CHARGER_LINE = Path(__file__).parents[1] / "lines" / "teaching" / "charger_queue.yaml"
FACTORS = {"fleet.count": list(range(1, 9)), "chargers.swap_station.count": [1, 2, 3],
           "chargers.swap_station.spares": [1, 2, 3, 4]}
SPARE_PRICE = 1500.0
"""USD per spare battery pack (an assumption for the benchmark: a 1-3 kWh humanoid pack);
robots and docks use the cost model's prices."""
REPLICATIONS = 20


def factorial(line: twin.Line, hours: float, seed: int, target: Target, store: Path,
              executor: Executor) -> tuple[int | None, int, dict[int, list[float]]]:
    """Run (or resume) the full factorial; its answer, its run count and every value."""
    plan = StudyPlan(factors=FACTORS, replications=REPLICATIONS, hours=hours, seed=seed,
                     target=target, traces=False)
    with Store(store) as db:
        result = run_study(line, plan, db, executor)
        rows = db.con.execute(
            f'SELECT p.scenario, l."{target.kpi}" FROM line_kpis l JOIN plan_runs p '
            "USING (key) WHERE p.role = 'main' ORDER BY p.scenario, p.replication"
        ).fetchall()
    assert result.failed == 0, "a factorial run failed"
    values: dict[int, list[float]] = {}
    for sc, value in rows:
        values.setdefault(int(sc), []).append(float(value))
    grid = result.grid
    opt_plan = OptimizePlan(factors=FACTORS, target=target, costs={
        "chargers.swap_station.spares": SPARE_PRICE})
    return factorial_answer(candidates(grid, prices(line, opt_plan)), values, target), \
        result.total, values


def factorial_answer(cands: Sequence[Candidate], values: dict[int, list[float]],
                     target: Target) -> int | None:
    """The cheapest scenario whose 95% confidence bound meets the target."""
    cis = {sc: mean_ci(np.asarray(v)) for sc, v in values.items()}
    ok = [c for c in cands if target.met(cis[c.id].high if target.lower_is_better
                                         else cis[c.id].low)]
    return min(ok, key=lambda c: (c.cost, c.id)).id if ok else None


class _Short(Exception):
    """The search asked for more replications than the factorial holds."""


def replay(line: twin.Line, values: dict[int, list[float]], target: Target,
           indifference: float) -> tuple[int | None, int | None, int]:
    """The search's decision for another target, fed from the factorial's stored runs (the
    very values a live search would get, since its runs are the same runs); with the
    factorial's answer and the search's run count."""
    plan = OptimizePlan(factors=FACTORS, target=target, indifference=indifference,
                        costs={"chargers.swap_station.spares": SPARE_PRICE})
    grid = scenarios(line, FACTORS)
    search, factor_prices = make_search(line, plan, grid)

    def sample(requests: list[Request]) -> dict[Request, float]:
        if any(rep >= len(values[cid]) for cid, rep in requests):
            raise _Short
        return {(cid, rep): values[cid][rep] for cid, rep in requests}

    try:
        answer = search.run(sample)
    except _Short:
        return -1, factorial_answer(search.candidates, values, target), search.runs
    best = factorial_answer(candidates(grid, factor_prices), values, target)
    return (answer.id if answer else None), best, search.runs


def charger_macros(macros: int, workers: int, store: Path) -> None:
    """The known-answer case on the twin line itself: ten robots share swap stations
    (lines/teaching/charger_queue.yaml: M/M/c//10); the fewest stations with a mean wait of at
    most 180 s is exact by the machine-repair formulas. Each macro-replication is a whole
    search with its own seed; all runs go into one store (resumable)."""
    line = twin.load_line(CHARGER_LINE)
    waits = {c: machine_repair(10, c, 3600.0, 900.0) for c in range(1, 7)}
    truth = min(c for c, w in waits.items() if w <= 180.0)
    print("exact mean waits (s): " + ", ".join(f"{c}: {w:.1f}" for c, w in waits.items())
          + f"; fewest stations for <= 180 s: {truth}")
    correct, runs = 0, []
    executor = LocalExecutor(workers)
    try:
        with Store(store) as db:
            for macro in range(macros):
                plan = OptimizePlan(factors={"chargers.swap.count": list(waits),
                                             "fleet.count": [10]},
                                    target=Target.parse("mean_charger_wait_s<=180"),
                                    indifference=20.0, hours=100, warmup=10, seed=macro)
                out = run_optimize(line, plan, db, executor)
                got = out.answer.values[0] if out.answer else None
                correct += got == truth
                runs.append(out.runs)
                print(f"  macro {macro:3d}: {got} stations in {out.runs} runs; "
                      f"correct so far {correct} of {macro + 1}", flush=True)
    finally:
        executor.close()
    print(f"charger queue on the twin line: correct in {correct} of {macros} "
          f"macro-replications; {np.mean(runs):.1f} runs each on average")


def machine_repair(n: int, c: int, work: float, service: float) -> float:
    """Mean wait (s) in the M/M/c//n queue: the teaching tour's closed form."""
    from twin.demo import _machine_repair

    return _machine_repair(n, c, work, service)["wait for the swap station (s)"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--target", type=float, default=59.0,
                        help="doors per on-shift hour (throughput_per_shift_hour >= target)")
    parser.add_argument("--indifference", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("out/optimize_bench"))
    parser.add_argument("--only-factorial", action="store_true")
    parser.add_argument("--replay-only", action="store_true",
                        help="no simulation: decide --replay targets from a stored factorial")
    parser.add_argument("--replay", default="50,55,58,59,60,61",
                        help="other targets to decide from the factorial's stored runs")
    parser.add_argument("--charger-macros", type=int, default=0,
                        help="instead: N macro-replications of the charger known-answer case")
    args = parser.parse_args()
    if args.charger_macros:
        args.dir.mkdir(parents=True, exist_ok=True)
        charger_macros(args.charger_macros, args.workers, args.dir / "chargers.duckdb")
        return
    line = twin.load_line(LINE)
    target = Target.parse(f"throughput_per_shift_hour>={args.target}")
    args.dir.mkdir(parents=True, exist_ok=True)
    tag = f"h{args.hours:g}_s{args.seed}"
    if args.replay_only:
        with Store(args.dir / f"factorial_{tag}.duckdb", read_only=True) as db:
            rows = db.con.execute(
                f'SELECT p.scenario, l."{target.kpi}" FROM line_kpis l JOIN plan_runs p '
                "USING (key) WHERE p.role = 'main' ORDER BY p.scenario, p.replication"
            ).fetchall()
        stored: dict[int, list[float]] = {}
        for sc, value in rows:
            stored.setdefault(int(sc), []).append(float(value))
        print_replays(line, stored, args.replay, args.indifference)
        return
    # one pool for both: the same worker processes (the same code) make every run
    executor = LocalExecutor(args.workers)
    try:
        start = time.perf_counter()
        best, full_runs, values = factorial(line, args.hours, args.seed, target,
                                            args.dir / f"factorial_{tag}.duckdb", executor)
        grid = scenarios(line, FACTORS)
        names = {sc.id: sc.name for sc in grid}
        print(f"full factorial: {len(grid)} scenarios x {REPLICATIONS} replications = "
              f"{full_runs} runs ({time.perf_counter() - start:.0f} s); answer: "
              f"{names[best] if best is not None else 'none'}")
        if args.only_factorial:
            for sc in grid:
                ci = mean_ci(np.asarray(values[sc.id]))
                print(f"  {sc.name:72s} {ci.mean:7.2f} ± {ci.half:5.2f}")
            return
        plan = OptimizePlan(factors=FACTORS, target=target, hours=args.hours, seed=args.seed,
                            indifference=args.indifference,
                            costs={"chargers.swap_station.spares": SPARE_PRICE})
        start = time.perf_counter()
        with Store(args.dir / f"optimize_{tag}_t{args.target:g}.duckdb") as db:
            out = run_optimize(line, plan, db, executor)
    finally:
        executor.close()
    answer = out.answer.id if out.answer is not None else None
    print(f"twin optimize: {out.runs} runs ({out.new_runs} new, "
          f"{time.perf_counter() - start:.0f} s); answer: "
          f"{names[answer] if answer is not None else 'none'}")
    for step in out.search.steps:
        print(f"  {step.runs:4d} runs  {step.event:12s} {step.name}")
    # (a scenario the search sampled past the factorial's replications: those runs have no
    # factorial run to equal)
    same = all(v == values[cid][r] for cid, data in out.search.data.items()
               for r, v in enumerate(data[:len(values[cid])]))
    print(f"every optimize run equals the factorial's run of the same scenario and "
          f"replication (common random numbers, same seeds): {same}")
    print(f"runs: optimize {out.runs} vs full factorial {full_runs} "
          f"({out.runs / full_runs:.1%}; the bar is at most a third, {full_runs // 3})")
    print(f"same answer: {answer == best}")
    print_replays(line, values, args.replay, args.indifference)


def print_replays(line: twin.Line, values: dict[int, list[float]], targets: str,
                  indifference: float) -> None:
    """Decide other targets from the factorial's runs and compare with its answers."""
    names = {sc.id: sc.name for sc in scenarios(line, FACTORS)}
    print("other targets, the search fed from the factorial's runs (no new simulation):")
    for text in filter(None, targets.split(",")):
        other = Target.parse(f"throughput_per_shift_hour>={float(text)}")
        got, want, runs = replay(line, values, other, indifference)
        said = "needs more than 20 replications" if got == -1 else (
            names[got] if got is not None else "none")
        print(f"  >= {float(text):5.1f}: search {said} in {runs} runs; factorial "
              f"{names[want] if want is not None else 'none'}; same: {got == want}")

if __name__ == "__main__":
    main()
