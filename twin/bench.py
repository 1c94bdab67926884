"""Speed benchmark: ``python -m twin.bench`` (or ``make bench``).

On the 5-station exponential tandem line of issue 2 (interarrival 1.5 min; mean service
1.0, 1.1, 0.9, 1.2, 1.0 min; infinite buffers, instant moves; 200,000 min measured after a
10,000 min warm-up) it prints parts per wall-second for

- twin with KPIs on and the event log off (the study case),
- twin with the event log on,
- two minimal hand-written SimPy models of the same line, measured in the same run: one
  process per part walking through ``simpy.Resource`` servers (the textbook model), and one
  process per server pulling from ``simpy.Store`` queues,

and the ratio of twin to the faster of the two (floor 0.7x, goal 1.0x). Parts per second
counts the parts finished in the measured window over the wall time of the whole run,
warm-up included, the same way for every model. It then prints simulated time / wall time
for one week of ``lines/tote_line.yaml``. Timings are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy

from twin.config import Line

INTERARRIVAL_MIN = 1.5
SERVICE_MIN = (1.0, 1.1, 0.9, 1.2, 1.0)
HORIZON_MIN = 200_000.0
WARMUP_MIN = 10_000.0
FLOOR, GOAL = 0.7, 1.0
REPO = Path(__file__).resolve().parent.parent
TOTE_LINE = REPO / "lines" / "tote_line.yaml"


def tandem_line() -> Line:
    """The benchmark line as a twin ``Line``."""
    names = [f"s{i + 1}" for i in range(len(SERVICE_MIN))]
    locations: dict[str, list[float]] = {"in": [1.0, 3.0], "out": [5.0 * len(names) + 4, 3.0]}
    for i, name in enumerate(names):
        locations[name] = [5.0 * (i + 1), 3.0]
    return Line.model_validate({
        "name": "bench_tandem",
        "description": "5-station exponential tandem (Jackson network), issue 2 benchmark",
        "layout": {"floor": {"width": 5 * len(names) + 5, "depth": 6},
                   "locations": locations},
        "products": {"unit": {"routing": names}},
        "sources": {"in": {"location": "in", "kind": "arrivals",
                           "interarrival": {"dist": "exponential",
                                            "mean": f"{INTERARRIVAL_MIN} min"}}},
        "sinks": {"out": {"location": "out"}},
        "stations": {name: {"process": {"dist": "exponential", "mean": f"{m} min"}}
                     for name, m in zip(names, SERVICE_MIN, strict=True)},
        "transport": {"default": {"kind": "instant"}},
    })


@dataclass
class Measure:
    name: str
    parts: int
    wall_s: float
    mean_lead_s: float

    @property
    def rate(self) -> float:
        return self.parts / self.wall_s


# --------------------------------------------------------------------------- baselines


def minimal_resource(seed: int, horizon_s: float, warmup_s: float) -> tuple[int, float]:
    """The textbook SimPy model: one process per part, one ``Resource`` per station."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=1) for _ in SERVICE_MIN]
    rates = [1.0 / (60.0 * m) for m in SERVICE_MIN]
    arrival_rate = 1.0 / (60.0 * INTERARRIVAL_MIN)
    stats = [0, 0.0]

    def part(born: float) -> Generator[simpy.Event, Any, None]:
        for res, rate in zip(servers, rates, strict=True):
            with res.request() as req:
                yield req
                yield env.timeout(rng.expovariate(rate))
        if env.now > warmup_s:
            stats[0] += 1
            stats[1] += env.now - born

    def source() -> Generator[simpy.Event, Any, None]:
        while True:
            yield env.timeout(rng.expovariate(arrival_rate))
            env.process(part(env.now))

    env.process(source())
    env.run(until=warmup_s + horizon_s)
    return int(stats[0]), stats[1] / max(stats[0], 1)


def minimal_store(seed: int, horizon_s: float, warmup_s: float) -> tuple[int, float]:
    """Servers as processes pulling from ``simpy.Store`` queues; parts are creation times."""
    rng = random.Random(seed)
    env = simpy.Environment()
    queues = [simpy.Store(env) for _ in range(len(SERVICE_MIN) + 1)]
    rates = [1.0 / (60.0 * m) for m in SERVICE_MIN]
    arrival_rate = 1.0 / (60.0 * INTERARRIVAL_MIN)
    stats = [0, 0.0]

    def server(k: int) -> Generator[simpy.Event, Any, None]:
        inbox, outbox, rate = queues[k], queues[k + 1], rates[k]
        last = k == len(rates) - 1
        while True:
            born = yield inbox.get()
            yield env.timeout(rng.expovariate(rate))
            if last:
                if env.now > warmup_s:
                    stats[0] += 1
                    stats[1] += env.now - born
            else:
                outbox.put(born)

    def source() -> Generator[simpy.Event, Any, None]:
        first = queues[0]
        while True:
            yield env.timeout(rng.expovariate(arrival_rate))
            first.put(env.now)

    for k in range(len(rates)):
        env.process(server(k))
    env.process(source())
    env.run(until=warmup_s + horizon_s)
    return int(stats[0]), stats[1] / max(stats[0], 1)


