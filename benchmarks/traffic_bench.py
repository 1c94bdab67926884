"""Traffic benchmark: what sharing the floor costs in wall time, beside ghosts in the same run.

Run: ``.venv/bin/python benchmarks/traffic_bench.py [--repeat 3]``. For one simulated week of
``lines/tote_line.yaml`` (open floor: little traffic) and of ``lines/narrow_aisle.yaml`` (a
one-robot passage: much traffic) it prints the wall time with traffic on and with it off
(``layout.traffic.enabled=false``: robots walk through each other), the ratio (issue 9's
ceiling for tote_line: 1.5x), and how many walks had to wait. Times are the best of
``--repeat`` runs of the same seed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import twin
from twin.config import Line

LINES = Path(__file__).resolve().parents[1] / "lines"
CASES = (("tote_line.yaml", 168.0), ("narrow_aisle.yaml", 168.0))


def best_wall(line: Line, hours: float, traffic: bool, repeat: int) -> tuple[float, int]:
    """Best wall time of ``repeat`` identical runs, and the walks held by traffic."""
    best, holds = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        res = twin.simulate(line, hours=hours, seed=1,
                            overrides={"layout.traffic.enabled": traffic})
        best = min(best, time.perf_counter() - start)
        holds = res.kpis.traffic.holds if res.kpis.traffic is not None else 0
    return best, holds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'line':<20}{'ghosts s':>10}{'traffic s':>11}{'ratio':>8}{'held walks':>12}")
    for name, hours in CASES:
        line = twin.load_line(LINES / name)
        off, _ = best_wall(line, hours, False, args.repeat)
        on, holds = best_wall(line, hours, True, args.repeat)
        print(f"{name:<20}{off:>10.2f}{on:>11.2f}{on / off:>7.2f}x{holds:>12}")


if __name__ == "__main__":
    main()
