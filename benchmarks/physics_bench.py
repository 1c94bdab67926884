"""Walking from joint torques alone (``twin.physics.humanoid``): falls and achieved speed over
seeds at commanded speeds, empty and with a tote of the rated payload held in both hands, and
the cost of a control period (processor time) against bare PyBullet stepping the same body with
the same motors, in one run.

    .venv/bin/python benchmarks/physics_bench.py [--seeds 20] [--speeds 0.5,0.9,1.2]
    .venv/bin/python benchmarks/physics_bench.py --step-cost-only [--counts 1,4,16] [--repeats 3]
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


def step_cost(spec: RobotSpec, count: int, seconds: float,
              block: float = 0.1) -> tuple[float, float]:
    """Processor seconds per control period: balanced walking vs bare stepping of the same
    bodies held by the same position motors at their standing targets. Processor time, not
    wall time: on a shared machine the wall clock also counts the time other jobs hold the
    core (PyBullet's direct mode runs on this process's one thread). The two worlds take
    turns in blocks of ``block`` simulated seconds, so a change in the machine's load while
    they run (other jobs share the caches and the cores' clocks) falls on both alike."""
    worlds = (World(), World())  # balanced, bare
    try:
        period, substeps = worlds[0].settings.control_period, worlds[0].settings.substeps
        robots = [[Humanoid(world.client, spec, URDF, 0.0, 2.0 * i, 0.0, f"r{i}", period)
                   for i in range(count)] for world in worlds]
        ticks = round(seconds / period)
        per_block = max(1, round(block / period))
        spent = [0.0, 0.0]
        done = 0
        while done < ticks:
            n = min(per_block, ticks - done)
            for controlled, world, bodies in zip((True, False), worlds, robots, strict=True):
                client = world.client
                start = time.process_time()
                for _ in range(n):
                    if controlled:  # the drives follow the targets a share a step (servo)
                        for robot in bodies:
                            robot.gait.command(0.5, 0.0, 0.0)
                            robot.control(period)
                        world.step(bodies)
                        continue
                    for robot in bodies:
                        pb.setJointMotorControlArray(
                            robot.body, robot.order, pb.POSITION_CONTROL,
                            targetPositions=robot.targets.tolist(),
                            forces=robot.limits.tolist(),
                            positionGains=robot.gains.tolist(), physicsClientId=client)
                    for _ in range(substeps):
                        pb.stepSimulation(physicsClientId=client)
                spent[0 if controlled else 1] += time.process_time() - start
            done += n
        return spent[0] / ticks, spent[1] / ticks
    finally:
        for world in worlds:
            world.close()


def main(argv: list[str] | None = None) -> None:
    """Print falls and speeds per commanded speed, then step cost for 1, 4 and 16 bodies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default=str(Path(ROBOTS_DIR) / "walker_s2.yaml"))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--speeds", default="0.5,0.9,1.2")
    parser.add_argument("--counts", default="1,4,16")
    parser.add_argument("--repeats", type=int, default=3, help="step-cost runs per count")
    parser.add_argument("--step-cost-only", action="store_true",
                        help="skip the walks: only the cost of a step")
    args = parser.parse_args(argv)
    spec = load_robot(args.robot)
    if not args.step_cost_only:
        walks(spec, args.seeds, args.speeds)
    print(f"\n{'humanoids':>9} {'balanced ms':>12} {'bare ms':>8} {'ratio':>6}  "
          f"(median of {args.repeats}; each run's ratio)")
    for count in (int(c) for c in args.counts.split(",")):
        runs = [step_cost(spec, count, 2.0 / math.sqrt(count)) for _ in range(args.repeats)]
        ours, bare = (float(np.median(v)) for v in zip(*runs, strict=True))
        ratio = float(np.median([o / b for o, b in runs]))
        each = " ".join(f"{o / b:.2f}" for o, b in runs)
        print(f"{count:>9d} {1e3 * ours:>12.2f} {1e3 * bare:>8.2f} {ratio:>5.2f}x  ({each})",
              flush=True)


def walks(spec: RobotSpec, seeds: int, speeds: str) -> None:
    """Falls and achieved speeds over ``seeds`` per commanded speed, empty and loaded."""
    print(f"{'command':>8} {'payload':>8} {'runs':>5} {'falls':>6} {'speed mean':>11} "
          f"{'min':>6} {'max':>6}")
    for payload in (0.0, spec.max_payload):
        for speed in (float(s) for s in speeds.split(",")):
            results = [walk_trial(spec, speed, seed, payload) for seed in range(seeds)]
            achieved = np.array([v for fell, v in results if not fell and math.isfinite(v)])
            falls = sum(fell for fell, _ in results)
            lo, hi, mean = ((achieved.min(), achieved.max(), achieved.mean()) if len(achieved)
                            else (math.nan,) * 3)
            print(f"{speed:>8.2f} {payload:>8.1f} {len(results):>5d} {falls:>6d} {mean:>11.3f} "
                  f"{lo:>6.3f} {hi:>6.3f}", flush=True)


if __name__ == "__main__":
    main()
