"""A short physics trial whose every float is printed: run it in two trees to show a change
leaves a robot's physics bit-for-bit the same (issue 11: walker_s2's body must not move by one
bit when the body follows the robot file's ``height``).

Run: ``.venv/bin/python benchmarks/body_identity.py [ROBOT_YAML]`` (default walker_s2).
The robot picks a 15 kg tote (its rated payload if less) from a stand, turns, walks 2 m with
it, places it on a second stand, steps back and docks beside it. Printed: each step's result,
time and energy, the final pelvis pose and joint angles as exact ``float.hex`` values, and one
SHA-256 over the pelvis pose and every joint's angle and speed at every control period. Two
trees agree bit-for-bit when the digests are equal. About 15 s of CPU.

To compare with the last commit (``git archive HEAD | tar -x -C DIR`` makes its tree; set
PYTHONPATH, or the venv's editable install imports this tree's ``twin`` in both runs)::

    (cd DIR && PYTHONPATH=. /work/main/.venv/bin/python benchmarks/body_identity.py) > before.txt
    PYTHONPATH=. .venv/bin/python benchmarks/body_identity.py > after.txt
    diff before.txt after.txt
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import numpy as np
import pybullet as pb

from twin.calibrate import load_robot
from twin.physics import primitives as prim
from twin.physics.body import Body
from twin.physics.world import World
from twin.robot import ROBOTS_DIR


def trial(robot_yaml: Path) -> list[str]:
    """The trial's lines of output."""
    spec = load_robot(robot_yaml)
    world = World()
    digest = hashlib.sha256()
    lines: list[str] = []
    try:
        ahead = Body.of(spec.height).stand_ahead
        world.add_stand("rack", 0.0, 0.0, math.pi, ahead)
        world.add_stand("station", 2.0, 0.0, 0.0, ahead)
        robot = world.add_humanoid(spec, 0.0, 0.0, math.pi)
        tick = world.tick

        def watched() -> None:  # every control period feeds the digest
            tick()
            pos, orn = pb.getBasePositionAndOrientation(robot.body, physicsClientId=world.client)
            states = pb.getJointStates(robot.body, robot.order, physicsClientId=world.client)
            digest.update(np.array([*pos, *orn, *(v for s in states for v in s[:2])]).tobytes())

        world.tick = watched  # type: ignore[method-assign]
        tote = world.add_tote(min(15.0, spec.max_payload), -ahead, 0.0, math.pi)
        result, carry = world.run(robot, prim.pick(world, robot, tote))
        lines.append(_row("pick", result, world.time, robot.meter.energy_j))
        if carry is None:
            return [*lines, f"pick failed: {result.note}"]
        for name, primitive in (
                ("walk", prim.walk(world, robot, [[2.0, 0.0]], 0.9, face=0.0,
                                   carry=carry)),
                ("place", prim.place(world, robot, carry)),
                ("back_off", prim.back_off(world, robot, 0.3)),
                ("dock", prim.dock(world, robot, 1.6, 0.1, 0.0))):
            out = world.run(robot, primitive)
            lines.append(_row(name, out, world.time, robot.meter.energy_j))
        x, y, yaw = robot.pose()
        lines.append("pose " + " ".join(v.hex() for v in (x, y, yaw)))
        angles = [s[0] for s in pb.getJointStates(robot.body, robot.order,
                                                   physicsClientId=world.client)]
        lines.append("joints " + " ".join(float(a).hex() for a in angles))
        lines.append(f"falls {robot.falls}")
        lines.append(f"digest {digest.hexdigest()}")
        return lines
    finally:
        world.close()


def _row(name: str, result: prim.Result, time: float, energy: float) -> str:
    return (f"{name:9s} ok={result.ok} fell={result.fell} duration={result.duration!r} "
            f"t={time!r} energy={energy!r} metrics={sorted(result.metrics.items())!r}")


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROBOTS_DIR / "walker_s2.yaml"
    print("\n".join(trial(path)))


if __name__ == "__main__":
    main()
