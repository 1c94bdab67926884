"""The guided classroom tour: each teaching line in turn, what to notice, theory beside the twin.

``demo`` runs the lines under ``lines/teaching/`` in order, prints what each one teaches and the
twin's figures beside the closed-form answer, and writes every run so the viewer can replay it.
``headline`` answers the flagship capacity question on ``lines/tote_line.yaml``: how many
humanoids does the line need? Both use only the public API (``load_line``, ``simulate``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, stdev
from typing import Any

import twin
from twin.sim import RunResult

LINES_DIR = Path(__file__).resolve().parent.parent / "lines"
TEACHING_DIR = LINES_DIR / "teaching"
T95 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 8: 2.365, 10: 2.262}

Figures = Callable[[RunResult], dict[str, float]]


@dataclass(frozen=True)
class Lesson:
    """One teaching line: how to run it, what to measure and what theory says."""

    file: str
    title: str
    notice: str
    figures: Figures
    theory: dict[str, float]
    hours: float = 300.0
    reps: int = 3
    variants: dict[str, dict[str, Any]] = field(default_factory=lambda: {"": {}})


def _machine_repair(n: int, c: int, work: float, service: float) -> dict[str, float]:
    """Finite-source M/M/c//N queue: wait (s), utilisation and robots working."""
    r = service / work
    p = [math.factorial(n) / (math.factorial(n - k) * (
        math.factorial(k) if k <= c else math.factorial(c) * c ** (k - c))) * r**k
        for k in range(n + 1)]
    total = sum(p)
    p = [x / total for x in p]
    at_station = sum(k * x for k, x in enumerate(p))
    waiting = sum((k - c) * x for k, x in enumerate(p) if k > c)
    return {"wait for the swap station (s)": waiting / ((n - at_station) / work),
            "swap station busy": sum(min(k, c) * x for k, x in enumerate(p)) / c,
            "robots working (of 5)": n - at_station}


def mean_value_analysis(n: int, service: float, delay: float) -> tuple[float, float]:
    """Closed network of one FCFS exponential server and a pure delay (MVA): throughput per
    second and each robot's share of time queueing, for ``n`` robots."""
    queue = throughput = response = 0.0
    for k in range(1, n + 1):
        response = service * (1 + queue)
        throughput = k / (response + delay)
        queue = throughput * response
    return throughput, (response - service) * throughput / n


def _spot_theory(counts: tuple[int, ...]) -> dict[str, float]:
    """spot_contention.yaml: pick 20 s at one spot; walk 20 m each way at 1 m/s; place 4 s."""
    out = {}
    for n in counts:
        x, queueing = mean_value_analysis(n, 20.0, 20.0 + 20.0 + 4.0)
        out[f"{n} robots: parts per hour"] = x * 3600
        out[f"{n} robots: share queueing for the spot"] = queueing
    return out


def _charger_figures(r: RunResult) -> dict[str, float]:
    ch = r.kpis.chargers["swap"]
    working = r.kpis.line.robot_utilisation * len(r.kpis.robots)  # 24/7: planned = horizon
    return {"wait for the swap station (s)": ch.mean_wait_s, "swap station busy": ch.utilisation,
            "robots working (of 5)": working}


def _six_losses(r: RunResult) -> dict[str, float]:
    k = r.kpis.stations["cell"]
    return {"availability": k.availability, "effectiveness": k.effectiveness,
            "quality ratio": k.quality_ratio, "OEE": k.oee}


