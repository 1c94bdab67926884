"""The ``twin study`` and ``twin report`` commands: thin typed functions over the study API."""

from __future__ import annotations

import sys
import time
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

from twin.study.plan import PlanError, StudyPlan, load_plan, parse_vary


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _warmup(text: str | None) -> float | str | None:
    if text is None:
        return None
    if text.strip().lower() == "auto":
        return "auto"
    from twin.units import parse_duration

    try:
        value = text.strip()
        return float(value) if value.replace(".", "", 1).isdigit() else \
            parse_duration(value) / 3600.0
    except ValueError as exc:
        raise PlanError(f"--warmup {text!r}: give hours, a duration like '8 h', or auto") from exc


def build_plan(line: Path | None, plan_file: Path | None, vary: list[str],
               options: dict[str, Any]) -> tuple[Path, StudyPlan]:
    """The study plan from a study YAML and/or CLI options (options win)."""
    base = load_plan(plan_file) if plan_file else StudyPlan()
    data = base.model_dump(exclude_unset=True)
    if vary:
        data["factors"] = {**base.factors, **parse_vary(vary)}
    data.update({k: v for k, v in options.items() if v is not None})
    try:
        plan = StudyPlan.model_validate(data)
    except ValueError as exc:
        raise PlanError(" ".join(str(exc).splitlines()[:3])) from exc
    path = line or (Path(plan.line) if plan.line else None)
    if path is None:
        raise PlanError("give a line YAML (twin study LINE) or 'line:' in the study YAML")
    return path, plan


def study(
    line: Annotated[Path | None, typer.Argument(help="line YAML")] = None,
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", "-v", help="factor path=4:12:2 (inclusive) or path=a,b,c; repeat")] = None,
    plan_file: Annotated[Path | None, typer.Option("--plan", help="study YAML")] = None,
    replications: Annotated[int | None, typer.Option("--replications", "-r")] = None,
    hours: Annotated[float | None, typer.Option(help="simulated hours per run")] = None,
    warmup: Annotated[str | None, typer.Option(
        help='warm-up hours, a duration ("8 h") or auto (MSER-5); default: the line\'s')] = None,
    target: Annotated[str | None, typer.Option(help="e.g. throughput_per_hour>=120")] = None,
    seed: Annotated[int | None, typer.Option(help="study seed")] = None,
    half_width: Annotated[float | None, typer.Option(
        help="relative CI half-width wanted (replications advice), e.g. 0.02")] = None,
    store: Annotated[Path, typer.Option(help="DuckDB results file")] = Path("study.duckdb"),
    workers: Annotated[int | None, typer.Option(
        help="local worker processes (default all cores; 0 runs in this process)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address tcp://HOST:PORT")] = None,
    keep_events: Annotated[bool, typer.Option(
        help="write replication 0 event logs as Parquet beside the store")] = False,
    retry_failed: Annotated[bool, typer.Option(help="run failed runs again")] = False,
    report: Annotated[Path | None, typer.Option(help="write the HTML report here")] = None,
    log_runs: Annotated[bool, typer.Option(help="print a line per finished run")] = False,
    simulator: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run a capacity study: scenarios x replications into a DuckDB store, resuming."""
    from twin.loader import ConfigError, load_line
    from twin.study.analysis import load, recommendation
    from twin.study.executors import make_executor
    from twin.study.plan import scenarios
    from twin.study.runner import check_overrides, run_study
    from twin.study.store import Store

    try:
        path, plan = build_plan(line, plan_file, vary or [], {
            "replications": replications, "hours": hours, "warmup": _warmup(warmup),
            "target": target, "seed": seed, "half_width": half_width,
            "keep_events": keep_events or None, "simulator": simulator,
        })
        model = load_line(path)
        check_overrides(model, scenarios(model, plan.factors))
    except (PlanError, ConfigError) as exc:
        raise _fail(str(exc)) from None
    console = Console(stderr=True)
    try:
        executor = make_executor(workers, scheduler)
    except OSError as exc:
        raise _fail(f"cannot reach scheduler {scheduler}: {exc}") from None
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
                               on_done=on_done, retry_failed=retry_failed, check=False)
            _, words = recommendation(load(db))
    except KeyboardInterrupt:
        executor.close(cancel=True)
        console.print(f"interrupted: every finished run is kept in {store}; run the same "
                      "command again to resume")
        raise typer.Exit(130) from None
    except (PlanError, ConfigError) as exc:
        executor.close(cancel=True)
        raise _fail(str(exc)) from None
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
