"""Same results before and after a speed-up: KPIs, event logs and series, bit for bit.

Run: ``.venv/bin/python benchmarks/same_results.py --ref DIR [--big]``, where ``DIR`` holds
another copy of the source tree (for example the commit before a change, unpacked with
``git archive COMMIT | tar -x -C DIR``). Each case runs in a fresh interpreter once on ``DIR``'s
``twin`` and once on this tree's, and the two outputs are compared exactly:

- the KPI object as JSON (every figure to the last bit: floats are written round-trip exact);
- the event log column by column (floats compared by their bits, so a NaN equals only a NaN);
- the per-bin series and the walkways JSON;
- the KPIs of the same run with the event log off (logging takes other branches in the hot
  loop, so both are checked).

Cases: every shipped line with robots, for a week at two seeds where cheap, and generated
plants (``twin.plant.plant``): 6 rows x 5 stations x 4 robots for a week, and with ``--big`` the
benchmark's largest plant (100 rows x 3 stations x 5 robots, 500 humanoids) for 24 h, KPIs only.
Exit 1 on the first difference, naming the case and the field.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
# name, line (a YAML under lines/ or plant:rows:stations:robots), hours, seeds, event log kept
CASES: tuple[tuple[str, str, float, tuple[int, ...], bool], ...] = (
    ("tote_line", "lines/tote_line.yaml", 168.0, (0, 7), True),
    ("charging_24_7", "lines/charging_24_7.yaml", 168.0, (3,), True),
    ("narrow_aisle", "lines/narrow_aisle.yaml", 168.0, (1,), True),
    ("humanoid_assembly", "lines/humanoid_assembly.yaml", 168.0, (2,), True),
    ("rv_levelling", "lines/rv_levelling.yaml", 168.0, (4,), True),
    ("car_plant", "lines/car_plant.yaml", 40.0, (1,), True),
    ("plant_6", "plant:6:5:4", 168.0, (0,), True),
)
BIG = ("plant_100x3x5", "plant:100:3:5", 24.0, (0,), False)


def load(spec: str) -> Any:
    import twin

    if not spec.startswith("plant:"):
        return twin.load_line(HERE / spec)
    from twin.plant import plant, to_yaml

    rows, stations, robots = (int(v) for v in spec.split(":")[1:])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"plant{rows}.yaml"
        path.write_text(to_yaml(plant(rows, stations, robots, name=path.stem)))
        return twin.load_line(path)


def capture(spec: str, hours: float, seed: int, events: bool) -> dict[str, Any]:
    """One run's outputs in comparable form (run in the tree under test)."""
    import numpy as np

    import twin

    line = load(spec)
    cpu = time.process_time()
    result = twin.simulate(line, hours=hours, seed=seed, events=events)
    cpu = time.process_time() - cpu
    off = twin.simulate(line, hours=hours, seed=seed, events=False) if events else result
    out: dict[str, Any] = {
        "kpis": result.kpis.model_dump_json(),
        "kpis_no_log": off.kpis.model_dump_json(),
        "series": np.asarray(result.series_rows, dtype=float).tobytes(),
        "walkways": json.dumps(result.walkways_json, sort_keys=True),
        "cpu_s": cpu,
        "twin": twin.__file__,
        "events": {},
    }
    if events:
        table = result.log.to_table()
        for name in table.column_names:
            col = table.column(name).combine_chunks()
            if str(col.type) == "double":
                out["events"][name] = np.asarray(col.to_numpy(zero_copy_only=False),
                                                 dtype=np.float64).view(np.int64).tobytes()
            else:
                out["events"][name] = col.cast("string").to_pylist() \
                    if str(col.type).startswith("dictionary") else col.to_pylist()
        out["rows"] = table.num_rows
    return out


def run_in(tree: Path, spec: str, hours: float, seed: int, events: bool) -> dict[str, Any]:
    """``capture`` in a fresh interpreter importing ``twin`` from ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "out.pkl"
        env = dict(os.environ, PYTHONPATH=str(tree))
        cmd = [sys.executable, __file__, "--one", spec, str(hours), str(seed), str(int(events)),
               str(dump)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False,
                              cwd=tree)
        if done.returncode != 0:
            raise RuntimeError(f"{spec} in {tree} failed:\n{done.stderr}")
        with dump.open("rb") as fh:
            return pickle.load(fh)  # type: ignore[no-any-return]


def compare(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """The first field that differs, or None."""
    for key in ("kpis", "kpis_no_log", "series", "walkways"):
        if a[key] != b[key]:
            return key
    if a.get("rows") != b.get("rows"):
        return f"event rows {a.get('rows')} vs {b.get('rows')}"
    for name, col in a["events"].items():
        if b["events"].get(name) != col:
            return f"events.{name}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, help="the source tree to compare this one with")
    parser.add_argument("--big", action="store_true", help="add the 500-robot plant (24 h)")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)  # worker
    args = parser.parse_args(argv)
    if args.one:
        spec, hours, seed, events, dump = args.one
        out = capture(spec, float(hours), int(seed), events == "1")
        with open(dump, "wb") as fh:
            pickle.dump(out, fh)
        return 0
    if args.ref is None:
        parser.error("--ref DIR is required")
    cases = CASES + ((BIG,) if args.big else ())
    if args.only:
        cases = tuple(c for c in cases if args.only in c[0])
    failed = 0
    print(f"{'case':<20} {'seed':>4} {'hours':>5} {'rows':>9} {'ref cpu s':>9} "
          f"{'this cpu s':>10}  result")
    for name, spec, hours, seeds, events in cases:
        for seed in seeds:
            ref = run_in(args.ref.resolve(), spec, hours, seed, events)
            new = run_in(HERE, spec, hours, seed, events)
            assert Path(ref["twin"]).is_relative_to(args.ref.resolve()), ref["twin"]
            assert Path(new["twin"]).is_relative_to(HERE), new["twin"]
            diff = compare(ref, new)
            failed += diff is not None
            print(f"{name:<20} {seed:4d} {hours:5g} {new.get('rows', 0):9,d} "
                  f"{ref['cpu_s']:9.2f} {new['cpu_s']:10.2f}  "
                  f"{'identical' if diff is None else 'DIFFERS: ' + diff}", flush=True)
    print("all identical" if not failed else f"{failed} case(s) differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