_REWORK = 1 / 0.97
_PER_UNIT = 0.5 * 40 + _REWORK * (72 + 7.2)

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "mm1.yaml", "One station, random arrivals and work (M/M/1)",
        "The machine is idle a quarter of the time, yet parts wait three times as long as "
        "they are worked on: randomness, not lack of capacity, makes the queue.",
        lambda r: {"time in system (s)": r.kpis.line.mean_lead_time_s,
                   "parts in system": r.kpis.line.wip_mean,
                   "utilisation": r.kpis.stations["machine"].processing},
        {"time in system (s)": 180.0, "parts in system": 3.0, "utilisation": 0.75},
        hours=500, reps=4,
    ),
    Lesson(
        "tandem.yaml", "Three stations in series (a Jackson network)",
        "Paint is only 1.5x as loaded as cut, yet parts spend 3x as long there: time in system "
        "grows like 1 / (1 - utilisation).",
        lambda r: {"lead time (s)": r.kpis.line.mean_lead_time_s, "WIP": r.kpis.line.wip_mean},
        {"lead time (s)": 360.0, "WIP": 6.0}, hours=300, reps=4,
    ),
    Lesson(
        "breakdowns.yaml", "Breakdowns and availability",
        "Availability is MTBF / (MTBF + MTTR): halving the repair time does as much as doubling "
        "the time between failures.",
        lambda r: {"availability": r.kpis.stations["press"].availability,
                   "throughput per hour": r.kpis.line.throughput_per_hour},
        {"availability": 120 / 140, "throughput per hour": 60 * 120 / 140}, reps=4,
    ),
    Lesson(
        "six_losses.yaml", "The six big losses of OEE",
        "Nights and breaks are planned downtime, not losses. Here the changeover, not the "
        "breakdowns, is the biggest loss: batching products is the cheapest improvement.",
        _six_losses,
        {"availability": _REWORK * 72 / _PER_UNIT, "effectiveness": 60 / 72,
         "quality ratio": 0.92, "OEE": _REWORK * 72 / _PER_UNIT * 60 / 72 * 0.92}, reps=4,
    ),
    Lesson(
        "moving_bottleneck.yaml", "A bottleneck that moves when a buffer grows",
        "With a one-part buffer, stamping's breakdowns starve assembly and quicker repairs pay "
        "most; with a 100-part buffer assembly sets the pace and only a faster assembly helps.",
        lambda r: {"throughput per hour": r.kpis.line.throughput_per_hour,
                   "assembly starved": r.kpis.stations["assembly"].starved},
        {"buffer 1: throughput per hour": 45.0, "buffer 100: throughput per hour": 60.0},
        variants={
            "buffer 1": {},
            "buffer 1, stamping repairs halved": {"stations.stamping.failures.ttr.mean": 600},
            "buffer 1, assembly 10% faster": {"stations.assembly.process": 54},
            "buffer 100": {"stations.assembly.input_buffer": 100},
            "buffer 100, stamping repairs halved": {
                "stations.assembly.input_buffer": 100, "stations.stamping.failures.ttr.mean": 600},
            "buffer 100, assembly 10% faster": {
                "stations.assembly.input_buffer": 100, "stations.assembly.process": 54},
        },
    ),
    Lesson(
        "charger_queue.yaml", "Robots queueing for too few chargers",
        "The swap station is busy only 80% of the time, yet a robot waits longer for it than a "
        "swap takes; a second station gives back most of a robot.",
        _charger_figures, _machine_repair(5, 1, 3600.0, 900.0), hours=600,
    ),
    Lesson(
        "spot_contention.yaml", "Robots queueing for one pick spot",
        "One rack face serves 180 parts an hour at most: a third robot still adds a third more "
        "output, a sixth mostly adds to the queue beside the rack.",
        lambda r: {"parts per hour": r.kpis.line.throughput_per_hour,
                   "share queueing for the spot": r.kpis.line.waiting_spot_share},
        _spot_theory((2, 3, 6)), hours=20, reps=6,
        variants={f"{n} robots": {"fleet.count": n} for n in (2, 3, 6)},
    ),
)


def _interval(values: list[float]) -> tuple[float, float]:
    m = mean(values)
    if len(values) < 2:
        return m, math.nan
    return m, T95.get(len(values), 2.0) * stdev(values) / math.sqrt(len(values))


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"


