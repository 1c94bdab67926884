"""The ``twin optimize`` command: a thin typed function over ``twin.study.optimize``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from twin.study.commands import SchedulerOption, WorkersOption, _interrupted
from twin.study.plan import PlanError


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def parse_costs(items: list[str]) -> dict[str, float]:
    """``--cost path=USD`` options (USD per unit of the factor)."""
    out: dict[str, float] = {}
    for item in items:
        path, sep, text = item.partition("=")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not sep or not path.strip() or not math.isfinite(value) or value < 0:
            raise PlanError(f"--cost {item!r} must look like chargers.swap_station.spares=1500 "
                            "(USD per unit, 0 or more)")
        out[path.strip()] = value
    return out


def check_target_kpi(kpi: str) -> None:
    """The target must name a numeric line KPI that every run records."""
    import difflib

    from twin.study.store import schema

    names = [c for c, t in schema()["line_kpis"].items() if t in ("DOUBLE", "BIGINT")]
    if kpi not in names:
        close = difflib.get_close_matches(kpi, names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise PlanError(f"--target {kpi!r} is not a line KPI; {hint}use one of: "
                        + ", ".join(names))


def optimize(
    line: Annotated[Path, typer.Argument(help="line YAML")],
    factor: Annotated[list[str], typer.Option(
        "--factor", "-f", help="factor path=1:8 (inclusive) or path=a,b,c; repeat")],
    target: Annotated[str, typer.Option(help="e.g. throughput_per_shift_hour>=60")],
    cost: Annotated[list[str] | None, typer.Option(
        help="USD per unit of a factor, path=price; robots and charger counts default to "
             "the cost model's prices; repeat")] = None,
    confidence: Annotated[float, typer.Option(
        help="probability of a correct choice, split over the configurations")] = 0.95,
    indifference: Annotated[float | None, typer.Option(
        help="indifference zone in the KPI's units (default 1% of the target)")] = None,
    initial: Annotated[int, typer.Option(help="first-stage replications per check")] = 10,
    batch: Annotated[int, typer.Option(help="replications added at a time")] = 4,
    max_replications: Annotated[int, typer.Option(
        help="cap per configuration (a check stopped by it loses the guarantee)")] = 1000,
    hours: Annotated[str, typer.Option(
        help='simulated hours per run, or a duration such as "1 week"')] = "168",
    warmup: Annotated[str | None, typer.Option(
        help="warm-up hours or a duration; default: the line's")] = None,
    seed: Annotated[int, typer.Option(help="seed of the common random numbers")] = 0,
    monotone: Annotated[bool, typer.Option(
        help="set aside configurations dominated by a miss (checked as it goes)")] = True,
    store: Annotated[Path, typer.Option(help="DuckDB results file")] = Path("optimize.duckdb"),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    retry_failed: Annotated[bool, typer.Option(help="run failed runs again")] = False,
    report: Annotated[Path | None, typer.Option(
        help="decision report (HTML); default optimize.html beside the store")] = None,
    run_timeout: Annotated[str | None, typer.Option(
        help="wall-clock limit of one run: seconds, a duration (\"20 min\"), off, or auto "
             "(from the line's size and horizon); a configuration with a run past it is "
             "recorded as failed and the search goes on")] = None,
    simulator: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """The cheapest configuration that meets a target, with a statistical guarantee."""
    from rich.console import Console

    from twin import options as check
    from twin.loader import ConfigError, load_line
    from twin.study.commands import build_plan
    from twin.study.executors import make_executor
    from twin.study.optimize import OptimizeError, OptimizePlan, make_search, run_optimize
    from twin.study.optimize_report import write_optimize_report
    from twin.study.plan import scenarios
    from twin.study.runner import check_overrides, parse_run_timeout
    from twin.study.search import Step
    from twin.study.store import Store

    try:
        check.seed(seed)
        check.count(workers, "--workers", 0, check.MAX_WORKERS,
                    "0 runs in this process; default: all cores")
        check.count(initial, "--initial", 2, 1000)
        check.count(batch, "--batch", 1, 1000)
        check.count(max_replications, "--max-replications", 2, 100_000)
        check.number(confidence, "--confidence", 0.5, 0.9999)
        if indifference is not None and not (math.isfinite(indifference) and indifference > 0):
            raise PlanError(f"--indifference {indifference}: give a positive number in the "
                            "target KPI's units")
        check.scheduler(scheduler)
        budget = parse_run_timeout(run_timeout)
        check.store(store)
        out = report or store.parent / "optimize.html"
        check.out_file(out, "--report")
        _, study = build_plan(line, None, factor, {
            "replications": 1, "hours": check.hours(hours), "warmup": check.warmup(warmup),
            "target": target, "seed": seed})
        assert study.target is not None
        check_target_kpi(study.target.kpi)
        plan = OptimizePlan(
            factors=study.factors, target=study.target, costs=parse_costs(cost or []),
            confidence=confidence, indifference=indifference, initial=initial, batch=batch,
            max_replications=max_replications, hours=study.hours,
            warmup=study.warmup if isinstance(study.warmup, float) else None, seed=seed,
            monotone=monotone, **({"simulator": simulator} if simulator else {}))
        model = load_line(line)
        grid = scenarios(model, plan.factors)
        check_overrides(model, grid)
        make_search(model, plan, grid)  # prices, numeric factors, the tolerance
    except (PlanError, ConfigError, check.OptionError, ValueError) as exc:
        raise _fail(" ".join(str(exc).split())) from None
    console = Console(stderr=True)

    def on_step(step: Step) -> None:
        console.print(f"[dim]{step.runs:5d} runs[/] {step.event:12s} {step.name}: {step.detail}",
                      highlight=False, soft_wrap=True)

    try:
        executor = make_executor(workers, scheduler)
    except (OSError, ValueError) as exc:
        raise _fail(f"--scheduler {scheduler}: cannot reach it ({exc})") from None
    start = time.perf_counter()
    try:
        with Store(store) as db:
            result = run_optimize(model, plan, db, executor, on_step=on_step,
                                  retry_failed=retry_failed, run_timeout=budget)
    except KeyboardInterrupt:  # workers stopped, one line, exit 130; a 2nd Ctrl-C waits
        raise _interrupted(executor, store) from None
    except OptimizeError as exc:
        executor.close(cancel=True)
        raise _fail(str(exc), 1) from None
    except Exception as exc:
        import duckdb

        from twin.study.store import interrupted

        if interrupted(exc):  # Ctrl-C landed inside a DuckDB call
            raise _interrupted(executor, store) from None
        executor.close(cancel=True)
        if isinstance(exc, duckdb.Error):
            raise _fail(f"--store {store}: {' '.join(str(exc).split())[:300]}") from None
        raise
    executor.close()
    write_optimize_report(store, out)
    console.print(f"{result.runs} runs ({result.new_runs} new) in "
                  f"{time.perf_counter() - start:.1f} s; store {store}; report {out}")
    print(_words(result, plan))
    failed = result.search.failed
    if failed:  # as a study with a failed run: said, and exit 1
        names = "; ".join(result.search.by_id[c].name for c in failed)
        typer.echo(f"warning: {len(failed)} configuration(s) had a run past --run-timeout "
                   f"and were not judged: {names}", err=True)
        raise typer.Exit(1)


def _words(result: Any, plan: Any) -> str:
    if result.answer is None:
        failed = len(result.search.failed)
        return (f"No configuration meets {plan.target} (with {plan.confidence:.0%} "
                "confidence, up to the indifference zone)"
                + (f"; {failed} failed and were not judged." if failed else "."))
    answer = result.answer
    verdict = result.search.verdicts[answer.id]
    return (f"Cheapest configuration meeting {plan.target}: {answer.name} "
            f"(USD {answer.cost:,.0f} of the varied parts); {plan.target.kpi} "
            f"{verdict.mean:.4g} over {verdict.at} replications; {plan.confidence:.0%} "
            f"confidence up to ±{plan.tolerance:g}. {result.runs} runs for "
            f"{len(result.grid)} configurations.")
