"""``Physics``: the MotionModel that co-simulates a whole line's humanoids in one PyBullet world.

Each ``execute`` starts a primitive for one robot and yields SimPy timeouts of the lock-step
interval; on waking, the world is stepped up to ``env.now`` (every active robot's controller
runs each control period). Robots without a task are not controlled: they stand on their feet.

Each humanoid balances on its own joints (``humanoid.Humanoid``): no external force acts on it.

Limitation: robots in one world pass through each other (and through each other's totes). The
line model's work spots and aisle traffic (``twin.line.spots``, ``twin.line.traffic``) keep them
apart in the surrogate, but they run on the surrogate's walk plans, so a physics run with more
than one robot and traffic on is refused (``twin.line.factory``) and contacts between robots are
filtered out here. Robots do not collide with the work stands and charging posts either
(fixtures standing in for machine surfaces, which may sit on a walkway); they do collide with
the layout's obstacles and the floor. After a fall the robot is stood up again where it lay: the
line charges the down time. A robot holding a tote turns clear of the surface it picked from
(the tote rides above it) instead of stepping back first: walking backwards with a load in
front is where this controller falls.

A tote over the robot's ``max_payload`` fails physically: the arm drives are sized for the
rated payload (``humanoid.DRIVE_HEADROOM``), a heavier tote drags the hands below the carry pose
and the pick returns ``ok=False`` ("cannot lift"), which the line logs as ``task_failed``.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pyarrow as pa
import pybullet as pb

from twin.config import Layout
from twin.events import POSE_SCHEMA
from twin.motion import MotionTask, Outcome, Worker
from twin.physics import primitives as prim
from twin.physics.carry import Carry
from twin.physics.humanoid import Humanoid
from twin.physics.settings import PhysicsSettings
from twin.physics.world import STAND_AHEAD, STAND_HEIGHT, Tote, World
from twin.robot import RobotSpec

ROBOT_GROUP = 0x10  # Bullet's own groups: 1 dynamic, 2 static
NOT_ROBOTS = ~ROBOT_GROUP & 0xFFFF
BACK_OFF = 0.3  # m a robot steps back from a fixture before walking off
APPROACH_TOLERANCE = (0.03, math.radians(3.0))  # before picking or placing


class Physics:
    """All robots of a line in one PyBullet world built from its layout."""

    def __init__(self, layout: Layout, spec: RobotSpec, *, tote_mass: float = 2.0,
                 settings: PhysicsSettings | None = None, gui: bool = False) -> None:
        self.layout = layout
        self.spec = spec
        self.tote_mass = tote_mass
        self.settings = settings or PhysicsSettings()
        self.world = World.from_layout(layout, self.settings, gui)
        self._fixtures = [f.body for f in (*self.world.stands.values(),
                                           *self.world.docks.values())]
        self.bodies: dict[str, Humanoid] = {}
        self.carries: dict[str, Carry] = {}
        self.totes: dict[str, Tote] = {}
        self._next_pose = 0.0
        self._at_fixture: set[str] = set()  # robots facing a stand or post: step back first
        self._rows: dict[str, list[Any]] = {k: [] for k in POSE_SCHEMA.names}

    def _ghost_tote(self, tote: Tote, owner: str) -> None:
        """Keep a tote clear of other robots and their totes: several robots may work one rack
        face at once (the line model queues no one there)."""
        c = self.world.client
        for rid, other in self.bodies.items():
            if rid != owner:
                self._walk_through(other, tote.body)
        for rid, other_tote in self.totes.items():
            if rid != owner:
                pb.setCollisionFilterPair(tote.body, other_tote.body, -1, -1, 0,
                                          physicsClientId=c)

    def _walk_through(self, robot: Humanoid, fixture: int) -> None:
        """Let ``robot`` walk through a fixture: the layout's obstacles already keep paths
        clear of the machines the fixtures stand in for."""
        c = self.world.client
        for link in range(-1, len(robot.order)):
            pb.setCollisionFilterPair(robot.body, fixture, link, -1, 0, physicsClientId=c)

    # --- robots ------------------------------------------------------------------------
    def _where(self, name: str, task: MotionTask) -> tuple[float, float, float]:
        loc = self.layout.locations.get(name)
        if loc is not None:
            return loc.x, loc.y, math.radians(loc.heading)
        if task.path is not None and len(task.path):
            return float(task.path[0][0]), float(task.path[0][1]), 0.0
        return 0.0, 0.0, 0.0

    def body(self, robot: Worker, task: MotionTask) -> Humanoid:
        """The robot's humanoid, loaded at the task's origin the first time it is asked for."""
        if robot.id not in self.bodies:
            x, y, heading = self._where(task.origin, task)
            h = self.world.add_humanoid(robot.spec, x, y, heading, name=robot.id)
            c = self.world.client
            for link in range(-1, pb.getNumJoints(h.body, physicsClientId=c)):
                pb.setCollisionFilterGroupMask(h.body, link, ROBOT_GROUP, NOT_ROBOTS,
                                               physicsClientId=c)
            for fixture in (*self._fixtures, *(t.body for t in self.totes.values())):
                self._walk_through(h, fixture)
            self.bodies[robot.id] = h
        return self.bodies[robot.id]

    # --- lock-step ---------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Step the world up to SimPy time ``now``; an idle world just jumps there."""
        world = self.world
        if not world.active:
            world.time = max(world.time, now)
            return
        while world.time < now - 1e-9 and world.active:
            world.tick()
            if world.time >= self._next_pose:
                self._record()
                self._next_pose = world.time + 1.0 / self.settings.pose_rate
        if not world.active:
            world.time = max(world.time, now)

    def execute(self, env: Any, robot: Worker, task: MotionTask) -> Generator[Any, Any, Outcome]:
        """Carry out ``task`` in the physics world, in lock-step with SimPy time."""
        h = self.body(robot, task)
        self.advance(env.now)
        t0, e0 = env.now, h.meter.energy_j
        self.world.start(h, self._controller(h, robot, task))
        while h.name in self.world.active:
            yield env.timeout(self.settings.lockstep_interval)
            self.advance(env.now)
        result: prim.Result = self.world.results.pop(h.name)
        if result.fell:
            carry = self.carries.pop(robot.id, None)
            if carry is not None:
                carry.release()
            x, y, yaw = h.pose()
            h.stand_up(x, y, yaw)
        return Outcome(duration=env.now - t0, energy_j=h.meter.energy_j - e0, ok=result.ok,
                       fell=result.fell, retries=result.retries, note=result.note)

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
            return (yield from prim.walk(world, h, path, speed, face=face,
                                         carry=self.carries.get(robot.id)))
        self._at_fixture.add(robot.id)
        x, y, heading = self._where(task.target, task)
        if task.kind == "dock":
            if task.heading_deg:
                heading = math.radians(task.heading_deg)
            return (yield from prim.dock(world, h, x, y, heading))
        approach = yield from prim.align(world, h, x, y, heading, *APPROACH_TOLERANCE)
        if approach.fell:
            return approach
        if task.kind == "pick":
            result, carry = yield from self._pick(h, robot, task, x, y, heading)
        else:
            result = yield from self._place(h, robot)
        result.duration += approach.duration
        return result

    def _pick(self, h: Humanoid, robot: Worker, task: MotionTask, x: float, y: float,
              heading: float) -> Generator[None, None, tuple[prim.Result, Carry | None]]:
        old = self.carries.pop(robot.id, None)
        if old is not None:
            old.release()
        tote = self.totes.pop(robot.id, None)
        if tote is not None:
            pb.removeBody(tote.body, physicsClientId=self.world.client)
        if task.target not in self.world.stands:
            stand = self.world.add_stand(task.target, x, y, heading).body
            self._fixtures.append(stand)
            for other in self.bodies.values():
                self._walk_through(other, stand)
        mass = task.payload_kg if task.payload_kg > 0 else self.tote_mass
        tote = self.world.add_tote(mass, x + STAND_AHEAD * math.cos(heading),
                                   y + STAND_AHEAD * math.sin(heading), heading, STAND_HEIGHT)
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
