"""Studies that stop cleanly: hung runs time out and the study goes on; Ctrl-C and SIGKILL
leave whole runs only, no process behind, and a resume gives the uninterrupted tables.

The stand-in simulators (stoppable.py) answer like the M/M/1 stand-in, after a pause or never.
The soak (20 Ctrl-Cs and 20 SIGKILLs of a real line) is benchmarks/study_interrupts.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from study_standin import assert_same_tables, table_rows

import twin
from twin.study import executors
from twin.study.executors import InlineExecutor, LocalExecutor
from twin.study.plan import StudyPlan
from twin.study.runner import parse_run_timeout, run_study
from twin.study.store import Store
from twin.study.worker import default_run_timeout

ROOT = Path(__file__).parents[2]
MM1 = ROOT / "lines" / "teaching" / "mm1.yaml"
MARK = "TWIN_TEST_STUDY_MARK"


def _plan(simulator: str, servers: list[int], replications: int, traces: bool) -> StudyPlan:
    return StudyPlan(factors={"stations.machine.servers": servers}, replications=replications,
                     hours=2, warmup=0, traces=traces, simulator=f"stoppable:{simulator}")


def _runs(path: Path) -> dict[str, tuple[str, str, float]]:
    with Store(path, read_only=True) as store:
        rows = store.con.execute("SELECT key, status, error, wall_s FROM runs").fetchall()
    return {k: (status, error, wall) for k, status, error, wall in rows}


def test_a_run_past_its_budget_fails_and_the_study_goes_on(tmp_path: Path) -> None:
    """A model looping in Python is stopped at its budget, inside the process that runs it."""
    store = tmp_path / "hung.duckdb"
    with Store(store) as db:
        result = run_study(twin.load_line(MM1), _plan("hang_in_python", [2, 1], 2, False), db,
                           InlineExecutor(), run_timeout=0.4)
        again = run_study(twin.load_line(MM1), _plan("hang_in_python", [2, 1], 2, False), db,
                          InlineExecutor(), run_timeout=0.4)
    assert (result.done, result.failed) == (2, 2)
    runs = _runs(store).values()
    hung = [r for r in runs if r[0] == "failed"]
    assert len(hung) == 2 and all(e.startswith("timed out") for _, e, _ in hung)
    assert all(0.4 <= wall < 3.0 for _, _, wall in hung)  # stopped at the budget, not later
    assert (again.skipped, again.done, again.failed) == (4, 0, 0)  # recorded, not run again


def test_a_worker_stuck_in_c_is_killed_and_replaced(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """No Python instruction runs in a C call: the pool kills the worker past budget + grace
    and hires another for the next run."""
    monkeypatch.setattr(executors, "KILL_GRACE_S", 0.3)
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)  # the workers' environment, not this process's
    store = tmp_path / "stuck.duckdb"
    pool = LocalExecutor(1)
    try:
        with Store(store) as db:
            result = run_study(twin.load_line(MM1), _plan("hang_in_c", [2, 1], 1, False), db,
                               pool, run_timeout=0.5)
        workers = _marked(mark)
    finally:
        pool.close(cancel=True)
    assert (result.done, result.failed) == (1, 1)
    [(_, error, wall)] = [r for r in _runs(store).values() if r[0] == "failed"]
    assert error.startswith("timed out") and "killed" in error
    assert 0.8 <= wall < 5.0
    assert len(workers) == 1  # the stuck one is gone, its replacement ran the other run
    _no_process_left(mark)


def test_ctrl_c_during_a_write_waits_for_the_commit(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB turns a Ctrl-C inside a statement into an error mid-commit; the store holds it
    until the run is written whole, then raises KeyboardInterrupt."""
    from twin.study import store as store_module

    script = store_module._script

    def ctrl_c_inside(con: object, sql: str, **tables: object) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # lands while the transaction is open
        time.sleep(0.05)
        script(con, sql, **tables)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "_script", ctrl_c_inside)
    # Python's own Ctrl-C handler, even where the tests run with SIGINT ignored (a background
    # job of a shell without job control)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    path = tmp_path / "held.duckdb"
    with Store(path) as db, pytest.raises(KeyboardInterrupt):
        run_study(twin.load_line(MM1), _plan("simulate", [1], 3, False), db, InlineExecutor())
    monkeypatch.undo()
    signal.signal(signal.SIGINT, old)
    assert [status for status, _, _ in _runs(path).values()] == ["done"]  # whole, then stop
    tables = table_rows(str(path))
    assert len(tables["line_kpis"]) == len(tables["station_kpis"]) == 1


