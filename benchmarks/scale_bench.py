"""Scale benchmark: generated car-plant halls from 5 to 500 humanoids, in one run.

Run: ``.venv/bin/python benchmarks/scale_bench.py [--quick] [--hours 24] [--profile] [--week]
[--instructions]``.

Each plant comes from ``twin.plant.plant(rows, 3, 5)``: rows of three door stations with five
humanoids in each row's zone, so the ladder of 1, 2, 6, 20, 60 and 100 rows runs 5 to 500
robots and 3 to 300 stations (traffic on, as the generator writes them). Each plant runs in a
fresh Python process, so its peak memory is its own, and prints:

- load s: ``twin.load_line`` (schema, checks, walkway build for reachability);
- week s: wall time per simulated week: ``simulate``'s set-up plus its event loop scaled from
  ``--hours`` to 168 h (exact with ``--hours 168``; the calendar is two shifts Mon-Fri, so a
  Monday-only horizon makes this an overestimate: the weekend costs almost nothing);
- events: SimPy events processed by the run, read from the environment's event-id counter
  (every timeout, process start and resumption, succeeded event and resource grant scheduled
  on the queue, less those still pending at the end): costs nothing per event to count (the
  plant runs on twin's ``Engine``, SimPy's environment with a tight run loop, counted as is;
  the minimal model runs on SimPy's own);
- kev/s and us/event: events per wall second of the event loop and its inverse (the ratio of
  cost per event between plants is taken on processor time, which a shared machine disturbs
  less than wall time);
- peak MB: the process's peak resident memory (``ru_maxrss``: interpreter and libraries
  included, about 150 MB of it);
- cpu: the run's processor time as a share of its wall time (below 1: the machine was
  shared, and the wall figures are that much slower than one free core);
- out/row: good units per on-shift hour per row, and its ratio to the single-row plant
  (the mean of ``--ref-seeds`` seeds).

``--week`` then runs the largest plant for a whole simulated week (168 h, no scaling) and prints
its wall time, processor time and peak memory against the target (under 60 s, under 2 GB).

Beside them, measured in the same run: the events per second of a minimal SimPy model (a
hundred processes drawing exponential timeouts), the cost per event of each plant relative to
it, the ratio of cost per event at 500 robots to 10 robots (target: at most 1.5x) and of output
per row in the largest plant to the single row (target: within 10%). The ratio in processor
time moves with the machine's load (1.38-1.65x for one tree on this shared machine);
``--instructions`` then counts it as it is judged, in instructions per event (valgrind, the same
simulated hours 2-14 for 10 and 500 robots; about 15 minutes), which no load disturbs.
``--profile`` ends with a cProfile of the largest plant for ``--hours`` (top functions by own
time, with their share).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import simpy

LADDER = (1, 2, 6, 20, 60, 100)  # rows: 5, 10, 30, 100, 300, 500 humanoids
QUICK = (1, 2, 6)
STATIONS_PER_ROW = 3
ROBOTS_PER_ROW = 5
BASELINE_EVENTS = 1_000_000
COST_RATIO_TARGET = 1.5  # cost per event, 500 robots over 10
OUTPUT_TARGET = 0.10  # output per row, N rows against one
WEEK_TARGET_S = 60.0  # one simulated week of the largest plant, wall time
COUNTED_FROM, COUNTED_HOURS = 2.0, 14.0  # instructions counted over these simulated hours


class Counted:
    """Mixed into an environment: it remembers itself and times its event loop."""

    made: list[Any] = []

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)  # type: ignore[call-arg]
        self.run_s = 0.0
        self.run_cpu_s = 0.0
        Counted.made.append(self)

    def run(self, until: Any = None) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return super().run(until)
        finally:
            self.run_s += time.perf_counter() - start
            self.run_cpu_s += time.process_time() - cpu

    def events_done(self) -> int:
        """Events taken off the queue so far (ids handed out, less those still queued)."""
        probe = next(self._eid)  # type: ignore[attr-defined]  # next id = events scheduled
        return probe - len(self._queue)  # type: ignore[attr-defined]


class CountedEnvironment(Counted, simpy.Environment):
    """The minimal model's environment: plain SimPy, counted."""


def baseline_rate(events: int = BASELINE_EVENTS, processes: int = 100) -> float:
    """Events per wall second of a minimal SimPy model: processes drawing timeouts."""
    env = CountedEnvironment()
    rng = random.Random(1)

    def worker() -> Any:
        while True:
            yield env.timeout(rng.expovariate(1.0))

    for _ in range(processes):
        env.process(worker())
    # each process resumes once per timeout: about ``processes`` events per unit of time
    start = time.perf_counter()
    env.run(until=events / processes)
    return env.events_done() / (time.perf_counter() - start)


