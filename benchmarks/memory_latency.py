"""How long this machine takes to fetch a value its caches do not hold: a pointer chase.

Run: ``.venv/bin/python benchmarks/memory_latency.py``. Also printed at the head of
``scale_bench.py`` and ``physics_bench.py --step-cost-only``, because their ratios depend on it:
the 500-humanoid hall costs the same instructions an event as the 10-humanoid plant, but its
objects no longer fit the caches, so every event waits on memory (README, "Plant scale").

Each figure is the time of one step of ``x = chase[x]`` through a random cycle over an array
of that many bytes: every load depends on the one before, so none is overlapped or prefetched.
The interpreter's own cost of a step is the figure for 256 KB (held by the core's cache); the
rise above it is the memory's. Written on 2 December 2026 on a machine whose shared cache did
not hold 4 MB (+93-150 ns a load there over 256 KB, three runs), where the 500-humanoid week
took 138 s; the same code took 28 s on the machine of the same kind a few hours before, which
this script never ran on (README, "Plant scale").
"""

from __future__ import annotations

import time
from array import array

import numpy as np

SIZES_MB = (0.25, 4.0, 64.0)
LOADS = 500_000


def chase_ns(mb: float, loads: int = LOADS) -> float:
    """Nanoseconds a dependent load through a random cycle over ``mb`` MB of 8-byte slots."""
    n = max(2, int(mb * 2**20 / 8))
    order = np.random.default_rng(1).permutation(n)
    cycle = np.empty(n, dtype=np.int64)
    cycle[order] = np.roll(order, -1)  # each slot names the next in one random cycle
    chase = array("q")
    chase.frombytes(cycle.tobytes())
    x = 0
    for _ in range(min(n, loads)):  # warm up: as many steps as are timed, or the whole cycle
        x = chase[x]
    start = time.perf_counter()
    for _ in range(loads):
        x = chase[x]
    return (time.perf_counter() - start) / loads * 1e9


def summary() -> str:
    """One line: the chase's step at each size, and the memory's share above the core's."""
    figures = [chase_ns(mb) for mb in SIZES_MB]
    steps = ", ".join(f"{ns:.0f} ns in {mb:g} MB" for mb, ns in zip(SIZES_MB, figures, strict=True))
    return (f"memory (benchmarks/memory_latency.py): a dependent load {steps}: "
            f"+{figures[1] - figures[0]:.0f} ns at {SIZES_MB[1]:g} MB, "
            f"+{figures[2] - figures[0]:.0f} ns at {SIZES_MB[2]:g} MB over the core's cache")


if __name__ == "__main__":
    print(summary())
