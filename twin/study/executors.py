"""Where runs execute: in this process, a local process pool, or a Dask distributed cluster.

Every executor calls the same ``execute_run`` on the same specs, so results are identical bit
for bit wherever they ran. Dask is imported only when a scheduler address is given.

The local pool is a crew of worker processes, one pipe each, so that the study keeps hold of
every run: a run past its wall-clock budget is stopped (and its process killed if it
is stuck in C code) and recorded as failed while the study goes on; Ctrl-C reaches only the
study process, which stops the crew; and workers die with the study, even a SIGKILLed one.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Protocol

from twin.study.plan import RunSpec
from twin.study.worker import RunOutcome, execute_run, resolve, spec_budget, timed_out

Done = tuple[RunSpec, RunOutcome]
Timeouts = Mapping[str, float]
"""Run key -> wall-clock budget in seconds (runs not named have none). Without a mapping,
every run gets the default budget of its line's size and horizon (``spec_budget``)."""

KILL_GRACE_S = 10.0
"""A run stopped at its budget normally returns at once; a worker still silent this long
after the budget is stuck outside Python and is killed."""
START_GRACE_S = 120.0
"""A worker that has not begun a run this long after it was sent (its start-up hangs) is
killed as well."""
STARTED = "started"
"""What a worker says when it begins a run."""
POLL_S = 0.25
"""How often the pool looks at budgets while it waits for results."""
PARENT_POLL_S = 0.5
"""How often a worker checks that the study process is still there (besides the kernel's
parent-death signal on Linux)."""
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
OUTSIDE_STOPS = {signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT}
"""Signals by which someone outside stopped a worker (OOM killer, kill, a closing terminal):
its run is lost, not failed, and runs again when the study resumes."""


class Executor(Protocol):
    """Runs specs and yields (spec, outcome) pairs as they finish."""

    workers: int

    def run(self, specs: Sequence[RunSpec],
            timeouts: Timeouts | None = None) -> Iterator[Done]: ...

    def close(self, cancel: bool = False) -> None: ...


def _budget(spec: RunSpec, timeouts: Timeouts | None) -> float | None:
    return spec_budget(spec) if timeouts is None else timeouts.get(spec.key)


def _lost(spec: RunSpec, why: str) -> RunOutcome:
    return RunOutcome(spec.key, "lost", why)


class InlineExecutor:
    """Runs one spec after another in this process (debugging, tiny studies)."""

    workers = 1

    def run(self, specs: Sequence[RunSpec], timeouts: Timeouts | None = None) -> Iterator[Done]:
        for spec in specs:
            yield spec, execute_run(spec, _budget(spec, timeouts))

    def close(self, cancel: bool = False) -> None:
        """Nothing to release."""


def die_with_parent(parent: int, kernel_signal: bool = True) -> None:
    """Make this process end when process ``parent`` does: the kernel's parent-death signal
    on Linux (``kernel_signal``; it fires when the thread that started us ends, so only for
    workers started by a main thread) and, everywhere, a thread that polls the parent pid."""
    if kernel_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="twin-parent-watch", daemon=True).start()


WORKER_BOOT = ("import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
               "del sys.path[0]; from twin.study.executors import serve; serve()")
"""A pool worker's command line (``python -c``): Ctrl-C is the study's business from the
first instruction on, and twin comes from where the study's twin came from (PYTHONPATH),
not from a ``twin`` folder in the working directory that ``-c`` would put first."""


