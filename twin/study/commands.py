"""The ``twin study`` and ``twin report`` commands: thin typed functions over the study API."""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from twin.interrupt import say
from twin.study.plan import PlanError, StudyPlan, load_plan, parse_vary

# where a study's runs go: shared by `twin study` and `twin optimize`
WorkersOption = Annotated[int | None, typer.Option(
    help="local worker processes (default all cores; 0 runs in this process)")]
SchedulerOption = Annotated[str | None, typer.Option(
    help="Dask scheduler address tcp://HOST:PORT")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


MAX_VALUES = 10_000
"""Values one factor may take: a range of more is a typo (a missing step) or days of runs."""
MAX_RUNS = 100_000
"""Runs one study may plan (scenarios x replications): more take days; narrow the factors."""
COST_KPIS = ("robots", "charge_points", "capex", "cost_per_year", "cost_per_unit",
             "payback_years")
"""Target-able columns the analysis adds to the line KPIs (twin.study.analysis._costs)."""


def _check_values(where: str, text: str) -> None:
    """Refuse a factor's values that are not YAML, or a range too long or not finite, before
    ``parse_values`` would build it."""
    from twin.loader import parse_yaml

    parts = [p.strip() for p in text.replace(",", ":").split(":")]
    numbers = []
    for part in parts:
        if not part:
            continue
        value = parse_yaml(part, where)
        if isinstance(value, float) and not math.isfinite(value):
            raise PlanError(f"{where}: {part!r} is not a finite number")
        numbers.append(value)
    is_range = ":" in text and "," not in text and len(parts) in (2, 3) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
    if is_range:
        start, stop = numbers[0], numbers[1]
        step = numbers[2] if len(numbers) == 3 else 1
        if step and (stop - start) / step + 1 > MAX_VALUES:
            raise PlanError(f"{where}: {text!r} has over {MAX_VALUES:,} values; use a larger "
                            "step or a narrower range")
    elif text.count(",") >= MAX_VALUES:
        raise PlanError(f"{where}: over {MAX_VALUES:,} values; give fewer")


def build_plan(line: Path | None, plan_file: Path | None, vary: list[str],
               options: dict[str, Any]) -> tuple[Path, StudyPlan]:
    """The study plan from a study YAML and/or CLI options (options win)."""
    import yaml

    from twin.loader import ConfigError, read_yaml

    for item in vary:
        _, sep, values = item.partition("=")
        if sep:
            _check_values(f"--vary {item}", values)
    if plan_file is not None:  # read safely first: encoding, alias bombs, duplicate keys
        doc = read_yaml(plan_file, empty_ok=True)
        if not isinstance(doc, dict):
            raise ConfigError(f"{plan_file}: a study YAML is a mapping of settings")
        factors = doc.get("factors")
        if isinstance(factors, dict):
            for name, values in factors.items():
                if isinstance(values, str):
                    _check_values(f"{plan_file}: factors.{name}", values)
                elif isinstance(values, list) and len(values) > MAX_VALUES:
                    raise PlanError(f"{plan_file}: factors.{name}: over {MAX_VALUES:,} values")
    try:
        base = load_plan(plan_file) if plan_file else StudyPlan()
        data = base.model_dump(exclude_unset=True)
        if vary:
            data["factors"] = {**base.factors, **parse_vary(vary)}
    except yaml.YAMLError as exc:
        raise PlanError(f"--vary: malformed YAML value: {getattr(exc, 'problem', exc)}"
                        ) from None
    data.update({k: v for k, v in options.items() if v is not None})
    try:
        plan = StudyPlan.model_validate(data)
    except ValueError as exc:
        raise PlanError(" ".join(" ".join(str(exc).splitlines()[:3]).split())) from exc
    runs = math.prod(len(v) for v in plan.factors.values()) * plan.replications
    if runs > MAX_RUNS:
        raise PlanError(f"the study plans {runs:,} runs (factor values multiplied, times "
                        f"replications); at most {MAX_RUNS:,}: narrow the factors")
    if plan.target is not None:
        _check_target(plan.target.kpi)
    path = line or (Path(plan.line) if plan.line else None)
    if path is None:
        raise PlanError("give a line YAML (twin study LINE) or 'line:' in the study YAML")
    return path, plan


def _check_target(kpi: str) -> None:
    """A target must name a line KPI a run records; found out now, not after the study."""
    from twin.study.store import schema

    names = [c for c, t in schema()["line_kpis"].items() if t != "VARCHAR"] + list(COST_KPIS)
    if kpi not in names:
        import difflib

        close = difflib.get_close_matches(kpi, names, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise PlanError(f"--target {kpi!r} is not a line KPI; {hint}use one of: "
                        + ", ".join(names))


def _one_line_on_ctrl_c(command: Callable[..., None]) -> Callable[..., None]:
    """Ctrl-C anywhere in ``command`` ends in one line and exit 130 (typer would exit 130
    without a word); the study's own handler says more where runs are at stake."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            say()
            raise typer.Exit(130) from None

    return run


@_one_line_on_ctrl_c
def study(
    line: Annotated[Path | None, typer.Argument(help="line YAML")] = None,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", "-v", help="factor path=4:12:2 (inclusive) or path=a,b,c; repeat")] = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="study YAML")] = None,
    replications: Annotated[int | None, typer.Option("--replications", "-r")] = None,
    hours: Annotated[str | None, typer.Option(
        help='simulated hours per run, or a duration such as "1 week"')] = None,
    warmup: Annotated[str | None, typer.Option(
        help='warm-up in working (on-shift) time: hours, a duration ("8 h") or auto '
             '(MSER-5 on working-time series); default: the line\'s')] = None,
    target: Annotated[str | None, typer.Option(help="e.g. throughput_per_hour>=120")] = None,
    seed: Annotated[int | None, typer.Option(help="study seed")] = None,
    half_width: Annotated[float | None, typer.Option(
        help="relative CI half-width wanted (replications advice), e.g. 0.02")] = None,
    store: Annotated[Path, typer.Option(help="DuckDB results file")] = Path("study.duckdb"),
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    keep_events: Annotated[bool, typer.Option(
        help="write replication 0 event logs as Parquet beside the store")] = False,
    retry_failed: Annotated[bool, typer.Option(help="run failed runs again")] = False,
    report: Annotated[Path | None, typer.Option(help="write the HTML report here")] = None,
    log_runs: Annotated[bool, typer.Option(help="print a line per finished run")] = False,
    run_timeout: Annotated[str | None, typer.Option(
        help="wall-clock limit of one run: seconds, a duration (\"20 min\"), off, or auto "
             "(from the line's size and horizon); a run past it is recorded as failed")] = None,
    simulator: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run a capacity study: scenarios x replications into a DuckDB store, resuming."""
    from twin import options as check
    from twin.loader import ConfigError, load_line
    from twin.study.analysis import load, recommendation
    from twin.study.analysis import warnings as study_warnings
    from twin.study.executors import make_executor
    from twin.study.plan import scenarios
    from twin.study.runner import check_overrides, parse_run_timeout, run_study
    from twin.study.store import Store

    try:
        check.seed(seed)
        check.count(replications, "--replications", 1, 10_000)
        check.count(workers, "--workers", 0, check.MAX_WORKERS,
                    "0 runs in this process; default: all cores")
        check.number(half_width, "--half-width", 1e-6, 1.0)
        check.scheduler(scheduler)
        try:
            parse_run_timeout(run_timeout)
        except ValueError as exc:
            raise check.OptionError(str(exc)) from None
        check.store(store)
        if report is not None:
            check.out_file(report, "--report")
        path, plan = build_plan(line, plan_file, vary or [], {
            "replications": replications,
            "hours": None if hours is None else check.hours(hours),
            "warmup": check.study_warmup(warmup),
            "target": target, "seed": seed, "half_width": half_width,
            "keep_events": keep_events or None, "simulator": simulator,
            "run_timeout": run_timeout,
        })
        budget = parse_run_timeout(plan.run_timeout)  # the option's, else the study YAML's
        check.hours(plan.hours, "hours")
        model = load_line(path)
        check_overrides(model, scenarios(model, plan.factors))
    except (PlanError, ConfigError, check.OptionError) as exc:
        raise _fail(str(exc)) from None
    console = Console(stderr=True)
    try:
        executor = make_executor(workers, scheduler)
    except (OSError, ValueError) as exc:
        raise _fail(f"--scheduler {scheduler}: cannot reach it ({exc})") from None
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
        TextColumn("left"), TimeRemainingColumn(), console=console, transient=False,
    )
    tasks: dict[str, Any] = {}

    labels = {"pilot": "warm-up pilots", "main": "runs", "trace": "trace run"}

    def on_start(role: str, total: int, skipped: int) -> None:
        label = labels.get(role, role)
        tasks[role] = progress.add_task(label, total=total, completed=skipped, failed=0)
        if skipped:
            console.print(f"{label}: {skipped} of {total} already in {store}, skipped")

    def on_done(spec: Any, outcome: Any) -> None:
        task = tasks[spec.role]
        failed = outcome.status != "done"
        fields = progress.tasks[task].fields
        progress.update(task, advance=1, failed=fields["failed"] + failed)
        if log_runs:
            print(f"{outcome.status} {spec.key} scenario={spec.scenario} "
                  f"replication={spec.replication} {outcome.error}", flush=True)

    start = time.perf_counter()
    try:
        with Store(store) as db, progress:
            result = run_study(model, plan, db, executor, on_start=on_start,
                               on_done=on_done, retry_failed=retry_failed, check=False,
                               run_timeout=budget)
            results = load(db)
            _, words = recommendation(results)
            for warning in study_warnings(results):
                typer.echo(f"warning: {warning}", err=True)
    except KeyboardInterrupt:
        raise _interrupted(executor, store) from None
    except (PlanError, ConfigError) as exc:
        executor.close(cancel=True)
        raise _fail(str(exc)) from None
    except Exception as exc:
        import duckdb

        from twin.study.store import interrupted

        executor.close(cancel=True)
        if interrupted(exc):  # Ctrl-C landed inside a DuckDB call
            raise _interrupted(executor, store) from None
        if isinstance(exc, duckdb.Error):
            raise _fail(f"--store {store}: {' '.join(str(exc).split())[:300]}") from None
        raise
    executor.close()
    console.print(f"{result.done} runs done, {result.failed} failed, {result.skipped} "
                  f"skipped in {time.perf_counter() - start:.1f} s; store {store}")
    print(words)
    if report:
        from twin.study.report import write_report

        write_report(store, report)
        console.print(f"report: {report}")
    if result.failed:
        raise typer.Exit(1)


def _interrupted(executor: Any, store: Path) -> typer.Exit:
    """Ctrl-C: stop the workers, say so in one line, exit 130. Further Ctrl-Cs wait until
    that is done: they must not cut it short with a traceback."""
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        executor.close(cancel=True)
        say(f"interrupted: every finished run is kept in {store}; run the same command "
            "again to resume")
    finally:
        if main:
            signal.signal(signal.SIGINT, signal.default_int_handler if before is None else before)
    return typer.Exit(130)


def report(
    store: Annotated[Path, typer.Argument(help="DuckDB file written by twin study")] = Path(
        "study.duckdb"),
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file")] = Path("report.html"),
) -> None:
    """Write the study report: one self-contained HTML file that works offline."""
    from twin.study.report import write_report

    try:
        write_report(store, out)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    print(out, file=sys.stdout)
