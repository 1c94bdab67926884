"""Ctrl-C in a `twin` command's first moments: where each outcome lies on the clock.

Sends SIGINT to `twin run` at moments swept evenly over its first --until seconds (--sweeps
times over) and sorts what came back:

- "one line, 130": twin's own handling (twin.interrupt), the aim;
- "killed silently": SIGINT came before CPython set its handler; the process dies of the
  signal with no output (a shell reports 130, as for any program stopped by Ctrl-C);
- "fatal error": SIGINT came while CPython imported `site` and ran the `.pth` hooks of the
  environment (an editable install's import finder is the largest): "Fatal Python error:
  init_import_site" and a traceback, exit 1. No program's code runs before this ends;
- "traceback": the KeyboardInterrupt came between `site` and twin's first instruction.

    .venv/bin/python benchmarks/startup_interrupts.py                  # 0-150 ms, 3 sweeps
    .venv/bin/python benchmarks/startup_interrupts.py --twin /other/venv/bin/twin
"""

from __future__ import annotations

import argparse
import collections
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def outcome(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    if "Fatal Python error" in err:
        return "fatal error"
    if "Traceback" in err:
        return "traceback"
    if code == 130 and lines == ["interrupted"]:
        return "one line, 130"
    if code == -signal.SIGINT and not lines:
        return "killed silently"
    if code == 0:
        return "finished first"
    return f"other (exit {code}, {len(lines)} lines)"


def _ctrl_c_on() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--twin", default=str(ROOT / ".venv" / "bin" / "twin"))
    parser.add_argument("--until", type=float, default=0.15, help="seconds swept")
    parser.add_argument("--step", type=float, default=0.002, help="seconds between moments")
    parser.add_argument("--sweeps", type=int, default=3)
    args = parser.parse_args()
    cmd = [args.twin, "run", str(ROOT / "lines" / "teaching" / "mm1.yaml"), "--hours", "1"]
    moments: dict[str, list[float]] = collections.defaultdict(list)
    steps = int(round(args.until / args.step)) + 1
    for _ in range(args.sweeps):
        for k in range(steps):
            at = k * args.step
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True, preexec_fn=_ctrl_c_on)
            start = time.perf_counter()
            while time.perf_counter() - start < at:  # a busy wait: sleep overshoots by ms
                pass
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            moments[outcome(proc.returncode, err)].append(at * 1000)
    total = sum(len(v) for v in moments.values())
    print(f"{args.twin}: SIGINT at {steps} moments in 0-{args.until * 1000:.0f} ms, "
          f"{args.sweeps} sweeps")
    for name, at in sorted(moments.items(), key=lambda kv: min(kv[1])):
        print(f"  {name:34s} {len(at):4d} of {total}  ({min(at):5.0f} to {max(at):5.0f} ms; "
              f"window about {len(at) / args.sweeps * args.step * 1000:.0f} ms)")
    sys.exit(0)


if __name__ == "__main__":
    main()
