"""From stored runs to answers: per-scenario intervals, cost per unit, the recommendation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin.study.plan import CostModel, StudyPlan, Target
from twin.study.stats import Interval, Option, mean_ci, paired_ci, recommend, replications_needed
from twin.study.store import Store
from twin.study.words import (
    achieves,
    headline_kpi,
    kpi_words,
    shifts_per_day,
    target_words,
    units_word,
)

SUMMARY_KPIS = (
    "throughput_per_hour", "oee", "availability", "effectiveness", "quality_ratio", "wip_mean",
    "mean_lead_time_s", "robot_utilisation", "mean_charger_wait_s", "kwh_per_unit",
    "cost_per_unit", "payback_years",
)


@dataclass
class Results:
    """A study's main runs as DataFrames, each row tagged with scenario and replication."""

    plan: StudyPlan
    meta: dict[str, Any]
    scenarios: pd.DataFrame
    runs: pd.DataFrame
    line: pd.DataFrame
    stations: pd.DataFrame
    robots: pd.DataFrame
    chargers: pd.DataFrame
    traces: pd.DataFrame
    spots: pd.DataFrame

    @property
    def cost(self) -> CostModel:
        return self.plan.cost or CostModel()

    def name(self, scenario: int) -> str:
        row = self.scenarios.loc[self.scenarios.scenario == scenario, "name"]
        return str(row.iloc[0]) if len(row) else str(scenario)


def _frame(store: Store, table: str, role: str = "main") -> pd.DataFrame:
    return store.con.execute(
        f"SELECT p.scenario, p.replication, t.* FROM {table} t JOIN plan_runs p USING (key) "
        "JOIN runs r USING (key) WHERE p.role = ? AND r.status = 'done' "
        "ORDER BY p.scenario, p.replication", [role]).df()


def load(store: Store) -> Results:
    """Read the current study of ``store``."""
    meta = store.meta()
    if "plan" not in meta:
        raise ValueError(f"{store.path}: holds no study (run `twin study` first)")
    plan = StudyPlan.model_validate(meta["plan"])
    scenarios = store.con.execute("SELECT * FROM scenarios ORDER BY scenario").df()
    scenarios["overrides"] = [json.loads(o) for o in scenarios["overrides"]]
    runs = store.con.execute(
        "SELECT p.scenario, p.replication, p.role, p.key, r.status, r.error, r.wall_s "
        "FROM plan_runs p LEFT JOIN runs r USING (key) ORDER BY p.role, p.scenario, "
        "p.replication").df()
    line = _frame(store, "line_kpis")
    robots = _frame(store, "robot_kpis")
    chargers = _frame(store, "charger_kpis")
    shifts = shifts_per_day(meta.get("line") or {})
    line = line.merge(_costs(line, robots, chargers, plan.cost or CostModel(), shifts),
                      on="key", how="left")
    return Results(plan, meta, scenarios, runs, line, _frame(store, "station_kpis"), robots,
                   chargers, _frame(store, "traces", "trace"), _frame(store, "spot_kpis"))


def _costs(line: pd.DataFrame, robots: pd.DataFrame, chargers: pd.DataFrame,
           cost: CostModel, shifts: int = 1) -> pd.DataFrame:
    n_robots = robots.groupby("key").size()
    n_points = chargers.groupby("key")["points"].sum()
    out = []
    for row in line.to_dict("records"):
        key = str(row["key"])
        r, c = int(n_robots.get(key, 0)), int(n_points.get(key, 0))
        measured_h = max(float(row["horizon_s"]) / 3600.0, 1e-9)
        energy_yr = float(row["fleet_energy_kwh"]) / measured_h * cost.hours_per_year
        energy_cost = energy_yr * cost.energy_price_kwh
        capex = r * cost.robot_price + c * cost.charger_price
        per_year = capex / cost.amortisation_years + energy_cost
        units_yr = float(row["throughput_per_hour"]) * cost.hours_per_year
        workers = (cost.baseline_workers if cost.baseline_workers is not None
                   else r * shifts)
        saving = workers * cost.labour_cost_per_year - energy_cost
        out.append({
            "key": key, "robots": r, "charge_points": c, "capex": capex,
            "cost_per_year": per_year,
            "cost_per_unit": per_year / units_yr if units_yr > 0 else math.inf,
            "payback_years": capex / saving if saving > 0 and capex > 0 else math.inf,
        })
    cols = ["key", "robots", "charge_points", "capex", "cost_per_year", "cost_per_unit",
            "payback_years"]
    return pd.DataFrame(out, columns=cols)


