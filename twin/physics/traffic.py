"""Traffic in the physics world: humanoids that walk among each other keep out of each other's way.

The line model books the floor ahead in time (``twin.line.traffic``); in physics the same rules
are applied as the robots move, on the same traffic cells (``twin.floor.lanes``), because a
body's walk never lasts exactly what a plan said:

- **Narrow stretches.** Cells with fewer than ``MAX_LANES`` robots abreast. A robot claims every
  cell of a narrow stretch before its mouth, and may not while a robot coming the other way
  holds one of them and the cell cannot hold both abreast: it stops short of the mouth, stepped
  aside to its right so the robot coming out passes it (``waiting_traffic``). Robots going the
  same way may follow each other in. Claims are made in the world's tick order, one robot at a
  time, so two robots never enter one stretch head-on, and a waiting robot waits only for
  robots already inside, which walk out: no deadlock.
- **Following.** A robot slows to keep ``gap`` free to the robot ahead in its corridor (its own
  width, along its leg) and stops behind it.
- **Passing.** Meeting a robot head-on, or a robot standing in its way, on open floor, a robot
  passes on the right (both keep right); where scenery blocks its right it tries the left, else
  it stops and waits.
- **Arriving where another robot works.** A robot whose destination is taken (another robot
  stands on it, or claimed it to work on) stops at a holding point beside and behind it; the
  pick, place or dock then waits until the work pose is clear (``clear_to_enter``) and walks
  in. The robot the line sends to work goes first: one still walking to the pose keeps it only
  while it is nearer.
- **Standing in the way.** A robot that stops a walker and has no task of the line (idle, or
  queued for a spot, a charger or a trip) is asked to step aside (``blocked``): the physics
  model walks it to the nearest place clear of the walker's path.

Right of way needs no tie-break: every rule above moves or stops one robot against the others'
positions, and the one that moves first (tick order) claims first. What the rules do not
foresee (a robot that will not move, a cycle of waits on open floor) ends in a give-up: a walk
stopped past ``primitives.GIVE_UP`` steps back and tries again (``deadlocked``, counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pybullet as pb

from twin.config import HOLD_BACK, HOLD_SIDE, NARROW_AHEAD, NARROW_SPEED, SPOT_CLEAR
from twin.floor.lanes import MAX_LANES, LaneGrid
from twin.physics.humanoid import Humanoid

BODY = 0.70  # m a humanoid takes across (twice the layout clearance of the shipped lines)
CORRIDOR = BODY + 0.10  # m wide: a robot centred closer than half this to a walk's leg is in it
SEE = 4.0  # m ahead a walking robot looks for others in its corridor
PASS_CLEAR = 0.90  # m between centres when one robot passes another
BRAKE = 0.4  # m/s^2 a robot plans to slow down at for another robot
OVERSHOOT = 0.3  # m a walking body runs on past where it planned to stop
TOTE_REACH = 0.45  # m a held tote sticks out ahead of a body's front
FALL_BACK = 0.5  # m closer than the gap at which a follower has slowed to a stop
WAIT_BACK = 1.0  # m before the mouth of a taken narrow stretch a robot waits (aside)
ASK_MARGIN = 0.5  # m: a robot asks for a narrow stretch this much before it would have to
# brake (at BRAKE) to stop where it waits for it, and holds it from then: a claim held from 5 m
# out (until 2 December 2026) kept robots coming the other way waiting 20 s at the far mouth
# (passage_four, 30 minutes: 11% of robot time waiting for traffic against the surrogate's
# 0.1%, whose bookings hold a cell from gap / 2 before it)
PASS_SPEED = 0.6  # m/s at most while passing close by another robot
HOLD_PITCH = 0.9  # m between the holding points of a queue
STOPPED = 0.12  # m/s: held below this a robot stops for traffic (walks on above twice it)
KEEP_OFF = 0.55  # m from pelvis to a wall that a robot keeps in a narrow stretch: half a body
# and a hand's width, more than half the 1 m passage (so there it walks the middle)
LOOK_AHEAD = 0.6  # m ahead of the robot that its wall sensing also looks across
WALL_SENSE = 0.9  # m above the floor: the rays across (arms and tote height)
MOUTH_AHEAD = 3.0  # m before a one-robot stretch from which a walk steers onto its middle
MOUTH_STOP = 1.0  # m before it, a walk still ON_AXIS off that line stops and side-steps onto it
ON_AXIS = 0.12  # m
WAY_IN_CLEAR = BODY + 0.1  # m a robot not at work keeps from the way onto a work pose
TURN_CLEAR = 0.6  # m at most a walk's corner is moved off the scenery (``clear_corners``)
AXIS_IN = BODY / 2 + TOTE_REACH  # m before (and after) a one-robot stretch a walk that would
# cross it askew has a corner on its middle line (``along_axes``)
ROUND = BODY / 2 + 0.2  # m off a work stand's or charging post's corners a walk rounds it by
DETOUR = 3.0  # m a walk's own first or last leg goes round scenery at most, beyond straight


def _off_band(across: float, band: tuple[float, float]) -> float:
    """How far ``across`` lies outside the interval ``band`` (0 inside it)."""
    return max(band[0] - across, across - band[1], 0.0)


@dataclass
class Way:
    """What the floor allows a walking robot this control period."""

    speed: float = math.inf  # m/s at most
    offset: float = 0.0  # m to walk to the left (+) or right (-) of its leg
    hold: bool = False  # its destination is taken: it stops here, at a holding point
    narrow: bool = False  # in a one-robot stretch: held to its line by side steps, not steering
    rule: str = ""  # the rule that set ``speed`` ...
    cause: str = ""  # ... and the robot (or refusal) it set it for

    def limit(self, speed: float, rule: str, cause: str = "") -> None:
        """At most ``speed`` m/s, by ``rule``, because of ``cause``."""
        if speed < self.speed:
            self.speed, self.rule, self.cause = speed, rule, cause

    @property
    def why(self) -> str:
        """The rule and its cause, as a stop is logged (``SharedFloor.stops``)."""
        return f"{self.rule} {self.cause}" if self.cause else self.rule


@dataclass
class Stretch:
    """Consecutive narrow cells of one path, with where the path enters and leaves them."""

    cells: list[int]
    s_in: float
    s_out: list[float]  # per cell
    heading: list[tuple[float, float]]  # per cell: the path's direction through it
    single: bool = False  # some cell holds one robot abreast: walked at ``narrow_speed``
    axis: tuple[float, float] | None = None  # a point on its middle inside the mouth (rays)


@dataclass
class Walker:
    """One robot's walk among the others: its path's narrow stretches and its claims."""

    name: str
    path: np.ndarray
    arc: np.ndarray  # arc length at each waypoint
    stretches: list[Stretch]
    claimed: dict[int, float] = field(default_factory=dict)  # cell -> where it is let go (m)
    next_stretch: int = 0
    s: float = 0.0  # progress along the path (m)


class SharedFloor:
    """The robots of one physics world and the claims they hold on narrow cells."""

    def __init__(self, client: int, grid: LaneGrid | None, gap: float = 0.5,
                 narrow_speed: float = NARROW_SPEED) -> None:
        self.client = client
        self.grid = grid
        self.gap = gap
        self.narrow_speed = narrow_speed  # m/s at most through a stretch one robot wide
        self.bodies: dict[str, Humanoid] = {}
        self.walkers: dict[str, Walker] = {}
        self.claims: dict[int, dict[str, tuple[float, float]]] = {}
        self.holds: dict[str, tuple[float, float, int]] = {}  # robot -> location, place
        self.scenery: set[int] = set()  # bodies a robot may not step aside into
        self.fixtures: set[int] = set()  # of those, the work stands and charging posts
        self.waiting: dict[str, str] = {}  # robot -> "traffic" or "spot": stopped, and why
        self.legs: dict[str, tuple[float, float]] = {}  # walking robot -> its leg's direction
        self.loaded: set[str] = set()  # robots that walked last with a tote in their hands
        self.intents: dict[str, tuple[float, float, float]] = {}  # walking to this work pose
        self.poses: dict[str, tuple[float, float, float]] = {}  # working on this pose
        self.deadlocked: list[str] = []  # robots that gave way after waiting too long (new)
        self.blocked: dict[str, str] = {}  # standing robot -> a walking robot it stops
        self.asking: dict[str, tuple[float, dict[int, tuple[float, float]]]] = {}  # robot
        # waiting at a narrow mouth -> since when, and the cells it waits for (its headings)
        self.facing: dict[str, str] = {}  # walking robot stopped for an oncoming one -> it
        self.crossing: set[str] = set()  # ... of those, the ones stopped for a crossing one
        self.refused = ""  # why the last stretch asked for was refused (``_may_enter``)
        self.why: dict[str, str] = {}  # walking robot stopped -> why (``Way.why``)
        self.stops: list[tuple[float, str, str]] = []  # (t, robot, why) each time a walking
        # robot stops for a new reason (``Way.why``): the audit of its waits. Logged without
        # the hysteresis, one wait at a mouth came out as hundreds of stops 0.01 s apart
        # (a 30-minute trace of 2 December: 386)
        self._seen = -1.0
        self._now: dict[str, tuple[float, float, float, float]] = {}

    # --- who is where ------------------------------------------------------------------
    def snapshot(self, t: float) -> dict[str, tuple[float, float, float, float]]:
        """x, y, vx, vy of every robot's pelvis, read once per control period."""
        if t != self._seen:
            c = self.client
            out = {}
            for name, h in self.bodies.items():
                pos, _ = pb.getBasePositionAndOrientation(h.body, physicsClientId=c)
                lin, _ = pb.getBaseVelocity(h.body, physicsClientId=c)
                out[name] = (pos[0], pos[1], lin[0], lin[1])
            self._now, self._seen = out, t
        return self._now

    # --- a walk ------------------------------------------------------------------------
    def start(self, name: str, path: np.ndarray) -> Walker:
        """Begin a walk along ``path``: find its narrow stretches."""
        self.finish(name)
        path = np.asarray(path, float)
        seg = np.hypot(*np.diff(path, axis=0).T) if len(path) > 1 else np.zeros(0)
        arc = np.concatenate(([0.0], np.cumsum(seg)))
        walker = Walker(name, path, arc, self._stretches(path, arc))
        self.walkers[name] = walker
        return walker

    def _stretches(self, path: np.ndarray, arc: np.ndarray) -> list[Stretch]:
        grid = self.grid
        if grid is None or len(path) < 2:
            return []
        ids, s_in, s_out = grid.along(None, path)  # this walk's own path: not cached
        lanes = grid.lanes.ravel()[ids]
        out: list[Stretch] = []
        prev = -2
        for j in np.flatnonzero(lanes < MAX_LANES).tolist():
            mid_s = 0.5 * (s_in[j] + s_out[j])
            k = min(int(np.searchsorted(arc, mid_s, side="right")) - 1, len(path) - 2)
            d = path[k + 1] - path[k]
            n = float(np.hypot(*d)) or 1.0
            heading = (float(d[0] / n), float(d[1] / n))
            if prev == j - 1 and out:
                out[-1].cells.append(int(ids[j]))
                out[-1].s_out.append(float(s_out[j]))
                out[-1].heading.append(heading)
            else:
                out.append(Stretch([int(ids[j])], float(s_in[j]), [float(s_out[j])], [heading]))
            out[-1].single |= bool(lanes[j] == 1)
            prev = j
        return out

    def finish(self, name: str) -> None:
        """A walk ended (or was cut short): give back its claims."""
        walker = self.walkers.pop(name, None)
        if walker is not None:
            for cell in list(walker.claimed):
                self._release(name, cell)
        self.waiting.pop(name, None)
        self.legs.pop(name, None)
        self.asking.pop(name, None)
        self.facing.pop(name, None)
        self.crossing.discard(name)
        self.why.pop(name, None)

    def narrow_at(self, x: float, y: float) -> bool:
        """Whether (x, y) lies in a traffic cell that holds fewer than ``MAX_LANES`` robots
        abreast: a robot standing there between two walks holds up the robots the cell was
        given to meanwhile."""
        grid = self.grid
        return grid is not None and grid.capacity(grid.index(x, y)) < MAX_LANES

    def _release(self, name: str, cell: int) -> None:
        holders = self.claims.get(cell)
        if holders is not None:
            holders.pop(name, None)
            if not holders:
                del self.claims[cell]
        walker = self.walkers.get(name)
        if walker is not None:
            walker.claimed.pop(cell, None)

    @staticmethod
    def _progress(walker: Walker, x: float, y: float) -> float:
        """Arc length of the point of the path nearest (x, y), never going back."""
        a, d = walker.path[:-1], np.diff(walker.path, axis=0)
        n2 = np.maximum((d * d).sum(axis=1), 1e-12)
        f = np.clip(((np.array([x, y]) - a) * d).sum(axis=1) / n2, 0.0, 1.0)
        gap = np.hypot(*(a + f[:, None] * d - (x, y)).T)
        k = int(np.argmin(gap))
        walker.s = max(walker.s, float(walker.arc[k] + f[k] * math.sqrt(n2[k])))
        return walker.s

    def _joined(self, stretches: list[Stretch], k: int) -> tuple[Stretch, int]:
        """Stretch ``k`` with the stretches after it that begin too soon after the one before
        for a robot refused them to wait between, clear of the one it left (``JOIN``): one
        claim, and how many stretches it spans. (A robot walking out of passage_four's
        passage turned back across narrow cells outside its west mouth, a second stretch of
        its path; refused it while the robot coming in held it, it stopped in the mouth, in
        that robot's way: give-ups of 98 s, 30-minute trace of 2 December.)"""
        first = stretches[k]
        cells, s_out, heading = list(first.cells), list(first.s_out), list(first.heading)
        n = 1
        join = self.gap + BODY + WAIT_BACK + OVERSHOOT
        while k + n < len(stretches) and stretches[k + n].s_in - s_out[-1] < join:
            nxt = stretches[k + n]
            cells += nxt.cells
            s_out += nxt.s_out
            heading += nxt.heading
            n += 1
        if n == 1:
            return first, 1
        return Stretch(cells, first.s_in, s_out, heading, first.single), n

    def _may_enter(self, name: str, stretch: Stretch, t: float) -> bool:
        """Whether ``name`` may claim ``stretch`` now: no cell of it is held by a robot coming
        the other way that the cell cannot hold abreast, and no robot coming the other way
        waits for one of its cells since before ``name`` asked (first come, first served: a
        robot may not follow another in while one waits at the far mouth, as in the line
        model, where a walk is booked against every booking made before it)."""
        assert self.grid is not None
        since = self.asking.get(name, (t, {}))[0]
        for cell, (hx, hy) in zip(stretch.cells, stretch.heading, strict=True):
            holders = self.claims.get(cell, {})
            others = {r: d for r, d in holders.items() if r != name}
            oncoming = [r for r, (dx, dy) in others.items() if dx * hx + dy * hy < 0.0]
            first = [other for other, (t0, cells) in self.asking.items()
                     if other != name and t0 < since and (d := cells.get(cell)) is not None
                     and d[0] * hx + d[1] * hy < 0.0 and other not in holders
                     ] if self.grid.capacity(cell) < 2 else []
            if (oncoming and len(others) + 1 > self.grid.capacity(cell)) or first:
                self.refused = (f"held by {', '.join(sorted(oncoming))}" if oncoming else
                                f"{', '.join(sorted(first))} asked first")
                self.asking[name] = (since, dict(zip(stretch.cells, stretch.heading,
                                                     strict=True)))
                return False
        self.asking.pop(name, None)
        return True

    def way(self, h: Humanoid, t: float, unit: np.ndarray, leg_end: np.ndarray,
            last_leg: bool, loaded: bool) -> Way:
        """Speed limit, offset and waiting for ``h`` walking its leg toward ``leg_end``."""
        now = self.snapshot(t)
        name = h.name
        x, y = now[name][:2]
        ux, uy = float(unit[0]), float(unit[1])
        # where the robot stands across its leg (+ left of the line): ``way.offset`` is a
        # place across the leg, while what is seen from the robot (``across``) is from where
        # it stands; mixed, a robot already aside took an offset from where it stood for one
        # from its line (two robots meeting at passage_four's west mouth stepped to and fro
        # 15 s, 1.35 m apart, each its half of the way aside and no more, and the loaded one
        # fell when they set off: 30-minute trace of 2 December, 260, 843 and 1420 s)
        me = ux * (y - float(leg_end[1])) - uy * (x - float(leg_end[0]))
        way = Way()
        self.facing.pop(name, None)
        self.crossing.discard(name)
        for_spot = aligning = False
        walker = self.walkers.get(name)
        # 1. narrow stretches: claim before the mouth, release behind
        if walker is not None and walker.stretches:
            s = self._progress(walker, x, y)
            for cell, let_go in list(walker.claimed.items()):
                if s > let_go:
                    self._release(name, cell)
            while walker.next_stretch < len(walker.stretches):
                st = walker.stretches[walker.next_stretch]
                mouth = st.s_in - self.gap / 2 - BODY / 2
                pace = max(h.gait.twist[0], 0.0)
                if name not in self.asking and (
                        s < mouth - WAIT_BACK - OVERSHOOT - pace * pace / (2 * BRAKE) - ASK_MARGIN):
                    break  # not near yet: refused now, it could still stop where it waits (once
                    # refused it asks on: stopped, its pace would put it out of range again)
                claim, count = self._joined(walker.stretches, walker.next_stretch)
                if not self._may_enter(name, claim, t):
                    # wait back from the mouth and aside, where the robot coming out passes
                    room = max(mouth - WAIT_BACK - OVERSHOOT - s, 0.0)
                    way.limit(math.sqrt(2 * BRAKE * room), "stretch refused:", self.refused)
                    if room < 3.5:
                        way.offset = self.aside(x, y, unit, -HOLD_SIDE, name, t, me)
                    break
                for cell, heading, out in zip(claim.cells, claim.heading, claim.s_out,
                                              strict=True):
                    self.claims.setdefault(cell, {})[name] = heading
                    walker.claimed[cell] = out + self.gap / 2 + BODY / 2
                walker.next_stretch += count
            if any(st.single and st.s_in - NARROW_AHEAD < s < st.s_out[-1]
                   for st in walker.stretches):
                way.limit(self.narrow_speed, "narrow")  # a hand's width from the walls
            near = next((st for st in walker.stretches
                         if st.single and st.s_in - MOUTH_AHEAD < s < st.s_out[-1]), None)
            if near is not None and way.offset == 0.0:  # (not waiting aside)
                if s >= near.s_in:  # inside: the middle, off the walls, by side steps
                    way.offset = me + self._off_the_walls(x, y, unit)
                    way.narrow = True
                else:  # on the way in: onto the line through the mouth's middle
                    way.offset = self._onto_axis(walker, near, unit, leg_end)
            aligning = any(st.single and st.cells[0] in walker.claimed
                           and st.s_in - MOUTH_STOP < s < st.s_in for st in walker.stretches
                           ) and abs(me - way.offset) > ON_AXIS
        # 2. other robots in the corridor ahead
        self.legs[name] = (ux, uy)
        if loaded:
            self.loaded.add(name)
        else:
            self.loaded.discard(name)
        reach = TOTE_REACH if loaded else 0.0
        remaining = float((leg_end - np.array([x, y])) @ unit)
        # who works on (or is about to work on) this walk's destination pose
        taker = next((other for other, q in self.poses.items()
                      if math.hypot(q[0] - leg_end[0], q[1] - leg_end[1]) < 0.3), None)
        owner = taker == name
        if last_leg and taker is not None and not owner:  # another robot took it
            self._hold_short(way, x, y, unit, remaining)
            for_spot = True
        for other, (ox, oy, *_speed) in now.items():
            if other == name:
                continue
            dx, dy = ox - x, oy - y
            ahead = dx * ux + dy * uy
            across = uy * -dx + ux * dy  # + left of the leg
            # in its corridor: the band it walks between where it stands and its place across
            # the leg (with the other's across seen from it: taken only at the place across the
            # leg, a robot 0.26 m off its line toward another walked into it, 3 December)
            band = (min(0.0, way.offset - me), max(0.0, way.offset - me))
            if ahead <= 0.0 or ahead > SEE or (_off_band(across, band) > CORRIDOR
                                               and not self._tote_in(other, x, y, unit, band)):
                continue
            leg = self.legs.get(other)  # None: it stands (works, waits or is idle)
            body = BODY + reach + (TOTE_REACH if other in self.loaded else 0.0)
            if ahead - remaining > body + self.gap + OVERSHOOT:
                continue  # beyond where this leg stops (it turns there): the next leg's look
            along = -2.0 if leg is None else leg[0] * ux + leg[1] * uy
            if last_leg and (leg is None or other in self.poses) and ahead > remaining - SPOT_CLEAR:
                if owner:  # the pose is this robot's to work on: it waits for the other to
                    room = ahead - body - self.gap - OVERSHOOT  # step off
                    way.limit(math.sqrt(2 * BRAKE * max(room, 0.0)), "on its pose:", other)
                    if way.speed < STOPPED:
                        self.blocked[other] = name
                    for_spot = True
                    continue
                # it stands on (or by, or works on) this walk's destination
                self._hold_short(way, x, y, unit, remaining)
                for_spot = True
                if way.speed < STOPPED:
                    self.blocked[other] = name
                continue
            if along > 0.5:  # going our way: follow at the gap (its planned pace, not its sway)
                room = ahead - body - self.gap - OVERSHOOT
                pace = max(self.bodies[other].gait.twist[0], 0.0) * along
                way.limit(pace + math.sqrt(2 * BRAKE * room) if room >= 0
                          else pace * max(1.0 + room / FALL_BACK, 0.0), "following", other)
                continue
            if -0.5 <= along <= 0.5:  # crossing: let it cross
                room = ahead - body - self.gap - OVERSHOOT
                way.limit(math.sqrt(2 * BRAKE * max(room, 0.0)), "crossing", other)
                if leg is not None and way.speed < STOPPED:  # each may stop for the other
                    self.facing[name] = other  # (``face_off``: one gives way, backing off;
                    self.crossing.add(name)  # two robots stopped 'crossing' each other 97 s
                    # by passage_four's cell, until the give-up: trace of 37f2109, 1427 s)
                continue
            # oncoming or standing in the way: pass on the right (or the left), else wait.
            # PASS_CLEAR from where the other stands now, across this leg: an oncoming robot
            # keeping right too moves that place back toward the line as it goes
            sides = (-PASS_CLEAR, PASS_CLEAR) if across > -0.2 else (PASS_CLEAR, -PASS_CLEAR)
            side = next((me + across + clear for clear in sides
                         if self.free_beside(x, y, unit, across + clear)), None)
            if side is None:
                room = ahead - body - self.gap - OVERSHOOT
                way.limit(math.sqrt(2 * BRAKE * max(room, 0.0)), "no way past", other)
                if leg is None:  # it stands in the way: it is asked to step aside
                    self.blocked[other] = name
            else:
                way.offset = side
                way.limit(PASS_SPEED, "passing", other)
                if abs(across) < PASS_CLEAR - 0.15:  # not aside yet: do not close in
                    room = ahead - body - 0.15 - OVERSHOOT
                    way.limit(math.sqrt(2 * BRAKE * max(room, 0.0)), "passing", other)
                    if leg is None and way.speed < STOPPED:
                        self.blocked[other] = name
            if leg is not None and along < -0.5 and way.speed < STOPPED:
                self.facing[name] = other
        if way.speed < STOPPED:
            self.waiting[name] = "spot" if for_spot else "traffic"
        elif way.speed > 2 * STOPPED:
            self.waiting.pop(name, None)
        if aligning:  # back onto its line before a narrow mouth (a step aside, no one's wait)
            way.speed, way.rule, way.cause = 0.0, "onto the stretch's axis", ""
        if way.speed < STOPPED:  # logged as ``waiting`` is kept: a stop ends above twice it
            why = way.why
            if why != self.why.get(name):
                self.why[name] = why
                self.stops.append((t, name, why))
        elif way.speed > 2 * STOPPED:
            self.why.pop(name, None)
        return way

    def _tote_in(self, other: str, x: float, y: float, unit: np.ndarray,
                 band: tuple[float, float]) -> bool:
        """The tote ``other`` holds (it walked last with one) reaches into the corridor of
        the leg from (x, y) along ``unit``, though its body stands beside it: a tote sticks
        out ``TOTE_REACH`` ahead of the body that holds it. (A loaded robot stepping off the
        one-pose cell turned north with its tote 0.82 m beside a loaded robot's leg toward the
        cell's holding point, outside the body's corridor: the totes met at 172 N and the
        robot they hit fell, passage_four at 165 s.)"""
        if other not in self.loaded:
            return False
        ox, oy, yaw = self.bodies[other].pose()
        tx, ty = ox + TOTE_REACH * math.cos(yaw) - x, oy + TOTE_REACH * math.sin(yaw) - y
        ux, uy = float(unit[0]), float(unit[1])
        return tx * ux + ty * uy > 0.0 and _off_band(uy * -tx + ux * ty, band) <= CORRIDOR

    def _onto_axis(self, walker: Walker, st: Stretch, unit: np.ndarray, leg_end: np.ndarray
                   ) -> float:
        """Where, left (+) or right (-) of the leg ending at ``leg_end``, the line through
        the middle of the stretch's mouth lies: a walk comes in along it. The path need not:
        the graph's corners are its obstacles' corners, a walk's corners where it turns, and
        a leg that ran into a 1 m passage 0.34 m off its middle put a hand on the wall's corner
        (30-minute trace of 2 December, 245 s). The middle is found once a walk, by rays
        across the path 0.4 m inside the mouth."""
        if st.axis is None:
            s_at = st.s_in + 0.4
            px = float(np.interp(s_at, walker.arc, walker.path[:, 0]))
            py = float(np.interp(s_at, walker.arc, walker.path[:, 1]))
            along = np.array(st.heading[0], dtype=float)
            shift = self._off_the_walls(px, py, along)
            st.axis = (px - along[1] * shift, py + along[0] * shift)
        ax, ay = st.axis
        return float(unit[0] * (ay - leg_end[1]) - unit[1] * (ax - leg_end[0]))

    def _off_the_walls(self, x: float, y: float, unit: np.ndarray) -> float:
        """How far to move left (+) or right (-) of (x, y) to keep ``KEEP_OFF`` from the scenery
        on both sides, or to the middle where the floor is narrower than that, sensed by rays
        across the leg from the robot and from ``LOOK_AHEAD`` ahead of it. (A path through a
        stretch one robot wide runs from one wall's corner to the other's, at the layout's
        clearance, half a body: a loaded robot drifting 8 cm toward a wall hit it with a hand
        and fell, 30-minute trace of 1 December.)"""
        nx, ny = -float(unit[1]), float(unit[0])  # left
        ux, uy = float(unit[0]), float(unit[1])
        reach = KEEP_OFF + 0.3
        starts, ends = [], []
        for ahead in (0.0, LOOK_AHEAD):
            ox, oy = x + ux * ahead, y + uy * ahead
            for side in (1.0, -1.0):
                starts.append([ox, oy, WALL_SENSE])
                ends.append([ox + side * nx * reach, oy + side * ny * reach, WALL_SENSE])
        hits = pb.rayTestBatch(starts, ends, physicsClientId=self.client)
        free = {1.0: reach, -1.0: reach}
        for k, hit in enumerate(hits):
            if hit[0] in self.scenery:
                side = 1.0 if k % 2 == 0 else -1.0
                free[side] = min(free[side], hit[2] * reach)
        left, right = free[1.0], free[-1.0]
        if left + right < 2 * KEEP_OFF:  # too narrow to keep off both: the middle
            return (left - right) / 2
        return max(KEEP_OFF - right, 0.0) - max(KEEP_OFF - left, 0.0)

    def clear_corners(self, corners: list[np.ndarray]) -> list[np.ndarray]:
        """The corners of a walk moved off the scenery, so that turning on the spot there the
        robot (and a tote it holds) sweeps clear of it: each inner corner is pushed away from
        the nearest scenery sensed by rays all round, up to ``TURN_CLEAR``, as long as the legs
        to its neighbours stay half a body clear. The walkway graph puts corners at the
        layout's clearance, half a body, from obstacles' corners: a loaded robot turning at a
        one-robot passage's mouth put its tote against the wall; an empty one swung a hand
        into it, or walked the diagonal between the two mouths' corners and brushed both walls
        (30-minute trace of 1 December, evening): the room wanted is a body and a tote's
        reach, loaded or not (a turning robot's arms swing about as far)."""
        if len(corners) < 3:
            return corners
        want = BODY / 2 + TOTE_REACH
        out = [np.asarray(p, dtype=float) for p in corners]
        angles = np.linspace(0.0, 2 * math.pi, 16, endpoint=False)
        dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        for k in range(1, len(out) - 1):
            for _ in range(4):
                p = out[k]
                hits = pb.rayTestBatch(
                    [[p[0], p[1], WALL_SENSE]] * len(dirs),
                    [[p[0] + d[0] * want, p[1] + d[1] * want, WALL_SENSE] for d in dirs],
                    physicsClientId=self.client)
                near = [(hit[2] * want, d) for hit, d in zip(hits, dirs, strict=True)
                        if hit[0] in self.scenery]
                if not near:
                    break
                dist, d = min(near, key=lambda h: h[0])
                moved = p - d * min(want - dist, TURN_CLEAR - np.hypot(*(p - corners[k])))
                if np.hypot(*(moved - p)) < 0.01 or not (
                        self._leg_clear(out[k - 1], moved) and self._leg_clear(moved, out[k + 1])):
                    break
                out[k] = moved
        return out

    def along_axes(self, corners: list[np.ndarray]) -> list[np.ndarray]:
        """The corners of a walk with, for each stretch one robot wide that it would cross
        off the stretch's middle line (by more than ``ON_AXIS`` at either end), a corner on
        that line ``AXIS_IN`` before the mouth and one as far past the far end, in place of
        the corners between: the robot turns onto the middle before it goes in and walks the
        stretch along it. A leg from the outfeed to the far mouth's corner crossed passage_four's
        1 m passage 12-14 degrees off its axis; holding its leg's heading, the robot drifted
        across and put a hand on the wall's corner, and fell (30-minute traces of 08a5988 and
        14e7bef). The middle and the mouths are found by rays across the path. A walk that
        begins (or ends) by the stretch gets only the corner on the far (near) side; where the
        legs to and from the new corners are not clear of the scenery, the corners stay as
        they were."""
        if self.grid is None or len(corners) < 2:
            return corners
        path = np.asarray(corners, dtype=float)
        arc = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))))
        out = [np.asarray(p, dtype=float) for p in corners]
        for st in self._stretches(path, arc):
            if not st.single:
                continue
            # where the walls are: rays across the path every 0.2 m along the stretch; the
            # first and last points with scenery on both sides nearer than ``KEEP_OFF`` twice
            # over are its real mouths (the traffic cells run on past them)
            found = []
            samples = np.arange(st.s_in, st.s_out[-1], 0.2)
            starts, stops, frames = [], [], []
            for s_at in samples.tolist():
                k = min(int(np.searchsorted(arc, s_at, side="right")) - 1, len(path) - 2)
                d = path[k + 1] - path[k]
                u = d / max(float(np.hypot(*d)), 1e-9)
                p = path[k] + u * (s_at - arc[k])
                left = np.array([-u[1], u[0]])
                frames.append((s_at, p, left, u))
                for side in (1.0, -1.0):
                    starts.append([p[0], p[1], WALL_SENSE])
                    stops.append([p[0] + side * left[0] * 2 * KEEP_OFF,
                                  p[1] + side * left[1] * 2 * KEEP_OFF, WALL_SENSE])
            hits = pb.rayTestBatch(starts, stops, physicsClientId=self.client) if starts else []
            for i, (s_at, p, left, u) in enumerate(frames):
                a, b = hits[2 * i], hits[2 * i + 1]
                if a[0] in self.scenery and b[0] in self.scenery:
                    lw, rw = a[2] * 2 * KEEP_OFF, b[2] * 2 * KEEP_OFF
                    if lw + rw < 2 * KEEP_OFF:
                        found.append((s_at, p + left * (lw - rw) / 2, (lw - rw) / 2, u))
            if not found:
                continue
            (s1, m1, shift1, u1), (s2, m2, shift2, _) = found[0], found[-1]
            lo, hi = s1 - AXIS_IN - 0.3, s2 + AXIS_IN + 0.3  # the corners replaced
            begins, ends_by = not arc[0] < lo, not hi < arc[-1]  # the walk, by the stretch
            if begins and ends_by:
                continue
            if abs(shift1) <= ON_AXIS and abs(shift2) <= ON_AXIS:
                continue  # it crosses along the middle already
            axis = m2 - m1
            n = float(np.hypot(*axis))
            axis = axis / n if n > 0.5 else u1
            # the walk's corners as they now stand (an earlier stretch's new corners lie by
            # the path, before this one), less those by this stretch; a walk that begins or
            # ends by it keeps its start or end there, and gets the corner on the other side
            # only (the first leg of a walk split at its last corner ended 0.35 m past the
            # passage: skipped, it crossed 10 degrees askew and fell, 24ced3c's trace)
            head = [out[0]] if begins else [q for q in out if _arc_of(path, arc, q) <= lo]
            tail = [out[-1]] if ends_by else [q for q in out if _arc_of(path, arc, q) >= hi]
            middle = ([] if begins else [m1 - axis * AXIS_IN]) + (
                [] if ends_by else [m2 + axis * AXIS_IN])
            new = head + middle + tail
            j = len(head)
            if all(self._leg_clear(a, b) for a, b in zip(
                    new[j - 1:j + len(middle)], new[j:j + len(middle) + 1], strict=True)):
                out = new
        return out

    def round_fixtures(self, corners: list[np.ndarray]) -> list[np.ndarray]:
        """The corners of a walk with, for each leg that passes within half a body of a work
        stand or charging post, the shortest way round it by its corners (``ROUND`` off them)
        whose legs are clear of all the scenery. The walkway graph does not know the stands
        (they stand on the layout's locations, in front of the work poses): a robot stood up
        after a fall 1.9 m off the cell's pose, in front of its stand, walked straight for
        the pose and into the stand's end, and fell again (passage_four, 30 minutes, 1484 s).
        The first and the last leg are not the graph's either (from where the robot stands;
        to a holding place, or a pose beside the location's point): one that passes within
        half a body of any scenery goes round it too, where that way is at most ``DETOUR``
        longer. (A loaded robot sent to the press's holding place, 1.05 m past a machine's
        corner, walked a straight leg from the rack 0.25 m from that corner, put its hand on
        the machine at 1.2 m/s and fell: ``tests/physics/test_motion.py``'s two-robot world.)"""
        if len(corners) < 2:
            return corners
        out = [np.asarray(corners[0], dtype=float)]
        last = len(corners) - 1
        for k, b in enumerate(corners[1:], start=1):
            b = np.asarray(b, dtype=float)
            hits = self._leg_hits(out[-1], b)
            hit = next((h for h in hits if h in self.fixtures), None)
            if hit is not None:
                out.extend(self._round(out[-1], b, hit))
            elif k in (1, last) and (hit := next((h for h in hits if h in self.scenery),
                                                  None)) is not None:
                way = self._round(out[-1], b, hit)
                length = sum(float(np.hypot(*(q - p)))
                             for p, q in zip([out[-1], *way], [*way, b], strict=True))
                if way and length <= float(np.hypot(*(b - out[-1]))) + DETOUR:
                    out.extend(way)
            out.append(b)
        return out

    def fixture_on(self, a: np.ndarray, b: np.ndarray) -> int | None:
        """A work stand or charging post within half a body of the leg a-b, if any."""
        hits = self._leg_hits(a, b)
        return next((hit for hit in hits if hit in self.fixtures), None)

    def _round(self, a: np.ndarray, b: np.ndarray, fixture: int) -> list[np.ndarray]:
        """The corners of the shortest way from a to b past the corners of ``fixture``'s
        footprint (``ROUND`` out), every leg clear of the scenery; none if there is none."""
        (x0, y0, _), (x1, y1, _) = pb.getAABB(fixture, physicsClientId=self.client)
        nodes = [a, b] + [np.array([x, y]) for x in (x0 - ROUND, x1 + ROUND)
                          for y in (y0 - ROUND, y1 + ROUND)]
        cost, via, done = {0: 0.0}, {0: [0]}, set()
        while True:  # (six places: Dijkstra by a scan)
            open_ = [i for i in cost if i not in done]
            if not open_:
                return []
            k = min(open_, key=cost.__getitem__)
            if k == 1:
                return [nodes[i] for i in via[1][1:-1]]
            done.add(k)
            for j in range(1, len(nodes)):
                step = cost[k] + float(np.hypot(*(nodes[j] - nodes[k])))
                if j not in done and step < cost.get(j, math.inf) \
                        and self._leg_clear(nodes[k], nodes[j]):
                    cost[j], via[j] = step, via[k] + [j]

    def _leg_clear(self, a: np.ndarray, b: np.ndarray) -> bool:
        """No scenery within half a body of the straight leg a-b (rays along it and its sides)."""
        return not any(hit in self.scenery for hit in self._leg_hits(a, b))

    def _leg_hits(self, a: np.ndarray, b: np.ndarray) -> set[int]:
        """The bodies within half a body of the straight leg a-b (rays along it and its sides,
        at a foot's and a hand's height)."""
        d = b - a
        n = float(np.hypot(*d))
        if n < 1e-6:
            return set()
        side = np.array([-d[1], d[0]]) / n * (BODY / 2)
        starts, ends = [], []
        for off in (0.0, 1.0, -1.0):
            for z in (0.15, WALL_SENSE):
                starts.append([a[0] + off * side[0], a[1] + off * side[1], z])
                ends.append([b[0] + off * side[0], b[1] + off * side[1], z])
        return {hit[0] for hit in pb.rayTestBatch(starts, ends, physicsClientId=self.client)}

    def face_off(self, name: str) -> bool:
        """``name`` and an oncoming (or a crossing) robot stop for each other, and ``name`` is
        the one to give way: it walks empty and the other carries, or both alike and its name
        sorts after.
        (Two robots that met head on and stepped aside to the same side stood 0.9 m apart
        for the 90 s of ``primitives.GIVE_UP``: 30-minute trace of 1 December.)"""
        other = self.facing.get(name)
        if other is None or self.facing.get(other) != name:
            return False
        mine, theirs = name in self.loaded, other in self.loaded
        return (not mine and theirs) or (mine == theirs and name > other)

    def _hold_short(self, way: Way, x: float, y: float, unit: np.ndarray,
                    remaining: float) -> None:
        """The walk's destination is taken: stop ``HOLD_BACK`` short of it, stepped aside to
        the right where the robot leaving passes, and end the walk there (``way.hold``)."""
        room = max(remaining - HOLD_BACK, 0.0)
        way.limit(math.sqrt(2 * BRAKE * room), "destination taken")
        if room < 2.5:
            way.offset = self.aside(x, y, unit, -HOLD_SIDE)
        way.hold = room < 0.05 or way.speed < 0.1

    def queue_place(self, name: str, at: tuple[float, float]) -> int:
        """Place in the queue of robots holding for the location at ``at`` (0: first)."""
        mine = self.holds.get(name)
        if mine is not None and math.hypot(mine[0] - at[0], mine[1] - at[1]) < 0.01:
            return mine[2]
        taken = {k for ex, ey, k in self.holds.values()
                 if math.hypot(ex - at[0], ey - at[1]) < 0.01}
        place = next(k for k in range(len(taken) + 1) if k not in taken)
        self.holds[name] = (at[0], at[1], place)
        return place

    def leave_hold(self, name: str) -> None:
        """The robot walks in from its holding place (or away): the place is free."""
        self.holds.pop(name, None)

    # --- work poses ----------------------------------------------------------------------
    def free_pose(self, name: str, poses: list[tuple[float, float, float]], t: float,
                  nearest: bool = False) -> tuple[float, float, float] | None:
        """A free pose (no other robot heads for it, works on it, or stands within ``SPOT_CLEAR``
        of it): the one ``name`` heads for if still free, else the farthest (a robot coming
        after walks to a nearer one and does not pass the first); ``nearest``: the nearest
        (a robot about to work, which has arrived: a robot heading for a pose keeps it only
        while it is nearer to it; a farther one stops short when it sees the pose taken)."""
        now = self.snapshot(t)
        mine = self.intents.get(name)
        x, y = now[name][:2] if name in now else (0.0, 0.0)

        def free(p: tuple[float, float, float]) -> bool:
            mine = math.hypot(x - p[0], y - p[1])
            for other, q in (*self.intents.items(), *self.poses.items()):
                if other == name or math.hypot(q[0] - p[0], q[1] - p[1]) >= 0.3:
                    continue
                if nearest and other not in self.poses and other in now and math.hypot(
                        now[other][0] - p[0], now[other][1] - p[1]) > mine:
                    continue  # a robot about to work goes before one still walking there
                return False
            return all(math.hypot(ox - p[0], oy - p[1]) >= SPOT_CLEAR
                       for other, (ox, oy, *_r) in now.items() if other != name)

        if mine is not None and not nearest:
            for p in poses:
                if math.hypot(mine[0] - p[0], mine[1] - p[1]) < 0.01 and free(p):
                    return p
        sign = 1.0 if nearest else -1.0
        ranked = sorted(poses, key=lambda p: sign * math.hypot(p[0] - x, p[1] - y))
        return next((p for p in ranked if free(p)), None)

    def intend(self, name: str, pose: tuple[float, float, float]) -> None:
        """``name`` walks to ``pose`` (others choose another)."""
        self.intents[name] = pose

    def walked(self, name: str, x: float, y: float) -> None:
        """``name``'s walk ended at (x, y): a work pose it headed for and stopped short of
        (held back, its destination taken, or given up) is no longer its. (Kept, the pose of
        a robot queued 1.6 m from passage_four's cell stopped the robot the line had handed
        the cell, farther away, for 90 s, until its task failed: trace of 37f2109, 1276 s.)"""
        pose = self.intents.get(name)
        if pose is not None and math.hypot(pose[0] - x, pose[1] - y) > SPOT_CLEAR:
            del self.intents[name]

    def claim(self, name: str, pose: tuple[float, float, float]) -> None:
        """``name`` works on ``pose`` until its next walk."""
        self.intents.pop(name, None)
        self.poses[name] = pose

    def release(self, name: str) -> None:
        """``name`` sets off on a walk: it gives up its pose and its holding place."""
        self.intents.pop(name, None)
        self.poses.pop(name, None)
        self.holds.pop(name, None)

    def aside(self, x: float, y: float, unit: np.ndarray, offset: float,
              name: str | None = None, t: float = 0.0, at: float = 0.0) -> float:
        """``offset`` if the floor beside the robot is free of scenery that far (and, given
        the robot's ``name``, its way there from ``at``, where it stands across ``unit``,
        keeps ``CORRIDOR`` from every other robot), else the other side's, else 0. (Blind to
        robots, a robot that gave way to one met head on sidled 1 m aside into a robot
        standing there, and fell: passage_four, 30 minutes, 1462 s of 9a9a921's trace.)"""
        for want in (offset, -offset):
            if want == 0.0:
                return 0.0
            if self.free_beside(x, y, unit, want) and (
                    name is None or self._side_clear(name, x, y, unit, want - at, t)):
                return want
        return 0.0

    def _side_clear(self, name: str, x: float, y: float, unit: np.ndarray, shift: float,
                    t: float) -> bool:
        """The straight way from (x, y) to ``shift`` across ``unit`` (+ left) keeps
        ``CORRIDOR`` between centres from every robot but ``name``."""
        to = (x - shift * float(unit[1]), y + shift * float(unit[0]))
        return not self._near_way(name, (x, y), to, CORRIDOR, t)

    def _near_way(self, name: str, a: tuple[float, float], b: tuple[float, float],
                  clear: float, t: float) -> list[str]:
        """The robots but ``name`` whose centres stand within ``clear`` of the segment a-b."""
        return [other for other, (ox, oy, *_rest) in self.snapshot(t).items()
                if other != name and _to_segment((ox, oy), a, b) < clear]

    def free_beside(self, x: float, y: float, unit: np.ndarray, shift: float) -> bool:
        """Whether a body moved ``shift`` across ``unit`` (+ left) from (x, y), and walking
        on 1.5 m there, meets no scenery: rays out to the body's far side, and along both
        its sides, its middle and the diagonal for the 1.5 m on. (Rays out and along the
        diagonal only, until 3 December, missed the cell's stand between the leg and the
        place to pass at: a loaded robot passing a robot leaving the cell walked into the
        stand's end, and fell; passage_four, 30 minutes, 1179 s. Along the sides only, a
        stand 0.5 m wide ahead of the place to pass at lay between them: a loaded robot
        walked its tote into the cell's stand, 482 s of the trace of 3 December's
        session 19.)"""
        if shift == 0.0:
            return True
        nx, ny = -float(unit[1]), float(unit[0])  # left
        reach = shift + math.copysign(BODY / 2 + 0.1, shift)
        inner = shift - math.copysign(BODY / 2, shift)
        ux, uy = float(unit[0]) * 1.5, float(unit[1]) * 1.5
        starts = [[x, y, z] for z in (0.15, 0.5)] * 2 + [
            [x + nx * side, y + ny * side, z] for side in (inner, shift, reach)
            for z in (0.15, 0.5)]
        ends = [[x + nx * reach, y + ny * reach, z] for z in (0.15, 0.5)] + [
            [x + nx * side + ux, y + ny * side + uy, z]
            for side in (reach, inner, shift, reach) for z in (0.15, 0.5)]
        hits = pb.rayTestBatch(starts, ends, physicsClientId=self.client)
        return not any(hit[0] in self.scenery for hit in hits)

    def room_behind(self, name: str, t: float, unit: np.ndarray, length: float) -> float:
        """How far (at most ``length``) ``name`` may back straight away from ``unit`` (the way
        it faces) before it comes within the gap of a robot, or half a body of scenery."""
        now = self.snapshot(t)
        x, y = now[name][:2]
        ux, uy = float(unit[0]), float(unit[1])
        room = length
        for other, (ox, oy, *_rest) in now.items():
            if other == name:
                continue
            behind = -((ox - x) * ux + (oy - y) * uy)
            if behind > 0.0 and abs(uy * -(ox - x) + ux * (oy - y)) < CORRIDOR:
                reach = TOTE_REACH if other in self.loaded else 0.0
                room = min(room, behind - BODY - reach - self.gap)
        reach = length + BODY / 2
        hits = pb.rayTestBatch([[x, y, z] for z in (0.15, 0.5)],
                               [[x - ux * reach, y - uy * reach, z] for z in (0.15, 0.5)],
                               physicsClientId=self.client)
        for hit in hits:
            if hit[0] in self.scenery:
                room = min(room, hit[2] * reach - BODY / 2)
        return max(room, 0.0)

    def clear_to_enter(self, name: str, x: float, y: float, t: float) -> bool:
        """No other robot stands within ``SPOT_CLEAR`` of the work pose (x, y), nor, unless it
        works on a pose of its own, within ``WAY_IN_CLEAR`` of the straight way there from
        ``name``. (The robot done at a one-pose cell backed off 0.9 m and stopped on its way
        out, while the one handed the pose stepped in from its holding place 0.7 m past it:
        a hand caught it and both fell; 30-minute trace of af2c2ec, 1 December.)"""
        now = self.snapshot(t)
        return not self.on_way_in(name, x, y, t) and all(
            math.hypot(ox - x, oy - y) >= SPOT_CLEAR
            for other, (ox, oy, *_rest) in now.items() if other != name)

    def on_way_in(self, name: str, x: float, y: float, t: float) -> list[str]:
        """The robots not at work on a pose of their own that stand within ``WAY_IN_CLEAR``
        of the straight way from ``name`` to the work pose (x, y)."""
        now = self.snapshot(t)
        me = now.get(name)
        if me is None:
            return []
        return [other for other in self._near_way(name, (me[0], me[1]), (x, y), WAY_IN_CLEAR, t)
                if other not in self.poses]


def _arc_of(path: np.ndarray, arc: np.ndarray, p: np.ndarray) -> float:
    """Arc length along ``path`` (arcs ``arc``) of the point of it nearest ``p``."""
    a, d = path[:-1], np.diff(path, axis=0)
    n2 = np.maximum((d * d).sum(axis=1), 1e-12)
    f = np.clip(((p - a) * d).sum(axis=1) / n2, 0.0, 1.0)
    k = int(np.argmin(np.hypot(*(a + f[:, None] * d - p).T)))
    return float(arc[k] + f[k] * math.sqrt(n2[k]))


def _to_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
                ) -> float:
    """Distance from the point ``p`` to the segment a-b."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    n = dx * dx + dy * dy
    k = 0.0 if n == 0.0 else min(max(((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / n, 0.0), 1.0)
    return math.hypot(p[0] - a[0] - k * dx, p[1] - a[1] - k * dy)
