"""Soak: 10,000 mutants of the shipped lines through `twin check`, then `twin run`.

Mutant i is a shipped line (``lines/*.yaml``, ``lines/teaching/*.yaml``) with one to three
values replaced by the edge values of ``tests/test_bounds.py`` (0, -0.0, 1e-9, 1e9, 2^64, inf,
NaN, "1e400 s", degenerate distributions ...), drawn from a generator seeded with i alone, so
any mutant can be rebuilt from its number. Most edge values are refused by `twin check`;
``--mode scaled`` makes mutants the check mostly accepts, so that more of them run: one to
three numbers (or the number of a duration such as "30 s") scaled by 0, 0.01, 0.1, 0.5, 2, 10
or 100 (counts by -1, +1, x2, x10), or an entry of a mapping deleted. Each goes through the
real command line in-process (typer's runner): `twin check FILE`, and when that says yes,
`twin run FILE --hours H --seed i` with H of 0.05, 0.25 or 1 h. Counted per mutant:

- crash: a traceback (an exception out of a command) or an exit code other than 0 and 2, or a
  child process that died (a signal, the memory cap);
- hang: `twin run` past the bound a study gives the same run (``twin.study.worker
  .default_run_timeout``: 60 s plus 0.1 s per unit of line size and simulated hour);
- memory: the peak resident set of the mutant (VmHWM, reset before each one), over 500 MB;
- noisy: a refusal (exit 2) in other than one line on stderr.

Mutants run in chunks, each in a fresh child process; every result is one JSON line appended
to ``--log``, so a stopped soak resumes where it stopped. Run it with idle CPU only:

    nice -n 19 .venv/bin/python benchmarks/fuzz_soak.py --count 10000
    nice -n 19 .venv/bin/python benchmarks/fuzz_soak.py --count 2000 --mode scaled
    .venv/bin/python benchmarks/fuzz_soak.py --show 1234     # the mutant, as YAML
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the mutation space is the property test's

MEMORY_LIMIT_MB = 500.0
"""Peak resident set (MB) above which a mutant counts as a memory failure."""
HOURS = (0.05, 0.25, 1.0)
CHILD_CAP_MB = 3000
"""Address-space cap of a child (MB): a runaway allocation fails there, not in the machine."""


SCALES = (0.0, 0.01, 0.1, 0.5, 2.0, 10.0, 100.0)
_NUMBER = re.compile(r"^(\d+(?:\.\d*)?)(\s*[a-z]+)$")


def _scaled(rng: random.Random, value: Any) -> Any:
    """``value`` scaled (a number, or the number of a duration), or None to delete it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value - 1, value + 1, value * 2, value * 10, 0])
    if isinstance(value, float):
        return value * rng.choice(SCALES)
    if isinstance(value, str) and (match := _NUMBER.match(value)):
        return f"{float(match[1]) * rng.choice(SCALES):g}{match[2]}"
    return None


def _leaves(doc: Any, scalable: bool) -> list[tuple[tuple[Any, ...], Any]]:
    """Every path of ``doc`` (mappings too), or only those ``_scaled`` can change."""
    from test_bounds import _paths

    return [(where, v) for where, v in _paths(doc)
            if where and (not scalable or (not isinstance(v, (dict, list))
                                           and _scaled(random.Random(0), v) is not None))]


def mutant(index: int, mode: str = "edge") -> tuple[Path, dict[str, Any], float]:
    """Mutant ``index``: the line, its mutated document and the horizon (hours)."""
    from test_bounds import DOCS, LINES, TARGETS

    rng = random.Random(index if mode == "edge" else f"{mode}:{index}")
    path = rng.choice(LINES)
    doc = copy.deepcopy(DOCS[path])
    for _ in range(rng.randint(1, 3)):
        if mode == "edge":
            where, options = rng.choice(TARGETS[path])
        else:
            delete = rng.random() < 0.1
            where, old = rng.choice(_leaves(doc, scalable=not delete))
        node: Any = doc
        for part in where[:-1]:
            node = node[part] if isinstance(node, (dict, list)) else None
        if not isinstance(node, (dict, list)):  # inside a value an earlier mutation replaced
            continue
        if mode == "edge":
            node[where[-1]] = copy.deepcopy(rng.choice(options))
        elif not delete:
            node[where[-1]] = _scaled(rng, old)
        elif isinstance(node, dict):
            node.pop(where[-1], None)
    return path, doc, rng.choice(HOURS)


def _peak_mb() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class _Hang(BaseException):
    """Raised in the run once it passes its bound (a BaseException: the CLI runner catches
    every Exception)."""


def _invoke(args: list[str]) -> tuple[int, str, list[str]]:
    """A `twin` command in-process: exit code, the exception's last line, stderr's lines."""
    import traceback

    from typer.testing import CliRunner

    from twin.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=True)
    error = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = traceback.format_exception_only(result.exception)[-1].strip()
    return result.exit_code, error, [s for s in result.stderr.splitlines() if s.strip()]


def _budget(file: Path, hours: float) -> float:
    """The study's wall-clock budget of the same run (60 s floor)."""
    from twin.loader import load_line
    from twin.study.worker import default_run_timeout

    try:
        return default_run_timeout(load_line(file), hours)
    except Exception:  # noqa: BLE001 - the loader refused it: the floor is the bound
        return 60.0


