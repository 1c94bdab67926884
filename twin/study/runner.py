"""Running a study: validate the plan, find the warm-up, execute the runs not yet stored."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.config import Line
from twin.study.executors import Executor
from twin.study.plan import (
    RunSpec,
    Scenario,
    StudyPlan,
    code_version,
    config_hash,
    run_specs,
    scenarios,
)
from twin.study.plan import parse_run_timeout as parse_run_timeout  # its home is the plan
from twin.study.stats import mser5
from twin.study.store import Store
from twin.study.worker import RunOutcome, spec_budget

PILOT_BINS = 1000
OnStart = Callable[[str, int, int], None]  # role (pilot, main, trace), runs, skipped
OnDone = Callable[[RunSpec, RunOutcome], None]


@dataclass
class StudyRun:
    """What a study did: scenarios, chosen warm-up and run counts."""

    grid: list[Scenario]
    warmup_hours: float | None
    total: int
    skipped: int
    done: int
    failed: int


def check_overrides(line: Line, grid: Sequence[Scenario]) -> None:
    """Apply every scenario's overrides once so a bad field path fails before any run."""
    from twin.loader import apply_overrides

    for sc in grid:
        if sc.overrides:
            apply_overrides(line, sc.overrides)


def run_budgets(specs: Sequence[RunSpec], run_timeout: float | None = None) -> dict[str, float]:
    """Run key -> wall-clock budget (s): ``run_timeout`` for every run, or derived from the
    line's size and horizon when None; no budget when ``run_timeout`` is infinite."""
    if run_timeout is not None:
        if not run_timeout > 0:
            raise ValueError(f"run_timeout {run_timeout}: give seconds above 0, or math.inf")
        return {} if math.isinf(run_timeout) else {s.key: run_timeout for s in specs}
    return {s.key: spec_budget(s) for s in specs}


def run_study(line: Line, plan: StudyPlan, store: Store, executor: Executor, *,
              on_start: OnStart | None = None, on_done: OnDone | None = None,
              retry_failed: bool = False, check: bool = True,
              run_timeout: float | None = None) -> StudyRun:
    """Run every (scenario, replication) of ``plan`` not already in ``store``.

    Each run gets a wall-clock budget: ``run_timeout`` seconds, or when None one derived from
    the line's size and horizon (``worker.default_run_timeout``); ``math.inf`` for none. A run
    past it is recorded as failed and the study goes on. Ctrl-C never cuts a run's write to the
    store: KeyboardInterrupt is raised once the store holds whole runs only."""
    version = code_version(plan.simulator)
    grid = scenarios(line, plan.factors)
    if check:
        check_overrides(line, grid)
    meta: dict[str, Any] = {
        "plan": plan.model_dump(mode="json"), "line_name": line.name,
        "line": line.model_dump(mode="json", by_alias=True), "config_hash": config_hash(line),
        "code_version": version, "factors": list(grid[0].overrides),
    }
    counts = [0, 0, 0, 0]  # total, skipped, done, failed
    ctx = _Context(store, executor, store.finished(include_failed=not retry_failed),
                   store.keys(), counts, on_start, on_done, run_timeout)
    pilots: list[RunSpec] = []
    warmup: float | None
    if plan.warmup == "auto":
        bin_s = max(plan.hours * 3600.0 / PILOT_BINS, 1.0)
        pilots = run_specs(line, plan, grid, 0.0, version, role="pilot", replications=1,
                           series_bin_s=bin_s)
        store.set_plan(meta, grid, pilots)
        _execute(ctx, "pilot", pilots)
        warmup, meta["warmup_note"] = auto_warmup(store, pilots)
    else:
        warmup = plan.warmup
    meta["warmup_hours"] = warmup
    main = run_specs(line, plan, grid, warmup, version)
    store.set_plan(meta, grid, [*pilots, *main])
    _execute(ctx, "main", main)
    if plan.traces:
        from twin.study.analysis import focus, load

        chosen = grid[focus(load(store))]
        trace = run_specs(line, plan, [chosen], warmup, version, role="trace", replications=1)
        store.set_plan(meta, grid, [*pilots, *main, *trace])
        _execute(ctx, "trace", trace)
    return StudyRun(grid, warmup, *counts)


@dataclass
class _Context:
    store: Store
    executor: Executor
    finished: set[str]
    recorded: set[str]
    counts: list[int]  # total, skipped, done, failed
    on_start: OnStart | None
    on_done: OnDone | None
    run_timeout: float | None


def _execute(ctx: _Context, role: str, specs: list[RunSpec]) -> None:
    todo: dict[str, RunSpec] = {}
    for spec in specs:
        if spec.key not in ctx.finished:
            todo.setdefault(spec.key, spec)
    ctx.counts[0] += len(specs)
    ctx.counts[1] += len(specs) - len(todo)
    if ctx.on_start:
        ctx.on_start(role, len(specs), len(specs) - len(todo))
    if not todo:
        return
    events_dir = ctx.store.path.parent / f"{ctx.store.path.stem}_events"
    budgets = run_budgets(list(todo.values()), ctx.run_timeout)
    for spec, outcome in ctx.executor.run(list(todo.values()), timeouts=budgets):
        path = ""
        if outcome.events_parquet is not None:
            events_dir.mkdir(parents=True, exist_ok=True)
            target = events_dir / f"{spec.key}.parquet"
            _write_atomic(target, outcome.events_parquet)
            path = target.name
        if outcome.status != "lost":
            ctx.store.record(spec, outcome, path, new=spec.key not in ctx.recorded)
            ctx.finished.add(spec.key)
            ctx.recorded.add(spec.key)
        ctx.counts[2 if outcome.status == "done" else 3] += 1
        if ctx.on_done:
            ctx.on_done(spec, outcome)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def auto_warmup(store: Store, pilots: Sequence[RunSpec]) -> tuple[float, str]:
    """Warm-up (h): the largest MSER-5 truncation over the pilots' WIP and output series,
    and a note when MSER-5 hit its search limit (the series never settles: shifts, drift)."""
    worst, capped = 0.0, False
    for spec in pilots:
        rows = store.con.execute(
            "SELECT t_end, good_units, wip_mean FROM series WHERE key = ? ORDER BY t_end",
            [spec.key]).fetchall()
        if len(rows) < 20:
            continue
        data = np.asarray(rows, dtype=float)
        cut = max(mser5(data[:, 1]), mser5(data[:, 2]))
        capped |= cut >= (len(data) // 5) // 2 * 5
        if cut:
            worst = max(worst, float(data[cut - 1, 0]))
    note = ("MSER-5 reached half the horizon: the output never settles (shift pattern or "
            "drift?); consider a longer horizon or a fixed warm-up") if capped else ""
    return math.ceil(worst / 60.0) / 60.0, note
