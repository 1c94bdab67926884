"""A PyBullet world built from a line's layout: floor, obstacles, work stands, chargers, totes.

Each ``World`` holds its own client id; nothing is global. Controllers (primitives) are
generators stepped once per control period; the world then steps physics ``substeps`` times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pybullet as pb

from twin.config import Layout, Location
from twin.physics.body import HANDLE as HANDLE  # the work geometry's home: body.py
from twin.physics.body import HANDLE_BELOW_RIM
from twin.physics.body import STAND_AHEAD as STAND_AHEAD
from twin.physics.body import STAND_HEIGHT as STAND_HEIGHT
from twin.physics.body import TOTE_SIZE as TOTE_SIZE
from twin.physics.humanoid import Humanoid
from twin.physics.settings import PhysicsSettings
from twin.robot import ROBOTS_DIR, RobotSpec

SURFACE_KINDS = ("rack", "station", "conveyor", "buffer")

SPOT_PITCH = 1.0  # m between the work poses of a location with several spots, side by side
Primitive = Generator[None, None, Any]


def work_poses(loc: Location) -> list[tuple[float, float, float]]:
    """Where robots stand to work at a location: (x, y, heading rad) of each of its spots,
    side by side across its heading, ``SPOT_PITCH`` apart, centred on the location."""
    heading = math.radians(loc.heading)
    side = (-math.sin(heading), math.cos(heading))
    n = loc.spots
    return [(loc.x + side[0] * SPOT_PITCH * (k - (n - 1) / 2),
             loc.y + side[1] * SPOT_PITCH * (k - (n - 1) / 2), heading) for k in range(n)]


@dataclass
class Stand:
    """A work surface in front of a named location where totes are picked and placed."""

    name: str
    x: float
    y: float
    heading: float  # rad, the direction a robot faces to work at it
    body: int


@dataclass
class Tote:
    """A dynamic tote with a handle bar on each side (+y left, -y right in its frame)."""

    body: int
    mass: float

    def handles(self, client: int) -> dict[str, tuple[float, ...]]:
        """World positions of the left and right handle grip points."""
        pos, orn = pb.getBasePositionAndOrientation(self.body, physicsClientId=client)
        out = {}
        for side, sy in (("left", 1.0), ("right", -1.0)):
            local = (0.0, sy * (TOTE_SIZE[1] / 2 + HANDLE), TOTE_SIZE[2] / 2 - HANDLE_BELOW_RIM)
            out[side] = pb.multiplyTransforms(pos, orn, local, (0, 0, 0, 1))[0]
        return out


class World:
    """One PyBullet client with a floor, static scenery, humanoids and totes."""

    def __init__(self, settings: PhysicsSettings | None = None, gui: bool = False) -> None:
        self.settings = settings or PhysicsSettings()
        self.client = pb.connect(pb.GUI if gui else pb.DIRECT)
        c = self.client
        pb.setGravity(0, 0, -9.81, physicsClientId=c)
        pb.setPhysicsEngineParameter(fixedTimeStep=self.settings.timestep,
                                     numSolverIterations=self.settings.solver_iterations,
                                     physicsClientId=c)
        plane = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=c)
        self.floor = pb.createMultiBody(0, plane, physicsClientId=c)
        pb.changeDynamics(self.floor, -1, lateralFriction=1.0, physicsClientId=c)
        self.time = 0.0
        self.humanoids: dict[str, Humanoid] = {}
        self.stands: dict[str, Stand] = {}
        self.docks: dict[str, Stand] = {}
        self.active: dict[str, Primitive] = {}
        self.results: dict[str, Any] = {}

    @classmethod
    def from_layout(cls, layout: Layout, settings: PhysicsSettings | None = None,
                    gui: bool = False, stand_ahead: float = STAND_AHEAD) -> World:
        """Floor, obstacles (work surfaces at stand height), stands ``stand_ahead`` ahead of
        their work poses (the robot's reach: ``body.Body.stand_ahead``) and charger docks."""
        world = cls(settings, gui)
        for ob in layout.obstacles:
            height = ob.height if ob.kind == "wall" else min(ob.height, STAND_HEIGHT)
            x0, y0, x1, y1 = ob.bounds
            if ob.points is None:
                world.add_box((x0 + x1) / 2, (y0 + y1) / 2, 0.0, (x1 - x0, y1 - y0, height))
            else:
                world.add_prism(ob.points, height)
        for name, loc in layout.locations.items():
            for k, (x, y, heading) in enumerate(work_poses(loc)):
                key = name if k == 0 else f"{name}#{k}"
                if loc.kind in SURFACE_KINDS:
                    world.add_stand(key, x, y, heading, stand_ahead)
                elif loc.kind in ("charger", "dock"):
                    world.add_dock(key, x, y, heading)
        return world

    # --- scenery -----------------------------------------------------------------------
    def add_box(self, cx: float, cy: float, yaw: float, size: tuple[float, float, float],
                mass: float = 0.0, z: float | None = None) -> int:
        """A box resting on the floor (or centred at ``z``); static when ``mass`` is 0."""
        c = self.client
        half = [s / 2 for s in size]
        shape = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half, physicsClientId=c)
        visual = pb.createVisualShape(pb.GEOM_BOX, halfExtents=half,
                                      rgbaColor=[0.5, 0.55, 0.6, 1], physicsClientId=c)
        zc = half[2] if z is None else z
        return pb.createMultiBody(mass, shape, visual, [cx, cy, zc],
                                  pb.getQuaternionFromEuler([0, 0, yaw]), physicsClientId=c)

    def add_prism(self, points: list[tuple[float, float]], height: float) -> list[int]:
        """A static polygon footprint extruded to ``height``: one convex body per triangle."""
        import shapely

        c = self.client
        bodies = []
        tris = shapely.get_parts(shapely.constrained_delaunay_triangles(shapely.Polygon(points)))
        for tri in tris:
            verts = [[x, y, z] for x, y in list(tri.exterior.coords)[:3] for z in (0.0, height)]
            shape = pb.createCollisionShape(pb.GEOM_MESH, vertices=verts, physicsClientId=c)
            bodies.append(pb.createMultiBody(0.0, shape, -1, [0, 0, 0], physicsClientId=c))
        return bodies

    def add_stand(self, name: str, x: float, y: float, heading: float,
                  ahead: float = STAND_AHEAD) -> Stand:
        """A work surface in front of the standing point (x, y) facing ``heading``, its tote's
        centre ``ahead`` m ahead."""
        cx = x + ahead * math.cos(heading)
        cy = y + ahead * math.sin(heading)
        body = self.add_box(cx, cy, heading, (0.26, 0.50, STAND_HEIGHT))
        stand = Stand(name, x, y, heading, body)
        self.stands[name] = stand
        return stand

    def add_dock(self, name: str, x: float, y: float, heading: float) -> Stand:
        """A charging post 0.45 m ahead of the dock pose (x, y, heading)."""
        cx, cy = x + 0.45 * math.cos(heading), y + 0.45 * math.sin(heading)
        body = self.add_box(cx, cy, heading, (0.12, 0.30, 1.2))
        dock = Stand(name, x, y, heading, body)
        self.docks[name] = dock
        return dock

    def add_tote(self, mass: float, x: float = 0.0, y: float = 0.0, yaw: float = 0.0,
                 z: float = STAND_HEIGHT) -> Tote:
        """A tote of ``mass`` kg with side handles, resting at height ``z``."""
        c = self.client
        d, w, h = TOTE_SIZE
        shapes = [pb.GEOM_BOX] * 3
        half = [[d / 2, w / 2, h / 2], [0.04, HANDLE / 2 + 0.005, 0.015],
                [0.04, HANDLE / 2 + 0.005, 0.015]]
        hy = w / 2 + HANDLE / 2
        pos = [[0, 0, 0], [0, hy, h / 2 - HANDLE_BELOW_RIM], [0, -hy, h / 2 - HANDLE_BELOW_RIM]]
        col = pb.createCollisionShapeArray(shapes, halfExtents=half, collisionFramePositions=pos,
                                           physicsClientId=c)
        vis = pb.createVisualShapeArray(shapes, halfExtents=half, visualFramePositions=pos,
                                        rgbaColors=[[0.1, 0.4, 0.8, 1]] * 3, physicsClientId=c)
        body = pb.createMultiBody(max(mass, 0.1), col, vis, [x, y, z + h / 2 + 0.002],
                                  pb.getQuaternionFromEuler([0, 0, yaw]), physicsClientId=c)
        pb.changeDynamics(body, -1, lateralFriction=0.8, physicsClientId=c)
        return Tote(body, mass)

    def add_humanoid(self, spec: RobotSpec, x: float, y: float, heading: float = 0.0,
                     name: str | None = None) -> Humanoid:
        """Load the robot's URDF standing at (x, y) facing ``heading`` (rad)."""
        urdf = Path(ROBOTS_DIR) / (spec.urdf or "humanoid.urdf")
        name = name or f"{spec.name}-{len(self.humanoids)}"
        robot = Humanoid(self.client, spec, urdf, x, y, heading, name,
                         self.settings.control_period)
        self.humanoids[name] = robot
        return robot

    # --- stepping ----------------------------------------------------------------------
    def start(self, robot: Humanoid, primitive: Primitive) -> None:
        """Make ``primitive`` the controller of ``robot`` from the next control period."""
        self.results.pop(robot.name, None)
        self.active[robot.name] = primitive

    def tick(self) -> None:
        """One control period: advance every active primitive, control, then step physics."""
        s = self.settings
        for name, primitive in list(self.active.items()):
            try:
                next(primitive)
            except StopIteration as stop:
                self.results[name] = stop.value
                del self.active[name]
        robots = [self.humanoids[n] for n in self.active]
        for robot in robots:
            robot.control(s.control_period)
        self.step(robots)
        self.time += s.control_period

    def step(self, robots: Iterable[Humanoid], before: Callable[[], None] | None = None
             ) -> None:
        """The physics steps of one control period, each robot's drives moving their targets
        an equal share before each step (``Humanoid.servo``); ``before`` runs before each step
        (a disturbance test's push)."""
        n = self.settings.substeps
        for k in range(1, n + 1):
            for robot in robots:
                robot.servo(k / n)
            if before is not None:
                before()
            pb.stepSimulation(physicsClientId=self.client)

    def run(self, robot: Humanoid, primitive: Primitive, limit: float = 600.0) -> Any:
        """Run one primitive to completion (others keep running); return its result."""
        self.start(robot, primitive)
        end = self.time + limit
        while robot.name in self.active and self.time < end:
            self.tick()
        if robot.name in self.active:
            del self.active[robot.name]
            raise TimeoutError(f"{robot.name}: primitive did not finish in {limit:g} s")
        return self.results.pop(robot.name)

    def close(self) -> None:
        """Disconnect the client."""
        if self.client >= 0:
            pb.disconnect(physicsClientId=self.client)
            self.client = -1