# --------------------------------------------------------------------------- timing


def best_of(repeat: int, name: str, fn: Callable[[int], tuple[int, float]]) -> Measure:
    best: Measure | None = None
    for k in range(repeat):
        start = time.perf_counter()
        parts, lead = fn(k + 1)
        wall = time.perf_counter() - start
        if best is None or wall < best.wall_s:
            best = Measure(name, parts, wall, lead)
    assert best is not None
    return best


def twin_run(line: Line, horizon_s: float, warmup_s: float, events: bool
             ) -> Callable[[int], tuple[int, float]]:
    from twin.sim import simulate

    def go(seed: int) -> tuple[int, float]:
        k = simulate(line, hours=horizon_s / 3600, warmup_hours=warmup_s / 3600, seed=seed,
                     events=events).kpis.line
        return k.good_units, k.mean_finished_lead_time_s  # as the baselines count it

    return go


def profile_twin(line: Line, horizon_s: float, warmup_s: float, top: int = 25) -> str:
    from twin.sim import simulate

    prof = cProfile.Profile()
    prof.enable()
    simulate(line, hours=horizon_s / 3600, warmup_hours=warmup_s / 3600, seed=1)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def tote_week(repeat: int) -> str:
    if not TOTE_LINE.exists():
        return f"tote line: skipped ({TOTE_LINE} does not exist yet)"
    from twin.loader import load_line
    from twin.sim import simulate

    line = load_line(TOTE_LINE)
    hours = 168.0
    walls = []
    for k in range(repeat):
        start = time.perf_counter()
        result = simulate(line, hours=hours, warmup_hours=0, seed=k + 1)
        walls.append(time.perf_counter() - start)
    wall = min(walls)
    robots = line.fleet.count if line.fleet else 0
    return (f"tote line ({TOTE_LINE.name}: {len(line.stations)} stations, {robots} robots), "
            f"one week: {wall:.2f} s wall -> simulated/wall = {hours * 3600 / wall:,.0f}x "
            f"({result.kpis.line.good_units} good units)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each (best is kept)")
    parser.add_argument("--minutes", type=float, default=HORIZON_MIN, help="measured horizon")
    parser.add_argument("--warmup", type=float, default=WARMUP_MIN, help="warm-up minutes")
    parser.add_argument("--profile", action="store_true",
                        help="also print the cProfile hot spots of the twin run")
    parser.add_argument("--no-tote", action="store_true", help="skip the tote-line week")
    args = parser.parse_args(argv)
    horizon_s, warmup_s = args.minutes * 60.0, args.warmup * 60.0
    line = tandem_line()
    lead = sum(1 / (1 / (60 * m) - 1 / (60 * INTERARRIVAL_MIN)) for m in SERVICE_MIN)
    print(f"5-station exponential tandem: {args.minutes:,.0f} min after {args.warmup:,.0f} "
          f"min warm-up, best of {args.repeat}")
    rows = [
        best_of(args.repeat, "SimPy minimal (Resource, process per part)",
                lambda s: minimal_resource(s, horizon_s, warmup_s)),
        best_of(args.repeat, "SimPy minimal (Store, process per server)",
                lambda s: minimal_store(s, horizon_s, warmup_s)),
        best_of(args.repeat, "twin, KPIs on, event log off",
                twin_run(line, horizon_s, warmup_s, events=False)),
        best_of(args.repeat, "twin, event log on",
                twin_run(line, horizon_s, warmup_s, events=True)),
    ]
    print(f"  {'model':<44} {'parts':>8} {'wall s':>8} {'parts/s':>10} {'lead min':>9}")
    for m in rows:
        print(f"  {m.name:<44} {m.parts:>8} {m.wall_s:>8.2f} {m.rate:>10,.0f} "
              f"{m.mean_lead_s / 60:>9.2f}")
    print(f"  (Jackson: mean time in system = {lead / 60:.2f} min)")
    baseline = max(rows[:2], key=lambda m: m.rate)
    for m in rows[2:]:
        ratio = m.rate / baseline.rate
        verdict = "goal met" if ratio >= GOAL else ("above floor" if ratio >= FLOOR
                                                    else "BELOW FLOOR")
        print(f"  {m.name:<32} / fastest minimal SimPy = {ratio:.2f}x "
              f"(floor {FLOOR}x, goal {GOAL}x: {verdict})")
    if args.profile:
        print(profile_twin(line, horizon_s, warmup_s))
    if not args.no_tote:
        print(tote_week(args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