def run_plant(rows: int, hours: float, seeds: int) -> dict[str, Any]:
    """Generate, load and simulate one plant in this process; its figures as a dict."""
    import twin
    from twin.line import factory
    from twin.line.engine import Engine
    from twin.plant import plant, to_yaml

    factory.Engine = type("CountedEngine", (Counted, Engine), {})  # type: ignore[misc]

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"plant{rows}.yaml"
        path.write_text(to_yaml(plant(rows, STATIONS_PER_ROW, ROBOTS_PER_ROW,
                                      name=path.stem)))
        start = time.perf_counter()
        line = twin.load_line(path)
        load_s = time.perf_counter() - start
    walls, runs, events, outputs, cpus, run_cpus = [], [], [], [], [], []
    for seed in range(seeds):
        Counted.made.clear()
        cpu = time.process_time()
        result = twin.simulate(line, hours=hours, seed=seed, warmup_hours=0)
        cpus.append(time.process_time() - cpu)
        env = Counted.made[-1]
        walls.append(result.wall_s)
        runs.append(env.run_s)
        run_cpus.append(env.run_cpu_s)
        events.append(env.events_done())
        outputs.append(result.kpis.line.throughput_per_shift_hour / rows)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"rows": rows, "robots": rows * ROBOTS_PER_ROW, "stations": rows * STATIONS_PER_ROW,
            "obstacles": len(line.layout.obstacles), "load_s": load_s,
            "setup_s": walls[0] - runs[0], "run_s": runs[0], "events": events[0],
            "wall_s": walls[0], "cpu_s": cpus[0], "run_cpu_s": run_cpus[0],
            "hours": hours, "out_per_row": sum(outputs) / len(outputs), "seeds": seeds,
            "peak_mb": peak_kb / 1024}


