"""``twin optimize``: the cheapest configuration that meets a target, with a guarantee.

The grid, the seeds (replication r of every configuration uses the same substreams: common
random numbers), the run keys, the executors and the DuckDB store are the study's, so a run the
search asks for is the very run a ``twin study`` with the same settings would make, and a
killed search resumes from its store. Each run has the study's wall-clock budget
(``--run-timeout``); a configuration with a run past it is recorded as failed and the search
goes on without it. The search itself is ``twin.study.search``; the statistics are
``twin.study.selection``; the report is ``twin.study.optimize_report``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twin.config import Line
from twin.study.executors import Executor
from twin.study.plan import (
    DEFAULT_SIMULATOR,
    CostModel,
    PlanError,
    RunSpec,
    Scenario,
    StudyPlan,
    Target,
    code_version,
    config_hash,
    replication_seed,
    resolve_path,
    run_key,
    scenarios,
)
from twin.study.search import Candidate, Failed, Request, Search, Step
from twin.study.selection import FeasibilityCheck
from twin.study.store import Store
from twin.study.worker import TIMED_OUT, RunOutcome

SERIES_BIN_S = 3600.0
"""The study's default KPI series bin: keeps run keys equal to a study's with the same
settings."""
DEFAULT_INDIFFERENCE = 0.01
"""Indifference zone when none is given: this share of the target value."""
STEPS_TABLE = "optimize_steps"
CONFIGS_TABLE = "optimize_configs"


class OptimizeError(RuntimeError):
    """The search cannot go on (a run failed or a worker was lost); one readable line."""


class OptimizePlan(BaseModel):
    """Everything ``twin optimize`` needs besides the line."""

    model_config = ConfigDict(extra="forbid")

    factors: dict[str, list[Any]]
    target: Target
    costs: dict[str, float] = Field(default_factory=dict, description="USD per unit of a factor")
    confidence: float = Field(default=0.95, gt=0, lt=1)
    indifference: float | None = Field(default=None, gt=0)
    initial: int = Field(default=10, ge=2, le=1000, description="first-stage replications")
    batch: int = Field(default=4, ge=1, le=1000, description="replications added at a time")
    max_replications: int = Field(default=1000, ge=2, le=100_000)
    hours: float = Field(default=168.0, gt=0)
    warmup: float | None = Field(default=None, ge=0)
    seed: int = Field(default=0, ge=0)
    monotone: bool = Field(default=True, description="infer misses along monotone factors")
    simulator: str = DEFAULT_SIMULATOR

    @property
    def tolerance(self) -> float:
        if self.indifference is not None:
            return self.indifference
        if self.target.value == 0:
            raise PlanError("--indifference: the target is 0, so give the zone in the KPI's "
                            "units, e.g. --indifference 1")
        return DEFAULT_INDIFFERENCE * abs(self.target.value)


@dataclass
class Outcome:
    """What a search did: the answer, the search state and its run counts."""

    answer: Candidate | None
    search: Search
    grid: list[Scenario]
    runs: int
    new_runs: int
    prices: list[float]


def prices(line: Line, plan: OptimizePlan) -> list[float]:
    """USD per unit of every factor: ``costs``, else the cost model's robot and charger
    prices; a factor with no price is refused."""
    default = CostModel()
    paths = [resolve_path(line, p) for p in plan.factors]
    given = {resolve_path(line, p): v for p, v in plan.costs.items()}
    for path, value in given.items():
        if path not in paths:
            raise PlanError(f"--cost {path}: not one of the factors ({', '.join(paths)})")
        if not math.isfinite(value) or value < 0:
            raise PlanError(f"--cost {path}={value}: give a price of 0 or more (USD per unit)")
    out = []
    for path in paths:
        if path in given:
            out.append(given[path])
        elif path == "fleet.count":
            out.append(default.robot_price)
        elif path.startswith("chargers.") and path.endswith(".count"):
            out.append(default.charger_price)
        else:
            raise PlanError(f"--cost: no price for factor {path}; add --cost {path}=USD "
                            "(per unit; 0 if it costs nothing)")
    return out


def candidates(grid: Sequence[Scenario], factor_prices: Sequence[float]) -> list[Candidate]:
    """Grid scenarios with their cost (sum of price x value over the factors)."""
    out = []
    for sc in grid:
        values = tuple(sc.overrides.values())
        for path, value in sc.overrides.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise PlanError(f"--factor {path}: optimize searches numeric factors; "
                                f"{value!r} is not a number")
        cost = float(sum(p * v for p, v in zip(factor_prices, values, strict=True)))
        out.append(Candidate(sc.id, values, sc.name, cost))
    return out


def make_search(line: Line, plan: OptimizePlan, grid: list[Scenario],
                on_step: Callable[[Step], None] | None = None) -> tuple[Search, list[float]]:
    """The search over ``grid`` with the plan's error budget split over its configurations."""
    factor_prices = prices(line, plan)
    cands = candidates(grid, factor_prices)
    target = plan.target
    check = FeasibilityCheck(
        threshold=target.value, higher_is_better=not target.lower_is_better,
        strict=target.op in (">", "<"), tolerance=plan.tolerance, n0=plan.initial,
        beta=(1.0 - plan.confidence) / len(grid))
    rank = sorted(range(len(factor_prices)), key=lambda f: (-factor_prices[f], f))
    search = Search(cands, list(grid[0].overrides), check, batch=plan.batch,
                    max_replications=plan.max_replications,
                    monotone=[plan.monotone] * len(factor_prices), rank=rank,
                    on_step=on_step)
    return search, factor_prices


