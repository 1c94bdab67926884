"""``Physics``: the MotionModel that co-simulates a whole line's humanoids in one PyBullet world.

Each ``execute`` starts a primitive for one robot and yields SimPy timeouts of the lock-step
interval; on waking, the world is stepped up to ``env.now`` (every active robot's controller
runs each control period). Robots without a task are not controlled: they stand on their feet.

Each humanoid balances on its own joints (``humanoid.Humanoid``): no external force acts on it.

Robots share the floor (``traffic.SharedFloor``): they collide with each other, with each
other's totes, with the work stands and the charging posts, and keep the line's traffic rules
as they move (claims on narrow stretches, following, passing on the right, holding points at a
taken work pose, idle robots stepping out of a walker's way); the line is told when a robot
stops for traffic (``waiting_traffic``). Each robot starts on a parking place of its own near
its home. With ``layout.traffic.enabled: false`` they are ghosts, as in the surrogate:
contacts between robots are filtered out. After a fall the robot is stood up again where it
lay: the line charges the down time. A robot holding a tote turns clear of the surface it
picked from (the tote rides above it) instead of stepping back first: walking backwards with a
load in front is where this controller falls.

A tote heavier than the arms can lift fails physically: the hands hold it by friction of the
squeeze the arm motors make (``grip``), a heavier tote slips out of them as they rise, and the
pick returns ``ok=False`` ("cannot lift"), which the line logs as ``task_failed``.

No wait lasts for ever: a walk stopped for traffic past ``primitives.GIVE_UP`` gives way (steps
back, stands, walks on; counted as a deadlock, told to the line), and a work pose that does not
clear within it fails the task.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pyarrow as pa
import pybullet as pb
import shapely

from twin.config import HOLD_BACK, HOLD_SIDE, SPOT_CLEAR, Layout
from twin.events import POSE_SCHEMA
from twin.floor.geometry import obstacle_polygons
from twin.floor.lanes import LaneGrid
from twin.motion import STANDING, MotionTask, Outcome, Worker
from twin.physics import primitives as prim
from twin.physics.body import Body
from twin.physics.carry import Carry
from twin.physics.humanoid import Humanoid
from twin.physics.settings import PhysicsSettings
from twin.physics.traffic import BODY, HOLD_PITCH, SharedFloor
from twin.physics.world import STAND_HEIGHT, Tote, World, work_poses
from twin.robot import RobotSpec

ROBOT_GROUP = 0x10  # Bullet's own groups: 1 dynamic, 2 static
NOT_ROBOTS = ~ROBOT_GROUP & 0xFFFF
BACK_OFF = 0.3  # m a robot steps back from a fixture before walking off
APPROACH_TOLERANCE = (0.03, math.radians(3.0))  # before picking or placing
STAND_CLEAR = 0.5  # m a parked or holding robot's centre keeps from obstacles and floor edges
APPROACH_SPEED_ASIDE = 0.4  # m/s a robot making way for another walks to a holding place
ON_POSE = 0.3  # m from a work pose: a robot standing this close stands on it
SIDLE_IN = 2.5  # m from its work pose at most, a robot steps onto it without turning
OFF_THE_WAYS = 1.5  # m a fallen robot is stood up from one-robot passages and work poses


class Physics:
    """All robots of a line in one PyBullet world built from its layout."""

    walks_onto_poses = True  # a body handed a work spot walks onto its pose in the act itself

    def __init__(self, layout: Layout, spec: RobotSpec, *, tote_mass: float = 2.0,
                 settings: PhysicsSettings | None = None, gui: bool = False) -> None:
        self.layout = layout
        self.spec = spec
        self.tote_mass = tote_mass
        self.settings = settings or PhysicsSettings()
        self.ahead = Body.of(spec.height).stand_ahead  # where its arms reach the totes
        self.world = World.from_layout(layout, self.settings, gui, self.ahead)
        self.ghosts = not layout.traffic.enabled  # robots pass through each other
        self.floor = SharedFloor(self.world.client, None, layout.traffic.gap,
                                 layout.traffic.narrow_speed)
        self.floor.scenery = set(range(pb.getNumBodies(physicsClientId=self.world.client)))
        self.floor.fixtures = {s.body for s in (*self.world.stands.values(),
                                                *self.world.docks.values())}
        self.spots = {name: work_poses(loc) for name, loc in layout.locations.items()}
        self._ways_in = shapely.MultiLineString([  # holding places to work poses
            (hold, pose[:2]) for name, poses in self.spots.items() for pose in poses
            for hold in self._holding_places(name, 0)])
        self._scenery = shapely.STRtree(obstacle_polygons(layout))  # for parking, holding
        self.listener: Callable[[str, str | None], None] | None = None
        self._told: dict[str, str | None] = {}
        self.bodies: dict[str, Humanoid] = {}
        self.carries: dict[str, Carry] = {}
        self.totes: dict[str, Tote] = {}
        self._next_pose = 0.0
        self._at_fixture: set[str] = set()  # robots facing a stand or post: step back first
        self._busy: dict[str, str] = {}  # robots carrying out a task of the line -> its target
        self._down: dict[str, float] = {}  # robot that fell -> world time its recovery ends
        self._held: dict[str, str | None] = {}  # robots waiting for a work pose to clear ->
        # a walker they stop (None: none)
        self._rows: dict[str, list[Any]] = {k: [] for k in POSE_SCHEMA.names}

    def share_floor(self, grid: LaneGrid | None,
                    listener: Callable[[str, str | None], None]) -> None:
        """Keep the line's traffic rules on the traffic cells ``grid``; ``listener(robot,
        why)`` hears when a robot stops (``why``: "traffic", or "spot" at a taken work pose)
        and when it moves on (None)."""
        self.floor.grid = grid
        self.listener = listener

    def _ghost_tote(self, tote: Tote, owner: str) -> None:
        """Ghost robots (traffic off) pass through each other's totes too."""
        if not self.ghosts:
            return
        c = self.world.client
        for rid, other in self.bodies.items():
            if rid != owner:
                self._pass_through(other, tote.body)
        for rid, other_tote in self.totes.items():
            if rid != owner:
                pb.setCollisionFilterPair(tote.body, other_tote.body, -1, -1, 0,
                                          physicsClientId=c)

    def _pass_through(self, robot: Humanoid, body: int) -> None:
        """No contact between any link of ``robot`` and ``body``."""
        for link in range(-1, len(robot.order)):
            pb.setCollisionFilterPair(robot.body, body, link, -1, 0,
                                      physicsClientId=self.world.client)

    # --- robots ------------------------------------------------------------------------
    def _where(self, name: str, task: MotionTask) -> tuple[float, float, float]:
        loc = self.layout.locations.get(name)
        if loc is not None:
            return loc.x, loc.y, math.radians(loc.heading)
        if task.path is not None and len(task.path):
            return float(task.path[0][0]), float(task.path[0][1]), 0.0
        return 0.0, 0.0, 0.0

    def body(self, robot: Worker, task: MotionTask) -> Humanoid:
        """The robot's humanoid, loaded the first time it is asked for on a parking place of
        its own near the task's origin."""
        if robot.id not in self.bodies:
            x, y, heading = self._parking(*self._where(task.origin, task))
            h = self.world.add_humanoid(robot.spec, x, y, heading, name=robot.id)
            c = self.world.client
            if self.ghosts:
                for link in range(-1, pb.getNumJoints(h.body, physicsClientId=c)):
                    pb.setCollisionFilterGroupMask(h.body, link, ROBOT_GROUP, NOT_ROBOTS,
                                                   physicsClientId=c)
                for tote in self.totes.values():
                    self._pass_through(h, tote.body)
            self.bodies[robot.id] = h
            self.floor.bodies[robot.id] = h
        return self.bodies[robot.id]

    def _parking(self, x: float, y: float, heading: float) -> tuple[float, float, float]:
        """(x, y) if no robot stands within a body's width of it (or robots are ghosts), else
        the nearest free place on a ring of places around it, clear of the scenery."""
        if self.ghosts:
            return x, y, heading
        return self._free_place(None, x, y, heading)

    def _out_of_row(self, rid: str, origin: str, x: float, y: float, ahead: Any
                    ) -> tuple[float, float] | None:
        """Where a robot setting off from a work pose in a row of them first steps back to,
        straight out of the row, if its way from the pose to ``ahead`` passes behind a robot
        at work on a neighbouring pose of the row (its body's width or less from it), and the
        place out of the row is free; else None. Turned at once toward ``ahead``, it would
        wait for the neighbour to finish."""
        poses = self.spots.get(origin, [])
        if len(poses) < 2:
            return None
        mine = min(poses, key=lambda p: math.hypot(p[0] - x, p[1] - y))
        if math.hypot(mine[0] - x, mine[1] - y) > ON_POSE:
            return None
        now = self.floor.snapshot(self.world.time)
        leg = shapely.LineString([(x, y), (float(ahead[0]), float(ahead[1]))])
        neighbours = [now[other][:2] for other, q in self.floor.poses.items()
                      if other != rid and other in now and q[:2] != mine[:2]
                      and any(math.hypot(q[0] - p[0], q[1] - p[1]) < 0.3 for p in poses)]
        if not any(leg.distance(shapely.Point(n)) < BODY + 0.2 for n in neighbours):
            return None
        back = SPOT_CLEAR + 0.05
        out = (x - back * math.cos(mine[2]), y - back * math.sin(mine[2]))
        taken = [xy[:2] for other, xy in now.items() if other != rid]
        return out if self._room(*out, taken) else None

    def _stand_up_spot(self, rid: str, x: float, y: float, heading: float
                       ) -> tuple[float, float, float]:
        """Where a fallen robot is stood up again: where it lies if a robot can stand there
        (``_room``: clear of the scenery, the fixtures and the other robots), else the
        nearest such place around it. Stood up where it lay against a wall or another robot,
        its body would overlap them and the solver's push out would throw it again."""
        return self._free_place(rid, x, y, heading, self._off_the_ways)

    def _off_the_ways(self, px: float, py: float) -> bool:
        """(px, py) keeps ``OFF_THE_WAYS`` from every traffic cell too narrow for two robots
        abreast, from every work pose and from the ways onto them from their holding places:
        the crew that stands a fallen robot up leaves it out of the passages and the ways in.
        (Stood up by a one-robot passage's mouth, a robot in its recovery stopped the walkers
        through it until they gave way, and they fell turning back by the walls' corners:
        30-minute trace of 1 December. Stood up 1.65 m from the cell's pose but on the way
        in from its holding place, one kept the robot handed the pose out of it for 270 s,
        three tasks failed: 3 December, 1465 s.)"""
        grid = self.floor.grid
        if grid is not None:
            reach = int(math.ceil(OFF_THE_WAYS / grid.cell))
            ix, iy = int(px / grid.cell), int(py / grid.cell)
            for jy in range(max(iy - reach, 0), min(iy + reach + 1, grid.ny)):
                for k in range(jy * grid.nx + max(ix - reach, 0),
                               jy * grid.nx + min(ix + reach + 1, grid.nx)):
                    cx, cy = grid.centre(k)
                    if grid.capacity(k) < 2 and math.hypot(cx - px, cy - py) < OFF_THE_WAYS:
                        return False
        return bool(self._ways_in.distance(shapely.Point(px, py)) >= OFF_THE_WAYS)

    def _free_place(self, rid: str | None, x: float, y: float, heading: float,
                    also: Callable[[float, float], bool] | None = None
                    ) -> tuple[float, float, float]:
        """(x, y) if a robot can stand there (``_room``, from every robot but ``rid``, and
        ``also`` if given), else the nearest such place on rings around it, behind
        ``heading`` first; else the nearest place without ``also``; else (x, y)."""
        taken = [b.pose()[:2] for other, b in self.bodies.items() if other != rid]
        places = ((x, y), *_rings(x, y, heading + math.pi, 7))
        for test in ((also,) if also is not None else ()) + (None,):
            for px, py in places:
                if self._room(px, py, taken) and (test is None or test(px, py)):
                    return px, py, heading
        return x, y, heading

    def _room(self, px: float, py: float, taken: list[tuple[float, float]]) -> bool:
        """A robot can stand at (px, py) (``_open``) a body's width from the robots at
        ``taken``."""
        return self._open(px, py) and all(math.hypot(px - qx, py - qy) >= BODY + 0.25
                                          for qx, qy in taken)

    def _open(self, px: float, py: float) -> bool:
        """A robot can stand at (px, py): on the floor, clear of obstacles and fixtures."""
        floor = self.layout.floor
        if not (STAND_CLEAR < px < floor.width - STAND_CLEAR
                and STAND_CLEAR < py < floor.depth - STAND_CLEAR):
            return False
        if len(self._scenery.query(shapely.Point(px, py), predicate="dwithin",
                                   distance=STAND_CLEAR)):
            return False
        return all(math.hypot(px - f.x - 0.45 * math.cos(f.heading),
                              py - f.y - 0.45 * math.sin(f.heading)) > 0.35
                   for f in (*self.world.stands.values(), *self.world.docks.values()))

    # --- lock-step ---------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Step the world up to SimPy time ``now``; an idle world just jumps there."""
        world = self.world
        if not world.active:
            world.time = max(world.time, now)
            return
        while world.time < now - 1e-9 and world.active:
            world.tick()
            if self.floor.blocked:
                self._step_aside()
            if world.time >= self._next_pose:
                self._record()
                self._toppled()
                self._next_pose = world.time + 1.0 / self.settings.pose_rate
            if world.results:
                self._fell_aside()
        if not world.active:
            world.time = max(world.time, now)

    def _fell_aside(self) -> None:
        """Robots without a task of the line whose walk out of another's way (``_send_aside``,
        ``_sidle_off``) ended in a fall: stood up as after a fall on a task, and the line hears
        it ("fell") and counts them down from now. (Left lying, the fall was found by the
        robot's next task: robot2 lay 50 s by the outfeed in 'idle', passage_four, 30 minutes,
        1337 s.) Such a walk (or the balance through a recovery) that ended upright leaves
        nothing to read: its result goes, so ``_toppled`` watches the robot from then on."""
        for rid, result in list(self.world.results.items()):
            if rid in self._busy:
                continue
            del self.world.results[rid]
            if result.fell:
                self._fell(rid)

    def _toppled(self) -> None:
        """Robots standing between tasks, no primitive controlling them, that toppled (they
        hold their joints' last targets): stood up and counted as ``_fell_aside`` does. (Found
        only by their next task before: an idle robot queued for the cell with a 12 kg tote
        crept 0.15 m in 25 s and fell, and lay there, passage_four, 2 December.)"""
        for rid, h in self.bodies.items():
            if self._idle_body(rid) and rid not in self.world.results and h.toppled():
                self._fell(rid)

    def _fell(self, rid: str) -> None:
        """``rid`` fell with no task of the line: stood up (``_recover``), and the line hears
        it ("fell") and counts it down from now."""
        self._recover(rid)
        if self.listener is not None:
            self.listener(rid, "fell")

    def _recover(self, rid: str) -> None:
        """The crew takes away the tote a fallen robot dropped and stands it up where it can
        stand, for its recovery time, through which its balance holds it (``prim.hold``)
        until its next task takes over. Left standing on its joints' last targets, a body
        just stood up crept and toppled, or fell as its next walk turned it (in a 30-minute
        trace one robot fell four times running, each 3 s after its recovery, 3 December;
        stood up and turned 136 degrees on the spot to walk off, six places of eight fell at
        once and four of five after 300 s so, none of six balanced through the 300 s)."""
        h = self.bodies[rid]
        carry = self.carries.pop(rid, None)
        if carry is not None:
            carry.release()
        tote = self.totes.pop(rid, None)
        if tote is not None:
            pb.removeBody(tote.body, physicsClientId=self.world.client)
        self.floor.release(rid)
        h.stand_up(*self._stand_up_spot(rid, *h.pose()))
        self._down[rid] = self.world.time + self.spec.fall_recovery_time
        self.world.start(h, prim.hold(self.world, h, self.spec.fall_recovery_time))

    def execute(self, env: Any, robot: Worker, task: MotionTask) -> Generator[Any, Any, Outcome]:
        """Carry out ``task`` in the physics world, in lock-step with SimPy time."""
        h = self.body(robot, task)
        self.advance(env.now)
        t0, e0 = env.now, h.meter.energy_j
        self.floor.finish(h.name)  # (a walk making way for another, cut short)
        self.world.start(h, self._controller(h, robot, task))
        self._busy[robot.id] = task.target
        while h.name in self.world.active:
            yield env.timeout(self.settings.lockstep_interval)
            self.advance(env.now)
            self._tell(robot.id)
            for rid in self.floor.deadlocked:  # (any robot's walk may have given way)
                if self.listener is not None:
                    self.listener(rid, "deadlock")
            self.floor.deadlocked.clear()
        self._busy.pop(robot.id, None)
        self.floor.waiting.pop(robot.id, None)
        self._tell(robot.id)
        result: prim.Result = self.world.results.pop(h.name)
        if result.fell:
            self._recover(robot.id)
        return Outcome(duration=env.now - t0, energy_j=h.meter.energy_j - e0, ok=result.ok,
                       fell=result.fell, retries=result.retries, note=result.note)

    def _tell(self, rid: str) -> None:
        """Tell the line when a robot stopped for traffic or a taken work pose, or moves on."""
        why = self.floor.waiting.get(rid)
        if why != self._told.get(rid):
            self._told[rid] = why
            if self.listener is not None:
                self.listener(rid, why)

    def _controller(self, h: Humanoid, robot: Worker, task: MotionTask
                    ) -> Generator[None, None, prim.Result]:
        world = self.world
        if task.kind == "walk":
            path = task.path
            if path is None:
                a, b = self._where(task.origin, task), self._where(task.target, task)
                path = np.array([a[:2], b[:2]])
            face = self._where(task.target, task)[2] if task.target in self.layout.locations \
                else None
            speed = robot.spec.speed(task.payload_kg)
            if robot.id in self._at_fixture:
                self._at_fixture.discard(robot.id)
                if robot.id not in self.carries:  # a held tote rides above the surface:
                    yield from prim.back_off(world, h, BACK_OFF)  # it turns clear of it
            x0, y0, _ = h.pose()
            if len(path) > 1 and math.hypot(x0 - path[0][0], y0 - path[0][1]) > STANDING:
                # parked or held off the path's start, or stood up where it fell on the way:
                # it sets off from there to the end of the path's leg nearest to it
                legs = [shapely.LineString(path[k:k + 2]) for k in range(len(path) - 1)]
                here = shapely.Point(x0, y0)
                path = path[1 + min(range(len(legs)), key=lambda k: legs[k].distance(here)):]
            floor = None if self.ghosts else self.floor
            if floor is not None:
                out = self._out_of_row(robot.id, task.origin, x0, y0, path[0])
                if out is not None:
                    path = np.vstack([out, path])
                self.floor.release(robot.id)
                path = np.asarray(path, float)
                ends, to_face, on_pose = self._destination(robot.id, task, path, face)
                if not on_pose and len(path) > 2 and not floor.narrow_at(*path[-2]):
                    # its work pose is taken as it sets off: it walks on to the last corner
                    # and chooses there, where the pose may have come free (chosen at the
                    # start, a walk to the one-pose cell ended at its holding place though
                    # the pose had cleared on the way, and stepped on from there: acts there
                    # took 19-24 s against 11-12 s; passage_four, 30 minutes). Not where that
                    # corner is on narrow floor: between the two walks the robot held no
                    # claim there, and a robot coming the other way was given the cell it
                    # stood in; refused it, it stood in that robot's way (passage_four's
                    # west mouth, 30 minutes: waits of 21 and 27 s, then a fall)
                    first = yield from prim.walk(world, h, path[:-1], speed,
                                                 carry=self.carries.get(robot.id), floor=floor)
                    if not first.ok:
                        return first
                    ends, to_face, _ = self._destination(robot.id, task, path[-2:], face)
                    rest = yield from prim.walk(world, h, ends, speed, face=to_face,
                                                carry=self.carries.get(robot.id), floor=floor)
                    rest.duration += first.duration
                    rest.retries += first.retries
                    return rest
                path, face = ends, to_face
            return (yield from prim.walk(world, h, path, speed, face=face,
                                         carry=self.carries.get(robot.id), floor=floor))
        self._at_fixture.add(robot.id)
        x, y, heading = self._where(task.target, task)
        if not self.ghosts:
            # the line gave this robot the spot: the nearest free work pose, once the robot
            # before has stepped off it (robots still walking there stop short of it)
            floor = self.floor
            poses = self.spots.get(task.target, [(x, y, heading)])
            waited = 0.0
            while True:
                pose = floor.free_pose(robot.id, poses, world.time, nearest=True)
                if pose is not None and floor.clear_to_enter(robot.id, pose[0], pose[1],
                                                             world.time):
                    break
                if pose is not None:  # the line handed it this pose: robots walking here
                    floor.intend(robot.id, pose)  # hold for it (``_destination``)
                if waited > prim.GIVE_UP:  # (a robot that does not move off): the line's
                    self._held.pop(robot.id, None)  # task fails, the robot walks on
                    floor.waiting.pop(robot.id, None)
                    floor.intents.pop(robot.id, None)
                    floor.deadlocked.append(robot.id)
                    return prim.Result(ok=False, duration=waited, note=f"{prim.DEADLOCK}: "
                                       f"the work pose at {task.target} did not clear")
                self._make_way(robot.id, task.target, poses)
                if pose is not None:  # free, but robots stand on the way onto it
                    self._clear_way_in(robot.id, pose)
                floor.waiting[robot.id] = "spot"
                claimant = self._in_the_way(robot.id, poses)
                walker = self._held.pop(robot.id, None)
                place: tuple[float, float] | None = None
                if claimant is not None:  # it stands by a pose another robot is to work on
                    place = self._step_off(robot.id, task.target, claimant)
                elif walker is not None and walker in floor.walkers and \
                        self._busy.get(walker) != task.target:  # it stops a walker (one
                    # bound here holds short of the pose by itself: stepping aside for it, the
                    # robot handed the cell walked 5 m off its way in and, stood in by others
                    # there, gave up after 90 s; trace of 37f2109, 1387 s)
                    mx, my, _ = h.pose()
                    path = floor.walkers[walker].path
                    place = self._clear_of(robot.id, mx, my, shapely.LineString(path)
                                           if len(path) > 1 else None)
                if place is not None:
                    step = yield from prim.walk(world, h, [place], APPROACH_SPEED_ASIDE,
                                                carry=self.carries.get(robot.id), floor=floor)
                    waited += step.duration
                    if step.fell:
                        self._held.pop(robot.id, None)
                        return step
                    self._held[robot.id] = None
                    continue
                self._held[robot.id] = None
                h.gait.command(0.0, 0.0, 0.0, stepping=False)
                yield
                waited += world.settings.control_period
            self._held.pop(robot.id, None)
            floor.waiting.pop(robot.id, None)
            floor.leave_hold(robot.id)
            floor.claim(robot.id, pose)
            x, y, heading = pose
        floor = None if self.ghosts else self.floor
        try:
            px, py, _ = h.pose()
            if floor is not None and prim.APPROACH_WALK < math.hypot(px - x, py - y) < SIDLE_IN:
                if floor.fixture_on(np.array([px, py]), np.array([x, y])) is None:
                    # from the holding point: onto the pose without turning away from it
                    onto = yield from prim.sidle(world, h, x, y, heading, face_way=True)
                else:  # a stand between: a walk round it (a robot sidling from in front of
                    # the cell's stand onto its pose put its body on the stand's corner and
                    # fell; passage_four, 30 minutes, 1530 s)
                    onto = yield from prim.walk(world, h, [(x, y)], prim.APPROACH_SPEED,
                                                face=heading, carry=self.carries.get(robot.id),
                                                floor=floor)
                if onto.fell:
                    return onto
            if task.kind == "dock":
                return (yield from prim.dock(world, h, x, y, heading, floor=floor))
            approach = yield from prim.align(world, h, x, y, heading, *APPROACH_TOLERANCE,
                                             floor=floor)
            if approach.fell:
                return approach
            if task.kind == "pick":
                result, carry = yield from self._pick(h, robot, task, x, y, heading)
            else:
                result = yield from self._place(h, robot)
            result.duration += approach.duration
            return result
        finally:
            # done: it stands on the pose, but a robot the line sends here next may ask it
            # to step off (``_make_way``)
            self.floor.release(robot.id)

    def _make_way(self, rid: str, target: str, poses: list[tuple[float, float, float]]
                  ) -> None:
        """Robots standing on or by a work pose of ``target`` that the line has not sent
        there (idle, or waiting for the line's spot, charger or next task) step off to a
        holding place clear of the way in of ``rid``, who has the spot (``_step_off``)."""
        world = self.world
        now = self.floor.snapshot(world.time)
        for other in self.bodies:
            if other == rid or not self._idle_body(other):
                continue  # (a walk there stops short of the pose)
            ox, oy = now[other][:2]
            place = None
            if any(math.hypot(ox - p[0], oy - p[1]) < SPOT_CLEAR for p in poses):
                place = self._step_off(other, target, now[rid][:2])
            if place is not None and any(math.hypot(ox - p[0], oy - p[1]) < ON_POSE
                                         for p in poses):
                self._sidle_off(other, place)
            elif place is not None:
                self._send_aside(other, place)

    def _clear_way_in(self, rid: str, pose: tuple[float, float, float]) -> None:
        """Robots without a task of the line (idle, or queued for a spot, a charger or a
        trip) standing on the way of ``rid`` onto its free work ``pose``
        (``SharedFloor.on_way_in``, what ``clear_to_enter`` waits for) step to the nearest
        place clear of it (``_clear_of``). A robot queued at the cell's second holding place
        stood on the way in from the first: the one handed the pose waited for it, it waited
        for the pose, until the 90 s give-up failed the task (twice in passage_four's
        30-minute trace of 3caf98c)."""
        now = self.floor.snapshot(self.world.time)
        way = shapely.LineString([now[rid][:2], pose[:2]])
        for other in self.floor.on_way_in(rid, pose[0], pose[1], self.world.time):
            if self._idle_body(other):
                place = self._clear_of(other, *now[other][:2], way)
                if place is not None:
                    self._send_aside(other, place)

    def _in_the_way(self, rid: str, poses: list[tuple[float, float, float]]
                    ) -> tuple[float, float] | None:
        """Where the robot that works on (or is to work on) one of ``poses`` stands, if
        ``rid`` stands within ``SPOT_CLEAR`` of that pose; else None."""
        now = self.floor.snapshot(self.world.time)
        x, y = now[rid][:2]
        for other, q in self.floor.poses.items():
            if other != rid and any(math.hypot(q[0] - p[0], q[1] - p[1]) < 0.3 for p in poses) \
                    and math.hypot(x - q[0], y - q[1]) < SPOT_CLEAR + 0.2:
                return now[other][0], now[other][1]
        return None

    def _step_aside(self) -> None:
        """Robots standing in another's way that the line has not given a task (idle, or
        waiting for a spot, a charger or a trip) step to the nearest place clear of its
        path. (A robot at work finishes first; a walking one moves on by itself.)"""
        floor, world = self.floor, self.world
        blocked, floor.blocked = floor.blocked, {}
        for other, walker in blocked.items():
            if walker not in floor.walkers:
                continue
            if other in self._held:  # waiting by a work pose for it to clear: it steps aside
                self._held[other] = walker  # itself (``_controller``)
                continue
            if not self._idle_body(other):
                continue  # (walkers pass it)
            rest = floor.walkers[walker]
            way = shapely.LineString(rest.path) if len(rest.path) > 1 else None
            ox, oy = floor.snapshot(world.time)[other][:2]
            place = self._clear_of(other, ox, oy, way)
            if place is not None:
                self._send_aside(other, place)

    def _idle_body(self, rid: str) -> bool:
        """``rid`` may be walked about to make way: no task of the line, not walking, and not
        in its fall recovery."""
        return (rid not in self._busy and rid not in self.world.active
                and self._down.get(rid, -1.0) <= self.world.time)

    def _sidle_off(self, rid: str, place: tuple[float, float]) -> None:
        """Step ``rid`` (done on a work pose, without a task of the line) off it to ``place``
        without turning round first: backing and stepping aside, as it faces the pose."""
        self.floor.release(rid)
        h = self.bodies[rid]
        self.world.start(h, prim.sidle(self.world, h, *place, h.pose()[2]))

    def _send_aside(self, rid: str, place: tuple[float, float]) -> None:
        """Walk ``rid`` (standing, without a task of the line) to ``place``: it gives up its
        pose and holding place."""
        self.floor.release(rid)
        h = self.bodies[rid]
        self.world.start(h, prim.walk(self.world, h, [place], APPROACH_SPEED_ASIDE,
                                      carry=self.carries.get(rid), floor=self.floor))

    def _clear_of(self, rid: str, x: float, y: float, way: shapely.LineString | None
                  ) -> tuple[float, float] | None:
        """The nearest place around (x, y) a robot can stand on, a body's width from every
        other robot and from the path ``way``, ``OFF_THE_WAYS`` if any is."""
        now = self.floor.snapshot(self.world.time)
        taken = [xy[:2] for other, xy in now.items() if other != rid]
        first = None
        for px, py in _rings(x, y, 0.0, 4):
            if not self._room(px, py, taken) or (
                    way is not None and way.distance(shapely.Point(px, py)) <= BODY + 0.3):
                continue
            # off the passages and the ways onto work poses where it can (sent aside 1.35 m
            # behind the cell's pose, a robot stood where the one done there backed off, and
            # was knocked down: trace of 9099868, 867 s)
            if self._off_the_ways(px, py):
                return px, py
            first = first or (px, py)
        return first

    def _step_off(self, rid: str, target: str, away: tuple[float, float]
                  ) -> tuple[float, float]:
        """A place by ``target`` for ``rid`` to step off to: of the open holding places no
        other robot stands on or holds, the nearest to ``rid`` that keeps a body's width from
        the way in of the robot at ``away`` (to the nearest work pose), whose way there passes
        clear of that robot and of every other too if one does; else the farthest from it."""
        now = self.floor.snapshot(self.world.time)
        taken = [xy[:2] for other, xy in now.items() if other != rid]
        robots = [shapely.Point(p) for p in taken]
        taken += [(hx, hy) for other, (hx, hy, _k) in self.floor.holds.items() if other != rid]
        goal = min(self.spots[target], key=lambda p: math.hypot(p[0] - away[0], p[1] - away[1]))
        way_in = shapely.LineString([away, goal[:2]])
        x, y = now[rid][:2]
        # (beside and behind the pose, not straight behind it: the way off it for the next)
        sides = 1 if self.layout.locations[target].holding is not None else 2
        places = [p for rank in range(3) for p in self._holding_places(target, rank)[:sides]
                  if self._room(*p, taken)]
        clear = [p for p in places if way_in.distance(shapely.Point(p)) > BODY + 0.2]
        # and its way there passes a body's width from the robot coming in and every other
        # robot (backing off the cell with a tote, a robot ran into one standing 1.3 m behind
        # the pose, and both fell with a third: trace of 85673d9, 867 s)
        coming = shapely.Point(away)

        def clearance(p: tuple[float, float]) -> float:  # of the way there from the robots
            way = shapely.LineString([(x, y), p])
            return min(way.distance(o) for o in (coming, *robots))

        gone = [p for p in clear if clearance(p) > BODY + 0.2]
        if gone:
            return min(gone, key=lambda p: math.hypot(p[0] - x, p[1] - y))
        if clear:  # none clear of every robot: the way that passes them widest
            return max(clear, key=clearance)
        if places:
            return max(places, key=lambda p: math.hypot(p[0] - away[0], p[1] - away[1]))
        return self._holding(rid, target)

    def _destination(self, rid: str, task: MotionTask, path: np.ndarray, face: float | None
                     ) -> tuple[np.ndarray, float | None, bool]:
        """Where a walk among other robots ends: a free work pose of its target (the path's
        end moved onto it), else the target's next free holding place, facing the pose; and
        whether it ends on a work pose (or where the target has none)."""
        poses = self.spots.get(task.target)
        if not poses:
            return path, face, True
        floor = self.floor
        pose = floor.free_pose(rid, poses, self.world.time)
        if pose is not None:
            floor.intend(rid, pose)
            end = np.array(pose[:2])
        else:
            end = np.array(self._holding(rid, task.target))
            near = min(poses, key=lambda p: math.hypot(p[0] - end[0], p[1] - end[1]))
            face = math.atan2(near[1] - end[1], near[0] - end[0])  # waits facing the pose
        path = path.copy()
        path[-1] = end
        return path, face, pose is not None

    def _holding_places(self, target: str, rank: int) -> list[tuple[float, float]]:
        """The holding places of a location in queue place ``rank``: from its ``holding``
        point (default: a body and a half behind the spot, to its right, where the robot
        leaving passes by; then to its left; then straight behind) back along its heading."""
        loc = self.layout.locations[target]
        heading = math.radians(loc.heading)
        back = (-math.cos(heading), -math.sin(heading))
        right = (math.sin(heading), -math.cos(heading))
        starts = [loc.holding] if loc.holding is not None else [
            (loc.x + back[0] * HOLD_BACK + right[0] * s * HOLD_SIDE,
             loc.y + back[1] * HOLD_BACK + right[1] * s * HOLD_SIDE) for s in (1, -1, 0)]
        return [(hx + back[0] * HOLD_PITCH * rank, hy + back[1] * HOLD_PITCH * rank)
                for hx, hy in starts]

    def _holding(self, rid: str, target: str) -> tuple[float, float]:
        """``rid``'s place in the queue of robots holding for ``target``: the first open
        one of its holding places in that rank."""
        loc = self.layout.locations[target]
        places = self._holding_places(target, self.floor.queue_place(rid, (loc.x, loc.y)))
        return next(((px, py) for px, py in places if self._open(px, py)), places[0])

    def _pick(self, h: Humanoid, robot: Worker, task: MotionTask, x: float, y: float,
              heading: float) -> Generator[None, None, tuple[prim.Result, Carry | None]]:
        old = self.carries.pop(robot.id, None)
        if old is not None:
            old.release()
        tote = self.totes.pop(robot.id, None)
        if tote is not None:
            pb.removeBody(tote.body, physicsClientId=self.world.client)
        if task.target not in self.world.stands:
            stand = self.world.add_stand(task.target, x, y, heading, self.ahead).body
            self.floor.scenery.add(stand)
            self.floor.fixtures.add(stand)
        mass = task.payload_kg if task.payload_kg > 0 else self.tote_mass
        tote = self.world.add_tote(mass, x + self.ahead * math.cos(heading),
                                   y + self.ahead * math.sin(heading), heading, STAND_HEIGHT)
        self._ghost_tote(tote, robot.id)
        self.totes[robot.id] = tote
        result, carry = yield from prim.pick(self.world, h, tote)
        if carry is not None:
            self.carries[robot.id] = carry
        return result, carry

    def _place(self, h: Humanoid, robot: Worker) -> Generator[None, None, prim.Result]:
        carry = self.carries.pop(robot.id, None)
        if carry is None:
            return prim.Result(ok=False, note="nothing in the hands to place")
        result = yield from prim.place(self.world, h, carry)
        tote = self.totes.pop(robot.id, None)
        if tote is not None:  # handed over to the station: the line model owns the units now
            pb.removeBody(tote.body, physicsClientId=self.world.client)
        return result

    def touching(self, a: str, b: str) -> bool:
        """Robots ``a`` and ``b`` touch: either's body, or the tote it holds, against the
        other's."""
        c = self.world.client
        return any(pb.getContactPoints(p, q, physicsClientId=c)
                   for p in self._held_bodies(a) for q in self._held_bodies(b))

    def _held_bodies(self, rid: str) -> list[int]:
        tote = self.totes.get(rid)
        return [self.bodies[rid].body] + ([tote.body] if tote is not None else [])

    # --- pose table --------------------------------------------------------------------
    def _record(self) -> None:
        c, rows, t = self.world.client, self._rows, self.world.time
        for rid, h in self.bodies.items():
            pos, orn = pb.getBasePositionAndOrientation(h.body, physicsClientId=c)
            frames = [("pelvis", pos, orn)]
            states = pb.getLinkStates(h.body, h.order, physicsClientId=c)
            for name, i in h.joint.items():
                frames.append((name, states[i][4], states[i][5]))
            tote = self.totes.get(rid)
            if tote is not None:
                tp, to = pb.getBasePositionAndOrientation(tote.body, physicsClientId=c)
                frames.append(("tote", tp, to))
            for link, p, q in frames:
                rows["t"].append(t)
                rows["robot"].append(rid)
                rows["link"].append(link)
                for key, value in zip(("x", "y", "z", "qx", "qy", "qz", "qw"), (*p, *q),
                                      strict=True):
                    rows[key].append(value)

    def poses(self) -> pa.Table:
        """The pose table (POSE_SCHEMA): every robot's link frames at ``pose_rate``.

        Links are named by the joint that moves them (``left_knee`` is the shank), plus
        ``pelvis`` and the held ``tote``.
        """
        arrays = {k: pa.array(v) for k, v in self._rows.items()}
        for key in ("robot", "link"):
            arrays[key] = pa.array(self._rows[key], pa.string()).dictionary_encode()
        return pa.Table.from_pydict(arrays).cast(POSE_SCHEMA)

    def close(self) -> None:
        """Release the PyBullet client."""
        self.world.close()


def _rings(x: float, y: float, first: float, rings: int) -> Generator[tuple[float, float]]:
    """Places on rings around (x, y), a body's width and a little apart, nearest ring first;
    on each ring from the angle ``first`` (rad) round."""
    for ring in range(1, rings + 1):
        r = ring * (BODY + 0.3)
        n = 6 * ring
        for k in range(n):
            a = first + 2 * math.pi * k / n
            yield x + r * math.cos(a), y + r * math.sin(a)
