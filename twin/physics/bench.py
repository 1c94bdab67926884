"""Benchmark: simulated humanoid-seconds per wall-second for 1, 4 and 16 humanoids walking with
twin's primitives, against bare PyBullet stepping of the same URDF under stable PD control
(position motors sent a setpoint every physics step, as twin's drives are: no gait, no
balance, no metering), in one run.

    python -m twin.physics.bench [--seconds 4]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pybullet as pb

from twin.calibrate import load_robot
from twin.physics import primitives as prim
from twin.physics.world import World
from twin.robot import ROBOTS_DIR, RobotSpec

SPACING = 2.0  # m between robots' lanes


def twin_rate(spec: RobotSpec, count: int, seconds: float) -> float:
    """Humanoid-seconds per wall-second for ``count`` robots walking with twin's primitives."""
    world = World()
    try:
        robots = [world.add_humanoid(spec, 0.0, SPACING * i, 0.0) for i in range(count)]
        for i, robot in enumerate(robots):
            y = SPACING * i
            world.start(robot, prim.walk(world, robot, [[0.0, y], [100.0, y]], spec.speed_empty))
        ticks = round(seconds / world.settings.control_period)
        start = time.perf_counter()
        for _ in range(ticks):
            world.tick()
        wall = time.perf_counter() - start
        return count * ticks * world.settings.control_period / wall
    finally:
        world.close()


def bare_rate(spec: RobotSpec, count: int, seconds: float) -> float:
    """The same URDF stepped by PyBullet alone, held by position (stable PD) motors at its
    standing targets, a setpoint every physics step."""
    reference = World()
    settings = reference.settings
    standing = reference.add_humanoid(spec, 0.0, 0.0, 0.0)
    pose = standing.targets.tolist()
    limits = standing.limits.tolist()
    gains = standing.gains.tolist()
    reference.close()
    client = pb.connect(pb.DIRECT)
    try:
        pb.setGravity(0, 0, -9.81, physicsClientId=client)
        pb.setPhysicsEngineParameter(fixedTimeStep=settings.timestep,
                                     numSolverIterations=settings.solver_iterations,
                                     physicsClientId=client)
        plane = pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=client)
        pb.createMultiBody(0, plane, physicsClientId=client)
        urdf = str(Path(ROBOTS_DIR) / (spec.urdf or "humanoid.urdf"))
        bodies = []
        for i in range(count):
            body = pb.loadURDF(urdf, [0.0, SPACING * i, 0.87], physicsClientId=client)
            for j, q in enumerate(pose):
                pb.resetJointState(body, j, q, physicsClientId=client)
            bodies.append(body)
        joints = list(range(len(pose)))
        ticks = round(seconds / settings.control_period)
        start = time.perf_counter()
        for _ in range(ticks * settings.substeps):
            for body in bodies:  # a setpoint every physics step, as twin's drives get
                pb.setJointMotorControlArray(body, joints, pb.POSITION_CONTROL,
                                             targetPositions=pose, forces=limits,
                                             positionGains=gains, physicsClientId=client)
            pb.stepSimulation(physicsClientId=client)
        wall = time.perf_counter() - start
        return count * ticks * settings.control_period / wall
    finally:
        pb.disconnect(client)


def line_walls(line_path: str | Path, minutes: float, warmup_hours: float = 6.0
               ) -> dict[str, tuple[float, int]]:
    """Wall seconds and completed trips of ``minutes`` of a line, physics and surrogate."""
    from twin.loader import load_line
    from twin.motion import Surrogate
    from twin.physics.motion import Physics
    from twin.sim import simulate

    line = load_line(line_path)
    assert line.fleet is not None and isinstance(line.fleet.robot, RobotSpec)
    robot = line.fleet.robot
    out = {}
    for name in ("surrogate", "physics"):
        model = (Physics(line.layout, robot, tote_mass=line.transport.default.tote_mass)
                 if name == "physics" else Surrogate(robot))
        try:
            start = time.perf_counter()
            result = simulate(line, hours=minutes / 60.0, warmup_hours=warmup_hours, seed=0,
                              motion=model, series_bin_s=0)
            wall = time.perf_counter() - start
        finally:
            if isinstance(model, Physics):
                model.close()
        out[name] = (wall, sum(r.tasks for r in result.kpis.robots.values()))
    return out


def main(argv: list[str] | None = None) -> None:
    """Print humanoid-seconds per wall-second, twin vs bare, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default=str(Path(ROBOTS_DIR) / "walker_s2.yaml"))
    parser.add_argument("--seconds", type=float, default=4.0, help="simulated s per case")
    parser.add_argument("--counts", default="1,4,16")
    parser.add_argument("--line", default=str(Path(ROBOTS_DIR).parent.parent / "lines"
                                               / "tote_line.yaml"))
    parser.add_argument("--line-minutes", type=float, default=10.0,
                        help="simulated minutes of --line (0: skip)")
    args = parser.parse_args(argv)
    spec = load_robot(args.robot)
    print(f"{'humanoids':>9} {'twin h-s/s':>11} {'bare h-s/s':>11} {'overhead':>9}")
    for count in (int(c) for c in args.counts.split(",")):
        seconds = args.seconds / math.sqrt(count)
        twin = twin_rate(spec, count, seconds)
        bare = bare_rate(spec, count, seconds)
        print(f"{count:>9d} {twin:>11.2f} {bare:>11.2f} {bare / twin:>8.2f}x")
    if args.line_minutes > 0:
        walls = line_walls(args.line, args.line_minutes)
        print(f"\n{Path(args.line).name}: {args.line_minutes:g} simulated min "
              "(after a 6 h warm-up)")
        print(f"{'motion':>9} {'wall s':>9} {'trips':>6}")
        for name, (wall, trips) in walls.items():
            print(f"{name:>9} {wall:>9.2f} {trips:>6d}")
        ratio = walls["physics"][0] / max(walls["surrogate"][0], 1e-9)
        print(f"physics / surrogate wall time: {ratio:,.0f}x")


if __name__ == "__main__":
    main()
