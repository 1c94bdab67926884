"""Motion primitives as controllers: generators that set a humanoid's commands once per control
period (the world steps physics in between) and return a ``Result``.

``walk`` follows a polyline leg by leg (turn on the spot, walk straight, stop); ``align`` and
``dock`` bring the pelvis to a pose (walk up, small steps one axis at a time, then shift the
body over planted feet, measured on the pose averaged over the standing body's rocking);
``pick`` and ``place`` move both hands by IK, grasp with constraints only when both hands are
at the handles, and lift with the arms. The humanoid balances itself throughout: primitives
only set its walking command, posture and hand targets.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import numpy as np
import pybullet as pb

from twin.card import MARGIN
from twin.motion import STANDING, wrap_angle
from twin.motion import corners as path_corners
from twin.physics.carry import Carry
from twin.physics.humanoid import CARRY, HAND_PITCH, HANG_ELBOW, HUG, Humanoid
from twin.physics.stability import Watch
from twin.physics.traffic import SharedFloor
from twin.physics.world import STAND_HEIGHT, TOTE_SIZE, Tote, World

Controller = Generator[None, None, "Result"]
SET_DOWN = 0.04  # m a place lowers below the surface at most, stopping on contact
SET_DOWN_SHARE = 0.3  # the surface has the tote once the wrists feel less than this share
LANDED = 0.05  # s ... for this long
TAKE_UP = 0.03  # m a pick raises the tote off the surface before it lifts
WEIGH_TIME = 0.6  # s it holds it there while the balance takes the weight in
MAX_SAG = 0.03  # m the hands may hang below the carry pose after lifting: more, cannot lift
# (measured: the rated 15 kg hangs 0-1 cm, 110% 1.6 cm, 125% 4.7 cm: the arm drives give way)
TURN_RATE = 0.6  # rad/s, turning on the spot
STRIDE_TURN_RATE = 0.15  # rad/s, steering while walking a straight leg
PACE_MARGIN = 2.0  # the most a walk plans for, over its speed, to make the measured pace
APPROACH_WALK = 0.25  # m from a work pose beyond which align walks up to it
APPROACH_SPEED = 0.4  # m/s of that walk
FINE_SPEED = 0.12  # m/s of the small steps onto a work pose
SIDLE_SPEED = 0.35  # m/s ahead or back of a short move by a work pose, without turning
SIDLE_SIDE = 0.18  # m/s sideways at most (a step sideways is at most a tenth of a metre)
SIDLE_GAIN = 0.8  # m/s per metre still to go: the move slows down on arrival
SIDLE_TURN = 0.4  # rad/s at most it turns on the way
SIDLE_TURN_IN = 0.7  # m from the end at which a move onto a pose turns to the pose's heading
STEP_TOLERANCE = 0.02  # m: closer than this the feet stay planted and the body shifts
BRAKE = 0.5  # m/s^2 a walk plans to slow down at (the body stops a little after the plan)
SHORT = 0.05  # m a walk stops short of a corner: the body's overshoot (align does the rest)
ROCK_FILTER = 0.15  # s, averaging of the pelvis pose over the standing body's last rocking
STUCK = 6.0  # s without 5 cm of progress along a leg: the way is blocked
MIN_PACE = 0.15  # m/s: a walk sets off at this pace and stops where braking falls below it
WAIT_STILL = 0.05  # rad: a walk stopped for traffic this near its heading stands still
STEER_SLOW = 0.15  # rad: a walk steering more than this off its leg's heading ...
STEER_OFF = 0.2  # m ... while this far off its line (or its offset from it) ...
STEER_PACE = 0.6  # ... walks no faster than this (m/s), and its pace loop waits
RISE_TIME = 1.6  # s to stand up straight from a crouch (faster tips the body forward)
LOWER_TIME = 0.8  # s the hands take from a reach's end down to where the empty arms hang
PACE_DELAY = 1.5  # s after reaching speed before the pace loop acts (the body catches up)
OFF_CORNER = 0.25  # m off a corner past which the next leg starts at the corner, not the robot
SIDE_GAIN = 1.0  # 1/s: m/s of side step per m off its line in a one-robot stretch
LOOKAHEAD = 0.6  # m ahead on the leg a walk steers for to come back onto it
HOLD_ASIDE = 0.1  # m: a walk held short of a taken destination ends this near its place aside
HOLD_ASIDE_S = 15.0  # s ... or once it has stood this long (a robot or scenery in the way)
GIVE_UP = 90.0  # s a walk stays stopped for traffic before it counts a deadlock and yields
FACE_OFF = 10.0  # s ... when it and an oncoming robot stop for each other (one of them yields)
FACED = " to a robot met head on"  # the end of such a give-way's note
SIDE_STEP = 1.0  # m the one that yields steps aside, to its right if the floor there is free
RETREAT = 1.5  # m a walk that gave up backs away the way it came (at most), to let others by
RETREAT_PAUSE = 8.0  # s it then stands there before it walks on
RETRIES = 3  # deadlocks a walk yields to before it ends where it stands (ok=False)
DEADLOCK = "deadlock"  # a Result note's first word: a walk or a wait that gave up
OFF_ITS_LINE = "set off off its line"  # a walk's legs end so: planned again from the robot


@dataclass
class Result:
    """What a primitive achieved."""

    ok: bool = True
    fell: bool = False
    retries: int = 0
    duration: float = 0.0
    distance: float = 0.0
    note: str = ""
    metrics: dict[str, float] = field(default_factory=dict)


P = ParamSpec("P")
R = TypeVar("R")
_WATCHED: set[int] = set()  # robots (id) whose running primitive takes the margin already


def _watched(primitive: Callable[P, Generator[None, None, R]]
             ) -> Callable[P, Generator[None, None, R]]:
    """The primitive's Result (for ``pick`` the first of what it returns) gets the smallest
    capture-point margin over its control periods, ``metrics[MARGIN]`` (m; negative: the capture
    point left the feet; ``twin.physics.stability``). A primitive run inside another (the walk
    of an align) leaves it to the outer one: one reading a period."""
    @functools.wraps(primitive)
    def run(*args: P.args, **kwargs: P.kwargs) -> Generator[None, None, R]:
        robot = args[1] if len(args) > 1 else kwargs["robot"]
        assert isinstance(robot, Humanoid)
        inner = primitive(*args, **kwargs)
        if id(robot) in _WATCHED:
            return (yield from inner)
        _WATCHED.add(id(robot))
        watch = Watch(robot)
        try:
            while True:
                try:
                    next(inner)
                except StopIteration as stop:
                    value: R = stop.value
                    break
                yield
                watch.see()
        finally:
            _WATCHED.discard(id(robot))
            inner.close()
        result = value[0] if isinstance(value, tuple) else value
        if isinstance(result, Result) and math.isfinite(watch.low):
            result.metrics[MARGIN] = watch.low
        return value

    return run


def _settle(robot: Humanoid, dt: float,
            limit: float = 3.0) -> Generator[None, None, float]:
    """Stop stepping and stand until the body has settled (or ``limit`` s); returns the time."""
    t = 0.0
    while not robot.settled() and t < limit:
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        yield
        t += dt
    return t


def _ticks(world: World, seconds: float) -> int:
    return max(1, round(seconds / world.settings.control_period))


def _steady(robot: Humanoid, dt: float, limit: float = 3.0,
            window: float = 0.3) -> Generator[None, None, float]:
    """Stand (feet planted, body shift kept) until the pelvis moves less than 2 mm over
    ``window`` s, or ``limit`` s; returns the time it took."""
    t, seen = 0.0, [robot.pose()[:2]]
    n = max(2, round(window / dt))
    while t < limit and not robot.fallen:
        robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
        yield
        t += dt
        seen = (seen + [robot.pose()[:2]])[-n:]
        if len(seen) == n and float(np.ptp(np.array(seen), axis=0).max()) < 0.002:
            break
    return t


@_watched
def hold(world: World, robot: Humanoid, seconds: float) -> Controller:
    """Stand still for ``seconds``; a fall ends it (``fell``). (Held on, a robot that fell
    just after the crew stood it up lay 300 s, its whole recovery, by passage_four's east mouth,
    where walkers trod on it and gave way six times: 30-minute trace of 3 December, 1292 s.)"""
    dt = world.settings.control_period
    for k in range(1, _ticks(world, seconds) + 1):
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        yield
        if robot.fallen:
            return Result(ok=False, fell=True, duration=k * dt, note="fell while standing")
    return Result(duration=seconds)


def _turn(world: World, robot: Humanoid, heading: float, limit: float = 8.0,
          tolerance: float = 0.05) -> Generator[None, None, float]:
    """Turn on the spot to ``heading`` (rad); returns the time it took."""
    dt, t = world.settings.control_period, 0.0
    x0, y0, _ = robot.pose()
    while t < limit and not robot.fallen:
        err = wrap_angle(heading - robot.gait.pelvis_yaw())
        if abs(err) < tolerance:
            break
        x, y, yaw = robot.pose()  # hold the spot: the steps of a turn wander
        c, s = math.cos(yaw), math.sin(yaw)
        ex, ey = c * (x0 - x) + s * (y0 - y), -s * (x0 - x) + c * (y0 - y)
        robot.gait.command(float(np.clip(ex, -FINE_SPEED, FINE_SPEED)),
                           float(np.clip(ey, -FINE_SPEED, FINE_SPEED)),
                           float(np.clip(2.0 * err, -TURN_RATE, TURN_RATE)))
        yield
        t += dt
    return t


@_watched
def sidle(world: World, robot: Humanoid, x: float, y: float, heading: float,
          speed: float = SIDLE_SPEED, within: float = APPROACH_WALK, face_way: bool = False,
          limit: float = 20.0) -> Controller:
    """Step to (x, y) without stopping to turn: ahead or back and sideways at once, turning on
    the way (a short move by a work pose). ``face_way``: turn toward where it goes while more
    than ``SIDLE_TURN_IN`` away, then toward ``heading`` (onto a pose from the holding point);
    else keep turning toward ``heading`` all along (off a pose, backing away from it).
    Ends ``within`` of (x, y)."""
    dt = world.settings.control_period
    t = 0.0
    while t < limit and not robot.fallen:
        px, py, yaw = robot.pose()
        c, s = math.cos(yaw), math.sin(yaw)
        ex, ey = c * (x - px) + s * (y - py), -s * (x - px) + c * (y - py)
        far = math.hypot(ex, ey)
        if far < within:
            break
        face = math.atan2(y - py, x - px) if face_way and far > SIDLE_TURN_IN else heading
        v = np.array([ex, ey]) * min(speed, SIDLE_GAIN * far) / far  # slow down on arrival
        robot.gait.command(float(np.clip(v[0], -speed, speed)),
                           float(np.clip(v[1], -SIDLE_SIDE, SIDLE_SIDE)),
                           float(np.clip(wrap_angle(face - yaw), -SIDLE_TURN, SIDLE_TURN)))
        yield
        t += dt
    t += yield from _settle(robot, dt)
    return Result(ok=not robot.fallen, fell=robot.fallen, duration=t)


@_watched
def walk(world: World, robot: Humanoid, path: Any, speed: float,
         face: float | None = None, carry: Carry | None = None,
         accel: float = 1.0, floor: SharedFloor | None = None) -> Controller:
    """Follow the polyline ``path`` (k, 2) at ``speed`` m/s; turn to ``face`` (rad) at the end.

    Stop, turn, go: each straight leg is walked after turning on the spot to face it, and ends
    standing at its corner (walking turns at pace are the controller's weak spot; bends
    gentler than ``BEND`` are walked through). Along a leg the robot steers for a point ahead
    on it with a gentle yaw rate; speed is held by an integral loop on the measured pace (feet
    slip a little); a held tote is checked each period and a drop ends the walk.

    On a ``floor`` shared with other robots the walk keeps its traffic rules
    (``traffic.SharedFloor``): it slows, stops, steps aside to pass, and stops short at a
    holding point when its destination is taken (``metrics["held"]`` is then 1).
    """
    if floor is None:
        return (yield from _legs(world, robot, path, speed, face, carry, accel, None))
    try:
        done = Result(ok=False)
        deadlocks = 0
        while deadlocks <= RETRIES:
            result = yield from _legs(world, robot, path, speed, face, carry, accel, floor)
            result.duration += done.duration
            result.distance += done.distance
            if result.note == OFF_ITS_LINE:  # its way planned again from where it stands
                done, path = result, np.asarray(result.metrics["rest"]).reshape(-1, 2)
                continue
            if not result.note.startswith(DEADLOCK):
                return result
            deadlocks += 1
            # stopped for traffic past GIVE_UP: a cycle of waits (or a robot that will not
            # move). It yields: steps back the way it came, stands, and walks on from there
            floor.deadlocked.append(robot.name)
            done = result
            x, y, yaw = robot.pose()
            ahead = np.array([math.cos(yaw), math.sin(yaw)])
            side = (floor.aside(x, y, ahead, -SIDE_STEP, robot.name, world.time)
                    if result.note.endswith(FACED) else 0.0)
            if side:  # met head on: it steps aside, facing on, and lets the other by
                step = yield from sidle(world, robot, x - side * ahead[1], y + side * ahead[0],
                                        yaw, within=0.1)
            else:  # it backs away the way it came, facing on (turning round in a narrow
                # passage, a tote's reach sweeps its walls), as far as the floor behind is free
                room = floor.room_behind(robot.name, world.time, ahead, RETREAT)
                step = (yield from sidle(world, robot, x - room * ahead[0],
                                         y - room * ahead[1], yaw, within=0.1)
                        ) if room > 0.2 else Result(ok=True)
            done.duration += step.duration
            if step.fell or (carry is not None and carry.lost):
                return step
            done.duration += yield from _settle(robot, world.settings.control_period,
                                                RETREAT_PAUSE)
            path = np.asarray(result.metrics["rest"]).reshape(-1, 2)
        done.note = f"{DEADLOCK}: stopped for traffic {RETRIES + 1} times past {GIVE_UP:g} s"
        return done
    finally:
        floor.finish(robot.name)  # its claims go back however the walk ends
        if pb.isConnected(physicsClientId=robot.client):  # (not a world closed under it)
            floor.walked(robot.name, *robot.pose()[:2])


def _legs(world: World, robot: Humanoid, path: Any, speed: float, face: float | None,
          carry: Carry | None, accel: float, floor: SharedFloor | None) -> Controller:
    """``walk``'s legs (the floor's claims are given back by ``walk``)."""
    dt = world.settings.control_period
    x, y, _ = robot.pose()
    corners = path_corners(path, (x, y))
    if floor is not None:
        corners = floor.along_axes(floor.clear_corners(floor.round_fixtures(corners)))
        floor.start(robot.name, np.asarray(corners))
    waited = stalled = 0.0
    held = False
    total = float(sum(np.hypot(*(b - a)) for a, b in zip(corners, corners[1:], strict=False)))
    t = 0.0
    start_m = robot.meter.distance_m
    for k_end, end in enumerate(corners[1:], start=1):
        if held:
            break
        last_leg = k_end == len(corners) - 1
        x, y, _ = robot.pose()
        origin = np.array([x, y])
        line = end - origin
        length = float(np.hypot(*line))
        if length < 0.05:
            continue
        unit = line / length
        start = np.asarray(corners[k_end - 1], dtype=float)
        if np.hypot(*(origin - start)) > OFF_CORNER:  # it ended the last leg aside (waiting)
            line = end - start  # the leg is the path's: it comes back onto it as it walks
            unit = line / max(float(np.hypot(*line)), 1e-9)
        t += yield from _turn(world, robot, math.atan2(unit[1], unit[0]))
        t += yield from _settle(robot, dt, 1.5)  # set off from standing, not mid-turn
        x, y, _ = robot.pose()  # the leg as it now lies: turning on the spot moves a little
        origin = np.array([x, y])
        if np.hypot(*(origin - start)) > OFF_CORNER:
            origin = start
        line = end - origin
        length = float(np.hypot(*line))
        unit = line / max(length, 1e-9)
        heading = math.atan2(unit[1], unit[0])
        integral, leg_t = 0.0, 0.0
        go_t = 0.0  # s since it last set off (a stop for traffic starts it again)
        best, best_t = 0.0, 0.0  # progress along the leg, and when it was last made
        while True:
            if robot.fallen:
                return Result(ok=False, fell=True, duration=t, note="fell while walking")
            if leg_t - best_t > STUCK:
                return Result(ok=False, duration=t, note="blocked: no way along the path")
            if carry is not None and carry.dropped():
                return Result(ok=False, duration=t, note="dropped the tote while walking")
            x, y, yaw = robot.pose()
            rel = np.array([x, y]) - origin
            along = float(rel @ unit)
            remaining = length - along
            if along > best + 0.05:
                best, best_t = along, leg_t
            if remaining < SHORT:
                break
            # hold the leg's heading, drawn back onto the leg by the cross-track error
            across = float(unit[0] * rel[1] - unit[1] * rel[0])
            off_line = across  # from the leg itself, whatever offset a rule asks for
            v_ref = min(speed, accel * go_t + MIN_PACE,
                        math.sqrt(2 * BRAKE * max(remaining - SHORT, 0.0)))
            if v_ref < MIN_PACE and remaining < 2 * STANDING:
                break  # near enough to stop here: the last centimetres are align's
            side = 0.0
            was, stalled = stalled, 0.0  # (time stopped for traffic without a break)
            if floor is not None:
                way = floor.way(robot, world.time, unit, end, last_leg, carry is not None)
                across -= way.offset
                if way.speed < v_ref:
                    v_ref = way.speed
                    if v_ref < MIN_PACE:  # stopped for traffic: not stuck
                        best_t = leg_t
                        go_t = 0.0  # it sets off again from standing, at its pace loop's start
                        waited += dt
                        stalled = was + dt
                        integral = 0.0
                        faced = stalled > FACE_OFF and floor.face_off(robot.name)
                        if stalled > GIVE_UP or faced:
                            return Result(ok=False, duration=t, note=f"{DEADLOCK}: gave way"
                                          + (FACED if faced and robot.name
                                             not in floor.crossing else ""),
                                          metrics={"rest": np.asarray(corners[k_end:]).tolist(),
                                                   "waited_s": waited})
                        if way.hold and float(np.hypot(*robot.com_vel)) < 0.05 and (
                                abs(across) < HOLD_ASIDE or stalled > HOLD_ASIDE_S):
                            # at its holding point, aside: stopped 0.2 m off its line, a
                            # robot holding for the one-pose cell stood in the way of the one
                            # leaving it; asked to step aside with its tote, it fell
                            # (passage_four, 587 s)
                            held = True
                            break
                        v_ref = 0.0
                        if abs(across) > 0.05:  # stopped short of its place aside: step there
                            side = float(np.clip(-1.5 * across, -FINE_SPEED, FINE_SPEED))
            if (floor is not None and was > 0.0 and stalled == 0.0 and not way.narrow
                    and abs(off_line) > STEER_OFF):
                # setting off again well off its line (from a place aside it was still stepping
                # to, holding short of a taken pose): the rest of the walk is planned again
                # from where it stands, round the stands. Walking on along its line, a loaded
                # robot 0.7 m off it, steering back at a stride's gentle rate, walked into the
                # end of the cell's stand and fell (passage_four, 30 minutes, 605.8 s in the
                # last three traces of session 20; tests/physics/test_traffic.py). Judged by
                # its distance from the leg, not from the offset a pass rule asks for: set off
                # passing a robot, one fell the same way when the pass was over 1.1 m off its
                # line and the offset went back to none (1312 s of 1650a48's trace)
                return Result(ok=False, duration=t, note=OFF_ITS_LINE,
                              distance=robot.meter.distance_m - start_m,
                              metrics={"rest": np.asarray(corners[k_end:]).tolist(),
                                       "waited_s": waited})
            # the leg's heading; walking, drawn back onto the leg by the cross-track error.
            # Stopped for traffic it turns back to the heading on the spot (steering to its
            # place aside turned it; setting off still turned, it walked on across its line,
            # into a narrow mouth's wall)
            err = wrap_angle(heading - yaw)
            if v_ref != 0.0 and floor is not None and way.narrow:
                side = float(np.clip(-SIDE_GAIN * across, -FINE_SPEED, FINE_SPEED))
            elif v_ref != 0.0:
                err -= float(np.clip(across / LOOKAHEAD, -0.4, 0.4))
            steering = abs(err) > STEER_SLOW and abs(across) > STEER_OFF
            if steering and v_ref > STEER_PACE:
                # steering back onto its line, well off it (after passing a robot):
                # at a walking pace the turn threw an empty robot over, its pace loop winding
                # the plan up to 1.6 m/s as the turn held the measured pace back (passage_four,
                # 258.8 s)
                v_ref = STEER_PACE
            lin, _ = pb.getBaseVelocity(robot.body, physicsClientId=robot.client)
            pace = lin[0] * math.cos(yaw) + lin[1] * math.sin(yaw)
            if v_ref >= 0.95 * speed and go_t > speed / accel + PACE_DELAY and not steering:
                integral = float(np.clip(integral + (v_ref - pace) * dt, -0.3, 1.0))
            else:
                integral *= 0.98
            # the pace loop plans faster steps until the measured pace is the speed
            steer = (TURN_RATE if v_ref == 0.0 else  # on the spot; none setting off
                     STRIDE_TURN_RATE * min(1.0, robot.gait.twist[0] / speed))
            if stalled > 0.0 and side == 0.0 and abs(err) < WAIT_STILL:
                # stopped for traffic, in its place and facing its way: it stands on both feet
                # (turning the last degree it stepped on the spot the whole wait, a foot off
                # the floor up to a quarter of the time; loaded robots fell in such waits,
                # passage_four)
                robot.gait.command(0.0, 0.0, 0.0, stepping=False)
            else:
                robot.gait.command(min(v_ref + integral, PACE_MARGIN * speed), side,
                                   float(np.clip(1.5 * err, -steer, steer)))
            yield
            t += dt
            leg_t += dt
            go_t += dt
    if floor is not None:
        floor.finish(robot.name)  # standing from here: it no longer holds the way
    if face is not None and not held:
        t += yield from _turn(world, robot, face, tolerance=0.03)
    t += yield from _settle(robot, dt)
    moved = robot.meter.distance_m - start_m
    return Result(ok=not robot.fallen, fell=robot.fallen, duration=t, distance=moved,
                  metrics={"path_m": total, "waited_s": waited, "held": float(held)},
                  note="fell while walking" if robot.fallen else "")


@_watched
def align(world: World, robot: Humanoid, x: float, y: float, heading: float,
          tol_pos: float, tol_heading: float, limit: float = 20.0,
          floor: SharedFloor | None = None) -> Controller:
    """Bring the pelvis to (x, y, heading): walk up while far, then step one axis at a time
    (turn, ahead, sideways), then shift the body over planted feet for the last centimetres."""
    dt = world.settings.control_period
    t = 0.0

    def error() -> tuple[float, float, float]:
        px, py, yaw = robot.pose()
        c, s = math.cos(yaw), math.sin(yaw)
        dx, dy = x - px, y - py
        return c * dx + s * dy, -s * dx + c * dy, wrap_angle(heading - yaw)

    far = math.hypot(*error()[:2])
    if far > APPROACH_WALK:  # walk up to the pose (turn, a straight leg, stop)
        r = yield from walk(world, robot, [[x, y]], APPROACH_SPEED, floor=floor)
        t += r.duration
    walked = t  # (waits for traffic on the way up do not count against ``limit``)
    # then one axis at a time, in small steps: heading, ahead, sideways
    for _ in range(3):
        if robot.fallen or t - walked >= limit:
            break
        if abs(error()[2]) > 0.02:
            t += yield from _turn(world, robot, heading, tolerance=0.02)
        n = 0
        ex, ey, eh = error()
        while math.hypot(ex, ey) > STEP_TOLERANCE and n < _ticks(world, 3.0) and not robot.fallen:
            v = 1.5 * np.array([ex, ey])  # both axes at once, at most FINE_SPEED
            v *= min(1.0, FINE_SPEED / max(float(np.hypot(*v)), 1e-9))
            robot.gait.command(float(v[0]), float(v[1]), float(np.clip(1.5 * eh, -0.1, 0.1)))
            yield
            t += dt
            n += 1
            ex, ey, eh = error()
        if n:
            t += yield from _settle(robot, dt, 1.0)
        ex, ey, eh = error()
        if math.hypot(ex, ey) < 2 * STEP_TOLERANCE and abs(eh) < 0.04:
            break
    t += yield from _steady(robot, dt)
    # shift over the planted feet, on the pose averaged over the body's rocking
    mean = np.array(error())
    for _ in range(_ticks(world, 4.0)):
        mean += (np.array(error()) - mean) * (dt / ROCK_FILTER)
        ex, ey, eh = mean
        if (math.hypot(ex, ey) < 0.3 * tol_pos and abs(eh) < 0.3 * tol_heading
                and float(np.hypot(*robot.com_vel)) < 0.01):
            break
        robot.gait.command(float(np.clip(1.0 * ex, -0.03, 0.03)),
                           float(np.clip(1.0 * ey, -0.03, 0.03)),
                           float(np.clip(1.0 * eh, -0.05, 0.05)), stepping=False, shift=True)
        yield
        t += dt
    robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
    t += yield from _steady(robot, dt)
    ex, ey, eh = error()
    pos_err, head_err = math.hypot(ex, ey), abs(eh)
    ok = pos_err <= tol_pos and head_err <= tol_heading and not robot.fallen
    return Result(ok=ok, fell=robot.fallen, duration=t,
                  metrics={"position_error": pos_err, "heading_error": head_err})


@_watched
def dock(world: World, robot: Humanoid, x: float, y: float, heading: float,
         tries: int = 4, floor: SharedFloor | None = None) -> Controller:
    """Fine approach to a dock pose; back off 0.3 m and retry while outside tolerance."""
    tol = robot.spec.dock_tolerance
    tol_pos, tol_head = tol.position, math.radians(tol.heading)
    total = 0.0
    result = Result(ok=False)
    for attempt in range(tries):
        result = yield from align(world, robot, x, y, heading, tol_pos, tol_head, floor=floor)
        total += result.duration
        if result.ok or result.fell:
            break
        if attempt + 1 < tries:
            back = yield from back_off(world, robot, 0.3)
            total += back.duration
    result.duration = total
    result.retries = attempt
    result.note = "" if result.ok else "dock outside tolerance after retries"
    return result


@_watched
def back_off(world: World, robot: Humanoid, metres: float) -> Controller:
    """Step back ``metres`` (clear of a rack, station or charging post) and settle."""
    dt = world.settings.control_period
    t = 0.0
    for _ in range(_ticks(world, metres / 0.2)):
        robot.gait.command(-0.2, 0.0, 0.0)
        yield
        t += dt
    t += yield from _settle(robot, dt)
    return Result(duration=t)


def _reach(world: World, robot: Humanoid, goals: dict[str, np.ndarray], seconds: float,
           height: float | None = None, waist: float | None = None,
           until: Callable[[], bool] | None = None, fixed: bool = False,
           pitch: float | None = None) -> Controller:
    """Move both grips and the posture (pelvis height, waist, the hands' ``pitch``) smoothly
    to the goals: points in the walking frame, or with ``fixed`` points in the world (a
    handle, a spot on a table: the hands go there however the pelvis shifts to balance the
    bending body). A guarded move stops where the hands are once ``until()`` says so."""
    start = {s: robot.grips[s] if robot.grips[s] is not None else robot.to_body(
        robot.grip_point(s)) for s in goals}
    if fixed:
        start = {s: robot.to_world(p) for s, p in start.items()}  # type: ignore[arg-type]
    h0, w0, p0 = robot.pelvis_height, robot.waist, robot.hand_pitch
    n = _ticks(world, seconds)
    for i in range(1, n + 1):
        k = 0.5 - 0.5 * math.cos(math.pi * i / n)
        for side, goal in goals.items():
            s0 = start[side]
            assert s0 is not None
            point = s0 + (goal - s0) * k
            robot.grips[side] = robot.to_body(point) if fixed else point
        if height is not None:
            robot.pelvis_height = h0 + (height - h0) * k
        if waist is not None:
            robot.waist = w0 + (waist - w0) * k
        if pitch is not None:
            robot.hand_pitch = p0 + (pitch - p0) * k
        robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
        yield
        if until is not None and until():  # stop the hands where they are commanded
            return Result(duration=i * world.settings.control_period)
    return Result(duration=n * world.settings.control_period)


def _lower_arms(world: World, robot: Humanoid, seconds: float = LOWER_TIME
                ) -> Generator[None, None, float]:
    """Bring the hands from where the last reach left them down to where the empty arms hang
    (``Humanoid.hang_point``), the wrists turning to hang in line with the forearms, then let
    the arms go; returns the time. Let go anywhere else, an arm swings to its hanging pose at
    its drives' speed limit (a bent elbow straightening sweeps the hand out ahead, through a
    work surface the robot stands at)."""
    # the hands' pitch at which the wrists hang straight there: the arm's pitch chain (waist,
    # shoulder pitch, elbow) in the hanging pose, the waist as it is
    moved = yield from _reach(world, robot, {s: robot.hang_point(s) for s in ("left", "right")},
                              seconds, pitch=robot.waist + HANG_ELBOW)
    robot.grips = {"left": None, "right": None}
    robot.hand_pitch = HAND_PITCH
    return moved.duration


@_watched
def pick(world: World, robot: Humanoid, tote: Tote, tolerance: float = 0.03,
         rise: float = 0.30) -> Generator[None, None, tuple[Result, Carry | None]]:
    """Bend, bring both hands to the handles, grasp when both are within ``tolerance``, lift."""
    dt = world.settings.control_period
    t, retries = 0.0, 0
    z0 = pb.getBasePositionAndOrientation(tote.body, physicsClientId=world.client)[0][2]
    Carry.ignore_hands(world, robot, tote)
    for attempt in range(2):
        handles = {s: np.array(p) for s, p in tote.handles(world.client).items()}
        pre = {s: robot.to_world(robot.to_body(h) + np.array(
            [-0.03, 0.07 if s == "left" else -0.07, 0.06])) for s, h in handles.items()}
        r = yield from _reach(world, robot, pre, 1.2, robot.body_size.crouch_height, 0.35,
                              fixed=True)
        t += r.duration
        r = yield from _reach(world, robot, handles, 0.6, fixed=True)
        t += r.duration
        for _ in range(_ticks(world, 0.4)):  # close the last centimetres on what the hands see
            for side, p in tote.handles(world.client).items():
                grip = robot.grips[side]
                assert grip is not None
                robot.grips[side] = grip + 0.3 * (robot.to_body(p) - robot.to_body(
                    robot.grip_point(side)))
            robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
            yield
            t += dt
        miss = max(float(np.linalg.norm(robot.grip_point(s) - np.array(p)))
                   for s, p in tote.handles(world.client).items())
        if miss <= tolerance:
            break
        retries = attempt + 1
    else:
        r = yield from _reach(world, robot, {s: np.array([0.25, 0.25 if s == "left" else -0.25,
                                                          1.0]) for s in ("left", "right")},
                              RISE_TIME, robot.body_size.pelvis_height, 0.0)
        t += yield from _lower_arms(world, robot)
        return Result(ok=False, retries=retries, duration=t + r.duration,
                      note=f"hands missed the handles by {miss:.3f} m"), None
    carry = Carry.grasp(world, robot, tote)
    held = {s: robot.to_body(robot.grip_point(s)) for s in ("left", "right")}
    half = 0.5 * float(held["left"][1] - held["right"][1])
    robot.grips = dict(held)  # type: ignore[arg-type]
    size = robot.body_size  # the carry pose's reach and height follow the body, its width the tote
    top = {s: np.array([size.length(CARRY[0]), half if s == "left" else -half,
                        size.length(CARRY[2])]) for s in ("left", "right")}
    # take the weight first: the hands pull the tote just off the surface and hold it there
    # while the balance takes the load in (the wrists' reading settles over LOAD_FILTER); a
    # lift straight through would tip the body forward before the balance has counted it
    off = {s: robot.grips[s] + np.array([0.0, 0.0, TAKE_UP]) for s in top}  # type: ignore[operator]
    r = yield from _reach(world, robot, off, 0.4)
    t += r.duration
    r = yield from hold(world, robot, WEIGH_TIME)
    t += r.duration
    mid = {s: robot.grips[s] + np.array([-0.05, 0.0, 0.25 - TAKE_UP]) for s in top}  # type: ignore[operator]
    r = yield from _reach(world, robot, mid, 1.0, None, 0.2)
    t += r.duration
    r = yield from _reach(world, robot, top, RISE_TIME, robot.body_size.pelvis_height, 0.0)
    t += r.duration
    r = yield from hold(world, robot, 0.5)
    t += r.duration + 0 * dt
    z1 = pb.getBasePositionAndOrientation(tote.body, physicsClientId=world.client)[0][2]
    lifted = z1 - z0
    # arms sized for the rated payload hold the carry pose; a heavier tote drags them down
    sag = size.length(CARRY[2]) - min(float(robot.to_body(robot.grip_point(s))[2]) for s in top)
    metrics = {"rise": lifted, "hand_gap": carry.gap(), "sag": sag}
    if robot.fallen:
        carry.release()
        return Result(ok=False, fell=True, duration=t, retries=retries, metrics=metrics,
                      note="fell while lifting"), None
    # ``rise`` is for the reference body: a body whose carry pose is lower lifts that much less
    if lifted < rise - (CARRY[2] - size.length(CARRY[2])) or sag > MAX_SAG or carry.dropped():
        carry.release()
        r = yield from _reach(world, robot, {s: np.array([0.2, 0.25 if s == "left" else -0.25,
                                                          1.0]) for s in top}, 0.8)
        t += yield from _lower_arms(world, robot)
        return Result(ok=False, duration=t + r.duration, retries=retries, metrics=metrics,
                      note=f"cannot lift {tote.mass:.1f} kg: rose {lifted:.2f} m, "
                           f"hands {sag:.2f} m below the carry pose"), None
    # hug it: hold the tote a little closer to the body for walking (headroom for the
    # dynamic loads of the gait on arm drives sized for the rated payload at full reach)
    hug = {s: g - np.array([size.length(HUG), 0.0, 0.0]) for s, g in top.items()}
    r = yield from _reach(world, robot, hug, 0.5)
    t += r.duration
    t += yield from _settle(robot, dt, 2.0)
    return Result(duration=t, retries=retries, metrics=metrics), carry


@_watched
def place(world: World, robot: Humanoid, carry: Carry, spot: tuple[float, float] | None = None
          ) -> Controller:
    """Set the tote down on the surface ahead (or at world ``spot``), release, stand up."""
    if spot is None:
        ahead = np.array([robot.body_size.stand_ahead, 0.0, 0.0])
    else:
        ahead = robot.to_body((spot[0], spot[1], 0.0))
    grip_z = STAND_HEIGHT + TOTE_SIZE[2] / 2 + (TOTE_SIZE[2] / 2 - 0.03) + 0.015
    half = 0.5 * float(robot.to_body(robot.grip_point("left"))[1]
                       - robot.to_body(robot.grip_point("right"))[1])
    # the spot and the hands' way down to it, fixed in the world before the body bends
    target = robot.to_world(np.array([ahead[0], ahead[1], 0.0]))
    down_body = {s: np.array([ahead[0], ahead[1] + (half if s == "left" else -half), grip_z])
                 for s in ("left", "right")}
    down = {s: robot.to_world(g) for s, g in down_body.items()}
    above = {s: robot.to_world(g + np.array([-0.05, 0.0, 0.12])) for s, g in down_body.items()}
    dt = world.settings.control_period
    t = 0.0
    r = yield from _reach(world, robot, above, 1.2, robot.body_size.crouch_height, 0.3,
                              fixed=True)
    t += r.duration
    # lower until the surface takes the tote's weight off the wrists (a guarded move: pressed
    # on, the surface would push the body over backwards)
    held, light = robot.load_mass, [0]

    def landed() -> bool:  # the wrists light for a few ticks: not a bounce of the swing
        light[0] = light[0] + 1 if robot.wrist_load() < SET_DOWN_SHARE * held else 0
        return light[0] >= _ticks(world, LANDED)

    below = {s: g - np.array([0.0, 0.0, SET_DOWN]) for s, g in down.items()}
    r = yield from _reach(world, robot, below, 1.0, fixed=True, until=landed)
    t += r.duration
    # wait while the surface takes the weight and the balance lets go of it: letting go of a
    # load the balance still counts would throw the body forward
    for _ in range(_ticks(world, 1.5)):
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        yield
        t += dt
        if robot.load_mass < SET_DOWN_SHARE * held:
            break
    carry.release()
    tote_pos = pb.getBasePositionAndOrientation(carry.tote.body, physicsClientId=world.client)[0]
    out = {s: robot.to_body(robot.grip_point(s)) + np.array(
        [-0.05, 0.08 if s == "left" else -0.08, 0.08]) for s in down}
    r = yield from _reach(world, robot, out, 0.5)
    t += r.duration
    rest = {s: np.array([0.2, 0.25 if s == "left" else -0.25, 1.0]) for s in out}
    r = yield from _reach(world, robot, rest, RISE_TIME, robot.body_size.pelvis_height, 0.0)
    t += r.duration
    t += yield from _lower_arms(world, robot)
    t += yield from _steady(robot, dt)
    error = float(np.hypot(tote_pos[0] - target[0], tote_pos[1] - target[1]))
    height = tote_pos[2] - TOTE_SIZE[2] / 2 - STAND_HEIGHT
    ok = abs(height) < 0.03 and not robot.fallen
    return Result(ok=ok, fell=robot.fallen, duration=t,
                  metrics={"place_error": error, "height_above_surface": height},
                  note="" if ok else f"tote left {height:.2f} m off the surface")


def charge(soc: float, target: float, battery_j: float, power_w: float, mode: str,
           swap_time: float) -> tuple[float, float]:
    """Time (s) to charge and the SOC reached: plug at ``power_w``, or a battery swap."""
    if mode == "swap":
        return swap_time, 1.0
    need = max(target - soc, 0.0) * battery_j
    return need / power_w, max(soc, target)
