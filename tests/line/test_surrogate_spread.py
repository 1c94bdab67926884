"""The surrogate's spread against its closed forms, and its per-task records.

A walk's duration is its nominal time times max(1 + cv z, 0.5) with z standard normal, so with
cv = 1 a share Phi(-0.5) = 0.3085 of walks sits exactly at half the nominal time and the mean
factor is 0.5 Phi(-0.5) + (1 - Phi(-0.5)) + phi(0.5) = 1.1978. A pick's energy is normal around
its nominal figure, floored at a fifth of it. The surrogate keeps each task's figures by the
task object: a task built anew with the same content plans the same outcome from the same
stream, and a task given another path is planned from that path.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.loader import load_robot
from twin.motion import ActFit, Calibration, MotionTask, Surrogate, WalkFit

N = 4000


class Robot:
    id = "r1"

    def __init__(self, seed: int = 1) -> None:
        self.spec = load_robot("walker_s2")
        self.rng = np.random.default_rng(seed)


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def walk(path: np.ndarray) -> MotionTask:
    d = float(np.hypot(*np.diff(path, axis=0).T).sum())
    return MotionTask("walk", "a", "b", 0.0, distance=d, path=path, heading_deg=0.0,
                      start_heading_deg=0.0)


def test_walk_spread_is_clamped_at_half_the_nominal_time() -> None:
    robot = Robot()
    cal = Calibration.nominal(robot.spec).model_copy(update={
        "walk": WalkFit(speed_ratio=(1.0, 0.0), overhead_s=1.0, duration_cv=1.0,
                        energy_cv=0.0, power_w=(100.0, 0.0, 0.0))})
    model = Surrogate(robot.spec, cal)
    task = walk(np.array([[0.0, 0.0], [10.0, 0.0]]))
    nominal = model._walk_nominal(task)[0]
    factors = np.array([model.plan(robot, task).duration / nominal for _ in range(N)])
    assert factors.min() == pytest.approx(0.5)
    at_half = float(np.mean(np.isclose(factors, 0.5)))
    sd = math.sqrt(_phi(-0.5) * (1 - _phi(-0.5)) / N)
    assert abs(at_half - _phi(-0.5)) < 4 * sd
    mean = 0.5 * _phi(-0.5) + (1 - _phi(-0.5)) + math.exp(-0.125) / math.sqrt(2 * math.pi)
    assert abs(factors.mean() - mean) < 4 * factors.std() / math.sqrt(N)
    # energy: the nominal power over the drawn duration (no energy spread here)
    out = model.plan(robot, task)
    assert out.energy_j == pytest.approx(100.0 * out.duration)


def test_pick_energy_is_floored_at_a_fifth_of_nominal() -> None:
    robot = Robot(2)
    cal = Calibration.nominal(robot.spec)
    fit = ActFit(duration_s=(10.0, 0.0), energy_j=(1000.0, 0.0), duration_sd=1.0,
                 energy_sd=1000.0)
    model = Surrogate(robot.spec, cal.model_copy(update={"pick": fit}))
    task = MotionTask("pick", "a", "a", 1.0)
    energy = np.array([model.plan(robot, task).energy_j for _ in range(N)])
    share = _phi((200.0 - 1000.0) / 1000.0)  # P(normal draw under the floor)
    assert abs(float(np.mean(np.isclose(energy, 200.0))) - share) < 4 * math.sqrt(
        share * (1 - share) / N)
    assert energy.min() == pytest.approx(200.0)


def test_records_follow_the_task_object_and_its_path() -> None:
    model = Surrogate(load_robot("walker_s2"))
    straight = np.array([[0.0, 0.0], [10.0, 0.0]])
    kept = walk(straight)
    model.plan(Robot(9), kept)  # its record is kept from here on
    robot_a, robot_b = Robot(4), Robot(4)
    a = model.plan(robot_a, kept)
    b = model.plan(robot_b, walk(straight.copy()))  # the same walk, built anew
    assert (a.duration, a.energy_j) == (b.duration, b.energy_j)
    # the kept object given another path is planned from it, as a fresh model plans it
    bent = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    kept.path, kept.distance = bent, 20.0
    robot_a, robot_b = Robot(5), Robot(5)
    c = model.plan(robot_a, kept)
    d = Surrogate(robot_b.spec).plan(robot_b, walk(bent))
    assert (c.duration, c.energy_j) == (d.duration, d.energy_j)
    assert c.duration > 1.5 * a.duration
