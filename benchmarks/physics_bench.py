"""Walking from joint torques alone (``twin.physics.humanoid``): falls and achieved speed over
seeds at commanded speeds, empty and with a tote of the rated payload held in both hands, and
the cost of a control period (processor time) against bare PyBullet stepping the same body with
the same motors, in one run.

    .venv/bin/python benchmarks/physics_bench.py [--seeds 20] [--speeds 0.5,0.9,1.2]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pybullet as pb

from twin.calibrate import load_robot
from twin.physics.humanoid import Humanoid
from twin.physics.trials import URDF, walk_trial
from twin.physics.world import World
from twin.robot import ROBOTS_DIR, RobotSpec


def step_cost(spec: RobotSpec, count: int, seconds: float) -> tuple[float, float]:
    """Processor seconds per control period: balanced walking vs bare stepping of the same
    bodies held by the same position motors at their standing targets. Processor time, not
    wall time: on a shared machine the wall clock also counts the time other jobs hold the
    core (PyBullet's direct mode runs on this process's one thread)."""
    out = []
    for controlled in (True, False):
        world = World()
        try:
            robots = [Humanoid(world.client, spec, URDF, 0.0, 2.0 * i, 0.0, f"r{i}",
                                       world.settings.control_period) for i in range(count)]
            ticks = round(seconds / world.settings.control_period)
            start = time.process_time()
            for _ in range(ticks):
                for robot in robots:
                    if controlled:
                        robot.gait.command(0.5, 0.0, 0.0)
                        robot.control(world.settings.control_period)
                    else:
                        pb.setJointMotorControlArray(
                            robot.body, robot.order, pb.POSITION_CONTROL,
                            targetPositions=robot.targets.tolist(),
                            forces=robot.limits.tolist(), positionGains=robot.gains.tolist(),
                            physicsClientId=world.client)
                for _ in range(world.settings.substeps):
                    pb.stepSimulation(physicsClientId=world.client)
            out.append((time.process_time() - start) / ticks)
        finally:
            world.close()
    return out[0], out[1]


def main(argv: list[str] | None = None) -> None:
    """Print falls and speeds per commanded speed, then step cost for 1, 4 and 16 bodies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default=str(Path(ROBOTS_DIR) / "walker_s2.yaml"))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--speeds", default="0.5,0.9,1.2")
    parser.add_argument("--counts", default="1,4,16")
    args = parser.parse_args(argv)
    spec = load_robot(args.robot)
    print(f"{'command':>8} {'payload':>8} {'runs':>5} {'falls':>6} {'speed mean':>11} "
          f"{'min':>6} {'max':>6}")
    for payload in (0.0, spec.max_payload):
        for speed in (float(s) for s in args.speeds.split(",")):
            results = [walk_trial(spec, speed, seed, payload) for seed in range(args.seeds)]
            speeds = np.array([v for fell, v in results if not fell and math.isfinite(v)])
            falls = sum(fell for fell, _ in results)
            lo, hi, mean = ((speeds.min(), speeds.max(), speeds.mean()) if len(speeds)
                            else (math.nan,) * 3)
            print(f"{speed:>8.2f} {payload:>8.1f} {len(results):>5d} {falls:>6d} {mean:>11.3f} "
                  f"{lo:>6.3f} {hi:>6.3f}", flush=True)
    print(f"\n{'humanoids':>9} {'balanced ms':>12} {'bare ms':>8} {'ratio':>6}")
    for count in (int(c) for c in args.counts.split(",")):
        ours, bare = step_cost(spec, count, 2.0 / math.sqrt(count))
        print(f"{count:>9d} {1e3 * ours:>12.2f} {1e3 * bare:>8.2f} {ours / bare:>5.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
