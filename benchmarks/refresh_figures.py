"""Refresh every documented figure that comes from a run, in one command (`make figures`).

Run after the robot is recalibrated (`twin calibrate`) or the model changes what a run makes.
Each step runs what its document says it ran and writes the new figures where a table holds
them; prose that quotes a figure is not rewritten: the step prints ``PROSE file: ...`` with the
new values beside the old, and a person edits the sentence. Every rewrite prints ``old -> new``.

    python benchmarks/refresh_figures.py                 # every step (20-30 min, loaded machine)
    python benchmarks/refresh_figures.py --only hall,car_plant
    python benchmarks/refresh_figures.py --list

Steps (what they refresh):
  headline   README's fleet table and lines/tote_line.yaml's answer (`twin demo --headline`),
             the make-demo report's answer (PROSE)
  charging   lines/charging_24_7.yaml's table (`python tests/lines/test_charging_24_7.py`),
             README's row (PROSE)
  narrow     lines/narrow_aisle.yaml's header and README's table (40 h, seeds 0-2)
  hall       README's ten-row hall table (`twin plant --rows 10`, 40 h, seed 0), docs/traffic.md
             (PROSE)
  car_plant  lines/car_plant.yaml's fleet table (`twin plant --rows 25`, 40 h, seeds 1-3)
  assembly   humanoid_assembly's robots a day (README, PROSE)
  energy     the calibration's fitted figures and the lines' energy (docs/energy.md, README's
             physics paragraph: PROSE)
  optimize   docs/optimize.md (benchmarks/optimize_bench.py in a fresh store: PROSE)
  image      docs/viewer.png (`make readme-image`)
  card       docs/robot_card_walker_s2.png (`make readme-card`)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import mean
from typing import Any

import twin
from twin.config import Line
from twin.plant import plant

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LINES = ROOT / "lines"
HOURS = 40.0  # the hall, car plant and narrow-aisle figures: a working week of two shifts
NARROW_OVERRIDES: dict[str, dict[str, Any]] = {
    "as built": {},
    "passing bay": {"layout.passing_bays": [{"x": 22, "y": 6.5}]},
    "one-way loop": {"layout.aisles.0.one_way": True, "layout.aisles.1.one_way": True},
    "ghosts": {"layout.traffic.enabled": False},
}
SHORTAGE = {"sources.reducers.kind": "arrivals",
            "sources.reducers.interarrival": {"dist": "exponential", "mean": "75 min"},
            "sources.reducers.follows_shifts": True}


def prose(path: Path, what: str) -> None:
    """A figure in a sentence: say it; a person edits the sentence."""
    print(f"PROSE {path.relative_to(ROOT)}: {what}")


def rewrite(path: Path, pattern: str, new: Callable[[re.Match[str]], str],
            count: int = 1) -> None:
    """Replace each match of ``pattern`` (multi-line) in ``path`` by ``new(match)``, printing
    old -> new; the document must hold exactly ``count`` matches (else it changed shape)."""
    text = path.read_text(encoding="utf-8")
    found = list(re.finditer(pattern, text, flags=re.M))
    if len(found) != count:
        raise SystemExit(f"{path.relative_to(ROOT)}: {len(found)} matches of {pattern!r}, "
                         f"expected {count}: has the text changed?")
    for m in found:
        replacement = new(m)
        if replacement != m.group(0):
            print(f"{path.relative_to(ROOT)}:\n  - {m.group(0)}\n  + {replacement}")
    path.write_text(re.sub(pattern, new, text, flags=re.M), encoding="utf-8")


def _columns(m: re.Match[str], *values: str) -> str:
    """Group 1 of ``m`` then ``values`` in place of its (space, value) group pairs, each
    right-aligned where the old value ended."""
    out = m.group(1)
    for k, value in enumerate(values):
        space, old = m.group(2 + 2 * k), m.group(3 + 2 * k)
        out += " " * max(1, len(space) + len(old) - len(value)) + value
    return out


def runs(line: Line, seeds: Sequence[int], hours: float = HOURS,
         overrides: dict[str, Any] | None = None) -> list[twin.RunResult]:
    return [twin.simulate(line, hours=hours, seed=s, overrides=overrides) for s in seeds]


def twin_cli(*args: str) -> None:
    """A twin command, as `make` or a newcomer types it (in this tree)."""
    subprocess.run([sys.executable, "-m", "twin", *args], check=True, cwd=ROOT)


# --- steps ---------------------------------------------------------------------------------
def headline() -> None:
    from twin.demo import headline as sweep

    with tempfile.TemporaryDirectory() as out:
        rows = sweep(Path(out))
        report = (Path(out) / "report.html").read_text(encoding="utf-8") \
            if (Path(out) / "report.html").exists() else ""
    by = {int(r["robots"]): r for r in rows}

    def row(m: re.Match[str]) -> str:
        r = by[int(m.group(1))]
        return (f"| {m.group(1)} | {r['doors_per_on_shift_hour']:.1f} +/- {r['ci95']:.1f} | "
                f"{r['oee']:.2f} | {r['robots_busy_on_shift']:.0%} | "
                f"{r['charger_wait_s']:,.0f} s | {r['waiting_spot_share']:.1%} | "
                f"{r['waiting_traffic_share']:.1%} |")

    rewrite(README, r"^\| ([1-5]) \| [\d.]+ \+/- [\d.]+ \| .*\|$", row, count=5)

    def answer(_m: re.Match[str]) -> str:
        rate = {n: f"{by[n]['doors_per_on_shift_hour']:.1f}" for n in by}
        return (f"#   1 robot: {rate[1]}   2 robots: {rate[2]}   3 robots: {rate[3]}   "
                f"4 robots: {rate[4]}   (5 robots: {rate[5]})")

    rewrite(LINES / "tote_line.yaml", r"^#   1 robot: .*$", answer)
    for n, r in by.items():
        prose(README, f"{n} robots: {r['doors_per_on_shift_hour']:.1f} +/- {r['ci95']:.1f} "
              f"doors, busy {r['robots_busy_on_shift']:.0%}, swap wait "
              f"{r['charger_wait_s']:,.0f} s (the paragraph under the table, tote_line.yaml)")
    said = dict.fromkeys(re.findall(r"\d+ robots? and \d+ swap stations? make [^<]*?95% CI "
                                    r"[\d.]+ to [\d.]+", report))
    prose(README, f"make demo's report says: {'; '.join(said) or '? (no report)'} (the Report "
          "paragraph quotes the cheaper one)")


def charging() -> None:
    spec = importlib.util.spec_from_file_location(
        "charging_figures", ROOT / "tests" / "lines" / "test_charging_24_7.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(ROOT / "tests" / "lines"))  # its lines_helpers
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = LINES / "charging_24_7.yaml"
    old = path.read_text(encoding="utf-8")
    table = module.refresh_header()
    for a, b in zip(old.splitlines(), path.read_text(encoding="utf-8").splitlines(),
                    strict=False):
        if a != b:
            print(f"{path.relative_to(ROOT)}:\n  - {a}\n  + {b}")
    prose(README, "the charging_24_7 row quotes this table:\n" + table)


def narrow() -> None:
    line = twin.load_line(LINES / "narrow_aisle.yaml")
    got: dict[str, tuple[float, float]] = {}
    for name, overrides in NARROW_OVERRIDES.items():
        rs = runs(line, range(3), overrides=overrides)
        got[name] = (mean(r.kpis.line.throughput_per_hour for r in rs),
                     mean(r.kpis.line.waiting_traffic_share for r in rs))
    six = {name: mean(r.kpis.line.throughput_per_hour for r in runs(
        line, range(3), overrides={"fleet.count": 6, **NARROW_OVERRIDES[name]}))
        for name in ("as built", "ghosts")}

    def share(x: float) -> str:
        return "0%" if x == 0 else f"{x:.1%}"

    header = {"as built": r"(#   as built: both passages two-way.*?)",
              "passing bay": r"(#     --set 'layout\.passing_bays=.*?)",
              "one-way loop": r"(#     --set layout\.aisles\.0\.one_way=true.*?)",
              "ghosts": r"(#)"}
    for name, prefix in header.items():
        rate, wait = got[name]
        rewrite(LINES / "narrow_aisle.yaml", prefix + r"(\s+)(\d+)(\s+)([\d.]+%)$",
                lambda m, rate=rate, wait=wait: _columns(m, f"{rate:.0f}", share(wait)))
    table = {"as built": r"^(\| as built: both passages two-way \| )\d+ \| [\d.]+% \|$",
             "passing bay": r"^(\| a passing bay halfway along the lower passage \| )\d+ \| "
                            r"[\d.]+% \|$",
             "one-way loop": r"^(\| one-way loop: east by the lower passage, west by the upper "
                             r"\| )\d+ \| [\d.]+% \|$",
             "ghosts": r"^(\| ghosts \(`--set layout\.traffic\.enabled=false`\) \| )\d+ \| "
                       r"[\d.]+% \|$"}
    for name, pattern in table.items():
        rate, wait = got[name]
        rewrite(README, pattern,
                lambda m, rate=rate, wait=wait: f"{m.group(1)}{rate:.0f} | {share(wait)} |")
    built, ghosts, loop = got["as built"][0], got["ghosts"][0], got["one-way loop"][0]
    prose(LINES / "narrow_aisle.yaml",
          f"head-on meetings cost {1 - built / ghosts:.0%} of the output; the loop wins back "
          f"{loop - built:.0f} of the {ghosts - built:.0f} parts an hour lost; six robots "
          f"{six['as built']:.0f} against {six['ghosts']:.0f} as ghosts "
          f"({1 - six['as built'] / six['ghosts']:.0%})")


def hall() -> None:
    got: dict[tuple[int, float], tuple[float, float]] = {}
    for n in range(2, 7):
        for aisle in (3.0, 1.2):
            line = Line.model_validate(plant(10, 5, n, aisle=aisle))
            k = twin.simulate(line, hours=HOURS, seed=0).kpis.line
            got[n, aisle] = (k.throughput_per_shift_hour, k.waiting_traffic_share)

    def row(m: re.Match[str]) -> str:
        n = int(m.group(1))
        (wide, _), (narrow, held) = got[n, 3.0], got[n, 1.2]
        return (f"| {n} | {wide:.1f} | {wide / (10 * n):.1f} | {narrow:.1f} | "
                f"{narrow / (10 * n):.1f} | {held:.1%} |")

    rewrite(README, r"^\| ([2-6]) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+% \|$", row,
            count=5)
    best = max(got[n, 3.0][0] for n in range(2, 7))
    for n in range(2, 7):
        wide, narrow_at = got[n, 3.0][0], got[n, 1.2][0]
        prose(ROOT / "docs" / "traffic.md",
              f"{n} a row: 3 m aisles {wide:.0f} doors an hour ({1 - wide / best:.1%} short of "
              f"the best, {best:.0f}), 1.2 m aisles {narrow_at:.0f} (loses "
              f"{1 - narrow_at / wide:.0%} to traffic) (README's paragraph under the table too)")


def car_plant() -> None:
    rows: dict[int, tuple[float, float, float, float, float]] = {}
    for n in range(2, 6):
        line = Line.model_validate(plant(25, 5, n))
        ks = [r.kpis.line for r in runs(line, (1, 2, 3))]
        rows[n] = (mean(k.throughput_per_shift_hour for k in ks) / 25,
                   mean(k.robot_utilisation for k in ks),
                   mean(k.mean_charger_wait_s for k in ks),
                   mean(k.waiting_traffic_share for k in ks),
                   mean(k.waiting_spot_share for k in ks))

    def cell(n: int) -> str:
        rate, busy, wait = rows[n][:3]
        return f"{rate:.1f}  {busy:.0%}  {wait:.0f} s"

    rewrite(LINES / "car_plant.yaml", r"^#   2 a row \(50 robots\):.*$",
            lambda m: f"#   2 a row (50 robots): {cell(2)}     3 a row (75):  {cell(3)}")
    rewrite(LINES / "car_plant.yaml", r"^#   4 a row \(100\):.*$",
            lambda m: f"#   4 a row (100):       {cell(4)}    5 a row (125): {cell(5)}")
    one = Line.model_validate(plant(1, 5, 4))
    alone = mean(r.kpis.line.throughput_per_shift_hour for r in runs(one, range(1, 6)))
    start = time.process_time()
    built = twin.simulate(twin.load_line(LINES / "car_plant.yaml"), hours=HOURS, seed=0)
    cpu = time.process_time() - start
    prose(LINES / "car_plant.yaml",
          f"a row of four makes {rows[4][0]:.1f} against {alone:.1f} for a one-row plant "
          f"(seeds 1-5); traffic {rows[4][3]:.2%}, full work spots {rows[4][4]:.1%}; the hall "
          f"as built: {built.kpis.line.throughput_per_shift_hour:,.0f} doors an on-shift hour, "
          f"OEE {built.kpis.line.oee:.2f}, {cpu:.0f} s of processor time")


def assembly() -> None:
    line = twin.load_line(LINES / "humanoid_assembly.yaml")
    base = mean(24 * r.kpis.line.throughput_per_hour for r in runs(line, range(3), 672))
    short = mean(24 * r.kpis.line.throughput_per_hour
                 for r in runs(line, range(3), 672, SHORTAGE))
    prose(README, f"humanoid_assembly: {base:.1f} robots a day, with the reducer shortage "
          f"{short:.1f} (4 weeks, seeds 0-2)")


def energy() -> None:
    from twin.motion import calibration_path

    cal = json.loads(calibration_path("walker_s2").read_text(encoding="utf-8"))
    w, prov = cal["walk"], cal["provenance"]
    a, b, c = w["power_w"]
    act = {k: cal[k] for k in ("pick", "place", "dock")}
    print("calibration (assets/calibration/walker_s2.json, "
          f"{prov.get('date', '?')}, external force {prov.get('external_force_max_n')} N, "
          f"torque {prov.get('external_torque_max_nm')} N m):")
    print(f"  walking power {a:.1f} + {b:.1f} v + {c:.2f} kg W ({a + 1.1 * b:.0f} W at 1.1 m/s)")
    if w.get("manoeuvre_w"):
        print("  setting off, stopping and turning {:.1f} + {:.2f} kg W".format(*w["manoeuvre_w"]))
    for k, fit in act.items():
        print(f"  {k}: {fit['duration_s'][0]:.1f} s + {fit['duration_s'][1]:.3f} s/kg, "
              f"{fit['energy_j'][0]:.0f} J + {fit['energy_j'][1]:.1f} J/kg, "
              f"sd {fit['duration_sd']:.2f} s, success {fit['success']:.0%}")
    print(f"  turning {w['turn_s_per_rad']:.2f} s/rad, overhead {w['overhead_s']:.2f} s, "
          f"bend {w['bend_s'] or 0:.2f} s, walk energy cv {w['energy_cv']:.3f}, cost of "
          f"transport {prov['fit_error']['walk']['cost_of_transport']}")
    for name, seeds, counts in (("tote_line", (1, 2, 3), (3, 4)), ("charging_24_7", (1, 2), (0,))):
        line = twin.load_line(LINES / f"{name}.yaml")
        for n in counts:
            over = {"fleet.count": n} if n else None
            ks = [r.kpis.line for r in runs(line, seeds, 168, over)]
            rate = mean(k.throughput_per_shift_hour if n else k.throughput_per_hour for k in ks)
            prose(ROOT / "docs" / "energy.md",
                  f"{name}{f' {n} robots' if n else ''} (seeds {seeds}): {rate:.2f} units an "
                  f"hour, {mean(k.fleet_energy_kwh for k in ks):.1f} kWh, "
                  f"{mean(k.charges for k in ks):.0f} charges a week")


def optimize() -> None:
    with tempfile.TemporaryDirectory() as store:  # a fresh store: nothing resumed
        bench = [sys.executable, str(ROOT / "benchmarks" / "optimize_bench.py"), "--workers",
                 "1", "--dir", store]
        subprocess.run([*bench, "--replay", "40,45,50,55,57,58,60,61,62"], check=True, cwd=ROOT)
        subprocess.run([*bench, "--only-factorial"], check=True, cwd=ROOT)  # resumed: means
    prose(ROOT / "docs" / "optimize.md", "the tote_line paragraph quotes the runs above")


def image() -> None:
    subprocess.run(["make", "readme-image"], check=True, cwd=ROOT)  # (its command: Makefile)


def card() -> None:
    subprocess.run(["make", "readme-card"], check=True, cwd=ROOT)


STEPS: dict[str, Callable[[], None]] = {
    "headline": headline, "charging": charging, "narrow": narrow, "hall": hall,
    "car_plant": car_plant, "assembly": assembly, "energy": energy, "optimize": optimize,
    "image": image, "card": card}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated steps (default: all)")
    parser.add_argument("--list", action="store_true", help="list the steps and stop")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(STEPS))
        return
    chosen = [s for s in args.only.split(",") if s] or list(STEPS)
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        raise SystemExit(f"refresh_figures: no step {', '.join(unknown)} (steps: "
                         f"{', '.join(STEPS)})")
    for name in chosen:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        STEPS[name]()
        print(f"== {name}: {time.perf_counter() - start:.0f} s", flush=True)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
