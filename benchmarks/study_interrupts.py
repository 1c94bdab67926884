"""Soak: stop `twin study` at random moments (Ctrl-C, SIGKILL), resume it, compare the tables.

For each trial a study of a shipped line starts in a fresh store and gets SIGINT (half of
them as a terminal sends it, to the whole process group; half to the study process alone) or
SIGKILL (to the study process alone, as `kill -9 PID` does) at a moment drawn uniformly from
the length of an uninterrupted study; trials go on until each signal stopped a running study
`--trials` times. Then it checks:

- Ctrl-C: exit code 130, the last line on stderr is the one "interrupted: ..." line, and no
  traceback anywhere on stderr; SIGKILL: killed, and nothing else;
- no process of the study outlives it (every process started with the trial's mark in its
  environment is looked up in /proc 3 s after the study ended);
- the same command run again resumes: it says how many runs it found, every run finished
  before the stop is kept as it was (same start time: not run again), and every table equals
  that of the uninterrupted study (timing columns aside).

The code, lines and assets are copied to a temporary folder first, so that edits others make
to the working tree meanwhile do not change the run keys between trials.

    .venv/bin/python benchmarks/study_interrupts.py                  # 20 Ctrl-C + 20 SIGKILL
    .venv/bin/python benchmarks/study_interrupts.py --trials 3 --scheduler local   # Dask
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "TWIN_SOAK_MARK"
INTERRUPTED = re.compile(r"^interrupted\b")
PROGRESS = re.compile(r"[━╸╺]|\d+/\d+ +\d+ failed")  # rich progress lines (not a tty)


@dataclass
class Tally:
    """What the trials found."""

    trials: int = 0
    stopped: int = 0          # the signal came while the study was still running
    finished_first: int = 0   # the study had ended before the signal
    problems: list[str] = field(default_factory=list)

    def bad(self, trial: str, what: str) -> None:
        self.problems.append(f"{trial}: {what}")
        print(f"  PROBLEM {trial}: {what}", flush=True)


def snapshot(into: Path) -> Path:
    """Copy what a study needs (code, lines, assets) so the run keys stay put."""
    for part in ("twin", "viewer", "lines", "assets"):
        shutil.copytree(ROOT / part, into / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return into


def command(code: Path, line: str, store: Path, args: argparse.Namespace) -> list[str]:
    cmd = [str(ROOT / ".venv" / "bin" / "twin"), "study", str(code / line),
           "--vary", "robots.count=2,3", "-r", str(args.replications), "--hours",
           str(args.hours), "--warmup", "1", "--store", str(store),
           "--target", "throughput_per_hour>=10"]
    if args.scheduler:
        cmd += ["--scheduler", args.scheduler]
    else:
        cmd += ["--workers", str(args.workers)]
    return cmd


def environment(code: Path, mark: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(code), "COLUMNS": "100", MARK: mark}


def marked(mark: str) -> list[int]:
    """Live (not zombie) processes whose environment carries ``mark``."""
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def finished(store: Path) -> dict[str, float]:
    """Key -> start time of every run the store holds (opening it replays its log)."""
    import duckdb

    if not store.exists():
        return {}
    con = duckdb.connect(str(store))
    try:
        return dict(con.execute("SELECT key, started FROM runs").fetchall())
    except duckdb.CatalogException:  # killed before the tables were made
        return {}
    finally:
        con.close()


def tables(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of a store, rows sorted, timing columns left out."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        out = {}
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        for name in names:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [name]).fetchall()
                if r[0] not in ("started", "wall_s", "worker")]
            body = ", ".join(f'"{c}"' for c in cols)
            rows = [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)
                    for row in con.execute(f"SELECT {body} FROM {name}").fetchall()]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def _ctrl_c_on() -> None:
    """In the child before exec: Ctrl-C acts (a shell's background job inherits it ignored,
    and a Python started so keeps ignoring it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def complete(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


def trial(name: str, sig: signal.Signals, group: bool, at: float, code: Path, work: Path,
          args: argparse.Namespace, reference: dict[str, list[tuple[object, ...]]],
          tally: Tally) -> float | None:
    """One stop and resume; the study's length if it ended before the signal, else None."""
    mark = uuid.uuid4().hex
    store = work / f"{name}.duckdb"
    cmd = command(code, args.line, store, args)
    env = environment(code, mark)
    tally.trials += 1
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True, preexec_fn=_ctrl_c_on)
    time.sleep(at)
    running = proc.poll() is None
    if running:
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        tally.bad(name, f"{sig.name} at {at:.1f} s: the study did not end within 120 s")
    length = time.perf_counter() - began
    stopped = running and proc.returncode != 0
    tally.stopped += stopped
    tally.finished_first += not stopped
    lines = [ln for ln in err.splitlines() if ln.strip() and not PROGRESS.search(ln)]
    if "Traceback" in err or "Exception" in err:
        tally.bad(name, f"{sig.name} at {at:.1f} s: traceback or error on stderr:\n{err[-3000:]}")
    if stopped and sig == signal.SIGINT:
        if proc.returncode != 130:
            tally.bad(name, f"SIGINT at {at:.1f} s: exit code {proc.returncode}, not 130")
        if not lines or not INTERRUPTED.match(lines[-1]):
            tally.bad(name, f"SIGINT at {at:.1f} s: last stderr line is {lines[-1:]}")
        elif sum(bool(INTERRUPTED.match(ln)) for ln in lines) != 1:
            tally.bad(name, f"SIGINT at {at:.1f} s: several interrupt lines: {lines}")
    if stopped and sig == signal.SIGKILL and proc.returncode != -signal.SIGKILL:
        tally.bad(name, f"SIGKILL at {at:.1f} s: exit code {proc.returncode}")
    if not stopped and proc.returncode != 0:
        tally.bad(name, f"{sig.name} at {at:.1f} s: exit code {proc.returncode}")
    time.sleep(3.0)
    orphans = marked(mark)
    if orphans:
        tally.bad(name, f"{sig.name} at {at:.1f} s: {len(orphans)} processes outlived the "
                        f"study: {orphans}")
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
    before = finished(store)
    again = complete(cmd, environment(code, mark))
    if again.returncode != 0 or "Traceback" in again.stderr:
        tally.bad(name, f"resume: exit code {again.returncode}\n{again.stderr[-2000:]}")
        return None
    after = finished(store)
    if before and "already in" not in again.stderr:
        tally.bad(name, "resume: no 'already in' line although runs were kept")
    changed = [k for k, t in before.items() if after.get(k) != t]
    if changed:
        tally.bad(name, f"resume: {len(changed)} finished runs lost or run again")
    mine = tables(store)
    for table, rows in reference.items():
        if mine.get(table) != rows:
            tally.bad(name, f"resume: table {table} differs from the uninterrupted study "
                            f"({len(mine.get(table, []))} rows, {len(rows)} expected)")
    print(f"  {name}: {sig.name}{' (group)' if group and sig == signal.SIGINT else ''} at "
          f"{at:5.1f} s -> exit {proc.returncode}, {len(before)} runs kept, resumed to "
          f"{len(after)}, {'stopped' if stopped else 'had finished'}", flush=True)
    return None if stopped else length


def local_scheduler() -> tuple[object, str]:
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=40)
    return cluster, str(cluster.scheduler_address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20,
                        help="stops of a running study per signal (moments after a study "
                             "ended do not count)")
    parser.add_argument("--line", default="lines/tote_line.yaml")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--signals", default="INT,KILL")
    parser.add_argument("--scheduler", help="a Dask scheduler address, or 'local' to start one")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="study_interrupts_"))
    code = snapshot(work / "code")
    cluster = None
    if args.scheduler == "local":
        cluster, args.scheduler = local_scheduler()
    try:
        ref_store = work / "reference.duckdb"
        start = time.perf_counter()
        done = complete(command(code, args.line, ref_store, args),
                        environment(code, uuid.uuid4().hex))
        length = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"the uninterrupted study failed:\n{done.stderr[-2000:]}")
        reference = tables(ref_store)
        runs = len(reference["runs"])
        print(f"uninterrupted study: {runs} runs in {length:.1f} s (process start included); "
              f"{args.trials} trials per signal, moments uniform in [0, {length:.1f}] s",
              flush=True)
        tally = Tally()
        for word in args.signals.split(","):
            sig = signal.Signals[f"SIG{word}"]
            stops = attempt = 0
            while stops < args.trials and attempt < 3 * args.trials:
                # the machine's load changes: a study that ended before its signal shortens
                # the window the next moments are drawn from
                took = trial(f"{word.lower()}{attempt:02d}", sig, group=attempt % 2 == 0,
                             at=rng.uniform(0, length), code=code, work=work, args=args,
                             reference=reference, tally=tally)
                attempt += 1
                if took is None:
                    stops += 1
                else:
                    length = min(length, 0.9 * took)
    finally:
        if cluster is not None:
            cluster.close()  # type: ignore[attr-defined]
    print(f"{tally.trials} trials: {tally.stopped} stopped the study, {tally.finished_first} "
          f"came after it had finished; {len(tally.problems)} problems")
    for problem in tally.problems:
        print(f"  - {problem.splitlines()[0]}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if tally.problems else 0)


if __name__ == "__main__":
    main()
