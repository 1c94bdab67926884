"""Physics against the calibrated surrogate on a layout with obstacles and bends (issue 11):
one robot works a rack -> press -> charger round in the physics motion model
(``twin.physics.motion.Physics``, the line's), and each of its walks is priced by the
surrogate (``twin.motion.Surrogate``, nominal: no random spread) from the same task: the
walkways' path around the obstacles, its bends, the turns at its ends, the payload. Judged:
walking time within 3% and energy within 5%, over all walks and per walk.

    .venv/bin/python benchmarks/bends_agreement.py [--rounds 3] [--payload 15]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from twin.calibrate import load_robot
from twin.config import Layout
from twin.floor import build_walkways
from twin.motion import MotionTask, Outcome, Surrogate, load_calibration, path_bends
from twin.physics.motion import Physics
from twin.robot import ROBOTS_DIR, RobotSpec

TIME_BOUND, ENERGY_BOUND = 0.03, 0.05

# two machines between the rack and the press and a wall stub by the charger: every walk of
# the round bends round one of them
LAYOUT = {
    "floor": {"width": 16, "depth": 11},
    "traffic": {"enabled": False},  # one robot: no traffic rules to keep
    # a path 0.35 m (the default) from the wall stub's corner brings a swinging arm onto it:
    # the robot falls there (measured: charger -> rack, 14.5 s in); 0.5 m passes clear
    "clearance": 0.5,
    "obstacles": [
        {"x0": 5.0, "y0": 0.0, "x1": 6.5, "y1": 5.5, "kind": "machine", "height": 1.5},
        {"x0": 9.5, "y0": 3.5, "x1": 11.0, "y1": 11.0, "kind": "machine", "height": 1.5},
        {"x0": 2.5, "y0": 6.0, "x1": 4.0, "y1": 7.0, "kind": "wall", "height": 2.0},
    ],
    "locations": {
        "rack": {"x": 2.0, "y": 2.0, "kind": "rack", "heading": -90},
        "press": {"x": 14.0, "y": 2.5, "kind": "station", "heading": 0},
        "charger": {"x": 2.5, "y": 9.0, "kind": "charger", "heading": 90},
    },
}


@dataclass
class Worker:
    id: str
    spec: RobotSpec
    rng: np.random.Generator


def round_trip(payload: float) -> list[tuple[str, str, str, float]]:
    """One round: kind, origin, target, payload."""
    return [("walk", "charger", "rack", 0.0), ("pick", "rack", "rack", payload),
            ("walk", "rack", "press", payload), ("place", "press", "press", payload),
            ("walk", "press", "charger", 0.0), ("dock", "charger", "charger", 0.0)]


def main(argv: list[str] | None = None) -> None:
    """Print each walk's physics and surrogate figures, then the totals against the bounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robot", default=str(Path(ROBOTS_DIR) / "walker_s2.yaml"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--payload", type=float, default=None, help="kg (default: rated)")
    args = parser.parse_args(argv)
    spec = load_robot(args.robot)
    payload = spec.max_payload if args.payload is None else args.payload
    layout = Layout.model_validate(LAYOUT)
    ways = build_walkways(layout)
    surrogate = Surrogate(spec, load_calibration(spec))
    model = Physics(layout, spec)
    env = simpy.Environment()
    rows: list[dict[str, Any]] = []

    robot = Worker("r0", spec, np.random.default_rng(0))

    def work() -> Any:
        heading = layout.locations["charger"].heading
        for n in range(args.rounds):
            for kind, a, b, m in round_trip(payload):
                walk = kind == "walk"
                path = ways.path(a, b) if walk else None
                task = MotionTask(kind, a, b, m, ways.dist(a, b) if walk else 0.0, path,
                                  heading_deg=layout.locations[b].heading,
                                  start_heading_deg=heading if walk else None)
                done: Outcome = yield from model.execute(env, robot, task)
                if not done.ok:
                    raise SystemExit(f"round {n}: {kind} {a}->{b} failed: {done.note}")
                heading = layout.locations[b].heading
                if walk:
                    duration, power = surrogate._walk_nominal(task)
                    bends, rad = path_bends(task.path)  # type: ignore[arg-type]
                    rows.append({"round": n, "walk": f"{a}->{b}", "kg": m, "m": task.distance,
                                 "bends": bends, "bend_deg": math.degrees(rad),
                                 "t_phys": done.duration, "t_sur": duration,
                                 "e_phys": done.energy_j,
                                 "e_sur": (power + surrogate.extra_w) * duration})

    env.process(work())
    try:
        env.run()
    finally:
        model.close()
    print(f"{'round':>5} {'walk':>16} {'kg':>5} {'m':>6} {'bends':>5} {'deg':>5} "
          f"{'phys s':>7} {'sur s':>7} {'ratio':>6} {'phys kJ':>8} {'sur kJ':>7} {'ratio':>6}")
    for r in rows:
        print(f"{r['round']:>5d} {r['walk']:>16} {r['kg']:>5.1f} {r['m']:>6.2f} "
              f"{r['bends']:>5d} {r['bend_deg']:>5.0f} {r['t_phys']:>7.2f} {r['t_sur']:>7.2f} "
              f"{r['t_phys'] / r['t_sur']:>6.3f} {r['e_phys'] / 1e3:>8.2f} "
              f"{r['e_sur'] / 1e3:>7.2f} {r['e_phys'] / r['e_sur']:>6.3f}")
    t = sum(r["t_phys"] for r in rows) / sum(r["t_sur"] for r in rows)
    e = sum(r["e_phys"] for r in rows) / sum(r["e_sur"] for r in rows)
    worst_t = max(abs(r["t_phys"] / r["t_sur"] - 1) for r in rows)
    worst_e = max(abs(r["e_phys"] / r["e_sur"] - 1) for r in rows)
    print(f"\nall {len(rows)} walks, physics / surrogate: time {t:.3f} "
          f"({'within' if abs(t - 1) <= TIME_BOUND else 'OUTSIDE'} {TIME_BOUND:.0%}), "
          f"energy {e:.3f} ({'within' if abs(e - 1) <= ENERGY_BOUND else 'OUTSIDE'} "
          f"{ENERGY_BOUND:.0%}); worst single walk: time {worst_t:.1%}, energy {worst_e:.1%}")


if __name__ == "__main__":
    main()
