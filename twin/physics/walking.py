"""A walking pattern generator: footsteps from a commanded twist, a ZMP reference through them,
the CoM from ZMP preview control, and swing-foot trajectories.

Everything here is planned in the world frame on the floor, without PyBullet: the humanoid turns
the plan (pelvis and ankle poses) into joint targets and closes the loop with its stabiliser.
Steps not yet begun are re-planned each period from the latest command, so the preview sees the
walk the robot will make; the swing target is adjusted by the capture-point error the robot
measures (``adjust``).
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from twin.motion import wrap_angle
from twin.physics.kinematics import clip
from twin.physics.preview import PreviewGains, PreviewState

if TYPE_CHECKING:
    from twin.physics.body import Body

SIDES = ("left", "right")
_BETWEEN_SWINGS = (-1.0, math.inf, 1.0, 0.0, 0.0)  # start, duration, its square, move: a
# sample between two swings gets u = (t + 1) / inf = +0.0, a swing ZMP shift of exactly +0.0
Swing = tuple[float, float, tuple[float, float]]  # start (s from now), duration, displacement
FOOT_CENTRE = 0.03  # m the sole's centre lies ahead of the ankle


def other(side: str) -> str:
    """The other foot."""
    return "right" if side == "left" else "left"


class Pose(NamedTuple):
    """A pose on the floor: x, y (m), yaw (rad). Immutable; a named tuple rather than a
    frozen dataclass because the walking plan makes a few dozen each control period, and a
    frozen dataclass takes three times as long to make (its ``__init__`` sets each field
    through ``object.__setattr__``)."""

    x: float
    y: float
    yaw: float

    def compose(self, ahead: float, left: float, turn: float = 0.0) -> Pose:
        """This pose moved by (ahead, left) in its own frame and turned by ``turn``."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        return Pose(self.x + c * ahead - s * left, self.y + s * ahead + c * left,
                    self.yaw + turn)

    def local(self, x: float, y: float) -> tuple[float, float]:
        """World point (x, y) in this pose's frame."""
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        dx, dy = x - self.x, y - self.y
        return c * dx + s * dy, -s * dx + c * dy

    def xy(self) -> np.ndarray:
        """Position as an array."""
        return np.array([self.x, self.y])

    def centre(self) -> np.ndarray:
        """Centre of the sole of a foot whose ankle is at this pose."""
        return self.compose(FOOT_CENTRE, 0.0).xy()


def mid(a: Pose, b: Pose) -> Pose:
    """The pose halfway between two poses."""
    return Pose(0.5 * (a.x + b.x), 0.5 * (a.y + b.y), a.yaw + 0.5 * wrap_angle(b.yaw - a.yaw))


@dataclass(frozen=True)
class GaitParameters:
    """Step timing and geometry. Cadence grows with speed (shorter steps in time). The
    defaults are the reference body's (``body.REFERENCE_HEIGHT``); ``scaled`` gives another's."""

    stance_width: float = 0.09  # m from the pelvis centre line to each ankle
    step_height: float = 0.06
    period_slow: float = 0.44  # s per step standing still / slowly
    period_fast: float = 0.30  # s per step at ``fast_speed``
    fast_speed: float = 1.3
    double_share: float = 0.06  # of a step spent on both feet
    start_time: float = 0.8  # s to shift onto the first stance foot
    stop_time: float = 0.5  # s to come back between the feet
    max_step: float = 0.55  # m of advance per step
    max_side: float = 0.10
    max_turn: float = 0.35  # rad per step
    min_gap: float = 0.15  # m between the ankles, sideways
    accel: float = 1.5  # m/s^2 the planned speed may rise
    decel: float = 1.0  # m/s^2 it may fall (stopping takes a few steps)
    turn_accel: float = 2.0  # rad/s^2
    zmp_inset: float = 0.02  # m the reference sits inside each sole
    swing_zmp: float = 0.014  # s^2: ZMP shift per m/s^2 of swing-foot acceleration (legs' mass)
    foot_centre: float = FOOT_CENTRE  # m the sole's centre lies ahead of the ankle
    max_nudge: float = 0.15  # m a foothold moves at most for the capture point's error

    def scaled(self, body: Body) -> GaitParameters:
        """These parameters for ``body``: lengths times its scale, the step's times and the
        speed the cadence is set for times its square root (a pendulum's), linear
        accelerations unchanged (length over time squared), angular ones over the scale."""
        length, time, speed = body.length, body.duration, body.speed
        return replace(
            self, stance_width=length(self.stance_width), step_height=length(self.step_height),
            period_slow=time(self.period_slow), period_fast=time(self.period_fast),
            fast_speed=speed(self.fast_speed), start_time=time(self.start_time),
            stop_time=time(self.stop_time), max_step=length(self.max_step),
            max_side=length(self.max_side), min_gap=length(self.min_gap),
            turn_accel=self.turn_accel / body.scale, zmp_inset=length(self.zmp_inset),
            swing_zmp=length(self.swing_zmp), foot_centre=length(self.foot_centre),
            max_nudge=length(self.max_nudge))

    def period(self, speed: float) -> float:
        """Duration of one step (s) at ``speed`` m/s."""
        share = clip(speed / self.fast_speed, 0.0, 1.0)
        return self.period_slow + (self.period_fast - self.period_slow) * share


