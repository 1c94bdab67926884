"""The constraint: what limits a line of any kind of resource (station, work spot, charger group,
the fleet), held against queueing theory on the teaching lines, beside the ISO bottleneck.

- spot_contention, 8 robots: the rack face (one spot) is busy X(8) S = 0.998 of the time by
  mean-value analysis, the bench 1 s a part: the face limits the line, not the bottleneck bench.
- spot_contention, 1 robot: a lone robot never queues, so it works all the time (fleet 1.0)
  while the face is busy S / (S + Z) = 20 / 64 of it.
- tandem: Jackson's theorem, paint rho = 45 / 60 = 0.75 above weld's 0.67 and cut's 0.50: the
  station bottleneck is the constraint.
- charger_queue (M/M/c//5, work 60 min, swap 15 min), parts arriving every 90 s so the cell
  (60 s a part) is busy 2/3: one swap station is busy 0.801 while the fleet works 0.641, so the
  charger group limits; with two, the charger is busy 0.488 and the fleet works 0.781: now the
  fleet.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from line_helpers import machine_repair, t_interval

import twin
from twin import kpi
from twin.demo import mean_value_analysis
from twin.study.analysis import load
from twin.study.executors import InlineExecutor
from twin.study.findings import breaks_first
from twin.study.plan import StudyPlan
from twin.study.runner import run_study
from twin.study.store import Store

TEACHING = Path(__file__).resolve().parents[2] / "lines" / "teaching"
NAN = float("nan")


def _runs(name: str, reps: int, hours: float, overrides: dict[str, Any]) -> list[twin.RunResult]:
    line = twin.load_line(TEACHING / name)
    return [twin.simulate(line, hours=hours, seed=seed, overrides=overrides)
            for seed in range(reps)]


def _covers(samples: list[float], expected: float, what: str) -> None:
    """The analytic value lies in the replications' 95% t confidence interval."""
    mean, half = t_interval(np.asarray(samples))
    assert abs(mean - expected) <= half, (
        f"{what}: twin {mean:.4f} +/- {half:.4f} (95% CI, {len(samples)} reps) does not cover "
        f"the analytic {expected:.4f}")


def test_the_highest_utilisation_of_any_kind_wins_and_undefined_ones_never_do() -> None:
    use = {("station", "press"): 0.7, ("spot", "rack"): 0.9, ("charger", "dock"): NAN,
           ("fleet", kpi.FLEET): 0.8}
    assert kpi.constraint(use) == ("rack", "spot", 0.9)
    assert kpi.constraint({**use, ("charger", "dock"): 0.95}) == ("dock", "charger", 0.95)
    # ties: a station before a spot before a charger before the fleet, then the later name
    tie = {("fleet", kpi.FLEET): 1.0, ("spot", "b"): 1.0, ("spot", "a"): 1.0}
    assert kpi.constraint(tie) == ("b", "spot", 1.0)
    assert kpi.constraint({**tie, ("station", "press"): 1.0})[:2] == ("press", "station")
    name, kind, u = kpi.constraint({("station", "press"): NAN, ("fleet", kpi.FLEET): NAN})
    assert (name, kind) == ("press", "station") and math.isnan(u)


def test_eight_robots_at_one_rack_face_the_face_limits_not_the_bench() -> None:
    x, _ = mean_value_analysis(8, 20.0, 20.0 + 20.0 + 4.0)
    busy = x * 20.0  # the utilisation law: U = X S (0.998)
    (run,) = _runs("spot_contention.yaml", 1, 10, {"fleet.count": 8})
    line = run.kpis.line
    assert (line.constraint_kind, line.constraint) == ("spot", "rack")
    assert abs(line.constraint_utilisation - busy) <= 0.01 * busy, (
        f"rack face busy {line.constraint_utilisation:.4f}, MVA {busy:.4f}")
    assert line.bottleneck == "bench" and line.oee < 0.1  # the ISO bottleneck, unchanged


def test_one_robot_never_waits_so_the_fleet_limits() -> None:
    (run,) = _runs("spot_contention.yaml", 1, 10, {"fleet.count": 1})
    line = run.kpis.line
    assert (line.constraint_kind, line.constraint) == ("fleet", kpi.FLEET)
    assert line.constraint_utilisation == pytest.approx(1.0, abs=1e-9)
    assert abs(run.kpis.spots["rack"].utilisation - 20 / 64) < 0.05  # S / (S + Z), one draw


def test_on_the_tandem_line_the_constraint_is_the_bottleneck_station() -> None:
    runs = _runs("tandem.yaml", 4, 200, {})
    for run in runs:
        line = run.kpis.line
        assert (line.constraint_kind, line.constraint) == ("station", line.bottleneck)
        assert line.constraint == "paint"
    _covers([r.kpis.line.constraint_utilisation for r in runs], 45 / 60, "paint rho")


@pytest.mark.parametrize(("chargers", "kind"), [(1, "charger"), (2, "fleet")])
def test_too_few_chargers_limit_the_fleet_and_one_more_moves_the_limit(
        chargers: int, kind: str) -> None:
    # finite-source M/M/c//5: robots work 3600 s between swaps of 900 s
    theory = machine_repair(5, chargers, 1 / 3600.0, 1 / 900.0)
    working, charger_busy = (5 - theory["L"]) / 5, theory["busy"]
    runs = _runs("charger_queue.yaml", 4, 400, {
        "chargers.swap.count": chargers,
        "sources.rack.kind": "arrivals", "sources.rack.interarrival": "90 s"})
    expected = charger_busy if kind == "charger" else working
    assert expected > 60 / 90  # theory puts it above the cell's 2/3
    for run in runs:
        line = run.kpis.line
        assert line.constraint_kind == kind
        assert line.constraint == ("swap" if kind == "charger" else kpi.FLEET)
    _covers([r.kpis.line.constraint_utilisation for r in runs], expected,
            f"{kind} busy with {chargers} swap station(s)")


def test_the_study_store_keeps_the_constraint_and_the_report_names_it(tmp_path: Path) -> None:
    """Stored, resumed into a store made before the constraint existed, and said in the
    report's 'what breaks first': 1 robot works all the time, 8 queue at the rack face."""
    line = twin.load_line(TEACHING / "spot_contention.yaml")
    plan = StudyPlan.model_validate({"factors": {"fleet.count": [1, 8]}, "replications": 2,
                                     "hours": 2, "warmup": 0.5, "traces": False})
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        run_study(line, plan, store, InlineExecutor())
        res = load(store)
    got = {(int(r.scenario), r.constraint_kind, r.constraint) for r in res.line.itertuples()}
    assert got == {(0, "fleet", kpi.FLEET), (1, "spot", "rack")}
    assert breaks_first(res, 0).startswith("the robots set the pace (moving work 100%")
    assert breaks_first(res, 1).startswith("the work spot at rack sets the pace (held 100%")
    # a store written before the constraint: the columns come back on open, its runs are
    # kept (NULL there, the report falls back to the bottleneck), new runs fill them
    con = duckdb.connect(str(path))
    for col in ("constraint", "constraint_kind", "constraint_utilisation"):
        con.execute(f'ALTER TABLE line_kpis DROP COLUMN "{col}"')
    con.close()
    more = plan.model_copy(update={"replications": 3})
    with Store(path) as store:
        again = run_study(line, more, store, InlineExecutor())
        res = load(store)
    assert again.skipped == 4 and again.done == 2
    assert res.line["constraint_kind"].isna().sum() == 4
    assert set(res.line.dropna(subset=["constraint_kind"]).constraint) == {kpi.FLEET, "rack"}
    assert "rack sets the pace" in breaks_first(res, 1)