def run_lesson(lesson: Lesson, out: Path | None = None,
               events: bool = False) -> list[dict[str, Any]]:
    """Replicate each variant of a lesson; rows of figure, twin mean, CI half-width, theory."""
    line = twin.load_line(TEACHING_DIR / lesson.file)
    rows: list[dict[str, Any]] = []
    first = next(iter(lesson.variants))
    for label, overrides in lesson.variants.items():
        samples: dict[str, list[float]] = {}
        for seed in range(lesson.reps):
            keep = events and seed == 0 and label == first  # one run to show: the first
            result = twin.simulate(line, hours=lesson.hours, seed=seed, overrides=overrides,
                                   events=keep)
            if keep and out is not None:
                result.write(out / Path(lesson.file).stem)
            for name, value in lesson.figures(result).items():
                samples.setdefault(name, []).append(value)
        for name, values in samples.items():
            m, half = _interval(values)
            rows.append({"line": lesson.file, "variant": label, "figure": name, "twin": m,
                         "ci95": half, "theory": lesson.theory.get(
                             f"{label}: {name}", lesson.theory.get(name, math.nan))})
    return rows


def _print_rows(rows: list[dict[str, Any]]) -> None:
    width = max(len(f"{r['variant']} {r['figure']}".strip()) for r in rows) + 2
    print(f"    {'figure':<{width}}{'twin (95% CI)':>22}{'theory':>10}")
    for r in rows:
        name = f"{r['variant']}: {r['figure']}" if r["variant"] else r["figure"]
        twin_text = f"{_fmt(r['twin'])} +/- {_fmt(r['ci95'])}"
        print(f"    {name:<{width}}{twin_text:>22}{_fmt(r['theory']):>10}")


def _show(run_dir: Path) -> None:
    """Open the 3D viewer on a finished run (needs the viewer extra and a display)."""
    try:
        from viewer.app import App
        from viewer.replay import Timeline
        from viewer.run import load_run
    except ImportError as exc:
        print(f"    (no 3D view: {exc}; install the viewer extra)")
        return
    run = load_run(run_dir)
    App(Timeline(run), run.kpis, speed=60.0).run()  # opens at the first shift


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def demo(out: Path, view: bool = False) -> list[dict[str, Any]]:
    """Run the teaching lines in order, print what to notice and the figures; write the runs."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    everything: list[dict[str, Any]] = []
    for number, lesson in enumerate(LESSONS, start=1):
        print(f"\n{number}. {lesson.title}  (lines/teaching/{lesson.file})")
        print(f"   Notice: {lesson.notice}")
        rows = run_lesson(lesson, out, events=True)
        _print_rows(rows)
        everything += rows
        if view:
            _show(out / Path(lesson.file).stem)
    summary = _write_csv(out / "teaching_summary.csv", everything)
    print(f"\nFigures: {summary}")
    print(f"Runs (replay with `twin view --replay DIR`): {out}/<line>/")
    return everything


def headline(out: Path, counts: tuple[int, ...] = (1, 2, 3, 4, 5), reps: int = 3,
             hours: float = 168.0) -> list[dict[str, float]]:
    """How many humanoids does tote_line need? Sweep the fleet, print and write the answer."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = LINES_DIR / "tote_line.yaml"
    line = twin.load_line(path)
    print(f"Capacity question on {path.name}: doors per on-shift hour by fleet size "
          f"({reps} replications of {hours:g} h each)")
    rows: list[dict[str, float]] = []
    for count in counts:
        runs = [twin.simulate(line, hours=hours, seed=s, overrides={"fleet.count": count})
                for s in range(reps)]
        rate, half = _interval([r.kpis.line.throughput_per_shift_hour for r in runs])
        rows.append({
            "robots": count, "doors_per_on_shift_hour": rate, "ci95": half,
            "oee": mean(r.kpis.line.oee for r in runs),
            "robots_busy_on_shift": mean(r.kpis.line.robot_utilisation for r in runs),
            "charger_wait_s": mean(r.kpis.line.mean_charger_wait_s for r in runs),
            "waiting_spot_share": mean(r.kpis.line.waiting_spot_share for r in runs),
            "waiting_traffic_share": mean(r.kpis.line.waiting_traffic_share for r in runs),
        })
    print(f"  {'robots':>6} {'doors/h':>16} {'OEE':>6} {'robots busy':>12} {'swap wait':>10} "
          f"{'spot queue':>11} {'traffic':>8}")
    for row in rows:
        half = row["ci95"]
        rate_text = (f"{row['doors_per_on_shift_hour']:.1f} "
                     + (f"+/- {half:.1f}" if half == half else "(1 run)"))
        print(f"  {row['robots']:>6.0f} {rate_text:>16} {row['oee']:>6.2f} "
              f"{row['robots_busy_on_shift']:>12.0%} {row['charger_wait_s']:>9.0f}s "
              f"{row['waiting_spot_share']:>11.1%} {row['waiting_traffic_share']:>8.1%}")
    top = max(rows, key=lambda r: r["doors_per_on_shift_hour"])
    best = top["doors_per_on_shift_hour"]
    # the smallest fleet whose confidence interval reaches the best one's
    def ci(r: dict[str, float]) -> float:
        return 0.0 if math.isnan(r["ci95"]) else r["ci95"]

    enough = min(r["robots"] for r in rows
                 if r["doors_per_on_shift_hour"] + ci(r) >= best - ci(top))
    print(answer(rows, enough))
    table = _write_csv(out / "fleet_sweep.csv", rows)
    print(f"Table: {table}")
    chosen = twin.simulate(line, hours=24, seed=0, overrides={"fleet.count": enough},
                           events=True)
    run_dir = chosen.write(out / "run")
    print(f"A day with {enough:.0f} robots (event log, KPIs): {run_dir}")
    _report(path, counts, reps, hours, out)
    _image(run_dir, out / "tote_line.png")
    return rows