@dataclass
class Step:
    """One step: double support shifting the ZMP onto ``support``, then ``swing`` flies from
    ``start`` to ``target``."""

    swing: str
    support: Pose
    start: Pose
    target: Pose
    zmp_from: np.ndarray
    double: float
    single: float
    t: float = 0.0
    nudge: tuple[float, float] = (0.0, 0.0)  # capture-point correction of the foothold
    closing: bool = False  # the step that brings the feet together to stop

    @property
    def landing(self) -> Pose:
        """Where the swing foot goes: the planned foothold plus the correction."""
        return Pose(self.target.x + self.nudge[0], self.target.y + self.nudge[1],
                    self.target.yaw)

    @property
    def duration(self) -> float:
        return self.double + self.single


def _approach(now: float, want: float, up: float, down: float, dt: float) -> float:
    """``now`` a period closer to ``want``, at rate ``up`` away from zero, ``down`` toward
    it."""
    rate = up if abs(want) > abs(now) and want * now >= 0 else down
    # min/max of floats: np.clip's result bit for bit (bounds never zero), faster
    return now + clip(want - now, -rate * dt, rate * dt)


def _smooth(s: float) -> float:
    s = clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


def _smooth_acc(s: np.ndarray) -> np.ndarray:
    """Second derivative of ``_smooth``: 60 s - 180 s^2 + 120 s^3, evaluated as
    ``60.0 * s - 180.0 * s * s + 120.0 * s * s * s`` (left to right), in place."""
    out = 60.0 * s
    term = 180.0 * s
    term *= s
    out -= term
    np.multiply(120.0, s, out=term)
    term *= s
    term *= s
    out += term
    return out


@functools.lru_cache(maxsize=16)
def _preview(zc: float, dt: float) -> tuple[PreviewGains, np.ndarray, list[float]]:
    """The preview's gains for CoM height ``zc`` and period ``dt`` (``PreviewGains.design``)
    and its samples' times from now (an array, and as floats), made once for every pattern
    of that height and period: all read-only, the same values as each pattern's own made.
    A world of robots of one kind then reads one copy of the weights' moments and of the
    times each control period, not one a robot: after the physics steps the copies of the
    others were out of the cache (issue 11, docs/step_cost.md)."""
    gains = PreviewGains.design(zc, dt)
    times = np.arange(gains.samples + 1) * dt
    return gains, times, times.tolist()


