"""Ctrl-C in a `twin` command's first moments: what each moment ends in, and why.

Starts `twin check lines/tote_line.yaml` and a tiny `twin study` --runs times each, sends SIGINT
(to the process group, as a terminal does) at moments spread evenly over 0 to --until seconds
(from --start on; with --random, at moments drawn uniformly from that span, seeded by --seed),
and sorts the ends:

- "130, one line": twin's own handling (twin.interrupt), the aim;
- "finished": the command ended (exit 0) before the signal;
- "traceback": a KeyboardInterrupt came out as a Python traceback;
- "CPython start-up error": SIGINT came while CPython imported `site` and ran the
  environment's `.pth` hooks: "Fatal Python error: init_import_site" (or, rarely, a bare
  "KeyboardInterrupt" line), exit 1. No program's code runs before this ends;
- "killed by SIGINT, silent": SIGINT came before CPython set its handler: the process dies of
  the signal with no output (a shell shows ^C and reports 130, as for any program);
- "other": anything else (exit code and number of lines shown).

The Makefile installs `twin` as a C launcher (launcher/twin.c) that blocks SIGINT before it
execs Python, so a Ctrl-C in the three windows above waits until twin.interrupt takes it: what
is left is "killed by SIGINT, silent" before the launcher's first instructions (1 of 200
moments in its first 0.2 ms of CPU time; by the wall clock, a busy machine adds the wait for
a core after exec: up to 3.6 ms at a load of 2 on 2 cores), as for any program. --twin names
another command to compare, e.g. a copy of pip's console script (the Makefile's fallback).
With --start the sweep can look at a command's end instead: after the last atexit hook
CPython frees its modules with SIGINT back at its default (silent kills, 24 of 100 moments
in 0.7-1.4 s of `twin check`'s CPU time before twin.interrupt ignored SIGINT there; since,
"finished", as the command's work is done).

With --after-site the moments count from the end of CPython's own start-up instead (a
`sitecustomize` in a temporary folder on PYTHONPATH writes one byte to a pipe; `site` imports
it last), so the sweep sees only what twin's code can reach (though less of it than a plain
start would: compiling that sitecustomize sets up Python's compiler, 1.5 ms of CPU that twin's
entry chain otherwise pays when no bytecode cache is written). With --cpu a moment is the
command's own time on a CPU (its CPU-time clock, to the nanosecond), which a busy machine
does not stretch: that clock stops while the command waits for a core. Then the start-up cost:
`python -X importtime` of `twin check` (the top importers), the CPU time of each stretch before
twin holds Ctrl-C, and the wall time of `twin --help`.

    .venv/bin/python benchmarks/startup_interrupts.py                   # 0-1.5 s, 40 runs each
    .venv/bin/python benchmarks/startup_interrupts.py --commands check --until 0.08 --runs 81
    .venv/bin/python benchmarks/startup_interrupts.py --after-site --cpu --until 0.006 --runs 61
    .venv/bin/python benchmarks/startup_interrupts.py --random --until 0.06 --runs 300 --top 0 \
        --cpu-runs 0 --help-runs 0                                      # the first 60 ms
    .venv/bin/python benchmarks/startup_interrupts.py --commands check --cpu --random \
        --start 0.7 --until 1.4 --runs 100 --top 0 --cpu-runs 0 --help-runs 0  # the end
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import math
import os
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWIN = ROOT / ".venv" / "bin" / "twin"
PROGRESS = re.compile(r"[━╸╺]|\d+/\d+ +\d+ failed")  # a study's rich progress lines (not a tty)
SITE_FD = "STARTUP_INTERRUPTS_SITE_FD"
SITECUSTOMIZE = f"""import os
if {SITE_FD!r} in os.environ:
    os.write(int(os.environ.pop({SITE_FD!r})), b".")  # the last thing site does
