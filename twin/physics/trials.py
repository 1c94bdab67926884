"""Measured trials of the balanced humanoid (``twin.physics.humanoid``): hold a tote in both
hands, walk a straight line at a commanded speed holding the measured pace. Shared by
``benchmarks/physics_bench.py`` and ``benchmarks/walk_seeds.py`` (20 seeds) and the tests (a
few)."""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pybullet as pb

from twin.motion import wrap_angle
from twin.physics import primitives as prim
from twin.physics.carry import Carry
from twin.physics.humanoid import Humanoid
from twin.physics.world import HANDLE, STAND_AHEAD, TOTE_SIZE, World
from twin.robot import ROBOTS_DIR, RobotSpec

URDF = Path(ROBOTS_DIR) / "humanoid.urdf"
FLOOR_FRICTION = (0.8, 1.0)  # range of a factory floor's friction under the soles a seed may
# draw (dry rubber on sealed concrete or epoxy; the world's own floor is 1.0)


def tick(world: World, robot: Humanoid) -> None:
    """One control period of ``robot`` alone, then the physics steps of it."""
    robot.control(world.settings.control_period)
    world.step((robot,))


def _start(world: World, rng: np.random.Generator, floor: tuple[float, float] | None
           ) -> tuple[float, float, float]:
    """A seed's start (within 2 cm of the origin) and the floor's friction (drawn from
    ``floor`` if given, else the world's own), in that order of draws."""
    x0, y0 = rng.uniform(-0.02, 0.02, 2)
    mu = float(pb.getDynamicsInfo(world.floor, -1, physicsClientId=world.client)[1])
    if floor is not None:
        mu = float(rng.uniform(*floor))
        pb.changeDynamics(world.floor, -1, lateralFriction=mu, physicsClientId=world.client)
    return float(x0), float(y0), mu


def each_tick(primitive: Generator[None, None, Any], after: Callable[[], None]
              ) -> Generator[None, None, Any]:
    """Run ``primitive``, calling ``after`` once each control period it has stepped (what a
    trial measures as a primitive goes on); returns its result."""
    while True:
        try:
            next(primitive)
        except StopIteration as stop:
            return stop.value
        after()
        yield


def hold_tote(world: World, robot: Humanoid, mass: float) -> Carry:
    """Raise both hands to the carry pose, close them on a tote of ``mass`` kg hung there,
    and stand while the balance takes the load in (body and tote over the feet)."""
    dt = world.settings.control_period
    half = TOTE_SIZE[1] / 2 + HANDLE
    rest = {s: np.array([0.2, 0.25 * sign, 1.0]) for s, sign in (("left", 1), ("right", -1))}
    carry = {s: np.array([0.34, half * sign, 1.30]) for s, sign in (("left", 1), ("right", -1))}
    n = round(1.0 / dt)
    for i in range(1, n + 1):
        for side in carry:
            robot.grips[side] = rest[side] + (carry[side] - rest[side]) * i / n
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        tick(world, robot)
    mid = (robot.grip_point("left") + robot.grip_point("right")) / 2
    tote = world.add_tote(mass, mid[0], mid[1], robot.pose()[2],
                          z=mid[2] - TOTE_SIZE[2] + 0.03)
    Carry.ignore_hands(world, robot, tote)
    held = Carry.grasp(world, robot, tote)
    for _ in range(n):  # the balance takes the load in as the wrists feel it
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        tick(world, robot)
    return held


@dataclass(frozen=True)
class WalkRecord:
    """One measured straight walk: what happened and what the hands felt."""

    fell: bool
    dropped: bool  # the tote slipped out of the hands (``Carry.dropped``)
    speed: float  # m/s achieved over the measured metres (NaN: not walked to the end)
    gap: float  # largest distance a hand was from its handle (m; 0 without a tote)
    floor_friction: float  # the floor's friction the seed drew (or the world's own)
    seconds: float  # simulated time walked


