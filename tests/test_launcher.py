"""The `twin` launcher (launcher/twin.c): Python started with Ctrl-C held back until twin takes it.

The installed launcher runs twin's real entry chain (``twin.__main__``, ``twin.interrupt``)
with a stand-in command line: a ``twin`` package first on PYTHONPATH whose ``__path__`` goes on
into the real one, so ``twin.cli`` alone is the stand-in's (it reports its arguments, its
signal mask and a child's, and exits with the code it is given) and no test loads the real
command line (a second of CPU). A ``sitecustomize`` there can send SIGINT to the process from
inside CPython's start-up, where without the launcher it kills the process or ends in
"Fatal Python error" (benchmarks/startup_interrupts.py measures that window).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TWIN = Path(sys.executable).with_name("twin")


def _is_launcher(path: Path) -> bool:
    try:
        return path.read_bytes()[:4] == b"\x7fELF"
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc signal masks"),
    pytest.mark.skipif(not _is_launcher(TWIN), reason="no twin launcher built (no C compiler "
                       "at `make install`): .venv/bin/twin is pip's console script"),
]

STAND_IN_CLI = """import json, os, subprocess, sys

def _blocked(status):
    mask = int(next(line for line in status.splitlines() if line.startswith("SigBlk:"))
               .split()[1], 16)
    return [n for n in range(1, 65) if mask >> (n - 1) & 1]

def main():
    child = subprocess.run(["cat", "/proc/self/status"], capture_output=True, text=True)
    with open("/proc/self/status") as status:
        own = status.read()
    print(json.dumps({"argv": sys.argv, "path": sys.path, "blocked": _blocked(own),
                      "child_blocked": _blocked(child.stdout)}))
    sys.exit(int(sys.argv[1]))
"""

SITECUSTOMIZE = """import os
if "TWIN_TEST_SIGINT_IN_SITE" in os.environ:
    os.kill(os.getpid(), 2)  # a Ctrl-C inside CPython's start-up
"""


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PYTHONPATH folder: sitecustomize, and a twin package whose cli is the stand-in."""
    folder = tmp_path_factory.mktemp("stand_in")
    package = folder / "twin"
    package.mkdir()
    (package / "__init__.py").write_text(f"__path__.append({str(ROOT / 'twin')!r})\n")
    (package / "cli.py").write_text(STAND_IN_CLI)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def _twin(stand_in: Path, args: list[str], cwd: Path, sigint_in_site: bool = False,
          start: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(stand_in)}
    if sigint_in_site:
        env["TWIN_TEST_SIGINT_IN_SITE"] = "1"
    return subprocess.run([str(TWIN), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=30, preexec_fn=start or _ctrl_c_on)


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even where this test runs with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _ctrl_c_ignored() -> None:
    """In the child: started as a shell starts a background job, SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_arguments_and_exit_code_pass_through(stand_in: Path, tmp_path: Path) -> None:
    """Every argument arrives as given (spaces, empty, non-ASCII), argv[0] names the command,
    the exit code comes back, and the working folder is not on sys.path (a command's imports
    must not depend on where it is run); the command and its children run with SIGINT open."""
    args = ["7", "two words", "", "--set", "stations.press.servers=2", "ünï"]
    done = _twin(stand_in, args, tmp_path)
    assert done.returncode == 7, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["argv"] == [str(TWIN), *args]
    assert "" not in seen["path"] and str(tmp_path) not in seen["path"]
    assert seen["blocked"] == [] and seen["child_blocked"] == [], seen
    assert _twin(stand_in, ["0"], tmp_path).returncode == 0


def test_ctrl_c_inside_python_start_up_is_one_line_and_130(stand_in: Path,
                                                           tmp_path: Path) -> None:
    """SIGINT sent while CPython imports site (killed or "Fatal Python error" without the
    launcher) waits, blocked, until twin.interrupt holds it: one line, 130, nothing run."""
    done = _twin(stand_in, ["0"], tmp_path, sigint_in_site=True)
    assert (done.returncode, done.stderr, done.stdout) == (130, "interrupted\n", "")


def test_ctrl_c_ignored_at_start_stays_ignored(stand_in: Path, tmp_path: Path) -> None:
    """A command started with SIGINT ignored runs on through a SIGINT in its start-up."""
    done = _twin(stand_in, ["0"], tmp_path, sigint_in_site=True, start=_ctrl_c_ignored)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    assert json.loads(done.stdout)["blocked"] == []