def in_subprocess(rows: int, hours: float, seeds: int) -> dict[str, Any]:
    """``run_plant`` in a fresh interpreter, so memory and caches are the plant's own."""
    cmd = [sys.executable, __file__, "--one", str(rows), "--hours", str(hours),
           "--ref-seeds", str(seeds)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"plant of {rows} rows failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def instruction_ratio(small: int, large: int, hours: float = COUNTED_HOURS,
                      base: float = COUNTED_FROM) -> str:
    """The judged ratio: instructions per event of the ``large``-row plant over the
    ``small``-row plant, each counted by valgrind over the same simulated hours ``base`` to
    ``hours`` (``benchmarks/instructions.py``: the run to ``base`` subtracted), which a shared
    machine cannot disturb as it does processor time (cache misses are not counted)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from instructions import counted

    tree = Path(__file__).resolve().parent.parent
    per = []
    for rows in (small, large):
        total, figures = counted(tree, rows, hours, 0)
        start, at_start = counted(tree, rows, base, 0)
        per.append((total - start) / (figures["events"] - at_start["events"]))
    ratio = per[1] / per[0]
    verdict = "ok" if ratio <= COST_RATIO_TARGET else "over target"
    return (f"\ncost per event in instructions (valgrind, hours {base:g}-{hours:g} from Monday "
            f"00:00), {large * ROBOTS_PER_ROW} robots / {small * ROBOTS_PER_ROW} robots: "
            f"{per[1]:,.0f} / {per[0]:,.0f} = {ratio:.2f}x (judged: target <= "
            f"{COST_RATIO_TARGET}x: {verdict})")


def profile_plant(rows: int, hours: float, top: int = 15) -> str:
    """cProfile of one run of the plant: the top functions by own time, with their share."""
    import twin
    from twin.config import Line
    from twin.plant import plant

    line = Line.model_validate(plant(rows, STATIONS_PER_ROW, ROBOTS_PER_ROW, name="profiled"))
    prof = cProfile.Profile()
    prof.enable()
    twin.simulate(line, hours=hours, seed=0, warmup_hours=0)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    rows_out = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]  # type: ignore[attr-defined]
    buf = io.StringIO()
    buf.write(f"{'own s':>8} {'share':>6} {'cum s':>8} {'calls':>10}  function\n")
    for (file, lineno, func), (_, calls, own, cum, _) in rows_out:
        where = file.split("site-packages/")[-1].split("/main/")[-1]
        buf.write(f"{own:8.2f} {own / total:6.1%} {cum:8.2f} {calls:10d}  "
                  f"{where}:{lineno}({func})\n")
    buf.write(f"total own time {total:.1f} s (profiler overhead included)\n")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only rows {QUICK}")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours per plant")
    parser.add_argument("--ref-seeds", type=int, default=5,
                        help="seeds of the single-row reference plant")
    parser.add_argument("--profile", action="store_true", help="profile the largest plant")
    parser.add_argument("--week", action="store_true",
                        help="then run the largest plant for one whole simulated week")
    parser.add_argument("--instructions", action="store_true",
                        help="then count the cost per event at 10 and 500 robots in "
                             "instructions (valgrind, about 15 minutes)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # worker: one plant, JSON
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_plant(args.one, args.hours, args.ref_seeds)))
        return
    ladder = QUICK if args.quick else LADDER
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from memory_latency import summary

    print(summary())
    base = baseline_rate()
    base_us = 1e6 / base
    print(f"minimal SimPy model: {base / 1e3:,.0f} k events/s ({base_us:.2f} us/event)")
    print(f"plants: rows x {STATIONS_PER_ROW} stations, {ROBOTS_PER_ROW} humanoids a row, "
          f"traffic on; {args.hours:g} h simulated from Monday 00:00, no warm-up\n")
    head = (f"{'rows':>4} {'robots':>6} {'stns':>5} {'obst':>5} {'load s':>7} {'week s':>8} "
            f"{'events':>10} {'kev/s':>7} {'us/ev':>6} {'xSimPy':>6} {'peak MB':>8} "
            f"{'cpu':>4} {'out/row':>7} {'vs 1':>6}")
    print(head)
    results = []
    ref = None
    for rows in ladder:
        r = in_subprocess(rows, args.hours, args.ref_seeds if rows == 1 else 1)
        results.append(r)
        if rows == 1:
            ref = r["out_per_row"]
        rate = r["events"] / r["run_s"]
        week = r["setup_s"] + r["run_s"] * 168.0 / r["hours"]
        vs = f"{r['out_per_row'] / ref:6.3f}" if ref else "     -"
        print(f"{rows:4d} {r['robots']:6d} {r['stations']:5d} {r['obstacles']:5d} "
              f"{r['load_s']:7.2f} {week:8.1f} {r['events']:10,d} {rate / 1e3:7.1f} "
              f"{1e6 / rate:6.1f} {base / rate:6.1f} {r['peak_mb']:8.0f} "
              f"{r['cpu_s'] / r['wall_s']:4.2f} {r['out_per_row']:7.1f} {vs}", flush=True)
    small = next((r for r in results if r["robots"] >= 10), results[0])
    large = results[-1]
    cost = [r["run_cpu_s"] / r["events"] for r in (small, large)]
    ratio = cost[1] / cost[0]
    verdict = "ok" if ratio <= COST_RATIO_TARGET else "over target"
    print(f"\ncost per event in processor time (this run: moves with the machine's load), "
          f"{large['robots']} robots / {small['robots']} robots: {ratio:.2f}x (target <= "
          f"{COST_RATIO_TARGET}x: {verdict}; wall time: "
          f"{large['run_s'] / large['events'] / (small['run_s'] / small['events']):.2f}x; the "
          f"judged count: --instructions)")
    if ref:
        dev = large["out_per_row"] / ref - 1
        verdict = "ok" if abs(dev) <= OUTPUT_TARGET else "off target"
        print(f"output per row, {large['rows']} rows / 1 row (mean of {args.ref_seeds} seeds): "
              f"{dev:+.1%} (target within {OUTPUT_TARGET:.0%}: {verdict})")
    if args.week:
        w = in_subprocess(large["rows"], 168.0, 1)
        verdict = "ok" if w["wall_s"] < WEEK_TARGET_S and w["peak_mb"] < 2048 else "missed"
        print(f"\none simulated week, {w['robots']} robots, {w['stations']} stations, traffic on: "
              f"{w['wall_s']:.1f} s wall ({w['setup_s']:.1f} s set-up), {w['cpu_s']:.1f} s "
              f"processor, {w['events']:,d} events ({w['events'] / w['run_s'] / 1e3:.0f} k/s, "
              f"{base * w['run_s'] / w['events']:.1f}x the minimal model's cost per event), "
              f"peak {w['peak_mb']:.0f} MB (target < {WEEK_TARGET_S:g} s, < 2 GB: {verdict})")
    if args.instructions:
        print(instruction_ratio(small["rows"], large["rows"]))
    if args.profile:
        print(f"\nprofile of the {large['rows']}-row plant, {args.hours:g} h:")
        print(profile_plant(large["rows"], args.hours))


if __name__ == "__main__":
    main()