def one(index: int, work: Path, mode: str) -> dict[str, Any]:
    """Check then run mutant ``index``; its record."""
    import yaml

    path, doc, hours = mutant(index, mode)
    file = work / path.name
    file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    rec: dict[str, Any] = {"i": index, "line": path.name, "hours": hours}
    _reset_peak()
    start = time.perf_counter()
    code, error, said = _invoke(["check", str(file)])
    rec.update(check=code, check_s=round(time.perf_counter() - start, 3))
    verdict = "ok"
    if error or code not in (0, 2):
        verdict = "crash"
    elif code == 0:
        bound = _budget(file, hours)
        start = time.perf_counter()
        from test_bounds import _deadline

        try:
            with _deadline(bound, _Hang):
                code, error, said = _invoke(["run", str(file), "--hours", str(hours),
                                             "--seed", str(index)])
            rec.update(run=code)
            if error or code not in (0, 2):
                verdict = "crash"
        except _Hang:
            verdict, error = "hang", f"over the bound of {bound:.0f} s"
        rec.update(run_s=round(time.perf_counter() - start, 3), bound_s=round(bound, 1))
    rec["peak_mb"] = round(_peak_mb(), 1)
    if verdict == "ok" and rec["peak_mb"] > MEMORY_LIMIT_MB:
        verdict = "memory"
    if verdict == "ok" and code == 2 and len(said) != 1:
        verdict = "noisy"  # a refusal must be one line
    rec.update(verdict=verdict, error=error[:500], last=(said[-1] if said else "")[:300],
               stderr_lines=len(said))
    return rec


def child(start: int, stop: int, log: Path, mode: str) -> None:
    """Run mutants ``start`` to ``stop`` - 1, appending a JSON line each."""
    import resource

    cap = CHILD_CAP_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with tempfile.TemporaryDirectory() as tmp, log.open("a", encoding="utf-8") as out:
        for index in range(start, stop):
            out.write(json.dumps(one(index, Path(tmp), mode)) + "\n")
            out.flush()


def done_indices(log: Path) -> dict[int, dict[str, Any]]:
    """Records already in the log, by mutant number."""
    out: dict[int, dict[str, Any]] = {}
    if log.exists():
        for row in log.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                rec = json.loads(row)
                out[rec["i"]] = rec
    return out


def soak(count: int, chunk: int, log: Path, child_timeout: float, mode: str) -> None:
    """Every mutant below ``count`` not yet in ``log``, chunk by chunk in child processes."""
    began = time.time()
    ran = 0
    while True:
        have = done_indices(log)
        todo = [i for i in range(count) if i not in have]
        if not todo:
            break
        start = todo[0]
        stop = min(next((i for i in range(start, count) if i in have), count), start + chunk)
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(start), str(stop),
                                 "--log", str(log), "--mode", mode], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            _, err = proc.communicate(timeout=child_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        after = done_indices(log)
        ran += sum(1 for i in range(start, stop) if i in after)
        lost = next((i for i in range(start, stop) if i not in after), None)
        if lost is not None:  # the child died (or hung in C) on this mutant
            tail = [s for s in (err or "").splitlines() if s.strip()][-1:]
            path, _, hours = mutant(lost, mode)
            rec = {"i": lost, "line": path.name, "hours": hours, "verdict": "crash",
                   "error": f"child process ended with {proc.returncode}: "
                            + (tail[0][:300] if tail else "no message")}
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps(rec) + "\n")
            ran += 1
        rate = ran / max(time.time() - began, 1e-9)
        print(f"{len(after) + (lost is not None)}/{count} mutants; {rate:.2f}/s this session",
              flush=True)
    summary(log, count)


def summary(log: Path, count: int) -> None:
    """Counts by verdict, the worst memory and time, and every failure."""
    recs = [r for i, r in sorted(done_indices(log).items()) if i < count]
    tally: dict[str, int] = {}
    for r in recs:
        tally[r["verdict"]] = tally.get(r["verdict"], 0) + 1
    ran = [r for r in recs if "run" in r or r["verdict"] == "hang"]
    print(f"mutants {len(recs)}; checked ok and run {len(ran)}; "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    if recs:
        peak = max(recs, key=lambda r: r.get("peak_mb", 0.0))
        slow = max(recs, key=lambda r: r.get("check_s", 0.0) + r.get("run_s", 0.0))
        print(f"max memory {peak.get('peak_mb', 0)} MB (mutant {peak['i']}, {peak['line']}); "
              f"slowest {slow.get('check_s', 0) + slow.get('run_s', 0):.1f} s "
              f"(mutant {slow['i']}, {slow['line']})")
    for r in recs:
        if r["verdict"] != "ok":
            print(f"  {r['verdict']} mutant {r['i']} ({r['line']}, {r['hours']} h): "
                  f"{r.get('error') or r.get('last')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=200, help="mutants per child process")
    parser.add_argument("--mode", choices=["edge", "scaled"], default="edge")
    parser.add_argument("--log", type=Path, help="default: twin_fuzz_soak[_MODE].jsonl in "
                        "the temporary folder")
    parser.add_argument("--child-timeout", type=float, default=3600.0)
    parser.add_argument("--summary", action="store_true", help="only count what the log holds")
    parser.add_argument("--show", type=int, help="print mutant N as YAML and exit")
    parser.add_argument("--child", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.log is None:
        suffix = "" if args.mode == "edge" else f"_{args.mode}"
        args.log = Path(tempfile.gettempdir()) / f"twin_fuzz_soak{suffix}.jsonl"
    if args.show is not None:
        import yaml

        path, doc, hours = mutant(args.show, args.mode)
        print(f"# mutant {args.show}: {path.relative_to(ROOT)}, --hours {hours} "
              f"--seed {args.show}\n" + yaml.safe_dump(doc), end="")
    elif args.child:
        child(*args.child, args.log, args.mode)
    elif args.summary:
        summary(args.log, args.count)
    else:
        soak(args.count, args.chunk, args.log, args.child_timeout, args.mode)


if __name__ == "__main__":
    main()
