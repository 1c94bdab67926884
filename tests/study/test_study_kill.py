"""A study killed mid-way (SIGKILL, Ctrl-C) resumes to the same tables, nothing lost or redone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from study_standin import assert_same_tables, table_rows

from twin.study.store import Store

ROOT = Path(__file__).parents[2]
TOTE = ROOT / "lines" / "tote_line.yaml"
RUNS = 12 + 1  # and the trace run at the end


def _command(store: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "twin.study", "study", str(TOTE), "--vary", "robots.count=2,3",
            "-r", "6", "--hours", "10", "--warmup", "1", "--store", str(store),
            "--workers", str(workers), "--log-runs", "--target", "throughput_per_hour>=10"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even where the tests run with SIGINT ignored (a background
    job of a shell without job control ignores it, and its children inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(store: Path, sig: int, after: int) -> int:
    proc = subprocess.Popen(_command(store, 1), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=_env(), start_new_session=True,
                            preexec_fn=_ctrl_c_on)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        seen += line.startswith("done ")
        if seen >= after:
            os.killpg(proc.pid, sig)
            break
    proc.stdout.close()
    return proc.wait(timeout=60)


def _finished(store: Path) -> dict[str, float]:
    with Store(store, read_only=True) as db:
        return dict(db.con.execute("SELECT key, started FROM runs").fetchall())


def _complete(store: Path, workers: int) -> str:
    done = subprocess.run(_command(store, workers), capture_output=True, text=True, env=_env(),
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not TOTE.exists(), reason="lines/tote_line.yaml is not there yet")
def test_killed_study_resumes_to_the_same_tables(tmp_path: Path) -> None:
    store = tmp_path / "killed.duckdb"
    assert _interrupt(store, signal.SIGKILL, after=3) == -signal.SIGKILL
    killed = _finished(store)
    assert 3 <= len(killed) < RUNS
    assert _interrupt(store, signal.SIGINT, after=3) == 130  # Ctrl-C keeps finished runs
    before = _finished(store)
    assert len(killed) + 3 <= len(before) < RUNS
    assert {k: before[k] for k in killed} == killed
    log = _complete(store, workers=1)
    assert f"{len(before)} of {RUNS - 1} already in" in log
    after = _finished(store)
    assert len(after) == RUNS
    assert {k: after[k] for k in before} == before  # kept, and not run a second time
    clean = tmp_path / "clean.duckdb"
    _complete(clean, workers=0)
    assert_same_tables(table_rows(str(clean)), table_rows(str(store)))
