"""Instructions a plant's run takes, counted by valgrind: a speed figure a shared machine does
not disturb (processor time on a loaded 2-core machine moves by 10-20% from run to run).

Run: ``.venv/bin/python benchmarks/instructions.py [--tree DIR ...] [--rows 6] [--hours 38]``.

For each source tree (this one, then every ``--tree``, for example another commit unpacked
with ``git archive COMMIT | tar -x -C DIR``) a fresh interpreter importing that tree's ``twin``
simulates the generated plant ``twin.plant.plant(rows, 3, 5)`` (the scale benchmark's plants)
from Monday 00:00, once for ``--hours`` and once for ``--base-hours`` (default 2 h: before the
first shift, so set-up, imports and start-up only), under ``valgrind --tool=cachegrind``
with ``PYTHONHASHSEED=0`` and one BLAS thread. The difference of the two counts is the
instructions of the simulated hours between them; with the events the run processed (SimPy's
event ids handed out, less those still queued) it gives instructions per event, and each tree
is compared with the first. Valgrind runs a process about 40 times slower: 6 rows for 38 h
take about a minute and a half per run on a free core.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
STATIONS_PER_ROW = 3
ROBOTS_PER_ROW = 5


def one(rows: int, hours: float, seed: int) -> dict[str, Any]:
    """Simulate the plant in this process; its event count and output (run under valgrind)."""
    import twin
    from twin.config import Line
    from twin.line import factory
    from twin.line.engine import Engine
    from twin.plant import plant

    made: list[Engine] = []

    class Kept(Engine):
        def __init__(self, initial_time: float = 0) -> None:
            super().__init__(initial_time)
            made.append(self)

    factory.Engine = Kept  # type: ignore[misc]
    line = Line.model_validate(plant(rows, STATIONS_PER_ROW, ROBOTS_PER_ROW, name="counted"))
    result = twin.simulate(line, hours=hours, seed=seed, warmup_hours=0)
    env = made[-1]
    events = next(env._eid) - len(env._queue)  # type: ignore[attr-defined]
    return {"events": events, "out": result.kpis.line.throughput_per_shift_hour,
            "twin": twin.__file__}


def counted(tree: Path, rows: int, hours: float, seed: int) -> tuple[int, dict[str, Any]]:
    """Instructions and figures of one run of ``one`` importing ``twin`` from ``tree``."""
    # one BLAS thread: NumPy's OpenBLAS threads otherwise spin now and then, and valgrind
    # counts their instructions too (tens of millions a run, at random)
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1")
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, __file__, "--one", str(rows), str(hours), str(seed)]
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=False)
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or refs is None:
        raise RuntimeError(f"run in {tree} failed:\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(figures["twin"]).resolve().is_relative_to(tree):
        raise RuntimeError(f"{tree}: imported twin from {figures['twin']}")
    return int(refs.group(1).replace(",", "")), figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, action="append", default=[],
                        help="another source tree to count (repeatable)")
    parser.add_argument("--rows", type=int, default=6, help="rows of the generated plant")
    parser.add_argument("--hours", type=float, default=38.0, help="simulated hours counted")
    parser.add_argument("--base-hours", type=float, default=2.0,
                        help="the run subtracted (set-up and start-up only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # worker: rows hours seed
    args = parser.parse_args(argv)
    if args.one:
        rows, hours, seed = args.one
        print(json.dumps(one(int(rows), float(hours), int(seed))))
        return 0
    if args.hours <= args.base_hours:
        parser.error("--hours must be more than --base-hours")
    print(f"plant {args.rows} rows x {STATIONS_PER_ROW} stations x {ROBOTS_PER_ROW} robots, "
          f"seed {args.seed}: instructions of hours {args.base_hours:g}-{args.hours:g} "
          f"(valgrind, PYTHONHASHSEED=0)")
    print(f"{'tree':<40} {'M instr':>9} {'events':>9} {'instr/ev':>9} {'vs first':>9} "
          f"{'out/h':>9}")
    first = None
    for tree in [HERE, *(t.resolve() for t in args.tree)]:
        total, figures = counted(tree, args.rows, args.hours, args.seed)
        base, base_figures = counted(tree, args.rows, args.base_hours, args.seed)
        instr = total - base
        events = figures["events"] - base_figures["events"]
        first = instr if first is None else first
        print(f"{str(tree)[-40:]:<40} {instr / 1e6:9,.0f} {events:9,d} {instr / events:9,.0f} "
              f"{instr / first - 1:+9.1%} {figures['out']:9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
