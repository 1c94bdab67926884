"""Ctrl-C at any moment of `twin run` and `twin optimize`: one line on stderr, exit code 130.

The command runs as a real process (``python -m twin``, the console script's code path) and gets
SIGINT while it loads, while it simulates, and (optimize) while its runs go on. Moments are
taken from the process's own CPU time, not the wall clock, so a busy machine does not move them
into CPython's start-up, which no program can hold (benchmarks/startup_interrupts.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOTE = ROOT / "lines" / "tote_line.yaml"
MM1 = ROOT / "lines" / "teaching" / "mm1.yaml"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even where this test runs with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    return subprocess.Popen([sys.executable, "-m", "twin", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_ctrl_c_on)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_cpu(proc: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + 120
    while _cpu_s(proc.pid) < seconds:
        assert proc.poll() is None, "the command ended before the moment came"
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _one_line_and_130(proc: subprocess.Popen[str], first: str = "interrupted") -> list[str]:
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 130, (proc.returncode, err[-2000:])
    assert "Traceback" not in err and "Error" not in err, err[-2000:]
    said = [line for line in lines if line.startswith("interrupted")]
    assert len(said) == 1 and lines[-1] == said[0] and said[0].startswith(first), lines
    return lines


@pytest.mark.parametrize(("moment", "cpu_s"), [("loading", 0.25), ("simulating", 2.5)])
def test_twin_run_ctrl_c(moment: str, cpu_s: float, tmp_path: Path) -> None:
    """Loading the CLI takes over a second of CPU time; a 5,000 h tote_line run takes more."""
    proc = _start(["run", str(TOTE), "--hours", "5000", "--out", str(tmp_path / "run")],
                  tmp_path)
    _wait_cpu(proc, cpu_s)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    assert _one_line_and_130(proc) == ["interrupted"]
    assert not (tmp_path / "run" / "kpis.json").exists()  # stopped, not finished


def test_twin_optimize_ctrl_c_mid_search(tmp_path: Path) -> None:
    """Once the search runs, a Ctrl-C stops its workers and says, in the one line, where the
    finished runs are kept."""
    proc = _start(["optimize", str(MM1), "-f", "stations.machine.servers=1:3",
                   "--cost", "stations.machine.servers=1000", "--hours", "100", "--warmup", "10",
                   "--workers", "1", "--initial", "6", "--target", "mean_lead_time_s<=200",
                   "--store", str(tmp_path / "o.duckdb"), "--report", str(tmp_path / "o.html")],
                  tmp_path)
    store = tmp_path / "o.duckdb"
    deadline = time.monotonic() + 120
    while not store.exists():  # the search has begun: its store is open, its runs going
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 130, lines
    assert not any("Traceback" in line or "Error" in line for line in lines), lines
    said = [line for line in lines if line.startswith("interrupted")]
    assert len(said) == 1 and said[0] == lines[-1], lines
    assert said[0].startswith("interrupted: every finished run is kept in")
    assert not (tmp_path / "o.html").exists()