def walk_record(spec: RobotSpec, speed: float, seed: int, payload: float = 0.0,
                metres: float = 10.0, heading: float | None = None,
                floor: tuple[float, float] | None = None) -> WalkRecord:
    """Start at a random heading (holding a tote of ``payload`` kg), walk ``metres`` after the
    first metre holding the measured pace (as ``prim.walk`` does). With ``floor`` the seed
    also draws the floor's friction from that range (drawn after the heading and the start,
    so those stay what the seed gave before)."""
    rng = np.random.default_rng(seed)
    drawn = float(rng.uniform(-math.pi, math.pi))  # drawn always: the seed's later draws stay put
    heading = drawn if heading is None else heading
    world = World()
    try:
        x0, y0, mu = _start(world, rng, floor)
        robot = Humanoid(world.client, spec, URDF, x0, y0, heading, "r",
                         world.settings.control_period)
        held = hold_tote(world, robot, payload) if payload > 0 else None
        x0, y0, _ = robot.pose()
        dt = world.settings.control_period
        t, integral, gap = 0.0, 0.0, 0.0
        marks: list[float] = []
        while len(marks) < 2 and t < 3.0 * metres / speed + 5.0 and not robot.fallen:
            x, y, yaw = robot.pose()
            done = math.hypot(x - x0, y - y0)
            if (not marks and done >= 1.0) or (marks and done >= 1.0 + metres):
                marks.append(t)
            v_ref = min(speed, speed * t)
            lin, _ = pb.getBaseVelocity(robot.body, physicsClientId=world.client)
            pace = lin[0] * math.cos(yaw) + lin[1] * math.sin(yaw)
            if v_ref >= 0.95 * speed:
                integral = float(np.clip(integral + (v_ref - pace) * dt, -0.3, 1.0))
            robot.gait.command(v_ref + integral, 0.0,
                               float(np.clip(1.5 * wrap_angle(heading - yaw), -0.5, 0.5)))
            tick(world, robot)
            t += dt
            if held is not None:
                gap = max(gap, held.gap())
                if held.dropped():
                    return WalkRecord(robot.fallen, True, math.nan, gap, mu, t)
        achieved = metres / (marks[1] - marks[0]) if len(marks) == 2 else math.nan
        return WalkRecord(robot.fallen, False, achieved, gap, mu, t)
    finally:
        world.close()


def walk_trial(spec: RobotSpec, speed: float, seed: int, payload: float = 0.0,
               metres: float = 10.0, heading: float | None = None) -> tuple[bool, float]:
    """``walk_record`` in short: (fell or dropped, achieved speed)."""
    r = walk_record(spec, speed, seed, payload, metres, heading)
    return r.fell or r.dropped, r.speed


def pick_and_walk(spec: RobotSpec, speed: float, seed: int, payload: float,
                  metres: float = 10.0, floor: tuple[float, float] | None = None) -> WalkRecord:
    """A loaded walk as a line walks one: pick a tote of ``payload`` kg off a stand, turn on
    the spot with it (half a turn) and walk off along the seed's heading with ``prim.walk``,
    timing ``metres`` after the first metre. The seed draws what ``walk_record``'s draws (the
    heading, the start, the floor), so the grasp falls where the start puts the hands. A pick
    that fails counts as a drop."""
    rng = np.random.default_rng(seed)
    heading = float(rng.uniform(-math.pi, math.pi))
    world = World()
    try:
        x0, y0, mu = _start(world, rng, floor)
        face = heading + math.pi  # the stand behind the walk
        robot = world.add_humanoid(spec, x0, y0, face)
        world.add_stand("rack", x0, y0, face)
        tote = world.add_tote(payload, x0 + STAND_AHEAD * math.cos(face),
                              y0 + STAND_AHEAD * math.sin(face), face)
        result, held = world.run(robot, prim.pick(world, robot, tote))
        if held is None:
            return WalkRecord(robot.fallen, True, math.nan, 0.0, mu, world.time)
        x0, y0, _ = robot.pose()
        ux, uy = math.cos(heading), math.sin(heading)
        path = [[x0, y0], [x0 + (metres + 3.0) * ux, y0 + (metres + 3.0) * uy]]  # braking after
        marks: list[float] = []
        gap = 0.0

        def mark() -> None:
            nonlocal gap
            x, y, _ = robot.pose()
            done = (x - x0) * ux + (y - y0) * uy
            if (not marks and done >= 1.0) or (len(marks) == 1 and done >= 1.0 + metres):
                marks.append(world.time)
            if not held.lost:
                gap = max(gap, held.gap())

        world.run(robot, each_tick(prim.walk(world, robot, path, speed, carry=held), mark))
        achieved = metres / (marks[1] - marks[0]) if len(marks) == 2 else math.nan
        return WalkRecord(robot.fallen, held.lost, achieved, gap, mu, world.time)
    finally:
        world.close()