"""
ORDER = ["killed by SIGINT, silent", "CPython start-up error", "traceback",
         "130, one line", "finished"]


def outcome(code: int, err: str) -> str:
    """The class of one end, from its exit code and stderr."""
    lines = [line for line in err.splitlines() if line.strip() and not PROGRESS.search(line)]
    if "Fatal Python error" in err or (code == 1 and err.strip() == "KeyboardInterrupt"):
        return "CPython start-up error"  # the bare line: raised before any Python frame
    if "Traceback" in err:
        return "traceback"
    if code == 130 and len(lines) == 1 and lines[0].startswith("interrupted"):
        return "130, one line"
    if code == -signal.SIGINT and not err.strip():
        return "killed by SIGINT, silent"
    if code == 0:
        return "finished"
    return f"other (exit {code}, {len(lines)} lines)"


def _ctrl_c_on() -> None:
    """In the child: SIGINT acts even where this script runs with it ignored (a background job)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cpu_s(pid: int) -> float:
    """The process's time on a CPU so far, to the nanosecond: its CPU-time clock, as
    clock_getcpuclockid(3) names it (the slice it is running now included)."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, SCHED)
    except OSError:
        return math.inf  # reaped


def _cpu_or_end(proc: subprocess.Popen[str]) -> float:
    """The command's CPU time, or infinity once it has ended (a zombie's clock stands still)."""
    return math.inf if proc.poll() is not None else _cpu_s(proc.pid)


def _busy_wait(seconds: float, clock: Callable[[], float]) -> None:
    since = clock()
    while clock() - since < seconds:  # sleep overshoots by milliseconds
        pass


def one_end(cmd: list[str], at: float, cwd: Path, site_dir: Path | None, cpu: bool) -> str:
    """Start ``cmd``, send SIGINT ``at`` seconds later (of its CPU time with ``cpu``), and
    return the class of its end."""
    env = {**os.environ, "COLUMNS": "100"}
    fds: tuple[int, ...] = ()
    if site_dir is not None:
        read, write = os.pipe()
        env[SITE_FD] = str(write)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site_dir),
                                                          env.get("PYTHONPATH")]))
        fds = (write,)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_ctrl_c_on, pass_fds=fds)
    if site_dir is not None:
        os.close(write)
        ready, _, _ = select.select([read], [], [], 30)
        got = os.read(read, 1) if ready else b""
        os.close(read)
        if not got:
            proc.kill()
            proc.communicate()
            raise SystemExit("the child never reached the end of site (is sitecustomize "
                             "shadowed?)")
    _busy_wait(at, functools.partial(_cpu_or_end, proc) if cpu else time.perf_counter)
    with contextlib.suppress(ProcessLookupError):  # ended already
        os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return outcome(proc.returncode, err)


def sweep(name: str, cmd: list[str], args: argparse.Namespace, fresh: Path | None,
          site_dir: Path | None) -> None:
    """Send SIGINT at ``args.runs`` evenly spread moments and print the table."""
    moments: dict[str, list[float]] = collections.defaultdict(list)
    step = (args.until - args.start) / max(args.runs - 1, 1)
    draw = random.Random(f"{args.seed} {name}")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.runs):
            if fresh is not None:
                fresh.unlink(missing_ok=True)
                for extra in fresh.parent.glob(fresh.name + "*"):
                    extra.unlink()
            at = draw.uniform(args.start, args.until) if args.random else args.start + k * step
            moments[one_end(cmd, at, Path(tmp), site_dir, args.cpu)].append(at * 1000)
    since = "after the end of site" if site_dir is not None else "after exec"
    since = f"of its CPU time {since}" if args.cpu else since
    spread = (f"drawn at random (seed {args.seed})" if args.random
              else f"evenly spread (step {step * 1000:.2f} ms)")
    print(f"\n{name}: SIGINT at {args.runs} moments, {args.start * 1000:g}-"
          f"{args.until * 1000:g} ms {since}, {spread}")
    print(f"  {'end':34s} {'runs':>5s} {'share':>6s}  {'moments (ms)':>16s}  {'width (ms)':>10s}")
    rank = {name: i for i, name in enumerate(ORDER)}
    for cls, at in sorted(moments.items(), key=lambda kv: (rank.get(kv[0], 99), min(kv[1]))):
        share = len(at) / args.runs  # the width: the share of the span that ends this way
        print(f"  {cls:34s} {len(at):5d} {share:6.1%}  {min(at):7.1f} - {max(at):6.1f}  "
              f"{share * (args.until - args.start) * 1000:10.1f}")


def importtime(twin: str, top: int) -> None:
    """`python -X importtime` of `twin check` (PYTHONPROFILEIMPORTTIME, which reaches the
    interpreter behind a launcher too): CPython's own start-up, twin's entry chain (all
    imported before Ctrl-C is held) and the top importers of the rest, by package."""
    proc = subprocess.run([twin, "check", str(ROOT / "lines" / "tote_line.yaml")], cwd=ROOT,
                          env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
                          capture_output=True, text=True, timeout=120)
    roots: list[tuple[str, int, list]] = []  # (module, cumulative us, children)
    pending: list[tuple[int, tuple[str, int, list]]] = []
    for line in proc.stderr.splitlines():  # a module's line comes after its imports' lines
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "self [us]" in line:
            continue
        depth = (len(parts[2]) - len(parts[2].lstrip()) - 1) // 2
        children = [node for d, node in pending if d > depth]
        pending = [(d, node) for d, node in pending if d <= depth]
        node = (parts[2].strip(), int(parts[1]), children)
        pending.append((depth, node))
        if depth == 0:
            roots.append(node)
    by_package: dict[str, int] = collections.Counter()

    def walk(node: tuple[str, int, list], outer: frozenset[str]) -> None:
        package = node[0].split(".")[0]
        if package not in outer:
            by_package[package] += node[1]
        for child in node[2]:
            walk(child, outer | {package})

    for root in roots:
        walk(root, frozenset())
    total = sum(root[1] for root in roots)
    print(f"\npython -X importtime {Path(twin).name} check tote_line.yaml: {total / 1000:.0f} ms "
          "of imports")
    entry = next((i for i, root in enumerate(roots) if root[0].startswith("twin")), len(roots))
    print("  before twin's first line (CPython start-up): "
          + ", ".join(f"{name} {cum / 1000:.1f}" for name, cum, _ in roots[:entry]) + " ms")
    print("  twin's entry chain, before Ctrl-C is held: "
          + ", ".join(f"{name} {cum / 1000:.1f}" for name, cum, _ in roots[entry:entry + 1])
          + " ms")
    print(f"  top {top} importing packages (cumulative ms, what they import included):")
    skip = {"twin", "site", "io", "encodings"}
    heads = sorted((kv for kv in by_package.items() if kv[0] not in skip), key=lambda kv: -kv[1])
    for name, cum in heads[:top]:
        print(f"    {name:32s} {cum / 1000:7.1f}")


def cpu_widths(times: int) -> None:
    """CPU time of the stretches before twin holds Ctrl-C, read by the process itself
    (CLOCK_PROCESS_CPUTIME_ID; median of ``times`` interleaved runs), which a busy machine
    stretches far less than the wall clock the sweeps use. The interpreter's stretch ends
    after its own SIGINT handler is set (a millisecond or two of its end is past it)."""
    python = str(ROOT / ".venv" / "bin" / "python")
    clock = "import time; print(time.process_time_ns() / 1e6)"
    chain = ("import time; t = time.process_time_ns(); import twin.__main__; "
             "print((time.process_time_ns() - t) / 1e6)")
    steps = {"start": [python, "-S", "-c", clock], "site": [python, "-c", clock],
             "chain": [python, "-c", chain]}
    spent: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(times):
        for name, cmd in steps.items():
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
            spent[name].append(float(done.stdout))
    start, site, entry = (statistics.median(spent[name]) for name in steps)
    print(f"\nCPU time before twin holds Ctrl-C, median of {times} runs: interpreter start-up "
          f"{start:.1f} ms, site (.pth hooks) {site - start:.1f} ms, twin's entry chain "
          f"(import twin.__main__) {entry:.1f} ms")


def help_time(twin: str, times: int) -> None:
    """Wall time of `twin --help` (median of ``times``) beside a bare interpreter's."""
    def wall(cmd: list[str]) -> float:
        spent = []
        for _ in range(times):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, timeout=120)
            spent.append(time.perf_counter() - start)
        return statistics.median(spent)

    bare = wall([sys.executable, "-c", "pass"])
    helped = wall([twin, "--help"])
    print(f"\nwall time, median of {times}: python -c pass {bare * 1000:.0f} ms, "
          f"twin --help {helped * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twin", type=Path, default=TWIN,
                        help="the twin command to start (default: the venv's)")
    parser.add_argument("--runs", type=int, default=40, help="runs per command")
    parser.add_argument("--start", type=float, default=0.0, help="first moment, seconds")
    parser.add_argument("--until", type=float, default=1.5, help="last moment, seconds")
    parser.add_argument("--commands", default="check,study", help="check, study or both")
    parser.add_argument("--random", action="store_true",
                        help="moments drawn uniformly from 0 to --until, not evenly spread")
    parser.add_argument("--seed", type=int, default=1, help="seed of the --random moments")
    parser.add_argument("--cpu", action="store_true",
                        help="moments are the command's CPU time, not the wall clock's")
    parser.add_argument("--after-site", action="store_true",
                        help="count moments from the end of CPython's site import")
    parser.add_argument("--top", type=int, default=12, help="importers listed (0: none)")
    parser.add_argument("--cpu-runs", type=int, default=30,
                        help="interleaved runs for the start-up CPU times (0: none)")
    parser.add_argument("--help-runs", type=int, default=5, help="twin --help timings (0: none)")
    args = parser.parse_args()
    twin = str(args.twin.absolute())  # the sweeps run in a temporary folder
    kind = "a launcher (ELF)" if args.twin.read_bytes()[:4] == b"\x7fELF" else "a script"
    print(f"{twin}, {kind}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as work:
        site_dir = None
        if args.after_site:
            site_dir = Path(work) / "site"
            site_dir.mkdir()
            (site_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        store = Path(work) / "study.duckdb"
        commands = {
            "check": ([twin, "check", str(ROOT / "lines" / "tote_line.yaml")], None),
            "study": ([twin, "study", str(ROOT / "lines" / "teaching" / "mm1.yaml"),
                       "--vary", "stations.machine.servers=1,2", "--replications", "1",
                       "--hours", "1", "--workers", "0", "--store", str(store)], store),
        }
        for name in args.commands.split(",") if args.runs else []:
            cmd, fresh = commands[name.strip()]
            sweep(" ".join(["twin", *cmd[1:3]]).replace(str(ROOT) + "/", ""), cmd, args,
                  fresh, site_dir)
    if args.top:
        importtime(twin, args.top)
    if args.cpu_runs:
        cpu_widths(args.cpu_runs)
    if args.help_runs:
        help_time(twin, args.help_runs)


if __name__ == "__main__":
    main()
