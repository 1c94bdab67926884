"""The surrogate motion model: closed forms, turns, payload limit and constant draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.loader import load_robot
from twin.motion import Calibration, MotionTask, Surrogate, WalkFit, walk_turns


class Robot:
    id = "r1"

    def __init__(self) -> None:
        self.spec = load_robot("walker_s2")
        self.rng = np.random.default_rng(1)


def walk(start_deg: float | None, end_deg: float, payload: float = 0.0) -> MotionTask:
    path = np.array([[0.0, 0.0], [10.0, 0.0]])  # due east
    return MotionTask("walk", "a", "b", payload, distance=10.0, path=path,
                      heading_deg=end_deg, start_heading_deg=start_deg)


def test_walk_turns_count_both_ends() -> None:
    assert walk_turns(walk(0.0, 0.0)) == pytest.approx(0.0)
    assert walk_turns(walk(90.0, 0.0)) == pytest.approx(math.pi / 2)
    assert walk_turns(walk(180.0, -90.0)) == pytest.approx(math.pi + math.pi / 2)
    assert walk_turns(walk(-170.0, 170.0)) == pytest.approx(math.radians(170 + 170))
    assert walk_turns(walk(-190.0, 0.0)) == pytest.approx(math.radians(170))  # folded
    assert walk_turns(walk(None, 90.0)) == 0.0


def test_surrogate_walk_time_is_the_fitted_closed_form() -> None:
    robot = Robot()
    cal = Calibration.nominal(robot.spec).model_copy(update={
        "walk": WalkFit(speed_ratio=(0.9, 0.0), overhead_s=2.0, turn_s_per_rad=1.5,
                        power_w=(300.0, 50.0, 5.0))})
    model = Surrogate(robot.spec, cal)
    straight = model.plan(robot, walk(0.0, 0.0))
    turned = model.plan(robot, walk(180.0, 90.0))
    v = robot.spec.speed(0.0) * 0.9
    assert straight.duration == pytest.approx(2.0 + 10.0 / v)
    assert turned.duration - straight.duration == pytest.approx(1.5 * 1.5 * math.pi)
    assert straight.energy_j == pytest.approx((300.0 + 50.0 * v) * straight.duration)


def test_a_walk_draws_its_cruising_power_on_the_metres_and_its_manoeuvre_power_at_rest(
) -> None:
    """With a manoeuvre power fitted, a walk's energy is the cruising power over the time
    the metres take and the manoeuvre power over the rest: setting off, stopping, the turns
    at its ends; a narrow stretch is cruised at the narrow pace and its power."""
    robot = Robot()
    cal = Calibration.nominal(robot.spec).model_copy(update={
        "walk": WalkFit(speed_ratio=(0.9, 0.0), overhead_s=2.0, turn_s_per_rad=1.5,
                        power_w=(-100.0, 700.0, 5.0), manoeuvre_w=(150.0, 7.0))})
    model = Surrogate(robot.spec, cal)
    v = robot.spec.speed(6.0) * 0.9
    for start, end in ((0.0, 0.0), (180.0, 90.0)):
        task = walk(start, end, payload=6.0)
        done = model.plan(robot, task)
        still = 2.0 + 1.5 * walk_turns(task)
        assert done.duration == pytest.approx(still + 10.0 / v)
        assert done.energy_j == pytest.approx(
            (-100.0 + 700.0 * v + 5.0 * 6.0) * 10.0 / v + (150.0 + 7.0 * 6.0) * still)
    narrow = walk(0.0, 0.0)
    narrow.narrow_m, narrow.narrow_speed = 4.0, 0.6
    v = robot.spec.speed(0.0) * 0.9
    done = model.plan(robot, narrow)
    assert done.duration == pytest.approx(2.0 + 6.0 / v + 4.0 / 0.6)
    assert done.energy_j == pytest.approx(
        (-100.0 + 700.0 * v) * 6.0 / v + (-100.0 + 700.0 * 0.6) * 4.0 / 0.6 + 150.0 * 2.0)
    # below the manoeuvre power, cruising is not priced lower still
    assert cal.walk.power(0.2, 0.0) == pytest.approx(150.0)


def test_over_payload_pick_fails_and_extra_compute_costs_energy() -> None:
    robot = Robot()
    model = Surrogate(robot.spec, Calibration.nominal(robot.spec))
    lift = MotionTask("pick", "rack", "rack", robot.spec.max_payload + 1)
    assert not model.plan(robot, lift).ok
    hungry = robot.spec.model_copy(update={"power": robot.spec.power.model_copy(
        update={"compute": robot.spec.power.compute + 100.0})})
    base = model.plan(robot, MotionTask("place", "a", "a", 5.0))
    more = Surrogate(hungry, Calibration.nominal(robot.spec)).plan(
        robot, MotionTask("place", "a", "a", 5.0))
    assert more.energy_j - base.energy_j == pytest.approx(100.0 * base.duration)


def test_bends_cost_a_stop_and_a_turn_each() -> None:
    """A walk with four right-angle bends (15 m) takes four stops and starts and 2 pi more of
    turning than a straight 15 m walk; bends gentler than BEND are walked through."""
    robot = Robot()
    cal = Calibration.nominal(robot.spec).model_copy(update={
        "walk": WalkFit(speed_ratio=(0.9, 0.0), overhead_s=2.0, turn_s_per_rad=1.5,
                        bend_s=1.25, duration_cv=0.0, energy_cv=0.0)})
    model = Surrogate(robot.spec, cal)

    def seconds(path: list[list[float]]) -> float:
        pts = np.array(path)
        d = float(np.hypot(*np.diff(pts, axis=0).T).sum())
        task = MotionTask("walk", "a", "b", 0.0, distance=d, path=pts)
        return model._walk_nominal(task)[0]

    straight = seconds([[0, 0], [15, 0]])
    bent = seconds([[0, 0], [3, 0], [3, 3], [6, 3], [6, 0], [9, 0]])  # +90, -90, -90, +90
    assert bent - straight == pytest.approx(4 * 1.25 + 2 * math.pi * 1.5)
    gentle = seconds([[0, 0], [7.5, 0.3], [15, 0]])  # 0.08 rad each way: walked through
    extra = 2 * math.hypot(7.5, 0.3) - 15.0
    assert gentle - straight == pytest.approx(extra / (robot.spec.speed_empty * 0.9))


def test_a_robot_leaving_a_spot_with_a_tote_first_turns_round() -> None:
    """The hand-over a robot handed a spot waits for: the one before steps ``SPOT_CLEAR`` off
    from standing (half a leg's start-and-stop, then its pace); holding a tote it first turns
    round on the spot, as the bodies do (they turn clear of the surface, never walk backwards
    loaded), at the fitted turning pace."""
    from twin.config import SPOT_CLEAR

    robot = Robot()
    cal = Calibration.nominal(robot.spec).model_copy(update={
        "walk": WalkFit(speed_ratio=(0.9, -0.01), overhead_s=2.0, turn_s_per_rad=1.5,
                        power_w=(300.0, 50.0, 5.0))})
    model = Surrogate(robot.spec, cal)
    empty = model.clears_spot(0.0)
    assert empty == pytest.approx(1.0 + SPOT_CLEAR / (robot.spec.speed(0.0) * 0.9))
    loaded = model.clears_spot(12.0)
    pace = robot.spec.speed(12.0) * (0.9 - 0.12)
    assert loaded == pytest.approx(1.5 * math.pi + 1.0 + SPOT_CLEAR / pace)