def serve() -> None:
    """A pool worker's life (``python -c WORKER_BOOT FD PARENT KERNEL``): die with the study
    process, take its import path, run the specs it sends until it sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd, parent, kernel_signal = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    die_with_parent(parent, kernel_signal)
    conn = Connection(fd)
    try:
        path: list[str] = conn.recv()
        sys.path[:0] = [p for p in path if p not in sys.path]
        while True:
            job = conn.recv()
            if job is None:
                return
            if job == "warm":
                import twin.line.factory  # noqa: F401
                import twin.sim  # noqa: F401

                outcome: Any = os.getpid()
            else:
                spec, timeout_s = job
                with contextlib.suppress(Exception):  # imports are no part of the budget
                    resolve(spec.simulator)  # (a failure is reported by execute_run)
                conn.send(STARTED)
                outcome = execute_run(spec, timeout_s)
            conn.send(outcome)
    except (EOFError, OSError):  # the study went away
        return


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


@dataclass
class _Hand:
    """One worker process, its end of the pipe and the run it is on."""

    process: subprocess.Popen[bytes]
    conn: Connection
    spec: RunSpec | None = None
    budget: float | None = None
    since: float = 0.0
    begun: bool = False

    def give(self, spec: RunSpec, budget: float | None) -> None:
        """Send a run (marked first: a send cut short by Ctrl-C leaves a worker to stop)."""
        self.spec, self.budget, self.since, self.begun = spec, budget, time.monotonic(), False
        self.conn.send((spec, budget))

    def overdue(self, now: float) -> bool:
        """Past the run's budget and the grace since the run began (or since it was sent,
        with the start-up grace, while the worker has not begun it)."""
        if self.budget is None:
            return False
        return now - self.since > self.budget + KILL_GRACE_S + (
            0.0 if self.begun else START_GRACE_S)

    def stop(self, wait_s: float = 0.0) -> None:
        """Kill the process (after ``wait_s`` for it to end by itself) and reap it."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(wait_s)
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5.0)
        self.conn.close()


