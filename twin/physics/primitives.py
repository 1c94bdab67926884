"""Motion primitives as controllers: generators that set a humanoid's commands once per control
period (the world steps physics in between) and return a ``Result``.

``walk`` follows a polyline; ``align`` and ``dock`` bring the pelvis to a pose (stepping, then
shifting the body over planted feet); ``pick`` and ``place`` move both hands by IK, grasp with
constraints only when both hands are at the handles, and lift with the arms.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pybullet as pb

from twin.motion import wrap_angle
from twin.physics.carry import Carry
from twin.physics.humanoid import Humanoid
from twin.physics.world import STAND_HEIGHT, TOTE_SIZE, Tote, World

Controller = Generator[None, None, "Result"]
WALK_HEIGHT = 0.86
CROUCH_HEIGHT = 0.80
CARRY = (0.42, 0.23, 1.34)  # grip point in the walking frame while carrying
HUG = 0.08  # m the tote is drawn in from the lift pose for walking
MAX_SAG = 0.04  # m the hands may hang below the carry pose after lifting: more, cannot lift


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


def _settle(robot: Humanoid, dt: float,
            limit: float = math.inf) -> Generator[None, None, float]:
    """Stop stepping and stand until the gait has settled; returns the time it took."""
    t = 0.0
    while not robot.gait.settled() and t < limit:
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        yield
        t += dt
    return t


def _ticks(world: World, seconds: float) -> int:
    return max(1, round(seconds / world.settings.control_period))


def hold(world: World, robot: Humanoid, seconds: float) -> Controller:
    """Stand still for ``seconds``."""
    for _ in range(_ticks(world, seconds)):
        robot.gait.command(0.0, 0.0, 0.0, stepping=False)
        yield
    return Result(duration=seconds)


def walk(world: World, robot: Humanoid, path: Any, speed: float,
         face: float | None = None, carry: Carry | None = None,
         accel: float = 1.0) -> Controller:
    """Follow the polyline ``path`` (k, 2) at ``speed`` m/s; turn to ``face`` (rad) at the end.

    Speed is held by an integral loop on the measured pace (feet slip a little); a held tote is
    checked each period and a drop ends the walk with ``ok=False``.
    """
    dt = world.settings.control_period
    x, y, _ = robot.pose()
    pts = np.asarray(path, dtype=float).reshape(-1, 2)
    if np.hypot(pts[0, 0] - x, pts[0, 1] - y) > 0.05:
        pts = np.vstack([[x, y], pts])
    seg = np.diff(pts, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    keep = lengths > 1e-6
    seg, lengths = seg[keep], lengths[keep]
    starts = np.concatenate([[0.0], np.cumsum(lengths)])[:-1]
    base = pts[:-1][keep] if len(keep) else pts[:1]
    total = float(lengths.sum())
    t, integral, progress = 0.0, 0.0, 0.0
    start_m = robot.meter.distance_m
    lookahead = 0.5
    while total > 0.02:
        if robot.fallen:
            return Result(ok=False, fell=True, duration=t, note="fell while walking")
        if carry is not None and carry.dropped():
            return Result(ok=False, duration=t, note="dropped the tote while walking")
        x, y, yaw = robot.pose()
        rel = np.array([x, y]) - base
        u = np.clip((rel * seg).sum(axis=1) / lengths**2, 0.0, 1.0)
        near = base + seg * u[:, None]
        k = int(np.argmin(np.hypot(near[:, 0] - x, near[:, 1] - y)))
        progress = max(progress, float(starts[k] + u[k] * lengths[k]))
        remaining = total - progress
        if remaining < 0.03:
            break
        target_s = min(progress + lookahead, total)
        j = int(np.searchsorted(starts, target_s, side="right") - 1)
        j = min(max(j, 0), len(seg) - 1)
        ahead = base[j] + seg[j] * min((target_s - starts[j]) / lengths[j], 1.0)
        err = wrap_angle(math.atan2(ahead[1] - y, ahead[0] - x) - yaw)
        v_ref = min(speed, accel * (t + 0.3), math.sqrt(2 * 0.8 * max(remaining - 0.02, 0.0)))
        v_ref *= max(0.0, 1.0 - abs(err) / 0.6)  # slow into bends, turn on the spot
        lin, _ = pb.getBaseVelocity(robot.body, physicsClientId=robot.client)
        pace = lin[0] * math.cos(yaw) + lin[1] * math.sin(yaw)
        if v_ref >= 0.95 * speed:
            integral = float(np.clip(integral + (v_ref - pace) * dt, -0.3, 0.6))
        robot.gait.command(v_ref + 0.6 * integral, 0.0, float(np.clip(2.5 * err, -1.2, 1.2)))
        yield
        t += dt
    if face is not None:
        for _ in range(_ticks(world, 6.0)):
            err = wrap_angle(face - robot.pose()[2])
            if abs(err) < 0.03:
                break
            robot.gait.command(0.0, 0.0, float(np.clip(2.0 * err, -0.8, 0.8)))
            yield
            t += dt
    t += yield from _settle(robot, dt)
    moved = robot.meter.distance_m - start_m
    return Result(ok=not robot.fallen, fell=robot.fallen, duration=t, distance=moved,
                  metrics={"path_m": total}, note="fell while walking" if robot.fallen else "")


def align(world: World, robot: Humanoid, x: float, y: float, heading: float,
          tol_pos: float, tol_heading: float, limit: float = 20.0) -> Controller:
    """Bring the pelvis to (x, y, heading): step while far, then shift over planted feet."""
    dt = world.settings.control_period
    t = 0.0

    def error() -> tuple[float, float, float]:
        px, py, yaw = robot.pose()
        c, s = math.cos(yaw), math.sin(yaw)
        dx, dy = x - px, y - py
        return c * dx + s * dy, -s * dx + c * dy, wrap_angle(heading - yaw)

    while t < limit:
        ex, ey, eh = error()
        if math.hypot(ex, ey) < 0.025 and abs(eh) < 0.04:
            break
        robot.gait.command(float(np.clip(1.2 * ex, -0.3, 0.3)),
                           float(np.clip(1.2 * ey, -0.15, 0.15)),
                           float(np.clip(1.5 * eh, -0.6, 0.6)))
        yield
        t += dt
    t += yield from _settle(robot, dt, limit - t)
    for _ in range(_ticks(world, 4.0)):
        ex, ey, eh = error()
        if math.hypot(ex, ey) < 0.3 * tol_pos and abs(eh) < 0.3 * tol_heading:
            break
        robot.gait.command(float(np.clip(2.0 * ex, -0.06, 0.06)),
                           float(np.clip(2.0 * ey, -0.06, 0.06)),
                           float(np.clip(2.0 * eh, -0.1, 0.1)), stepping=False, shift=True)
        yield
        t += dt
    for _ in range(_ticks(world, 0.3)):
        robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
        yield
        t += dt
    ex, ey, eh = error()
    pos_err, head_err = math.hypot(ex, ey), abs(eh)
    ok = pos_err <= tol_pos and head_err <= tol_heading and not robot.fallen
    return Result(ok=ok, fell=robot.fallen, duration=t,
                  metrics={"position_error": pos_err, "heading_error": head_err})


def dock(world: World, robot: Humanoid, x: float, y: float, heading: float,
         tries: int = 4) -> Controller:
    """Fine approach to a dock pose; back off 0.3 m and retry while outside tolerance."""
    tol = robot.spec.dock_tolerance
    tol_pos, tol_head = tol.position, math.radians(tol.heading)
    total = 0.0
    result = Result(ok=False)
    for attempt in range(tries):
        result = yield from align(world, robot, x, y, heading, tol_pos, tol_head)
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
           lean: float | None = None) -> Controller:
    """Move both grips (walking frame) and the posture smoothly to the goals."""
    start = {s: robot.grips[s] if robot.grips[s] is not None else robot.to_body(
        robot.grip_point(s)) for s in goals}
    h0, w0, l0 = robot.gait.pelvis_height, robot.waist, robot.gait.lean
    n = _ticks(world, seconds)
    for i in range(1, n + 1):
        k = 0.5 - 0.5 * math.cos(math.pi * i / n)
        for side, goal in goals.items():
            s0 = start[side]
            assert s0 is not None
            robot.grips[side] = s0 + (goal - s0) * k
        if height is not None:
            robot.gait.pelvis_height = h0 + (height - h0) * k
        if waist is not None:
            robot.waist = w0 + (waist - w0) * k
        if lean is not None:
            robot.gait.lean = l0 + (lean - l0) * k
        robot.gait.command(0.0, 0.0, 0.0, stepping=False, shift=True)
        yield
    return Result(duration=n * world.settings.control_period)


def pick(world: World, robot: Humanoid, tote: Tote, tolerance: float = 0.03,
         rise: float = 0.30) -> Generator[None, None, tuple[Result, Carry | None]]:
    """Bend, bring both hands to the handles, grasp when both are within ``tolerance``, lift."""
    dt = world.settings.control_period
    t, retries = 0.0, 0
    z0 = pb.getBasePositionAndOrientation(tote.body, physicsClientId=world.client)[0][2]
    Carry.ignore_hands(world, robot, tote)
    for attempt in range(2):
        handles = {s: robot.to_body(p) for s, p in tote.handles(world.client).items()}
        pre = {s: h + np.array([-0.03, 0.07 if s == "left" else -0.07, 0.06])
               for s, h in handles.items()}
        r = yield from _reach(world, robot, pre, 1.2, CROUCH_HEIGHT, 0.35)
        t += r.duration
        r = yield from _reach(world, robot, handles, 0.6)
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
                              0.8, WALK_HEIGHT, 0.0)
        robot.grips = {"left": None, "right": None}
        return Result(ok=False, retries=retries, duration=t + r.duration,
                      note=f"hands missed the handles by {miss:.3f} m"), None
    carry = Carry.grasp(world, robot, tote)
    held = {s: robot.to_body(robot.grip_point(s)) for s in ("left", "right")}
    half = 0.5 * float(held["left"][1] - held["right"][1])
    robot.grips = dict(held)  # type: ignore[arg-type]
    top = {s: np.array([CARRY[0], half if s == "left" else -half, CARRY[2]])
           for s in ("left", "right")}
    mid = {s: robot.grips[s] + np.array([-0.05, 0.0, 0.25]) for s in top}  # type: ignore[operator]
    lean = tote.mass * 0.45 / (tote.mass + robot.spec.mass)
    r = yield from _reach(world, robot, mid, 1.0, None, 0.2, lean=lean)
    t += r.duration
    r = yield from _reach(world, robot, top, 1.0, WALK_HEIGHT, 0.0)
    t += r.duration
    r = yield from hold(world, robot, 0.5)
    t += r.duration + 0 * dt
    z1 = pb.getBasePositionAndOrientation(tote.body, physicsClientId=world.client)[0][2]
    lifted = z1 - z0
    # arms sized for the rated payload hold the carry pose; a heavier tote drags them down
    sag = CARRY[2] - min(float(robot.to_body(robot.grip_point(s))[2]) for s in top)
    metrics = {"rise": lifted, "hand_gap": carry.gap(), "sag": sag}
    if robot.fallen:
        carry.release()
        return Result(ok=False, fell=True, duration=t, retries=retries, metrics=metrics,
                      note="fell while lifting"), None
    if lifted < rise or sag > MAX_SAG or carry.dropped():
        carry.release()
        r = yield from _reach(world, robot, {s: np.array([0.2, 0.25 if s == "left" else -0.25,
                                                          1.0]) for s in top}, 0.8, lean=0.0)
        robot.grips = {"left": None, "right": None}
        return Result(ok=False, duration=t + r.duration, retries=retries, metrics=metrics,
                      note=f"cannot lift {tote.mass:.1f} kg: rose {lifted:.2f} m, "
                           f"hands {sag:.2f} m below the carry pose"), None
    # hug it: hold the tote a little closer to the body for walking (headroom for the
    # dynamic loads of the gait on arm drives sized for the rated payload at full reach)
    hug = {s: g - np.array([HUG, 0.0, 0.0]) for s, g in top.items()}
    r = yield from _reach(world, robot, hug, 0.5)
    t += r.duration
    return Result(duration=t, retries=retries, metrics=metrics), carry


def place(world: World, robot: Humanoid, carry: Carry, spot: tuple[float, float] | None = None
          ) -> Controller:
    """Set the tote down on the surface ahead (or at world ``spot``), release, stand up."""
    if spot is None:
        ahead = np.array([0.55, 0.0, 0.0])
    else:
        ahead = robot.to_body((spot[0], spot[1], 0.0))
    grip_z = STAND_HEIGHT + TOTE_SIZE[2] / 2 + (TOTE_SIZE[2] / 2 - 0.03) + 0.015
    half = 0.5 * float(robot.to_body(robot.grip_point("left"))[1]
                       - robot.to_body(robot.grip_point("right"))[1])
    down = {s: np.array([ahead[0], ahead[1] + (half if s == "left" else -half), grip_z])
            for s in ("left", "right")}
    above = {s: g + np.array([-0.05, 0.0, 0.12]) for s, g in down.items()}
    t = 0.0
    r = yield from _reach(world, robot, above, 1.2, CROUCH_HEIGHT, 0.3)
    t += r.duration
    r = yield from _reach(world, robot, down, 0.8)
    t += r.duration
    r = yield from hold(world, robot, 0.3)
    t += r.duration
    carry.release()
    tote_pos = pb.getBasePositionAndOrientation(carry.tote.body, physicsClientId=world.client)[0]
    out = {s: g + np.array([-0.05, 0.08 if s == "left" else -0.08, 0.08]) for s, g in down.items()}
    r = yield from _reach(world, robot, out, 0.5, lean=0.0)
    t += r.duration
    rest = {s: np.array([0.2, 0.25 if s == "left" else -0.25, 1.0]) for s in out}
    r = yield from _reach(world, robot, rest, 0.8, WALK_HEIGHT, 0.0)
    t += r.duration
    robot.grips = {"left": None, "right": None}
    target = robot.to_world(np.array([ahead[0], ahead[1], 0.0]))
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
