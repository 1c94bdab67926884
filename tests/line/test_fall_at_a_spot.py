"""A robot that falls while it works on a work spot gives the spot up as it falls: the crew
stands it up off the work poses (physics: ``Physics._off_the_ways``), so the robot queued
next works there during the fallen one's recovery, not after it. Until 3 December 2026 the
fallen robot held the spot through its whole recovery: in a 30-minute physics trace of
``benchmarks/lines/passage_four.yaml`` a fall placing at the one-pose cell (484.9 s) kept two
loaded robots waiting for it 295 and 250 s, with the pose empty."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from twin.line.factory import Factory
from twin.loader import load_line
from twin.motion import MotionTask, Outcome, Surrogate, Worker

LINE = Path(__file__).resolve().parents[2] / "benchmarks" / "lines" / "passage_four.yaml"
HOURS = 0.5
FALL_AFTER = 300.0  # s: the first place at the cell after this falls


class FallsOnce:
    """The surrogate, except that the first place at ``where`` after ``after`` s falls (the
    tote is dropped there: a fall, as a body's in physics)."""

    def __init__(self, inner: Surrogate, where: str, after: float) -> None:
        self.inner, self.where, self.after = inner, where, after
        self.env: Any = None
        self.fell_at: float | None = None
        self.who: str | None = None

    def plan(self, robot: Worker, task: MotionTask) -> Outcome:
        out = self.inner.plan(robot, task)
        if (task.kind == "place" and task.target == self.where and self.fell_at is None
                and self.env.now > self.after):
            self.fell_at, self.who = self.env.now + out.duration, robot.id
            return Outcome(out.duration, out.energy_j, ok=False, fell=True)
        return out

    def execute(self, env: Any, robot: Worker, task: MotionTask
                ) -> Generator[Any, Any, Outcome]:
        outcome = self.plan(robot, task)
        if outcome.duration > 0:
            yield env.timeout(outcome.duration)
        return outcome


def test_a_robot_that_falls_on_a_spot_gives_it_up_for_its_recovery() -> None:
    line = load_line(LINE)
    spec = line.fleet.robot  # type: ignore[union-attr]
    motion = FallsOnce(Surrogate(spec), "cell", FALL_AFTER)  # type: ignore[arg-type]
    factory = Factory(line, 1, log=True, motion=motion)  # type: ignore[arg-type]
    motion.env = factory.env
    factory.start()
    factory.env.run(until=HOURS * 3600.0)
    assert motion.fell_at is not None, "a place at the cell after 300 s"
    recovery = spec.fall_recovery_time  # type: ignore[union-attr]
    events = factory.log.to_table().to_pandas()
    rows = events[events.kind == "robot"].sort_values("t", kind="stable")
    down = rows[(rows.entity.astype(str) == motion.who) & (rows.state == "down")]
    assert down.t.iloc[0] == pytest.approx(motion.fell_at)
    assert str(down.target.iloc[0]) == "cell"  # it fell there, and is down there
    others = rows[(rows.entity.astype(str) != motion.who) & (rows.target == "cell")
                  & rows.state.isin(["picking", "placing"])
                  & (rows.t >= motion.fell_at) & (rows.t < motion.fell_at + recovery)]
    assert len(others), "the cell is worked while the fallen robot recovers"
    # ... and never by two robots at once: its one spot passed over, not shared
    working: dict[str, bool] = {}
    for who, state, target in zip(rows.entity.astype(str), rows.state, rows.target,
                                  strict=True):
        working[who] = target == "cell" and state in ("picking", "placing")
        assert sum(working.values()) <= 1
    robot = factory.robots[motion.who]  # type: ignore[index]
    assert robot.falls == 1
