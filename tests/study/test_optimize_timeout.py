"""twin optimize --run-timeout: a run that hangs is recorded as failed, its configuration is
never chosen and sets nothing aside, and the search goes on to the right answer.

The search is checked against brute force on a grid with a known monotone KPI where random
configurations hang (a failed probe must not be read as a miss); the command is checked with
the study's hanging stand-in (``stoppable:hang_in_python`` hangs with two servers).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from twin.cli import app
from twin.study.search import Candidate, Failed, Request, Search
from twin.study.selection import FeasibilityCheck
from twin.study.store import Store

MM1 = Path(__file__).parents[2] / "lines" / "teaching" / "mm1.yaml"
ROBOTS, SPARES = range(1, 5), range(4)


def _kpi(robots: int, spares: int) -> float:
    """A KPI that grows with both factors: 3 per robot, 1 per spare."""
    return 3.0 * robots + spares


def test_hung_configurations_are_skipped_and_the_answer_is_the_cheapest_that_meets() -> None:
    """Over 40 random sets of hanging configurations (probes among them): the answer is the
    cheapest configuration that does not hang and meets the target, as brute force says."""
    grid = [(r, s) for r in ROBOTS for s in SPARES]
    for trial in range(40):
        pick = random.Random(trial)
        threshold = pick.choice([7.5, 9.5, 11.5, 13.5])
        hung = set(pick.sample(range(len(grid)), pick.randint(1, 5)))
        candidates = [Candidate(i, v, f"robots={v[0]}, spares={v[1]}", 100.0 * v[0] + 7.0 * v[1])
                      for i, v in enumerate(grid)]
        check = FeasibilityCheck(threshold=threshold, higher_is_better=True, strict=False,
                                 tolerance=0.25, n0=5, beta=0.05 / len(grid))
        search = Search(candidates, ["robots", "spares"], check, rank=[0, 1])
        rng = np.random.default_rng(trial)

        def sample(asked: list[Request], rng: np.random.Generator = rng,
                   hung: set[int] = hung) -> dict[Request, float]:
            if asked[0][0] in hung:
                raise Failed(asked[0][0], "timed out")
            return {q: _kpi(*grid[q[0]]) + rng.normal(0, 0.1) for q in asked}

        answer = search.run(sample)
        good = [c for c in sorted(candidates, key=lambda c: (c.cost, c.id))
                if c.id not in hung and _kpi(*c.values) >= threshold]
        assert (answer.id if answer else None) == (good[0].id if good else None), trial
        failed = set(search.failed)
        assert failed <= hung and all(search.status[c] == "failed" for c in failed)
        assert all(s.event != "set aside" or s.scenario not in failed for s in search.steps)
        if answer is not None and any(search.by_id[c].cost < answer.cost for c in failed):
            assert "failed" in search.steps[-1].detail  # the choice says what was not judged


def _optimize(store: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [
        "optimize", str(MM1), "--factor", "stations.machine.servers=2,1",
        "--cost", "stations.machine.servers=0", "--target", "throughput_per_hour>=50",
        "--hours", "2", "--warmup", "0", "--initial", "2", "--workers", "0",
        "--store", str(store), "--simulator", "stoppable:hang_in_python", *extra])
    return result.exit_code, result.output


def test_a_hanging_run_is_recorded_failed_and_the_search_goes_on(tmp_path: Path) -> None:
    """Both server counts cost nothing, so the two-server one (it hangs) comes first: its runs
    stop at 0.3 s and are recorded failed, the one-server one is chosen; a resumed search
    runs nothing again and decides the same."""
    store = tmp_path / "o.duckdb"
    code, output = _optimize(store, "--run-timeout", "0.3")
    assert code == 1, output  # a failed run: said, as a study says it
    assert "stations.machine.servers=1" in output.split("Cheapest configuration")[1]
    assert "1 configuration(s) had a run past --run-timeout" in output
    with Store(store, read_only=True) as db:
        runs = db.con.execute("SELECT scenario, status, error FROM runs").fetchall()
        fates = dict(db.con.execute("SELECT scenario, status FROM optimize_configs").fetchall())
    assert {(sc, status) for sc, status, _ in runs} == {(0, "failed"), (1, "done")}
    assert all(e.startswith("timed out: the run took over 0.3 s") for sc, _, e in runs if sc == 0)
    assert fates == {0: "failed", 1: "chosen"}
    again_code, again = _optimize(store, "--run-timeout", "0.3")
    assert again_code == 1 and "(0 new)" in again
    assert output.split("Cheapest configuration")[1] == again.split("Cheapest configuration")[1]


@pytest.mark.parametrize("bad", ["soon", "0", "-3", "1e400 s"])
def test_a_bad_run_timeout_is_refused_before_any_run(tmp_path: Path, bad: str) -> None:
    store = tmp_path / "o.duckdb"
    code, output = _optimize(store, "--run-timeout", bad)
    assert code == 2, output
    assert output.startswith("error: --run-timeout") and output.count("\n") == 1
    assert not store.exists()
