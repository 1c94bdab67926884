"""Shared fixtures for the physics tests: the default robot and a measured straight walk."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pybullet")

from twin.calibrate import load_robot  # noqa: E402
from twin.physics import primitives as prim  # noqa: E402
from twin.physics.carry import Carry  # noqa: E402
from twin.physics.humanoid import Humanoid  # noqa: E402
from twin.physics.world import STAND_AHEAD, World  # noqa: E402
from twin.robot import RobotSpec  # noqa: E402

ROBOT_YAML = Path(__file__).resolve().parents[2] / "assets" / "robots" / "walker_s2.yaml"


@pytest.fixture(scope="session")
def spec() -> RobotSpec:
    return load_robot(ROBOT_YAML)


@dataclass
class Walked:
    """What a straight walk measured between two marks 10 m apart."""

    speed: float = math.nan
    energy_per_m: float = math.nan
    ok: bool = False
    note: str = ""
    gaps: list[float] = field(default_factory=list)
    tote_rise: list[float] = field(default_factory=list)


def setup_robot(spec: RobotSpec, payload: float) -> tuple[World, Humanoid, Carry | None]:
    """A robot at a rack facing -x; with a payload it has picked a tote of that mass."""
    world = World()
    robot = world.add_humanoid(spec, 0.0, 0.0, math.pi)
    carry = None
    if payload > 0:
        world.add_stand("rack", 0.0, 0.0, math.pi)
        tote = world.add_tote(payload, -STAND_AHEAD, 0.0, math.pi)
        result, carry = world.run(robot, prim.pick(world, robot, tote))
        assert carry is not None, result.note
    return world, robot, carry


def walk_straight(world: World, robot: Humanoid, speed: float, carry: Carry | None,
                  measure: float = 10.0, drop_at: float | None = None) -> Walked:
    """Turn away from the rack, walk along +x and time ``measure`` metres of it."""
    world.run(robot, prim.walk(world, robot, [[0.0, 0.0], [0.3, 0.0]], 0.5, face=0.0,
                               carry=carry))
    out = Walked()
    start, end = 1.5, 1.5 + measure
    marks: dict[float, tuple[float, float]] = {}
    surface = 0.80

    def tracked():  # type: ignore[no-untyped-def]
        walk = prim.walk(world, robot, [[robot.pose()[0], 0.0], [end + 1.5, 0.0]], speed,
                         carry=carry)
        while True:
            try:
                next(walk)
            except StopIteration as stop:
                return stop.value
            x = robot.pose()[0]
            for m in (start, end):
                if x >= m and m not in marks:
                    marks[m] = (world.time, robot.meter.energy_j)
            if carry is not None and not carry.lost:
                out.gaps.append(carry.gap())
                z = carry.tote.handles(world.client)["left"][2]
                out.tote_rise.append(z - 0.17 - surface)
                if drop_at is not None and x >= drop_at:
                    carry.loosen(1.0)
            yield

    result = world.run(robot, tracked())
    out.ok, out.note = result.ok, result.note
    if len(marks) == 2:
        (ta, ea), (tb, eb) = marks[start], marks[end]
        out.speed = measure / (tb - ta)
        out.energy_per_m = (eb - ea) / measure
    return out


class Trial:
    """The measuring helpers, handed to tests as the ``trial`` fixture."""

    setup = staticmethod(setup_robot)
    walk = staticmethod(walk_straight)


@pytest.fixture(scope="session")
def trial() -> Trial:
    return Trial()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2024)
