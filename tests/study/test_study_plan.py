"""Plans: factor parsing, the grid, targets, run keys and common random numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from study_standin import mm1_line

from twin.study.plan import (
    PlanError,
    StudyPlan,
    Target,
    load_plan,
    parse_values,
    parse_vary,
    replication_seed,
    resolve_path,
    run_specs,
    scenarios,
)


def test_ranges_are_inclusive_and_lists_keep_types() -> None:
    assert parse_values("4:12:2") == [4, 6, 8, 10, 12]
    assert parse_values("1:3") == [1, 2, 3]
    assert parse_values("0.5:1.0:0.25") == [0.5, 0.75, 1.0]
    assert parse_values("1,2,3") == [1, 2, 3]
    assert parse_values("plug,swap") == ["plug", "swap"]
    assert parse_values("45 s") == ["45 s"]
    with pytest.raises(PlanError):
        parse_values("5:1:1")


@given(st.integers(-50, 50), st.integers(0, 40), st.integers(1, 7))
def test_integer_ranges_match_python_range(start: int, span: int, step: int) -> None:
    assert parse_values(f"{start}:{start + span}:{step}") == list(
        range(start, start + span + 1, step))


def test_vary_and_grid_is_full_factorial() -> None:
    line = mm1_line()
    factors = parse_vary(["stations.machine.servers=1:3",
                          "sources.inbound.interarrival.mean=50,60"])
    grid = scenarios(line, factors)
    assert len(grid) == 6
    assert grid[0].overrides == {"stations.machine.servers": 1,
                                 "sources.inbound.interarrival.mean": 50}
    assert len({tuple(s.overrides.values()) for s in grid}) == 6
    with pytest.raises(PlanError):
        parse_vary(["fleet.count"])
    with pytest.raises(PlanError, match="repeats"):
        scenarios(line, {"stations.machine.servers": [1, 1]})


def test_shorthands_resolve_onto_the_line_model() -> None:
    line = mm1_line()
    assert resolve_path(line, "robots.count") == "fleet.count"
    assert resolve_path(line, "stations.servers") == "stations.machine.servers"
    assert resolve_path(line, "stations.machine.servers") == "stations.machine.servers"


def test_targets_parse_and_compare() -> None:
    t = Target.parse("throughput_per_hour>=120")
    assert (t.kpi, t.op, t.value) == ("throughput_per_hour", ">=", 120.0)
    assert t.met(120) and not t.met(119.9)
    assert Target.parse("mean_lead_time_s < 600").lower_is_better
    with pytest.raises(PlanError):
        Target.parse("throughput is high")


def test_common_random_numbers_and_stable_keys() -> None:
    line = mm1_line()
    plan = StudyPlan(factors={"stations.machine.servers": [1, 2]}, replications=3, hours=2)
    grid = scenarios(line, plan.factors)
    specs = run_specs(line, plan, grid, 0.5, "v1")
    seeds = {(s.scenario, s.replication): s.seed for s in specs}
    assert all(seeds[(0, r)] == seeds[(1, r)] == replication_seed(0, r) for r in range(3))
    assert len({s.seed for s in specs}) == 3
    assert len({s.key for s in specs}) == 6
    again = run_specs(mm1_line(), plan, grid, 0.5, "v1")
    assert [s.key for s in again] == [s.key for s in specs]
    other = run_specs(mm1_line(mean_service=40), plan, grid, 0.5, "v1")
    assert not {s.key for s in other} & {s.key for s in specs}
    newer = run_specs(line, plan, grid, 0.5, "v2")
    assert not {s.key for s in newer} & {s.key for s in specs}


def test_study_yaml(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text("line: ../lines/x.yaml\nfactors:\n  robots.count: '2:6:2'\n"
                    "replications: 4\ntarget: throughput_per_hour>=10\nwarmup: auto\n"
                    "cost: {robot_price: 9000}\n")
    plan = load_plan(path)
    assert plan.factors == {"robots.count": [2, 4, 6]}
    assert plan.target is not None and plan.target.value == 10
    assert plan.warmup == "auto" and plan.cost is not None and plan.cost.robot_price == 9000
    path.write_text("replications: 0\n")
    with pytest.raises(PlanError, match="study.yaml"):
        load_plan(path)
