"""Ctrl-C in a command's last instant, while CPython frees its modules: not a silent kill.

After the last atexit hook CPython sets SIGINT back to its default; a Ctrl-C while the modules
are freed (about 0.2 s after `twin check`) then killed the process without a word, the
command's work done and its summary printed (seen once in 20 Ctrl-Cs of
benchmarks/study_interrupts.py). twin.interrupt ignores SIGINT from its last exit hook on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

# A command whose module outlives it: freed in CPython's module teardown, it sends SIGINT to
# its own process there (a Ctrl-C in that instant) and says whether the teardown went on.
COMMAND = """import os, sys, time, types
from twin.interrupt import run

class Late:
    def __del__(self):
        os.kill(os.getpid(), 2)
        time.sleep(0.05)
        os.write(1, b"teardown went on\\n")

def command():
    held = types.ModuleType("held")
    held.late = Late()
    sys.modules["held"] = held
    print("done", flush=True)

run(lambda: command)
"""


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even where this test runs with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_python_frees_its_modules_leaves_the_exit_code(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", COMMAND], cwd=tmp_path, capture_output=True,
                          text=True, timeout=30, preexec_fn=_ctrl_c_on,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\nteardown went on\n", "")