def intervals(res: Results, kpi: str) -> dict[int, Interval]:
    """Scenario -> confidence interval of a line KPI (or a cost column)."""
    out = {}
    for sc in res.scenarios.scenario:
        values = res.line.loc[res.line.scenario == sc, kpi] if kpi in res.line else []
        out[int(sc)] = mean_ci(np.asarray(values, dtype=float), res.plan.confidence)
    return out


def summary(res: Results) -> pd.DataFrame:
    """One row per scenario: runs done/failed and mean, half-width for the main KPIs."""
    rows = []
    main = res.runs[res.runs.role == "main"]
    for sc in res.scenarios.to_dict("records"):
        mine = main[main.scenario == sc["scenario"]]
        row: dict[str, Any] = {"scenario": sc["scenario"], "name": sc["name"],
                               "done": int((mine.status == "done").sum()),
                               "failed": int((mine.status == "failed").sum())}
        row.update(sc["overrides"])
        for kpi in SUMMARY_KPIS:
            ci = intervals(res, kpi)[int(sc["scenario"])]
            row[kpi], row[f"{kpi}_half"] = ci.mean, ci.half
        rows.append(row)
    return pd.DataFrame(rows)


def options(res: Results, target: Target) -> list[Option]:
    """Every scenario with its target-KPI interval and yearly cost."""
    kpi = intervals(res, target.kpi)
    cost = intervals(res, "cost_per_year")
    return [Option(int(s), res.name(int(s)), kpi[int(s)], cost[int(s)].mean)
            for s in res.scenarios.scenario if kpi[int(s)].n]


def recommendation(res: Results) -> tuple[Option | None, str]:
    """The chosen scenario (if any) and the answer in words, in the target's terms first:
    "3 robots and 1 swap station make 61 door modules per shift hour, 95% CI 60 to 62"."""
    target = res.plan.target
    level = f"{res.plan.confidence:.0%}"
    if res.line.empty:
        return None, "No run finished yet, so there is nothing to recommend."
    few = few_replications(res)
    kpi = target.kpi if target is not None else headline_kpi(res)
    if kpi not in res.line:
        return None, f"The target names {kpi!r}, which is not a line KPI."
    ci = intervals(res, kpi)
    measured = [s for s, c in ci.items() if c.n]
    if not measured:
        return None, (f"No run measured {kpi_words(res, kpi)} (for a per-shift-hour KPI: the "
                      "measured window holds no on-shift time); lengthen --hours or change "
                      "the target.")
    if target is None:
        top = max(measured, key=lambda s: (ci[s].mean, -s))
        words = f"No target was set. The most output: {achieves(res, top, kpi, ci[top])}."
        if few:
            return None, words
        cost = intervals(res, "cost_per_year")
        close = [s for s in measured if ci[s].high >= ci[top].low]  # intervals overlap
        cheap = min(close, key=lambda s: (cost[s].mean, s))
        if cheap != top and cost[cheap].mean < cost[top].mean:
            words += (f" For less money, {achieves(res, cheap, kpi, ci[cheap])}: within the "
                      f"interval of the most, at USD {cost[cheap].mean:,.0f} a year against "
                      f"USD {cost[top].mean:,.0f}.")
        return None, words
    goal = target_words(res, target)
    if few:
        top = max(measured, key=lambda s: (ci[s].mean if not target.lower_is_better
                                           else -ci[s].mean, -s))
        return None, (f"One run per scenario cannot show the target of {goal} is met. Best "
                      f"single run: {achieves(res, top, kpi, ci[top])}.")
    opts = options(res, target)
    chosen = recommend(opts, target)
    if chosen is None:
        bound = (lambda o: -o.kpi.high) if target.lower_is_better else (lambda o: o.kpi.low)
        best = max(opts, key=lambda o: bound(o) if math.isfinite(bound(o)) else -math.inf)
        return None, (f"No scenario meets the target of {goal} with {level} confidence. The "
                      f"closest: {achieves(res, best.scenario, kpi, best.kpi)}. Widen the grid "
                      "or add replications.")
    costs = res.line[res.line.scenario == chosen.scenario]
    per_unit = float(costs["cost_per_unit"].mean())
    payback = float(costs["payback_years"].mean())
    n_ok = sum(1 for o in opts if _meets(o, target))
    words = (f"Recommended: {achieves(res, chosen.scenario, kpi, chosen.kpi)}. That meets "
             f"the target of {goal} with "
             f"{level} confidence and is the cheapest of the {n_ok} scenario"
             f"{'s' * (n_ok != 1)} that do, at USD {chosen.cost:,.0f} a year "
             f"(USD {per_unit:.2f} per {units_word(res, 1)})")
    if math.isfinite(payback):
        words += f", paying back in {payback:.1f} years against human staff"
    return chosen, words + "."


