"""A fallen robot stood up again (the line's fall recovery) stays up while it waits out its
recovery and walks on: its drives hold the standing pose (not the fall's), and its balance
starts from the body standing where it was stood up, not from where it lay."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pybullet as pb
import pytest
import shapely

from twin.config import Layout
from twin.floor.lanes import build_lanes
from twin.loader import load_line
from twin.motion import MotionTask
from twin.physics import primitives as prim
from twin.physics.motion import OFF_THE_WAYS, Physics
from twin.physics.world import World
from twin.robot import RobotSpec

pytestmark = pytest.mark.slow


def test_a_robot_stood_up_away_from_where_it_lay_walks_on(spec: RobotSpec) -> None:
    world = World()
    try:
        robot = world.add_humanoid(spec, 0.0, 0.0, 0.0)
        other = world.add_humanoid(spec, 5.0, 4.0, 0.0)
        # knocked over while its balance runs: tipped 70 degrees, it falls under control,
        # and its estimates follow the body down
        world.run(robot, prim.hold(world, robot, 1.0))
        pos, _ = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
        pb.resetBasePositionAndOrientation(robot.body, pos,
                                           pb.getQuaternionFromEuler([0.0, -1.2, 0.0]),
                                           physicsClientId=world.client)
        world.run(robot, prim.hold(world, robot, 3.0))
        assert robot.fallen
        robot.stand_up(1.0, 0.5, 0.0)  # a metre and more from where it lay
        # it waits out its recovery uncontrolled, as a robot between tasks does, while
        # another robot's work steps the world
        world.run(other, prim.hold(world, other, 15.0))
        pos, orn = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
        assert pos[2] > 0.8 * robot.pelvis_height and pb.getMatrixFromQuaternion(orn)[8] > 0.99
        walked = world.run(robot, prim.walk(world, robot, [[4.0, 0.5]], 0.9))
        assert walked.ok and not walked.fell, walked.note
        x, y, _ = robot.pose()
        assert math.hypot(x - 4.0, y - 0.5) < 0.3
    finally:
        world.close()


def test_a_robot_that_fell_by_a_passage_is_stood_up_off_the_ways(spec: RobotSpec) -> None:
    """Fallen by a one-robot passage's mouth (or on a work pose, or by its holding place), a
    robot is stood up ``OFF_THE_WAYS`` from every cell too narrow for two abreast, from every
    work pose and from the ways onto them from their holding places, not where it lay:
    there, in its recovery, it stopped the walkers through the passage."""
    layout = Layout.model_validate({
        "floor": {"width": 16, "depth": 8}, "clearance": 0.35,
        "obstacles": [
            {"name": "wall s", "kind": "wall", "x0": 6, "y0": 0, "x1": 10, "y1": 3.5},
            {"name": "wall n", "kind": "wall", "x0": 6, "y0": 4.5, "x1": 10, "y1": 8}],
        "aisles": [{"name": "passage", "from": [5.5, 4], "to": [10.5, 4], "width": "1 m"}],
        "locations": {"rack": {"x": 2, "y": 6, "kind": "rack", "heading": 90}}})
    model = Physics(layout, spec)
    try:
        grid = build_lanes(layout)
        model.share_floor(grid, lambda robot, why: None)
        narrow = [grid.centre(k) for k in range(grid.nx * grid.ny) if grid.capacity(k) < 2]
        assert narrow  # (the passage is one robot wide)
        rack = model.spots["rack"]
        ways_in = [shapely.LineString([hold, q[:2]]) for q in rack
                   for hold in model._holding_places("rack", 0)]
        hold = model._holding_places("rack", 0)[0]  # (and by the rack's first holding place,
        # on the way in from it: 3 December, one kept the cell's pose from the robot handed it)
        for lay in ((5.3, 4.0), (10.8, 4.2), (8.0, 4.0), rack[0][:2], (hold[0], hold[1] - 0.3)):
            x, y, _ = model._stand_up_spot("fallen", *lay, 0.0)
            assert model._open(x, y)
            assert min(math.hypot(x - cx, y - cy) for cx, cy in narrow) >= OFF_THE_WAYS
            assert min(math.hypot(x - q[0], y - q[1]) for q in rack) >= OFF_THE_WAYS
            assert min(w.distance(shapely.Point(x, y)) for w in ways_in) >= OFF_THE_WAYS
            assert math.hypot(x - lay[0], y - lay[1]) < 4.5  # near where it fell (out of the
            # passage from its middle: 2 m to its mouth, then OFF_THE_WAYS)
        assert model._stand_up_spot("fallen", 13.0, 6.0, 0.0)[:2] == (13.0, 6.0)
    finally:
        model.close()


def test_a_robot_that_topples_between_tasks_is_stood_up_and_counted_at_once(
        spec: RobotSpec) -> None:
    """A robot standing between tasks holds its joints' last targets, no primitive looking at
    it: one that toppled (a queued robot with a 12 kg tote crept 0.15 m in 25 s and fell,
    passage_four, 2 December) lay on the floor until its next task found it. Now the motion
    model looks at such bodies as the world steps, stands a fallen one up, counts the fall
    and tells the line ("fell"); a robot standing upright is left alone."""
    layout = Layout.model_validate({
        "floor": {"width": 12, "depth": 8},
        "locations": {"rack": {"x": 2, "y": 2, "kind": "rack", "heading": -90},
                      "press": {"x": 9, "y": 2, "kind": "station", "heading": -90}}})
    model = Physics(layout, spec)
    heard: list[tuple[str, str | None]] = []
    try:
        model.share_floor(build_lanes(layout), lambda robot, why: heard.append((robot, why)))
        bodies = {}
        for name, at in (("idle", "rack"), ("upright", "press"), ("worker", "press")):
            h = model.body(_Worker(name, spec), MotionTask("walk", at, "rack", 0.0, 0.0, None))
            model.world.run(h, prim.hold(model.world, h, 0.5))  # now between tasks
            bodies[name] = h
        idle, upright, worker = bodies.values()
        c = model.world.client
        pos, _ = pb.getBasePositionAndOrientation(idle.body, physicsClientId=c)
        pb.resetBasePositionAndOrientation(idle.body, (pos[0], pos[1], 0.3),
                                           pb.getQuaternionFromEuler([1.4, 0.0, 0.0]),
                                           physicsClientId=c)
        model.world.start(worker, prim.hold(model.world, worker, 5.0))  # the world steps
        tipped = model.world.time
        model.advance(tipped + 2.0)
        assert ("idle", "fell") in heard and ("upright", "fell") not in heard
        assert idle.falls == 1 and not idle.fallen and upright.falls == 0
        pos, orn = pb.getBasePositionAndOrientation(idle.body, physicsClientId=c)
        assert pos[2] > 0.8 * idle.pelvis_height and pb.getMatrixFromQuaternion(orn)[8] > 0.99
        found = model._down["idle"] - spec.fall_recovery_time  # down from when it was found
        assert tipped <= found <= tipped + 1.0 / model.settings.pose_rate + 0.05
    finally:
        model.close()


class _Worker:
    """A robot of the line as the motion model sees it."""

    def __init__(self, rid: str, spec: RobotSpec) -> None:
        self.id, self.spec, self.rng = rid, spec, np.random.default_rng(0)



PASSAGE_FOUR = Path(__file__).resolve().parents[2] / "benchmarks" / "lines" / "passage_four.yaml"
STOOD_AT = ((11.01, 2.0), (12.0, 2.0), (12.0, 7.0))  # facing south (-85.7 degrees) each


def test_a_robot_stood_up_is_balanced_through_its_recovery_and_walks_on() -> None:
    """A body just stood up is balanced by its controller through its recovery (as a real
    humanoid's runs on) until its next task takes over: left standing on its joints' last
    targets, it fell as its next walk turned it on the spot (in a 30-minute trace of
    passage_four one robot fell four times running, each 3 s after its recovery, 3 December;
    stood up there and walked off at once, or after 300 s left so, three robots of four fell
    in a scratch test). Here each robot, knocked down and stood up where it lay, waits out its
    recovery, then walks 3.2 m to its left and behind (a turn of 136 degrees on the spot)."""
    line = load_line(PASSAGE_FOUR)
    spec = line.fleet.robot  # type: ignore[union-attr]
    quick = spec.model_copy(update={"fall_recovery_time": 20.0})  # type: ignore[union-attr]
    model = Physics(line.layout, quick)
    try:
        model.share_floor(build_lanes(line.layout), lambda robot, why: None)
        c = model.world.client
        fell = []
        for k, (x, y) in enumerate(STOOD_AT):
            rid = f"r{k}"
            h = model.world.add_humanoid(quick, x + 0.5, y + 0.5, 0.0, name=rid)
            model.bodies[rid] = model.floor.bodies[rid] = h
            model.world.run(h, prim.hold(model.world, h, 1.0))
            lying = pb.getQuaternionFromEuler([1.4, 0.0, math.radians(-85.7)])
            pb.resetBasePositionAndOrientation(h.body, (x, y, 0.3), lying, physicsClientId=c)
            model._recover(rid)
            model.advance(model.world.time + quick.fall_recovery_time)
            sx, sy, yaw = h.pose()
            assert math.hypot(sx - x, sy - y) < 0.05 and abs(math.degrees(yaw) + 85.7) < 3.0
            walked = model.world.run(h, prim.walk(model.world, h, [(x + 2.05, y + 2.5)],
                                                  quick.speed(0.0)))
            if walked.fell:
                fell.append((x, y))
            pb.removeBody(h.body, physicsClientId=c)  # (out of the next one's way)
            del model.bodies[rid], model.floor.bodies[rid], model.world.humanoids[rid]
        assert not fell, f"fell walking off after its recovery, stood up at {fell}"
    finally:
        model.close()


def test_a_robot_that_falls_in_its_recovery_is_stood_up_again(spec: RobotSpec) -> None:
    """A robot knocked down while it waits out its recovery is stood up again at once, and the
    line hears of the second fall. (Its recovery's balance held on to the end: one that fell
    2 s after the crew stood it up lay the whole 300 s by passage_four's east mouth, where the
    walkers trod on it and gave way six times; 30-minute trace of 3 December, 1292 s.)"""
    layout = Layout.model_validate({
        "floor": {"width": 12, "depth": 8},
        "locations": {"rack": {"x": 2, "y": 2, "kind": "rack", "heading": -90}}})
    model = Physics(layout, spec)
    heard: list[tuple[str, str | None]] = []
    try:
        model.share_floor(build_lanes(layout), lambda robot, why: heard.append((robot, why)))
        h = model.world.add_humanoid(spec, 6.0, 5.0, 0.0, name="r")
        model.bodies["r"] = model.floor.bodies["r"] = h
        model.world.run(h, prim.hold(model.world, h, 1.0))
        c = model.world.client
        model._recover("r")  # (as after a fall on a task: the crew stood it up here)
        model.advance(model.world.time + 2.0)
        assert not h.fallen and h.falls == 0
        pb.resetBasePositionAndOrientation(h.body, (6.0, 5.0, 0.3),
                                           pb.getQuaternionFromEuler([1.4, 0.0, 0.0]),
                                           physicsClientId=c)
        knocked = model.world.time
        model.advance(knocked + 3.0)
        assert heard == [("r", "fell")], heard
        pos, orn = pb.getBasePositionAndOrientation(h.body, physicsClientId=c)
        assert pos[2] > 0.8 * h.pelvis_height and pb.getMatrixFromQuaternion(orn)[8] > 0.99
        assert model._down["r"] > knocked + spec.fall_recovery_time - 1.0  # down from then
    finally:
        model.close()
