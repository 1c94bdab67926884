"""The motion contract between the line model and whatever moves the robots.

The line model asks a ``MotionModel`` to carry out one ``MotionTask`` (walk from A to B with a
payload, pick, place, dock) for one robot and gets back an ``Outcome``: how long it took, the
electrical energy it drew from the battery (constant draws included) and whether it succeeded.
``execute`` is a SimPy generator: the surrogate yields one timeout; the physics model steps
PyBullet in lock-step with SimPy time. The line model cannot tell them apart but by the numbers.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from twin.config import NARROW_SPEED, SPOT_CLEAR
from twin.robot import RobotSpec

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "assets" / "calibration"
GRAVITY = 9.81
LIFT_HEIGHT = 1.0  # m a tote is raised, for the potential-energy part of a lift

TaskKind = Literal["walk", "pick", "place", "dock"]


@dataclass(slots=True)
class MotionTask:
    """One primitive: ``walk`` along ``path`` from origin to target, or act at ``target``."""

    kind: TaskKind
    origin: str
    target: str
    payload_kg: float = 0.0
    distance: float = 0.0
    path: np.ndarray | None = None  # (k, 2) waypoints for walks
    heading_deg: float = 0.0  # heading at the target (the location's working direction)
    start_heading_deg: float | None = None  # walks: where the robot faces before it sets off
    narrow_m: float = 0.0  # walks: metres of the path one robot wide, walked at ...
    narrow_speed: float = NARROW_SPEED  # ... at most this (m/s: ``layout.traffic.narrow_speed``)
    # what the surrogate worked out for this task before the random spread (``Surrogate``):
    # kept on the task, which the line keeps and never changes; not part of what the task is
    memo: Any = field(default=None, init=False, repr=False, compare=False)


@dataclass(slots=True)
class Outcome:  # not frozen: a frozen dataclass takes microseconds to build, on the hot path
    duration: float  # s
    energy_j: float  # J drawn from the battery, constant draws included
    ok: bool = True  # False: could not do it (payload too heavy, dock failed for good)
    fell: bool = False  # the robot fell; the line adds the recovery as down time
    retries: int = 0  # dock retries, regrasp attempts
    note: str = ""


class Worker(Protocol):
    """What a motion model may read of a robot."""

    id: str
    spec: RobotSpec
    rng: np.random.Generator  # the robot's own motion substream


class MotionModel(Protocol):
    def execute(self, env: Any, robot: Worker, task: MotionTask) -> Generator[Any, Any, Outcome]:
        """Carry out ``task``; a SimPy process body returning the ``Outcome``."""
        ...


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WalkFit(_Model):
    """Walking: duration = overhead + bends x bend_s + turns x turn_s_per_rad + distance /
    (nominal speed x speed_ratio(payload)); turns are on the spot at the start, at each bend
    sharper than ``BEND`` (where the walk stops and starts a new straight leg) and at the
    end. Energy: the cruising power over the metres, the manoeuvre power over the rest (the
    overhead, turns and bends), where a manoeuvre power is fitted."""

    speed_ratio: tuple[float, float] = Field((1.0, 0.0), description="a + b * payload_kg")
    overhead_s: float = Field(0.0, ge=0, description="start and stop per straight leg")
    turn_s_per_rad: float = Field(0.0, ge=0, description="turning on the spot")
    bend_s: float | None = Field(None, ge=0, description="stop and start at a bend, beyond its "
                                 "turning (none fitted: a leg's overhead)")
    power_w: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="electrical power cruising = p0 + p1 * speed + p2 * "
        "payload_kg (W; with no manoeuvre_w, over the whole walk)"
    )
    manoeuvre_w: tuple[float, float] | None = Field(
        None, description="electrical power while setting off, stopping, turning and at bends "
        "= a + b * payload_kg (W); none: power_w over the whole walk")
    duration_cv: float = Field(0.0, ge=0)
    energy_cv: float = Field(0.0, ge=0)

    def ratio(self, payload: float) -> float:
        """Achieved over commanded cruise speed at ``payload`` kg (at least 0.05)."""
        return max(self.speed_ratio[0] + self.speed_ratio[1] * payload, 0.05)

    def power(self, speed: float, payload: float) -> float:
        """Electrical power (W) cruising at ``speed`` m/s with ``payload`` kg: never below the
        manoeuvre power (a fit's line is not carried below what standing and turning draw)."""
        walking = self.power_w[0] + self.power_w[1] * speed + self.power_w[2] * payload
        if self.manoeuvre_w is None:
            return walking
        return max(walking, self.manoeuvre_w[0] + self.manoeuvre_w[1] * payload)

    def manoeuvre(self, speed: float, payload: float) -> float:
        """Electrical power (W) setting off, stopping and turning with ``payload`` kg on a walk
        cruising at ``speed`` (the cruising power where no manoeuvre power is fitted)."""
        if self.manoeuvre_w is None:
            return self.power(speed, payload)
        return self.manoeuvre_w[0] + self.manoeuvre_w[1] * payload


class ActFit(_Model):
    """A primitive at one place: duration and energy linear in payload, with spread (durations
    gamma-distributed with that mean and standard deviation, energies normal)."""

    duration_s: tuple[float, float] = Field(description="a + b * payload_kg")
    energy_j: tuple[float, float] = Field(description="a + b * payload_kg")
    duration_sd: float = Field(0.0, ge=0)
    energy_sd: float = Field(0.0, ge=0)
    success: float = Field(1.0, ge=0, le=1, description="probability of success")

    def mean(self, payload: float) -> tuple[float, float]:
        """Mean duration (s) and energy (J) at ``payload`` kg."""
        return (self.duration_s[0] + self.duration_s[1] * payload,
                self.energy_j[0] + self.energy_j[1] * payload)


class Calibration(_Model):
    """Surrogate parameters, nominal (from the robot YAML) or fitted from physics."""

    robot: str
    source: Literal["nominal", "physics"] = "nominal"
    walk: WalkFit
    pick: ActFit
    place: ActFit
    dock: ActFit
    constant_w: float | None = Field(
        None, description="compute + radio draw included in the fitted energies (W)"
    )
    provenance: dict[str, Any] = {}

    @classmethod
    def nominal(cls, spec: RobotSpec) -> Calibration:
        p = spec.power
        hold = p.standing + p.constant
        lift_j = GRAVITY * LIFT_HEIGHT / spec.drive_efficiency
        return cls(
            robot=spec.name,
            constant_w=p.constant,
            walk=WalkFit(
                power_w=(p.standing + p.walking + p.constant, 0.0, p.per_kg_carried),
                duration_cv=spec.walk_cv,
                energy_cv=spec.walk_cv,
            ),
            pick=ActFit(duration_s=(spec.pick_time, 0.0), duration_sd=spec.act_cv * spec.pick_time,
                        energy_j=((hold + p.lifting) * spec.pick_time, lift_j)),
            place=ActFit(duration_s=(spec.place_time, 0.0),
                         duration_sd=spec.act_cv * spec.place_time,
                         energy_j=((hold + p.lifting) * spec.place_time, 0.0)),
            dock=ActFit(duration_s=(spec.dock_time, 0.0), duration_sd=spec.act_cv * spec.dock_time,
                        energy_j=((hold + 0.3 * p.walking) * spec.dock_time, 0.0)),
        )


def wrap_angle(angle: float) -> float:
    """An angle folded into [-pi, pi]."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def path_ends(path: np.ndarray) -> tuple[float, float]:
    """Directions (rad) a path sets off in and arrives in."""
    (ax, ay), (bx, by) = path[:2].tolist()
    (cx, cy), (dx, dy) = path[-2:].tolist()
    return math.atan2(by - ay, bx - ax), math.atan2(dy - cy, dx - cx)


BEND = 0.15  # rad: a walk stops and turns on the spot at a sharper bend (the humanoid's stop,
# turn, go); gentler bends it walks through
STANDING = 0.25  # m: path points this close to where a walk starts are where the robot stands


def corners(path: Any, start: Any, bend: float = BEND) -> list[np.ndarray]:
    """The corners of a polyline walked from ``start``: leading points within ``STANDING`` of
    it dropped, points closer than 5 cm merged, bends gentler than ``bend`` rad straightened.
    Physics walks one straight leg between each two (``twin.physics.primitives.walk``)."""
    pts = [np.asarray(start, dtype=float)]
    for p in np.asarray(path, dtype=float).reshape(-1, 2):
        # the path's first points may lie where the robot already stands (a work pose)
        if np.hypot(*(p - pts[-1])) > (STANDING if len(pts) == 1 else 0.05):
            pts.append(p)
    out = [pts[0]]
    for k in range(1, len(pts) - 1):
        if _turn(pts[k] - out[-1], pts[k + 1] - pts[k]) > bend:
            out.append(pts[k])
    if len(pts) > 1:
        out.append(pts[-1])
    return out


def path_bends(path: np.ndarray) -> tuple[int, float]:
    """The bends a walk stops at along ``path``: how many, and the radians turned there."""
    pts = corners(path, path[0])
    rad = sum(_turn(b - a, c - b) for a, b, c in zip(pts, pts[1:], pts[2:], strict=False))
    return max(len(pts) - 2, 0), rad


def _turn(a: np.ndarray, b: np.ndarray) -> float:
    """Radians turned from direction ``a`` to direction ``b`` (either way)."""
    return abs(wrap_angle(math.atan2(b[1], b[0]) - math.atan2(a[1], a[0])))


def walk_turns(task: MotionTask, ends: tuple[float, float] | None = None) -> float:
    """Radians turned on the spot: to face along the path, and at the end to face the target's
    working direction (``ends``: the path's directions, if known)."""
    path = task.path
    if path is None or len(path) < 2 or task.start_heading_deg is None:
        return 0.0
    out_dir, in_dir = ends or path_ends(path)
    return (abs(wrap_angle(out_dir - math.radians(task.start_heading_deg)))
            + abs(wrap_angle(math.radians(task.heading_deg) - in_dir)))


def calibration_path(robot_name: str) -> Path:
    return CALIBRATION_DIR / f"{robot_name}.json"


def load_calibration(spec: RobotSpec) -> Calibration:
    """The calibration bound to this robot's content (scaled where a law covers a change, or
    refused) with its overrides, else its datasheet figures: see ``twin.figures``."""
    from twin.figures import calibration_for

    return calibration_for(spec)


# what a task record plans (Surrogate._record): tags compared by identity
_WALK, _ACT, _STILL, _TOO_HEAVY = "walk", "act", "still", "too heavy"
# the surrogate that made it, the task's path, what, duration, energy (walks: power), a, b,
# energy sd, energy floor, success
_Record = tuple["Surrogate", "np.ndarray | None", str, float, float, float, float, float, float,
                float]
Timed = tuple[float, float, bool, int]  # a plan's duration (s), energy (J), ok and retries


DRAWS = 128  # variates a robot's stream hands out per NumPy call, per kind (see _Draws)


class _Draws:
    """A robot's motion variates drawn from its own stream in blocks of ``DRAWS``, one block
    per kind (standard normals, uniforms, standard gammas of each shape), handed out in the
    order drawn: a plan pops the next value off a block instead of calling NumPy (about
    1 us a draw). Blocks are arrays of doubles (8 bytes a value, not a 24-byte float object
    and a list slot): 500 robots hold about 1 MB of them, not 5.

    Every block comes from the robot's one motion stream, so a run stays bit-for-bit the same
    for a seed and the robot's stream serves its motion only; the values differ from drawing
    one at a time (the kinds no longer interleave), their distributions do not: numpy's
    ``gamma(a, b)`` is ``b * standard_gamma(a)``.
    """

    __slots__ = ("rng", "normals", "uniforms", "gammas")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.normals: array[float] = array("d")  # popped from the end: kept reversed
        self.uniforms: array[float] = array("d")
        self.gammas: dict[float, array[float]] = {}  # by shape

    def normal(self) -> float:
        """The next standard normal (the block refilled when empty)."""
        self.normals = array("d", self.rng.standard_normal(DRAWS)[::-1].tobytes())
        return self.normals.pop()

    def uniform(self) -> float:
        self.uniforms = array("d", self.rng.random(DRAWS)[::-1].tobytes())
        return self.uniforms.pop()

    def gamma(self, shape: float) -> float:
        """The next standard gamma of ``shape`` (scale 1)."""
        block = self.gammas.get(shape)
        if not block:
            block = self.gammas[shape] = array(
                "d", self.rng.standard_gamma(shape, DRAWS)[::-1].tobytes())
        return block.pop()


class Surrogate:
    """Fast motion model: closed-form duration and energy with calibrated spread.

    Everything a task's outcome needs but the random draws is worked out once per task object
    (the line keeps its tasks and never changes them: ``twin.line``) and kept in one record on
    the task itself (``MotionTask.memo``, marked with the surrogate that made it and the path
    it was read from), so a plan reads an attribute, draws and multiplies a few numbers. The
    draws come in blocks from the robot's stream (``_Draws``).
    """

    KEPT = 1 << 15  # streams' blocks kept before they are all forgotten

    def __init__(self, spec: RobotSpec, calibration: Calibration | None = None) -> None:
        self.spec = spec
        self.calibration = calibration or load_calibration(spec)
        fitted = self.calibration.constant_w
        # a scenario with another on-board computer or radio than the calibrated robot's
        self.extra_w = 0.0 if fitted is None else spec.power.constant - fitted
        # nominal figures by task, before the random spread
        self._walks: dict[tuple[Any, ...], tuple[np.ndarray | None, float, float]] = {}
        self._acts: dict[tuple[str, float], tuple[ActFit, float, float, float, float]] = {}
        self._draws: dict[int, _Draws] = {}  # by id(robot.rng): that stream's blocks
        self._clears: dict[float, float] = {}  # clears_spot by payload

    def _walk_nominal(self, task: MotionTask) -> tuple[float, float]:
        """A walk's duration (turns included) and power before the random spread, computed
        once per walk (kept with the path they were read from)."""
        key = (task.origin, task.target, task.payload_kg, task.distance, task.heading_deg,
               task.start_heading_deg, task.narrow_m, task.narrow_speed)
        known = self._walks.get(key)
        if known is not None and known[0] is task.path:
            return known[1], known[2]
        w, m = self.calibration.walk, task.payload_kg
        v = self.spec.speed(m) * w.ratio(m)
        duration = w.overhead_s + task.distance / v
        slow = task.narrow_speed
        if task.narrow_m and v > slow:  # the floor's pace limit, as bodies keep it
            duration += task.narrow_m * (1.0 / slow - 1.0 / v)
        if task.path is not None and len(task.path) > 2:
            # each bend is a stop, a turn on the spot and a start (one more leg's overhead)
            n, rad = path_bends(task.path)
            stop_go = w.overhead_s if w.bend_s is None else w.bend_s
            duration += n * stop_go + rad * w.turn_s_per_rad
        if w.turn_s_per_rad and task.start_heading_deg is not None and task.path is not None:
            duration += w.turn_s_per_rad * walk_turns(task)
        power = w.power(v, m)
        if w.manoeuvre_w is not None:  # cruising at its power, the rest at the manoeuvre's
            cruising = task.distance / v
            energy = power * cruising
            if task.narrow_m and v > slow:
                cruising += task.narrow_m * (1.0 / slow - 1.0 / v)
                energy += task.narrow_m * (w.power(slow, m) / slow - power / v)
            power = (energy + w.manoeuvre(v, m) * (duration - cruising)) / duration
        self._walks[key] = (task.path, duration, power)
        return duration, power

    def clears_spot(self, payload: float) -> float:
        """Seconds a robot done on a work spot holding ``payload`` takes to step
        ``SPOT_CLEAR`` off it, from standing: the starting half of a walk's start-and-stop
        overhead, then its walking pace (the one handed the spot waits for this). A robot
        holding a tote first turns round on the spot, at the fitted turning pace: the bodies
        turn clear of the surface they picked from, the tote riding above it, and do not walk
        backwards with a load in front (``twin.physics.motion``). Measured in physics
        (passage_four, 30 minutes): the next robot stepped on 9.1 s after a pick ended (11
        hand-overs) and 4.6 s after a place (10), where this said 3.3 s and 3.1 s without the
        turn (docs/traffic.md). Kept by payload: asked at every hand-over, it reads the
        calibration's config models."""
        known = self._clears.get(payload)
        if known is None:
            w = self.calibration.walk
            turn = math.pi * w.turn_s_per_rad if payload > 0.0 else 0.0
            known = self._clears[payload] = turn + (
                0.5 * w.overhead_s + SPOT_CLEAR / (self.spec.speed(payload) * w.ratio(payload)))
        return known

    def _act_nominal(self, kind: str, m: float) -> tuple[ActFit, float, float, float, float]:
        """A pick, place or dock: its fit, duration, energy, and gamma shape and scale."""
        known = self._acts.get((kind, m))
        if known is None:
            cal = self.calibration
            fit = {"pick": cal.pick, "place": cal.place, "dock": cal.dock}[kind]
            duration, energy = fit.mean(m)
            shape = (duration / fit.duration_sd) ** 2 if fit.duration_sd and duration > 0 else 0.0
            scale = duration / shape if shape else 0.0
            known = self._acts[(kind, m)] = (fit, duration, energy, shape, scale)
        return known

    def _record(self, task: MotionTask) -> _Record:
        """The figures of ``task`` before the random spread, kept on the task (``memo``)."""
        m = task.payload_kg
        rec: _Record
        if task.kind == "walk":
            if task.distance <= 0:
                rec = (self, task.path, _STILL, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
            else:
                w = self.calibration.walk
                duration, power = self._walk_nominal(task)
                rec = (self, task.path, _WALK, duration, power, w.duration_cv, w.energy_cv,
                       0.0, 0.0, 1.0)
        elif m > self.spec.max_payload and task.kind == "pick":
            pick = self.calibration.pick
            rec = (self, task.path, _TOO_HEAVY, pick.duration_s[0], pick.energy_j[0], 0.0, 0.0,
                   0.0, 0.0, 1.0)
        else:
            fit, duration, energy, shape, scale = self._act_nominal(task.kind, m)
            rec = (self, task.path, _ACT, duration, energy, shape, scale, fit.energy_sd,
                   0.2 * energy, fit.success)
        task.memo = rec
        return rec

    def draws(self, rng: np.random.Generator) -> _Draws:
        """The blocks of ``rng`` (the robot's stream; kept by the stream object)."""
        d = self._draws.get(id(rng))
        if d is None or d.rng is not rng:
            if len(self._draws) >= self.KEPT:
                self._draws.clear()
            d = self._draws[id(rng)] = _Draws(rng)
        return d

    def plan(self, robot: Worker, task: MotionTask) -> Outcome:
        """The outcome of ``task``, drawn from the robot's own random stream."""
        return self.planner(robot)(robot, task)

    def planner(self, robot: Worker) -> Callable[[Worker, MotionTask], Outcome]:
        """``plan`` for ``robot`` alone, its stream's blocks found once: the line's robots keep
        theirs (``Robot.plan``) and skip that look-up on every task. Only ``task`` is read
        of the robot it is then called with."""
        timed = self.timer(robot)

        def plan(worker: Worker, task: MotionTask) -> Outcome:
            duration, energy, ok, retries = timed(task)
            if ok:
                return Outcome(duration, energy, True, False, retries)
            # Cannot lift: it tries, strains, gives up (a failed lift attempt).
            m, limit = task.payload_kg, self.spec.max_payload
            return Outcome(duration, energy, ok=False,
                           note=f"payload {m:.1f} kg over the {limit:g} kg limit")

        return plan

    def timer(self, robot: Worker) -> Callable[[MotionTask], Timed]:
        """``plan``'s figures for ``robot`` as a plain tuple (``Timed``: duration, energy, ok,
        retries), drawn the same way from the same stream: what the line's trips read, without
        building an ``Outcome`` (that costs more than the draws: about 2,000 instructions, 4%
        of a hall's run). The surrogate's robots never fall."""
        d = self.draws(robot.rng)
        record = self._record

        def timed(task: MotionTask) -> Timed:
            rec = task.memo
            if rec is None or rec[0] is not self or rec[1] is not task.path:
                rec = record(task)
            _, _, what, duration, energy, a, b, sd, floor, success = rec
            if what is _WALK:
                # energy: the walking power; a, b: the spread of duration and energy
                # (0.5 if f < 0.5 else f: max(f, 0.5) without the call, the same value)
                if a:
                    z = d.normals
                    f = 1.0 + a * (z.pop() if z else d.normal())
                    duration *= 0.5 if f < 0.5 else f
                energy = energy * duration
                if b:
                    z = d.normals
                    f = 1.0 + b * (z.pop() if z else d.normal())
                    energy *= 0.5 if f < 0.5 else f
                return duration, energy + self.extra_w * duration, True, 0
            if what is _ACT:
                # a, b: gamma shape and scale of the duration
                if a:
                    # gamma: positive, with the fitted mean and spread (exponential at cv 1)
                    g = d.gammas.get(a)
                    duration = b * (g.pop() if g else d.gamma(a))
                if sd:
                    z = d.normals
                    f = energy + sd * (z.pop() if z else d.normal())
                    energy = floor if floor > f else f
                if success < 1.0:
                    retries = 0
                    while (d.uniforms.pop() if d.uniforms else d.uniform()) > success \
                            and retries < 5:
                        retries += 1
                    duration *= 1 + retries
                    energy *= 1 + retries
                    return duration, energy + self.extra_w * duration, True, retries
                return duration, energy + self.extra_w * duration, True, 0
            if what is _STILL:
                return 0.0, 0.0, True, 0
            return duration, energy, False, 0  # too heavy: it strains and gives up (``plan``)

        return timed

    def execute(self, env: Any, robot: Worker, task: MotionTask) -> Generator[Any, Any, Outcome]:
        outcome = self.plan(robot, task)
        if outcome.duration > 0:
            yield env.timeout(outcome.duration)
        return outcome