def answer(rows: list[dict[str, float]], enough: float) -> str:
    """The headline's answer, each figure read from the row of the fleet it names."""
    def rate(r: dict[str, float]) -> str:
        half = r["ci95"]
        return (f"{r['doors_per_on_shift_hour']:.1f}" + (f" +/- {half:.1f}" if half == half
                                                         else " (one replication)"))

    mine = next(r for r in rows if r["robots"] == enough)
    top = max(rows, key=lambda r: r["doors_per_on_shift_hour"])
    text = (f"Answer: {enough:.0f} humanoids reach the line's pace: {rate(mine)} doors an "
            f"on-shift hour, busy {mine['robots_busy_on_shift']:.0%} of shift time")
    if top["robots"] != enough:
        text += (f"; {top['robots']:.0f} make {rate(top)}, within the interval, and only "
                 f"queue longer at the swap station ({top['charger_wait_s']:.0f} s a charge "
                 f"against {mine['charger_wait_s']:.0f} s)")
    return text + "."


def _report(path: Path, counts: tuple[int, ...], reps: int, hours: float, out: Path) -> None:
    """The study report of the same sweep (skipped with a note if the study part is missing)."""
    try:
        from twin.study.executors import make_executor
        from twin.study.plan import StudyPlan
        from twin.study.report import write_report
        from twin.study.runner import run_study
        from twin.study.store import Store

        plan = StudyPlan(factors={"fleet.count": list(counts)}, replications=reps, hours=hours)
        store_path = out / "study.duckdb"
        executor = make_executor(0)
        with Store(store_path) as store:
            run_study(twin.load_line(path), plan, store, executor)
        executor.close()
        report = write_report(store_path, out / "report.html")
        print(f"Report: {report}")
    except Exception as exc:  # the report is a bonus; the answer above stands without it
        print(f"Report skipped ({type(exc).__name__}: {exc}); try `twin study {path} "
              f"--vary fleet.count=1:5:1 --report {out / 'report.html'}`")


def _image(run_dir: Path, png: Path) -> None:
    """A rendered frame of the run (skipped with a note without the viewer or offscreen GL)."""
    try:
        from viewer.render import ViewerScene, render_png
        from viewer.replay import Timeline
        from viewer.run import load_run

        scene = ViewerScene(Timeline(load_run(run_dir)))
        scene.camera("overview", None)
        render_png(scene, 9.5 * 3600, png)  # Monday 09:30, mid-shift
        scene.close()
        print(f"Image: {png}")
    except Exception as exc:  # rendering needs the viewer extra and offscreen OpenGL
        print(f"Image skipped ({type(exc).__name__}: {exc}); try `twin render "
              f"--replay {run_dir} --at '9.5 h' --out {png}`")