class WalkingPattern:
    """Footsteps, ZMP reference, CoM plan and swing trajectories for a twist command."""

    def __init__(self, left: Pose, right: Pose, zc: float, dt: float,
                 params: GaitParameters | None = None) -> None:
        self.params = params or GaitParameters()
        self.gains, self._times, self._time_list = _preview(zc, dt)
        self.dt = dt
        self.feet = {"left": left, "right": right}
        self.lift = {"left": 0.0, "right": 0.0}
        self.twist = (0.0, 0.0, 0.0)  # what the footsteps are planned for
        self.wanted = (0.0, 0.0, 0.0)  # the last command
        self.stepping = False
        self.hold = False
        self.shift = np.zeros(3)  # body offset over planted feet (ahead, left, yaw)
        self.step: Step | None = None
        self.steps = 0
        self.com = PreviewState.at_rest(self._stand_point())
        self._horizon = self.gains.samples * dt  # s the preview looks ahead
        self._omega = math.sqrt(9.81 / self.gains.zc)  # the pendulum's rate (1/s)
        p = self.params
        self._rates = ((p.accel, p.decel),) * 2 + ((p.turn_accel, p.turn_accel),)
        self._paced: tuple[tuple[float, float, float], bool, float,
                           tuple[float, float, float]] | None = None  # see ``_pace``

    # --- commands ----------------------------------------------------------------------
    def command(self, vx: float, vy: float, wz: float, stepping: bool = True,
                shift: bool = False) -> None:
        """Pelvis twist (m/s, m/s, rad/s, walking frame); ``shift`` moves the body over planted
        feet instead of stepping (fine positioning)."""
        self.wanted = (vx, vy, wz)
        self.stepping = stepping
        self.hold = shift and not stepping

    def _ramp(self) -> None:
        """The planned twist follows the command within the gait's acceleration limits."""
        dt = self.dt
        vx, vy, wz = self.wanted if self.stepping else (0.0, 0.0, 0.0)
        (ax, dx), (ay, dy), (aw, dw) = self._rates
        now_x, now_y, now_w = self.twist
        self.twist = (_approach(now_x, vx, ax, dx, dt), _approach(now_y, vy, ay, dy, dt),
                      _approach(now_w, wz, aw, dw, dt))

    def _moving(self) -> bool:
        vx, vy, wz = self.twist
        return abs(vx) > 0.01 or abs(vy) > 0.01 or abs(wz) > 0.02

    def _pace(self) -> tuple[bool, float, tuple[float, float, float]]:
        """At the planned twist: whether the feet step on, a step's period, and the
        pelvis's stride over a step (zeros when not moving). The step under way and the
        preview's planned steps all read them, each period: worked out once for each twist
        (``_ramp`` makes a new tuple every period)."""
        twist = self.twist
        paced = self._paced
        if paced is None or paced[0] is not twist:
            moving = self._moving()
            period = self.params.period(self.speed())
            stride = self._stride(twist, period) if moving else (0.0, 0.0, 0.0)
            paced = self._paced = (twist, moving, period, stride)
        return paced[1], paced[2], paced[3]

    def speed(self) -> float:
        vx, vy, wz = self.twist
        return math.hypot(vx, vy) + 0.3 * abs(wz)

    # --- geometry ----------------------------------------------------------------------
    def _side_sign(self, side: str) -> float:
        return 1.0 if side == "left" else -1.0

    def frame(self) -> Pose:
        """The walking frame: between the feet when standing, over the support when stepping."""
        return mid(self.feet["left"], self.feet["right"])

    def _stand_point(self) -> np.ndarray:
        f = self.frame()
        return f.compose(self.params.foot_centre + self.shift[0], self.shift[1]).xy()

    def _stride(self, twist: tuple[float, float, float],
                period: float) -> tuple[float, float, float]:
        """The pelvis's move over one step (ahead, left, turn) at ``twist``, within the
        gait's limits."""
        p = self.params
        vx, vy, wz = twist
        return (clip(vx * period, -0.5 * p.max_step, p.max_step),
                clip(vy * period, -p.max_side, p.max_side),
                clip(wz * period, -p.max_turn, p.max_turn))

    def _foothold(self, sx: float, sy: float, syaw: float, side: str, ahead: float,
                  left: float, turn: float) -> tuple[float, float, float]:
        """The foothold (x, y, yaw) of ``side`` for the step after landing on the support
        (sx, sy, syaw), the pelvis moving by the stride (ahead, left, turn)."""
        # Pose.compose and Pose.local written out on floats (the same operations in the same
        # order, no Pose made on the way): the preview plans several steps every period
        p = self.params
        sign = 1.0 if side == "left" else -1.0
        width = sign * p.stance_width  # = -_side_sign(other(side)) * stance_width
        cos, sin = math.cos, math.sin
        c, s = cos(syaw), sin(syaw)
        x = sx + c * 0.0 - s * width  # the pelvis after landing on the support
        y = sy + s * 0.0 + c * width
        yaw = syaw + 0.0
        # cos and sin of ``yaw + 0.0`` are those of ``yaw`` unless yaw is -0.0 (the sum is
        # +0.0, whose sine has the other sign): taken again only then
        c1, s1 = (c, s) if syaw != 0.0 else (cos(yaw), sin(yaw))  # the pelvis a step on
        x, y, yaw = x + c1 * ahead - s1 * left, y + s1 * ahead + c1 * left, yaw + turn
        c1, s1 = cos(yaw), sin(yaw)  # its foot
        x, y, foot = x + c1 * 0.0 - s1 * width, y + s1 * 0.0 + c1 * width, yaw + 0.0
        # keep the feet apart sideways (in the support's frame)
        gap = -s * (x - sx) + c * (y - sy)
        gap *= sign
        if gap < p.min_gap:
            wider = sign * (p.min_gap - gap)
            if yaw == 0.0:
                c1, s1 = cos(foot), sin(foot)
            x, y, foot = x + c1 * 0.0 - s1 * wider, y + s1 * 0.0 + c1 * wider, foot + 0.0
        return x, y, foot

    def _square(self, support: Pose, side: str) -> Pose:
        pelvis = support.compose(0.0, -self._side_sign(other(side)) * self.params.stance_width)
        return pelvis.compose(0.0, self._side_sign(side) * self.params.stance_width)

    def _is_square(self) -> bool:
        left, right = self.feet["left"], self.feet["right"]
        sq = self._square(right, "left")
        return (math.hypot(left.x - sq.x, left.y - sq.y) < 0.03
                and abs(wrap_angle(left.yaw - right.yaw)) < 0.04)

    def _inset(self, pose: Pose, side: str) -> np.ndarray:
        return pose.compose(self.params.foot_centre,
                            -self._side_sign(side) * self.params.zmp_inset).xy()

    def _first_swing(self) -> str:
        vx, vy, wz = self.twist
        if abs(vy) > 0.01:
            return "left" if vy > 0 else "right"
        if abs(wz) > 0.02:
            return "left" if wz > 0 else "right"
        return "left" if self.steps % 2 == 0 else "right"

    def _new_step(self, swing: str, zmp_from: np.ndarray, double: float) -> Step:
        target, single, closing = self._plan_step(swing)
        return Step(swing, self.feet[other(swing)], self.feet[swing], target, zmp_from, double,
                    single, closing=closing)

    def _plan_step(self, swing: str) -> tuple[Pose, float, bool]:
        """A step of ``swing`` from where the feet are, at the planned twist: its foothold,
        its single support's duration and whether it closes the walk."""
        support = self.feet[other(swing)]
        moving, period, stride = self._pace()
        if moving:
            target = Pose(*self._foothold(*support, swing, *stride))
        else:
            target = self._square(support, swing)
        return target, period * (1.0 - self.params.double_share), not moving

    # --- the plan ----------------------------------------------------------------------
    def update(self) -> None:
        """Advance one period: step bookkeeping, ZMP reference, preview, swing foot."""
        p, dt = self.params, self.dt
        self._ramp()
        if self.step is None:
            if self._moving():
                swing = self._first_swing()
                self.shift[:] = 0.0
                self.step = self._new_step(swing, self._stand_point(), p.start_time)
            elif self.hold:
                self._shift_body()
        else:
            s = self.step
            s.t += dt
            if s.t < s.double:  # not lifted yet: the foothold follows the command
                s.target, s.single, s.closing = self._plan_step(s.swing)
            if s.t >= s.duration:
                self._land(s)
        self._swing_foot()
        self.com.advance(self.gains, *self._preview_sums())

    def _land(self, s: Step) -> None:
        self.feet[s.swing] = s.landing
        self.lift[s.swing] = 0.0
        self.steps += 1
        nxt = other(s.swing)
        if self._moving() or not (s.closing or self._is_square()):
            self.step = self._new_step(nxt, self._inset(s.support, other(s.swing)),
                                       self.params.period(self.speed()) * self.params.double_share)
        else:
            self.step = None

    def _shift_body(self) -> None:
        vx, vy, wz = self.wanted
        self.shift += np.array([vx, vy, wz]) * self.dt
        self.shift[0] = float(np.clip(self.shift[0], -0.05, 0.07))
        self.shift[1] = float(np.clip(self.shift[1], -0.05, 0.05))
        self.shift[2] = float(np.clip(self.shift[2], -0.15, 0.15))

    def _swing_foot(self) -> None:
        s = self.step
        if s is None or s.t < s.double:
            return
        k = (s.t - s.double) / s.single
        h = _smooth(k)
        end = s.landing
        self.feet[s.swing] = Pose(s.start.x + (end.x - s.start.x) * h,
                                  s.start.y + (end.y - s.start.y) * h,
                                  s.start.yaw + wrap_angle(end.yaw - s.start.yaw) * h)
        # (k < 1 where the sine is taken: min(k, 1.0) there was k)
        self.lift[s.swing] = self.params.step_height * math.sin(math.pi * k) ** 2 \
            if k < 1.0 else 0.0

    def _knots(self) -> tuple[list[float], list[float], list[float], list[Swing]]:
        """Times (from now) and ZMP points (x, then y) of the piecewise-linear reference, and
        the swings (start, duration, displacement) in the horizon."""
        p = self.params
        swings: list[Swing] = []
        if self.step is None:
            x, y = self._stand_point()
            return [0.0], [x], [y], swings
        s = self.step
        times: list[float] = []
        xs: list[float] = []
        ys: list[float] = []
        t0 = -s.t
        feet: dict[str, Any] = dict(self.feet)  # Poses, then tuples (x, y, yaw): see below
        land: tuple[float, float, float] = s.landing
        feet[s.swing] = land
        horizon = self._horizon
        # the twist is this period's all through the horizon
        moving, period, (run, side_step, turn) = self._pace()
        double, single = period * p.double_share, period * (1.0 - p.double_share)
        # the step under way, then the ones planned after it (no nudge: landing = target)
        swing, start = s.swing, s.start
        support: Any = s.support  # a Pose, then the last landing (a tuple walking on)
        # where the ZMP starts from: the step's (floats: numpy scalars carried into the knots
        # would make every sum over them in ``_preview_sums`` numpy scalar arithmetic, the
        # same values at several times the cost), then the previous step's centre
        zmp_from: Any = s.zmp_from.tolist()
        s_double, s_duration, s_single, closing = s.double, s.duration, s.single, s.closing
        # the support sole's inset ZMP point (``_inset``), by the side of the swing foot
        inset = 1.0 * p.zmp_inset  # = -_side_sign(other(swing)) * zmp_inset, swing "left"
        ahead = p.foot_centre
        cos, sin = math.cos, math.sin
        end_time = horizon + 0.1
        foothold = self._foothold
        while True:
            left = inset if swing == "left" else -inset
            sx, sy, syaw = support
            c, s_ = cos(syaw), sin(syaw)
            cx, cy = sx + c * ahead - s_ * left, sy + s_ * ahead + c * left  # its centre
            t1 = t0 + s_double
            times += (t0, t1, t0 + s_duration)
            xs += (zmp_from[0], cx, cx)
            ys += (zmp_from[1], cy, cy)
            land_x, land_y, land_yaw = land
            swings.append((t1, s_single, (land_x - start[0], land_y - start[1])))
            t0 += s_duration
            feet[swing] = land
            if t0 > end_time:
                break
            nxt = "right" if swing == "left" else "left"
            support = land  # = feet[other(nxt)]
            if moving:
                tx, ty, tyaw = foothold(land_x, land_y, land_yaw, nxt, run, side_step, turn)
            else:
                square = self._square(support, nxt)
                done = (math.hypot(feet[nxt].x - square.x, feet[nxt].y - square.y) < 0.03
                        and abs(wrap_angle(feet[nxt].yaw - square.yaw)) < 0.04)
                if done or closing:
                    end = mid(feet["left"], feet["right"]).compose(p.foot_centre, 0.0)
                    times.append(t0 + p.stop_time)
                    xs.append(end.x)
                    ys.append(end.y)
                    break
                tx, ty, tyaw = square
            swing, start, zmp_from = nxt, feet[nxt], (cx, cy)
            s_double, s_single, closing = double, single, not moving
            s_duration = s_double + s_single
            # Step.landing, no nudge; walking on, a plain tuple (x, y, yaw): only the squaring
            # up to stop reads the feet by name
            land = (tx + 0.0, ty + 0.0, tyaw) if moving else Pose(tx + 0.0, ty + 0.0, tyaw)
        return times, xs, ys, swings

    def _preview_sums(self) -> tuple[float, float, float, float]:
        """The ZMP reference now (x, y) and the preview's weighted sum of it over the samples
        ahead (``gd @ reference[1:]``, x and y), from the knots and swings in closed form:
        the reference is linear between knots and a swing's shift a cubic in time, so each
        piece's weighted sum is its coefficients times the weights' moments over its samples
        (``PreviewGains.moments``). ``_reference`` builds the same reference sample by sample;
        the sums agree to rounding (1e-12 of sums near 4e4: the weights add to -3.8e4). A few
        float operations a piece instead of some twenty numpy calls over 193 samples: 16.5
        against 28.5 us a period on the Intel Xeon of 2 December (knots included), about 6%
        of the controller's period (docs/step_cost.md)."""
        times, xs, ys, swings = self._knots()
        tl = self._time_list
        m0, m1, m2, m3 = self.gains.moments
        # the reference now: np.interp at t = 0 (the knots start at or before it)
        k = bisect_right(times, 0.0) - 1
        if k < 0:
            rx, ry = xs[0], ys[0]
        elif k >= len(times) - 1:
            rx, ry = xs[-1], ys[-1]
        else:
            f = (0.0 - times[k]) / (times[k + 1] - times[k])
            rx, ry = xs[k] + f * (xs[k + 1] - xs[k]), ys[k] + f * (ys[k + 1] - ys[k])
        # ahead: flat before the first knot and after the last, linear between knots
        end = len(tl)
        hi = bisect_left(tl, times[0])
        px, py = xs[0] * m0[hi], ys[0] * m0[hi]
        # each segment's ends side by side (no indexing in the loop); the knots beyond the
        # last sample, which hold none, are not searched (the times only grow)
        for t_a, t_b, x_a, x_b, y_a, y_b in zip(times, times[1:], xs, xs[1:], ys, ys[1:],
                                                strict=False):  # the last knot ends none
            if hi == end:
                break
            if t_b == t_a:  # a step's last knot and the next one's first: no samples between
                continue
            lo, hi = hi, bisect_left(tl, t_b)
            if hi > lo:  # samples at t_a <= t < t_b
                w0 = m0[hi] - m0[lo]
                w1 = m1[hi] - m1[lo] - t_a * w0
                span = t_b - t_a
                px += x_a * w0 + (x_b - x_a) / span * w1
                py += y_a * w0 + (y_b - y_a) / span * w1
        px += xs[-1] * (m0[end] - m0[hi])
        py += ys[-1] * (m0[end] - m0[hi])
        gain = self.params.swing_zmp
        if gain > 0.0:  # each swing moves the ZMP by gain * acc(u) / d^2 * move, u = tau / d
            for start, d, (mx, my) in swings:
                lo = bisect_left(tl, start)
                if lo == end:  # this swing and those after it start beyond the samples
                    break
                hi = bisect_left(tl, start + d)
                if hi <= lo:
                    continue
                a0, a1, a2, a3 = m0[hi] - m0[lo], m1[hi] - m1[lo], m2[hi] - m2[lo], \
                    m3[hi] - m3[lo]
                s2 = start * start
                t1 = a1 - start * a0  # the moments of tau = t - start
                t2 = a2 - 2.0 * start * a1 + s2 * a0
                t3 = a3 - 3.0 * start * a2 + 3.0 * s2 * a1 - s2 * start * a0
                acc = gain * (60.0 * t1 / d - 180.0 * t2 / (d * d) + 120.0 * t3 / (d * d * d)
                              ) / (d * d)
                px -= acc * mx
                py -= acc * my
                if lo == 0:  # the swing is under way now
                    u = -start / d
                    now = gain * (60.0 * u - 180.0 * u * u + 120.0 * u * u * u) / (d * d)
                    rx -= now * mx
                    ry -= now * my
        return rx, ry, px, py

    def _reference(self) -> np.ndarray:
        """The ZMP reference sample by sample, from now to the preview's end (n + 1, 2):
        what ``_preview_sums`` sums in closed form."""
        times, xs, ys, swings = self._knots()
        tt = self._times
        out = np.empty((len(tt), 2))
        at = np.array(times)  # (np.interp would make it an array twice)
        out[:, 0] = np.interp(tt, at, xs)
        out[:, 1] = np.interp(tt, at, ys)
        k = self.params.swing_zmp
        if k > 0.0:  # the swinging leg's reaction moves the ZMP: plan the CoM against it.
            # All swings in one pass over the samples from the first swing's to the last's:
            # they follow each other in time (a double support between), so each sample is
            # moved by one swing at most, with the same arithmetic as swing by swing; the
            # samples between swings take a row that subtracts exactly +0.0 (u = +0, no
            # move). bisect_left on the sorted times is searchsorted's side="left".
            rows: list[float] = []  # (start, duration, its square, move x, move y) a swing
            counts: list[int] = []
            first = end = -1
            for start, duration, (mx, my) in swings:
                lo = bisect_left(self._time_list, start)
                hi = bisect_left(self._time_list, start + duration)
                if hi <= lo:
                    continue
                if first < 0:
                    first = lo
                elif lo < end:  # overlapping swings (not planned): one at a time
                    return self._swing_zmp(out, swings, k)
                else:
                    rows += _BETWEEN_SWINGS
                    counts.append(lo - end)
                rows += (start, duration, duration**2, mx, my)
                counts.append(hi - lo)
                end = hi
            if rows:  # each sample's swing; k * (acc / duration^2 * move) as before, in place
                per = np.repeat(np.array(rows).reshape(-1, 5), counts, axis=0)
                u = np.subtract(tt[first:end], per[:, 0])
                u /= per[:, 1]
                acc = _smooth_acc(u)
                acc /= per[:, 2]
                shift = acc[:, None] * per[:, 3:]
                shift *= k  # = k * shift, bit for bit
                out[first:end] -= shift
        return out

    def _swing_zmp(self, out: np.ndarray, swings: list[Swing], k: float) -> np.ndarray:
        """The swings' ZMP shift one swing at a time (overlapping swings add up)."""
        tt = self._times
        for start, duration, move in swings:
            lo, hi = np.searchsorted(tt, [start, start + duration])
            if hi <= lo:
                continue
            u = (tt[lo:hi] - start) / duration
            out[lo:hi] -= k * np.outer(_smooth_acc(u) / duration**2, move)
        return out

    # --- feedback from the body ------------------------------------------------------
    def anchor(self, side: str, measured: Pose) -> None:
        """Move the whole plan rigidly so that planted foot ``side`` is where it is measured
        (feet slip and turn a little on the floor; the plan rides on the stance foot)."""
        plan = self.feet[side]
        turn = wrap_angle(measured.yaw - plan.yaw)
        if abs(turn) < 1e-4 and math.hypot(measured.x - plan.x, measured.y - plan.y) < 5e-4:
            return
        c, s = math.cos(turn), math.sin(turn)
        rot = np.array((c, -s, s, c)).reshape(2, 2)  # = [[c, -s], [s, c]], made flat
        # every point and direction of the plan in one array: the points (feet, the step's
        # poses and ZMP start, the CoM) as rot @ (p - origin) + dest, the directions (CoM
        # speed and acceleration, the preview's error integral, the nudge) as rot @ v, the
        # subtraction and addition on floats (numpy's elementwise results). One stacked
        # matmul of (2, 2) with (k, 2, 1) runs the same BLAS matrix-vector product for each
        # row as ``rot @ v`` does for one, so each result is bit for bit the one a row at a
        # time gave (not so a (2, 2) @ (2, k) product: gemm fuses its multiply-adds in
        # another order)
        com, st = self.com, self.step
        ox, oy = plan.x, plan.y
        poses = [*self.feet.values()]
        if st is not None:
            poses += [st.support, st.start, st.target]
        flat: list[float] = []
        for p in poses:
            flat += (p.x - ox, p.y - oy)
        (cx, cy), speed, acc = com.x.tolist()
        flat += (cx - ox, cy - oy)
        if st is not None:
            zx, zy = st.zmp_from.tolist()
            flat += (zx - ox, zy - oy)
        points = len(flat)
        flat += speed + acc
        flat += com.error
        if st is not None:
            flat += st.nudge
        m = np.matmul(rot, np.array(flat).reshape(-1, 2, 1)).ravel().tolist()
        dx, dy = measured.x, measured.y
        moved = [Pose(m[i] + dx, m[i + 1] + dy, p.yaw + turn)
                 for i, p in zip(range(0, 2 * len(poses), 2), poses, strict=True)]
        self.feet = dict(zip(self.feet, moved[:2], strict=True))  # the feet come first
        k = 2 * len(poses)
        com.x = np.array([m[k] + dx, m[k + 1] + dy, *m[points:points + 4]]).reshape(3, 2)
        com.error = (m[points + 4], m[points + 5])
        if st is not None:
            st.support, st.start, st.target = moved[2:]
            st.nudge = (m[points + 6], m[points + 7])
            st.zmp_from = np.array([m[k + 2] + dx, m[k + 3] + dy])

    def plant(self, side: str, measured: Pose) -> None:
        """Take a foot that is down but does not carry the plan (the other foot while
        standing, the next swing foot in double support) where it is measured."""
        st = self.step
        if st is not None and (side == self.stance() or st.t >= st.double):
            return
        now = self.feet[side]
        if math.hypot(measured.x - now.x, measured.y - now.y) < 0.003 \
                and abs(wrap_angle(measured.yaw - now.yaw)) < 0.005:
            return  # within the sensing noise of a planted foot
        self.feet[side] = measured
        if st is not None:
            st.start = measured

    def stance(self) -> str | None:
        """The foot carrying the body (None: both, standing)."""
        if self.step is None:
            return None
        return other(self.step.swing)

    def nudge(self, error: Any, gain: float = 1.0, limit: float | None = None) -> None:
        """Shift the swing foothold by the measured capture-point error (world x, y), until
        late in the swing, by at most ``limit`` (the gait's ``max_nudge``)."""
        s = self.step
        if s is None or s.t < s.double or (s.t - s.double) > 0.7 * s.single:
            return
        if limit is None:
            limit = self.params.max_nudge
        dx = clip(gain * error[0], -limit, limit)  # np.clip's bits (limit is not 0)
        dy = clip(gain * error[1], -limit, limit)
        # the landing on floats: Pose.local and Pose.compose written out (the same
        # operations in the same order)
        tx, ty, tyaw = s.target
        x, y = tx + dx, ty + dy
        sx, sy, syaw = s.support
        gap = -math.sin(syaw) * (x - sx) + math.cos(syaw) * (y - sy)  # across the support
        sign = 1.0 if s.swing == "left" else -1.0
        gap *= sign
        min_gap = self.params.min_gap
        if gap < min_gap:  # kept clear of the support foot
            wider = sign * (min_gap - gap)
            c, sn = math.cos(tyaw), math.sin(tyaw)
            x, y = x + c * 0.0 - sn * wider, y + sn * 0.0 + c * wider
        s.nudge = (x - tx, y - ty)

    def capture_point(self) -> np.ndarray:
        """The planned capture point (x, y): CoM plus velocity over the pendulum's rate."""
        return self.com.x[0] + self.com.x[1] / self.omega

    @property
    def omega(self) -> float:
        return self._omega

    # --- what the body follows ---------------------------------------------------------
    def pelvis_yaw(self) -> float:
        """Heading of the pelvis: between the feet, or the shift's turn when standing."""
        left, right = self.feet["left"], self.feet["right"]
        yaw = left.yaw + 0.5 * wrap_angle(right.yaw - left.yaw)
        return yaw + (self.shift[2] if self.step is None else 0.0)

    def planned_com(self) -> tuple[np.ndarray, np.ndarray]:
        """Planned CoM position and velocity (x, y)."""
        return self.com.x[0].copy(), self.com.x[1].copy()

    def support_polygon_centre(self) -> np.ndarray:
        """The current ZMP reference point."""
        return self._reference()[0]

    def settled(self) -> bool:
        """Both feet down, squared, and the CoM at rest between them."""
        if self.step is not None:
            return False
        rest = float(np.linalg.norm(self.com.x[1])) < 0.02
        near = float(np.linalg.norm(self.com.x[0] - self._stand_point())) < 0.01
        return rest and near