def study_plan(plan: OptimizePlan) -> StudyPlan:
    """The same settings as a study plan (what ``twin report`` reads from a store)."""
    return StudyPlan(factors=plan.factors, replications=plan.initial, hours=plan.hours,
                     warmup=plan.warmup, seed=plan.seed, target=plan.target,
                     confidence=plan.confidence, traces=False, simulator=plan.simulator)


def run_optimize(line: Line, plan: OptimizePlan, store: Store, executor: Executor, *,
                 on_step: Callable[[Step], None] | None = None,
                 retry_failed: bool = False, run_timeout: float | None = None) -> Outcome:
    """Search for the cheapest configuration meeting the target, recording every run.

    Each run gets a wall-clock budget as in ``run_study``: ``run_timeout`` seconds, or when
    None one derived from the line's size and horizon; ``math.inf`` for none. A configuration
    with a run past it is failed (never chosen, sets nothing aside) and the search goes on."""
    from twin.study.runner import check_overrides

    grid = scenarios(line, plan.factors)
    check_overrides(line, grid)
    search, factor_prices = make_search(line, plan, grid, on_step)
    version = code_version(plan.simulator)
    meta: dict[str, Any] = {
        "plan": study_plan(plan).model_dump(mode="json"),
        "optimize": plan.model_dump(mode="json"), "line_name": line.name,
        "line": line.model_dump(mode="json", by_alias=True), "config_hash": config_hash(line),
        "code_version": version, "factors": list(grid[0].overrides),
        "warmup_hours": plan.warmup,
    }
    store.set_plan(meta, grid, [])
    runs = _Runs(line, plan, grid, store, executor, version, retry_failed, run_timeout)
    answer = search.run(runs)
    write_log(store, search, factor_prices, runs.new)
    return Outcome(answer, search, grid, search.runs, runs.new, factor_prices)


