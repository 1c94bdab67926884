"""Ctrl-C in the first instants of the `twin` command: one line and exit 130, no traceback.

The console script (what a user types) gets SIGINT at early moments of `twin check`, while it
loads its command line. Moments count from the end of CPython's own start-up: a
``sitecustomize`` on PYTHONPATH writes one byte to a pipe, the last thing the ``site`` import
does. Before that no program's code has run: a Ctrl-C there kills the process silently or ends
in CPython's "Fatal Python error: init_import_site" (benchmarks/startup_interrupts.py measures
those windows). Moments are the child's CPU time, so a busy machine does not move them.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TWIN = Path(sys.executable).with_name("twin")
SITE_FD = "TWIN_TEST_SITE_FD"

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux CPU-time clocks"),
    pytest.mark.skipif(not TWIN.exists(), reason="the twin console script is not installed"),
]


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even where this test runs with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cpu_s(pid: int) -> float:
    """The child's CPU-time clock (clock_getcpuclockid(3)), to the nanosecond."""
    return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    (folder / "sitecustomize.py").write_text(
        "import os\n"
        f"if {SITE_FD!r} in os.environ:\n"
        f"    os.write(int(os.environ.pop({SITE_FD!r})), b'.')\n")
    return folder


def _ctrl_c_after_site(site_dir: Path, cpu_s: float, cwd: Path) -> tuple[int, str]:
    """Start `twin check`, wait for the end of ``site`` and ``cpu_s`` more seconds of the
    child's CPU time, send SIGINT to its process group as a terminal does; exit code, stderr."""
    read, write = os.pipe()
    env = {**os.environ, SITE_FD: str(write), "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site_dir),
                                                       os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([str(TWIN), "check", str(ROOT / "lines" / "tote_line.yaml")],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=_ctrl_c_on,
                            pass_fds=(write,))
    os.close(write)
    try:
        assert select.select([read], [], [], 60)[0] and os.read(read, 1) == b".", \
            "the child never reached the end of site (another sitecustomize first on the path?)"
    finally:
        os.close(read)
    moment = _cpu_s(proc.pid) + cpu_s
    deadline = time.monotonic() + 60
    while _cpu_s(proc.pid) < moment:
        assert proc.poll() is None, "the command ended before the moment came"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("cpu_s", [0.02, 0.06, 0.15, 0.35])
def test_twin_check_ctrl_c_while_starting(cpu_s: float, site_dir: Path, tmp_path: Path) -> None:
    """twin's entry chain holds Ctrl-C within ~3.5 ms of CPU after ``site`` (the first moment
    leaves it about six times that); loading the command line takes about a second of CPU."""
    code, err = _ctrl_c_after_site(site_dir, cpu_s, tmp_path)
    assert "Traceback" not in err and "Fatal Python error" not in err, err[-2000:]
    assert (code, err) == (130, "interrupted\n")
