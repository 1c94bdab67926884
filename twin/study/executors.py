"""Where runs execute: in this process, a local process pool, or a Dask distributed cluster.

Every executor calls the same ``execute_run`` on the same specs, so results are identical bit
for bit wherever they ran. Dask is imported only when a scheduler address is given.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from twin.study.plan import RunSpec
from twin.study.worker import RunOutcome, execute_run

Done = tuple[RunSpec, RunOutcome]


class Executor(Protocol):
    """Runs specs and yields (spec, outcome) pairs as they finish."""

    workers: int

    def run(self, specs: Sequence[RunSpec]) -> Iterator[Done]: ...

    def close(self, cancel: bool = False) -> None: ...


def _lost(spec: RunSpec, why: str) -> RunOutcome:
    return RunOutcome(spec.key, "lost", why)


class InlineExecutor:
    """Runs one spec after another in this process (debugging, tiny studies)."""

    workers = 1

    def run(self, specs: Sequence[RunSpec]) -> Iterator[Done]:
        for spec in specs:
            yield spec, execute_run(spec)

    def close(self, cancel: bool = False) -> None:
        """Nothing to release."""


def _quiet_worker() -> None:
    """Ctrl-C is the parent's business: it cancels, workers must not die mid-row."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm(_: int) -> int:
    """Import the model and linger so that every worker process gets started."""
    import time

    import twin.line.factory  # noqa: F401
    import twin.sim  # noqa: F401

    time.sleep(0.2)
    return os.getpid()


class LocalExecutor:
    """A pool of spawned processes on this machine (all cores by default)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                        initializer=_quiet_worker)

    def warm_up(self) -> None:
        """Start every worker process now (imports included), e.g. before timing."""
        list(self.pool.map(_warm, range(self.workers * 2)))

    def run(self, specs: Sequence[RunSpec]) -> Iterator[Done]:
        futures: dict[Future[RunOutcome], RunSpec] = {
            self.pool.submit(execute_run, spec): spec for spec in specs
        }
        try:
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    yield spec, future.result()
                except BrokenProcessPool:
                    yield spec, _lost(spec, "a worker process died")
        finally:
            for future in futures:
                future.cancel()

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel`` stop running workers at once."""
        if cancel:
            processes: dict[Any, Any] = getattr(self.pool, "_processes", None) or {}
            for process in list(processes.values()):
                process.terminate()
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskExecutor:
    """Sends runs to an existing Dask distributed scheduler (``tcp://host:port``)."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        from distributed import Client

        self.client = Client(address, timeout=timeout, set_as_default=False)
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()) or 1
        self.futures: list[Any] = []

    def run(self, specs: Sequence[RunSpec]) -> Iterator[Done]:
        from distributed import as_completed as dask_completed

        by_key = {f"twin-run-{spec.key}": spec for spec in specs}
        self.futures = [self.client.submit(execute_run, spec, key=k, pure=False)
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
