"""The Physics motion model runs a line's robots in one world in lock-step with SimPy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest
import simpy

from twin.config import Layout
from twin.events import POSE_SCHEMA
from twin.floor import build_walkways
from twin.motion import MotionTask, Outcome
from twin.physics.motion import Physics
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow

LAYOUT = {
    "floor": {"width": 14, "depth": 8},
    "obstacles": [{"x0": 5, "y0": 3.5, "x1": 7, "y1": 4.5, "kind": "machine", "height": 1.5}],
    "locations": {
        "rack": {"x": 2, "y": 2, "kind": "rack", "heading": -90},
        "press": {"x": 9, "y": 2, "kind": "station", "heading": -90},
        "charger": {"x": 2, "y": 6, "kind": "charger", "heading": 90, "spots": 2},
    },
}


@dataclass
class Robot:
    id: str
    spec: RobotSpec
    rng: np.random.Generator


def _cycle(env, model, robot, walkways, payload, log):  # type: ignore[no-untyped-def]
    steps = [("walk", "charger", "rack", 0.0), ("pick", "rack", "rack", payload),
             ("walk", "rack", "press", payload), ("place", "press", "press", payload),
             ("walk", "press", "charger", 0.0), ("dock", "charger", "charger", 0.0)]
    for kind, a, b, m in steps:
        walk = kind == "walk"
        task = MotionTask(kind, a, b, m, walkways.dist(a, b) if walk else 0.0,
                          walkways.path(a, b) if walk else None)
        start = env.now
        outcome = yield from model.execute(env, robot, task)
        log.append((robot.id, kind, start, env.now, outcome))
        if not outcome.ok:
            return


def test_two_robots_share_one_world(spec: RobotSpec) -> None:
    layout = Layout.model_validate(LAYOUT)
    walkways = build_walkways(layout)
    model = Physics(layout, spec, tote_mass=2.0)
    env = simpy.Environment()
    log: list[tuple[str, str, float, float, Outcome]] = []
    robots = [Robot(f"w{i}", spec, np.random.default_rng(i)) for i in range(2)]
    for i, robot in enumerate(robots):
        env.process(_cycle(env, model, robot, walkways, 10.0, log))
        env.run(until=env.now + 2.0 * (i + 1))
    env.run()
    try:
        assert len(log) == 12
        for _, kind, start, end, outcome in log:
            assert outcome.ok and not outcome.fell, (kind, outcome)
            assert outcome.duration == pytest.approx(end - start)
            constant = spec.power.constant * outcome.duration
            assert outcome.energy_j > constant
        table = model.poses()
        assert isinstance(table, pa.Table)
        assert table.schema.equals(POSE_SCHEMA)
        assert set(table.column("robot").to_pylist()) == {"w0", "w1"}
    finally:
        model.close()


def test_over_payload_fails_physically_through_the_line_contract(spec: RobotSpec) -> None:
    layout = Layout.model_validate(LAYOUT)
    model = Physics(layout, spec)
    env = simpy.Environment()
    robot = Robot("w0", spec, np.random.default_rng(0))
    task = MotionTask("pick", "rack", "rack", payload_kg=1.5 * spec.max_payload)
    proc = env.process(model.execute(env, robot, task))
    env.run()
    try:
        outcome = proc.value
        assert not outcome.ok or outcome.fell
        assert outcome.duration > 0
    finally:
        model.close()