class _Runs:
    """The search's sampler: turns (configuration, replication) requests into stored runs."""

    def __init__(self, line: Line, plan: OptimizePlan, grid: list[Scenario], store: Store,
                 executor: Executor, version: str, retry_failed: bool,
                 run_timeout: float | None = None) -> None:
        self.line, self.plan, self.store, self.executor = line, plan, store, executor
        self.run_timeout = run_timeout
        self.by_id = {sc.id: sc for sc in grid}
        self.version = version
        self.line_hash = config_hash(line)
        self.finished = store.finished(include_failed=not retry_failed)
        self.recorded = store.keys()
        self.kpi = plan.target.kpi
        self.new = 0

    def spec(self, request: Request) -> RunSpec:
        cid, rep = request
        sc = self.by_id[cid]
        seed = replication_seed(self.plan.seed, rep)
        key = run_key(self.line_hash, sc.overrides, seed, self.plan.hours, self.plan.warmup,
                      SERIES_BIN_S, False, self.version)
        return RunSpec(key=key, scenario=cid, replication=rep, role="main", line=self.line,
                       overrides=sc.overrides, seed=seed, hours=self.plan.hours,
                       warmup_hours=self.plan.warmup, series_bin_s=SERIES_BIN_S, events=False,
                       keep_events=False, simulator=self.plan.simulator,
                       code_version=self.version, meta={"config_hash": self.line_hash})

    def __call__(self, requests: list[Request]) -> dict[Request, float]:
        from twin.study.runner import run_budgets

        specs = [self.spec(q) for q in requests]
        self.store.add_plan_runs(specs)
        todo = {s.key: s for s in specs if s.key not in self.finished}
        lost: list[tuple[RunSpec, RunOutcome]] = []
        budgets = run_budgets(list(todo.values()), self.run_timeout)
        for spec, outcome in self.executor.run(list(todo.values()), timeouts=budgets):
            if outcome.status == "lost":
                lost.append((spec, outcome))
                continue
            self.store.record(spec, outcome, "", new=spec.key not in self.recorded)
            self.finished.add(spec.key)
            self.recorded.add(spec.key)
            self.new += 1
        if lost:
            spec, outcome = lost[0]
            raise OptimizeError(f"{len(lost)} run(s) lost ({outcome.error}); every finished "
                                "run is kept: run the same command again to resume")
        keys = [s.key for s in specs]
        marks = ", ".join("?" for _ in keys)
        rows = self.store.con.execute(
            f'SELECT r.key, r.status, r.error, l."{self.kpi}" FROM runs r LEFT JOIN line_kpis l '
            f"USING (key) WHERE r.key IN ({marks})", keys).fetchall()
        found = {key: (status, error, value) for key, status, error, value in rows}
        for q, spec in zip(requests, specs, strict=True):  # a hang rules its configuration out
            status, error, _ = found.get(spec.key, ("missing", "", None))
            if status == "failed" and str(error).startswith(TIMED_OUT):
                raise Failed(q[0], f"replication {q[1]} {error.split(';')[0]}")
        out: dict[Request, float] = {}
        for q, spec in zip(requests, specs, strict=True):
            status, error, value = found.get(spec.key, ("missing", "", None))
            where = f"{self.by_id[q[0]].name}, replication {q[1]}"
            if status != "done":
                raise OptimizeError(f"the run of {where} {status}: {error}; fix the line or the "
                                    "factor values (or rerun with --retry-failed)")
            if value is None or not math.isfinite(float(value)):
                raise OptimizeError(f"the run of {where} measured no {self.kpi} (for a per "
                                    "shift-hour KPI the window may hold no shift); lengthen "
                                    "--hours or change the target")
            out[q] = float(value)
        return out


def write_log(store: Store, search: Search, factor_prices: Sequence[float],
              new_runs: int) -> None:
    """The decision log and every configuration's fate, in the store beside the runs."""
    con = store.con
    con.execute(f"CREATE TABLE IF NOT EXISTS {STEPS_TABLE} (step INTEGER, runs INTEGER, "
                "scenario INTEGER, event VARCHAR, replications INTEGER, mean DOUBLE, "
                "detail VARCHAR)")  # the name is the scenario's (scenarios table)
    con.execute(f"CREATE TABLE IF NOT EXISTS {CONFIGS_TABLE} (scenario INTEGER, name VARCHAR, "
                "cost DOUBLE, status VARCHAR, witness INTEGER, replications INTEGER, "
                "mean DOUBLE, decided_at INTEGER)")
    con.begin()
    try:
        con.execute(f"DELETE FROM {STEPS_TABLE}")
        con.execute(f"DELETE FROM {CONFIGS_TABLE}")
        con.executemany(f"INSERT INTO {STEPS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", [
            [s.step, s.runs, s.scenario, s.event, s.replications,
             None if math.isnan(s.mean) else s.mean, s.detail] for s in search.steps])
        rows = []
        for c in search.candidates:
            data = search.data[c.id]
            verdict = search.verdicts.get(c.id)
            rows.append([c.id, c.name, c.cost, search.status[c.id], search.witness.get(c.id),
                         len(data), sum(data) / len(data) if data else None,
                         verdict.at if verdict else None])
        con.executemany(f"INSERT INTO {CONFIGS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        result = {
            "answer": search.answer, "runs": search.runs, "new_runs": new_runs,
            "grid": len(search.candidates), "prices": list(factor_prices),
            "h2": search.check.h2, "beta": search.check.beta,
            "tolerance": search.check.tolerance, "monotone": search.monotone,
            "lead": search.factors[search.rank[0]] if search.rank else None,
            "inferred_along": [search.factors[f] for f in search.rank[1:]
                               if search.monotone[f]],
            "switched_off": [search.factors[f] for f in search.rank[1:]
                             if not search.monotone[f]],
            "pairs": len(search.pairs),
            "violations": sum(p.violated for p in search.pairs.values()),
        }
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    ["optimize_result", json.dumps(result)])
        con.commit()
    except BaseException:
        con.rollback()
        raise