def few_replications(res: Results) -> str:
    """A one-line warning when a study has too few replications for an interval."""
    n = int(res.line.groupby("scenario").size().min()) if not res.line.empty else 0
    if n >= 2 or res.line.empty:
        return ""
    return (f"only {n} replication{'s' * (n != 1)} per scenario: no confidence interval, so "
            "nothing can be recommended with confidence; run 2 or more (--replications 5 is "
            "a good start)")


def warnings(res: Results) -> list[str]:
    """One-line warnings about a study's results (printed by twin study, shown in the
    report)."""
    return [w for w in (few_replications(res),) if w]


def focus(res: Results) -> int:
    """The scenario the report looks at closely: the recommended one, else the best."""
    chosen, _ = recommendation(res)
    if chosen is not None:
        return chosen.scenario
    tph = intervals(res, "throughput_per_hour")
    ok = [s for s, ci in tph.items() if ci.n]
    return max(ok, key=lambda s: (tph[s].mean, -s)) if ok else int(res.scenarios.scenario[0])


def _meets(o: Option, target: Target) -> bool:
    return target.met(o.kpi.high if target.lower_is_better else o.kpi.low)


def paired_vs(res: Results, base: int, kpi: str = "throughput_per_hour") -> pd.DataFrame:
    """Paired differences (scenario - base) over common replications, with intervals."""
    rows = []
    ref = res.line[res.line.scenario == base].set_index("replication")[kpi]
    for sc in res.scenarios.scenario:
        other = res.line[res.line.scenario == sc].set_index("replication")[kpi]
        common = ref.index.intersection(other.index)
        if sc == base or len(common) < 2:
            continue
        ci = paired_ci(other[common].to_numpy(float), ref[common].to_numpy(float),
                       res.plan.confidence)
        rows.append({"scenario": int(sc), "name": res.name(int(sc)), "diff": ci.mean,
                     "half": ci.half, "n": ci.n})
    return pd.DataFrame(rows, columns=["scenario", "name", "diff", "half", "n"])


def advice(res: Results, kpi: str = "throughput_per_hour") -> dict[int, int]:
    """Replications each scenario needs for the plan's relative half-width (default 2%)."""
    goal = res.plan.half_width or 0.02
    out = {}
    for sc in res.scenarios.scenario:
        values = res.line.loc[res.line.scenario == sc, kpi].to_numpy(float)
        if len(values) >= 2:
            out[int(sc)] = replications_needed(values, goal, res.plan.confidence)
    return out
