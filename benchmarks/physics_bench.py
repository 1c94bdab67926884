"""Walking from joint torques alone (``twin.physics.humanoid``): falls and achieved speed over
seeds at commanded speeds, empty and with a tote of the rated payload held in both hands, and
the cost of a control period (processor time, and with ``--instructions`` the instructions
valgrind counts) against bare PyBullet stepping the same bodies with the same motors, in one run
(docs/step_cost.md).

    .venv/bin/python benchmarks/physics_bench.py [--seeds 20] [--speeds 0.5,0.9,1.2]
    .venv/bin/python benchmarks/physics_bench.py --step-cost-only [--counts 1,4,16] [--repeats 3]
        [--instructions 60]
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pybullet as pb

from twin.calibrate import load_robot
from twin.physics.humanoid import Humanoid
from twin.physics.trials import URDF, walk_trial
from twin.physics.world import World
from twin.robot import ROBOTS_DIR, RobotSpec

WARM = 3  # control periods of each world before the counted ones (``step_instructions``)


class StepCost:
    """Two worlds with the same ``count`` humanoids (walker_s2 or ``spec``, 2 m apart): in the
    balanced one each walks at 0.5 m/s under its own controller; the bare one steps the same
    bodies with the same motors and nothing else. Both send every body's position motors a
    setpoint before each physics step, in the same control mode with the same torque limits
    and gains (``World.step``, ``Humanoid.servo``); the bare world's setpoints are the
    standing targets, kept as the lists PyBullet takes."""

    def __init__(self, spec: RobotSpec, count: int) -> None:
        self.worlds = (World(), World())  # balanced, bare
        settings = self.worlds[0].settings
        self.period, self.substeps = settings.control_period, settings.substeps
        self.robots = [[Humanoid(world.client, spec, URDF, 0.0, 2.0 * i, 0.0, f"r{i}",
                                 self.period) for i in range(count)] for world in self.worlds]
        self.motors = [(robot.body, robot.order, robot.targets.tolist(), robot.limits.tolist(),
                        robot.gains.tolist()) for robot in self.robots[1]]

    def balanced(self, periods: int) -> None:
        """``periods`` control periods of the balanced world."""
        world, bodies, period = self.worlds[0], self.robots[0], self.period
        for _ in range(periods):
            for robot in bodies:
                robot.gait.command(0.5, 0.0, 0.0)
                robot.control(period)
            world.step(bodies)

    def bare(self, periods: int) -> None:
        """``periods`` control periods of the bare world."""
        client, motors = self.worlds[1].client, self.motors
        for _ in range(periods * self.substeps):
            for body, joints, targets, forces, gains in motors:
                pb.setJointMotorControlArray(body, joints, pb.POSITION_CONTROL,
                                             targetPositions=targets, forces=forces,
                                             positionGains=gains, physicsClientId=client)
            pb.stepSimulation(physicsClientId=client)

    def close(self) -> None:
        for world in self.worlds:
            world.close()


def step_cost(spec: RobotSpec, count: int, seconds: float,
              block: float = 0.1) -> tuple[float, float]:
    """Processor seconds per control period, balanced against bare (``StepCost``).
    Processor time, not wall time: on a shared machine the wall clock also counts the time
    other jobs hold the core (PyBullet's direct mode runs on this process's one thread). The
    two worlds take turns in blocks of ``block`` simulated seconds, so a change in the
    machine's load while they run (other jobs share the caches and the cores' clocks) falls on
    both alike."""
    case = StepCost(spec, count)
    try:
        ticks = round(seconds / case.period)
        per_block = max(1, round(block / case.period))
        spent = [0.0, 0.0]
        done = 0
        while done < ticks:
            n = min(per_block, ticks - done)
            for k, run in enumerate((case.balanced, case.bare)):
                start = time.process_time()
                run(n)
                spent[k] += time.process_time() - start
            done += n
        return spent[0] / ticks, spent[1] / ticks
    finally:
        case.close()


def step_instructions(robot: str, count: int, periods: int) -> tuple[float, float]:
    """Instructions per control period, balanced against bare (``StepCost``), counted by
    valgrind: a figure the machine's load cannot move. Three runs, each a fresh interpreter
    that builds both worlds: one runs ``periods`` of the balanced world, one of the bare
    world, one none (set-up, imports and ``WARM`` periods of each world, which all three run,
    subtracted from the other two)."""
    refs = {}
    env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for which in ("none", "balanced", "bare"):
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=/dev/null", sys.executable, __file__, "--robot", robot,
               "--one-world", which, str(count), str(0 if which == "none" else periods)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"{which} world, {count} humanoids:\n{done.stderr[-2000:]}")
        refs[which] = int(found.group(1).replace(",", ""))
    return ((refs["balanced"] - refs["none"]) / periods,
            (refs["bare"] - refs["none"]) / periods)


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
    parser.add_argument("--instructions", type=int, default=0, metavar="PERIODS",
                        help="also count instructions over PERIODS control periods under "
                        "valgrind (about 50 times slower)")
    parser.add_argument("--one-world", nargs=3, help=argparse.SUPPRESS)  # worker: which n periods
    args = parser.parse_args(argv)
    spec = load_robot(args.robot)
    if args.one_world:
        which, count, periods = args.one_world
        case = StepCost(spec, int(count))
        case.balanced(WARM)  # first calls' one-off costs, in every run alike
        case.bare(WARM)
        if which != "none":
            getattr(case, which)(int(periods))
        case.close()
        return
    if not args.step_cost_only:
        walks(spec, args.seeds, args.speeds)
    counts = [int(c) for c in args.counts.split(",")]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from memory_latency import summary

    print(f"\n{summary()}")  # one humanoid balanced cost 0.92x the bare world's instructions
    # but 1.3-1.4x its processor time on the machine of 2 December (docs/step_cost.md)
    print(f"{'humanoids':>9} {'balanced ms':>12} {'bare ms':>8} {'ratio':>6}  "
          f"(processor time a control period, median of {args.repeats}; each run's ratio)")
    for count in counts:
        runs = [step_cost(spec, count, 2.0 / math.sqrt(count)) for _ in range(args.repeats)]
        ours, bare = (float(np.median(v)) for v in zip(*runs, strict=True))
        ratio = float(np.median([o / b for o, b in runs]))
        each = " ".join(f"{o / b:.2f}" for o, b in runs)
        print(f"{count:>9d} {1e3 * ours:>12.2f} {1e3 * bare:>8.2f} {ratio:>5.2f}x  ({each})",
              flush=True)
    if args.instructions > 0:
        print(f"\n{'humanoids':>9} {'balanced M':>11} {'bare M':>8} {'ratio':>6}  "
              f"(instructions a control period over {args.instructions}, valgrind)")
        for count in counts:
            ours, bare = step_instructions(args.robot, count, args.instructions)
            print(f"{count:>9d} {ours / 1e6:>11.3f} {bare / 1e6:>8.3f} {ours / bare:>5.2f}x",
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