def test_run_budget_option_and_default() -> None:
    line = twin.load_line(MM1)  # 1 server, 1 source, 1 sink
    assert default_run_timeout(line, 10, 0) == pytest.approx(60 + 0.1 * 3 * 10)
    assert default_run_timeout(line, 10, 0, {"stations.machine.servers": 5}) == pytest.approx(
        60 + 0.1 * 7 * 10)
    assert parse_run_timeout("20 min") == 1200 and parse_run_timeout("90") == 90
    assert parse_run_timeout(None) is None and parse_run_timeout("off") == float("inf")
    for bad in ("0", "-1", "inf", "soon"):
        with pytest.raises(ValueError, match="--run-timeout"):
            parse_run_timeout(bad)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return [pid for pid in found if _alive(pid)]


def _no_process_left(mark: str) -> None:
    deadline = time.monotonic() + 5.0
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == [], "study processes outlived the study"


def _ctrl_c_on() -> None:
    """In the child: Ctrl-C acts even if this test runs where SIGINT is ignored (a shell's
    background job), since a Python started with SIGINT ignored keeps ignoring it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _kept(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    with Store(path) as store:  # opening replays the log a killed study left
        return dict(store.con.execute("SELECT key, started FROM runs").fetchall())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_and_sigkill_keep_whole_runs_and_leave_no_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "stopped.duckdb"
    mark = uuid.uuid4().hex
    cmd = [sys.executable, "-m", "twin.study", "study", str(MM1), "--vary",
           "stations.machine.servers=1,2", "-r", "4", "--hours", "2", "--warmup", "0",
           "--store", str(store), "--workers", "1", "--log-runs",
           "--simulator", "stoppable:simulate"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(ROOT)]),
           "TWIN_TEST_RUN_PAUSE_S": "0.3", MARK: mark, "COLUMNS": "100"}

    def stop_after(runs: int, sig: signal.Signals, group: bool) -> tuple[int, str]:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, start_new_session=True, preexec_fn=_ctrl_c_on)
        assert proc.stdout is not None
        seen = 0
        for line in proc.stdout:
            seen += line.startswith("done ")
            if seen >= runs:
                (os.killpg if group else os.kill)(proc.pid, sig)
                break
        _, err = proc.communicate(timeout=60)
        return proc.returncode, err

    code, err = stop_after(2, signal.SIGKILL, group=False)  # kill -9 of the study alone
    assert code == -signal.SIGKILL
    _no_process_left(mark)  # its worker went with it
    killed = _kept(store)
    assert len(killed) >= 2

    code, err = stop_after(2, signal.SIGINT, group=True)  # Ctrl-C in a terminal
    assert code == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("interrupted: every finished run is kept")
    _no_process_left(mark)
    stopped = _kept(store)
    assert {k: stopped[k] for k in killed} == killed  # kept, not run again
    assert len(stopped) >= len(killed) + 2

    monkeypatch.delenv("TWIN_TEST_RUN_PAUSE_S", raising=False)
    plan = StudyPlan(factors={"stations.machine.servers": [1, 2]}, replications=4, hours=2,
                     warmup=0, simulator="stoppable:simulate")
    with Store(store) as db:  # resume: the same study again (in this process: faster)
        resumed = run_study(twin.load_line(MM1), plan, db, InlineExecutor())
    assert (resumed.skipped, resumed.done) == (len(stopped), 8 + 1 - len(stopped))
    after = _kept(store)
    assert {k: after[k] for k in stopped} == stopped
    clean = tmp_path / "clean.duckdb"
    with Store(clean) as db:
        run_study(twin.load_line(MM1), plan, db, InlineExecutor())
    assert_same_tables(_by_run(clean), _by_run(store))


def _by_run(path: Path) -> dict[str, pd.DataFrame]:
    """Every table, each run's key replaced by (scenario, replication, role), without the
    code version: others' edits to the model's source meanwhile change keys, not rows."""
    tables = table_rows(str(path))
    runs = tables["runs"]
    names = {k: f"{s}/{r}/{role}" for k, s, r, role in
             runs[["key", "scenario", "replication", "role"]].itertuples(index=False)}
    out = {}
    for name, frame in tables.items():
        frame = frame.drop(columns=["code_version"], errors="ignore")
        if "key" in frame:
            frame = frame.assign(key=frame["key"].map(names))
            frame = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
        out[name] = frame
    return out