class LocalExecutor:
    """A crew of worker processes on this machine (all cores by default).

    Each worker is a fresh interpreter in a session of its own (a terminal's Ctrl-C reaches
    only the study process, which stops the crew) talking over one pipe; it ends when the
    study process does, even a SIGKILLed one (parent-death signal, parent-pid watch, pipe).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.crew: list[_Hand] = []
        self.idle_deaths = 0

    def _hire(self, slot: int | None = None) -> None:
        """Start a worker into the crew (at ``slot``, or added)."""
        import twin

        conn, child = multiprocessing.Pipe(duplex=True)
        main = threading.current_thread() is threading.main_thread()
        home = str(Path(twin.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (home, os.environ.get("PYTHONPATH", "")) if p)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", WORKER_BOOT, str(child.fileno()), str(os.getpid()),
                 "1" if main else "0"],
                pass_fds=(child.fileno(),), env=env, start_new_session=True)
        finally:
            child.close()
        hand = _Hand(process, conn)
        if slot is None:
            self.crew.append(hand)
        else:
            self.crew[slot] = hand
        with contextlib.suppress(OSError):  # died at once: found out at its first run
            conn.send(sys.path)

    def _rehire_idle(self) -> None:
        """Count workers that died before taking a run; many mean they cannot start."""
        self.idle_deaths += 1
        if self.idle_deaths > 3 * self.workers:
            raise RuntimeError("study worker processes keep dying before their first run; "
                               "run with --workers 0 to see why")

    def _staff(self, wanted: int) -> None:
        for hand in self.crew:
            if hand.process.poll() is not None:
                hand.stop()
        self.crew = [h for h in self.crew if not h.conn.closed]
        while len(self.crew) < wanted:
            self._hire()

    def _replace(self, hand: _Hand) -> None:
        hand.stop()
        self._hire(self.crew.index(hand))

    def warm_up(self) -> None:
        """Start every worker process now (imports included), e.g. before timing."""
        self._staff(self.workers)
        for hand in self.crew:
            hand.conn.send("warm")
        for hand in self.crew:
            hand.conn.recv()

    def run(self, specs: Sequence[RunSpec], timeouts: Timeouts | None = None) -> Iterator[Done]:
        """Run ``specs`` on the crew; a run past its budget in ``timeouts`` comes back
        failed. Closing the iterator early (Ctrl-C) kills the workers still running."""
        todo = deque(specs)
        self._staff(min(self.workers, len(todo)))
        try:
            while True:
                for hand in list(self.crew):
                    if hand.spec is None and todo:
                        spec = todo.popleft()
                        try:
                            hand.give(spec, _budget(spec, timeouts))
                        except OSError:  # it died idle: hire another, try again
                            todo.appendleft(spec)
                            self._replace(hand)
                            self._rehire_idle()
                busy = [h for h in self.crew if h.spec is not None]
                if not busy:
                    return
                ready = set(wait([h.conn for h in busy], timeout=POLL_S))
                now = time.monotonic()
                for hand in busy:
                    job = hand.spec
                    assert job is not None
                    if hand.conn in ready:
                        outcome = self._collect(hand, job)
                        if outcome is None:  # it began the run: the budget counts from now
                            hand.since, hand.begun = time.monotonic(), True
                            continue
                    elif hand.overdue(now):
                        self._replace(hand)
                        outcome = RunOutcome(job.key, "failed", timed_out(hand.budget or 0.0)
                                             + " (its worker was stuck and was killed)",
                                             time.time() - (now - hand.since), now - hand.since)
                    else:
                        continue
                    hand.spec = None
                    yield job, outcome
        finally:
            for hand in self.crew:
                if hand.spec is not None:  # abandoned mid-run: its result would come late
                    hand.spec = None
                    hand.stop()
            self.crew = [h for h in self.crew if not h.conn.closed]

    def _collect(self, hand: _Hand, spec: RunSpec) -> RunOutcome | None:
        """The outcome a worker sent (None for its notice that it began the run), or what
        its death means for the run."""
        try:
            message = hand.conn.recv()
            return None if message == STARTED else message  # type: ignore[no-any-return]
        except (EOFError, OSError):
            pass
        hand.stop(wait_s=5.0)
        code = hand.process.returncode
        self._replace(hand)
        why = f"its worker process died ({_death(code)}) during the run"
        if code is not None and code < 0 and -code in OUTSIDE_STOPS:
            return _lost(spec, why)
        return RunOutcome(spec.key, "failed", why)

    def close(self, cancel: bool = False) -> None:
        """Let the workers go; with ``cancel`` kill them at once, runs and all."""
        crew, self.crew = self.crew, []
        for hand in crew:
            if not cancel and not hand.conn.closed:
                with contextlib.suppress(OSError):
                    hand.conn.send(None)
        for hand in crew:
            hand.stop(wait_s=0.0 if cancel else 5.0)


class DaskExecutor:
    """Sends runs to an existing Dask distributed scheduler (``tcp://host:port``)."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        from distributed import Client

        self.client = Client(address, timeout=timeout, set_as_default=False)
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
        self.futures: list[Any] = []

    def run(self, specs: Sequence[RunSpec], timeouts: Timeouts | None = None) -> Iterator[Done]:
        """Submit every spec; a run past its budget is stopped inside its worker thread."""
        from distributed import as_completed as dask_completed

        by_key = {f"twin-run-{spec.key}": spec for spec in specs}
        self.futures = [self.client.submit(execute_run, spec, _budget(spec, timeouts), key=k,
                                           pure=False)
                        for k, spec in by_key.items()]
        for future in dask_completed(self.futures, loop=self.client.loop):
            spec = by_key[future.key]
            try:
                yield spec, future.result()
            except Exception as exc:  # noqa: BLE001 - worker lost, cancelled, ...
                yield spec, _lost(spec, f"{type(exc).__name__}: {exc}")
            future.release()

    def close(self, cancel: bool = False) -> None:
        """Cancel what is still queued (if asked) and disconnect."""
        if cancel and self.futures:
            self.client.cancel(self.futures)
        self.client.close()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Dask when a scheduler address is given, else a local pool (``workers=0``: inline)."""
    if scheduler:
        return DaskExecutor(scheduler)
    if workers == 0:
        return InlineExecutor()
    return LocalExecutor(workers)
