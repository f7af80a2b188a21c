"""Executors: where a sweep's runs are executed. The engine is handed one and only iterates it.

``serial`` (this process), ``pool`` (a local process pool, the default) and ``dask`` (a running
Dask distributed scheduler, :mod:`sim.sweep.dask_executor`). Each takes :class:`BatchTask` s
(a few runs each, executed by :func:`sim.sweep.tasks.execute_batch`) and yields their rows as
they finish, in any order, with ``attempts`` added; a worker process that dies is replaced and
its unfinished batches resubmitted (:data:`MAX_ATTEMPTS` times at most).

Pool workers never outlive the sweep: they ignore Ctrl-C (the sweep process stops them), they
are terminated when the sweep is interrupted or stops iterating, and when the sweep process is
killed outright (SIGKILL) the kernel kills its fork server and the fork server's workers in turn
(``PR_SET_PDEATHSIG`` on Linux, see :func:`sim.run.workers.die_with_parent`; elsewhere each worker watches the
sweep process from a thread). multiprocessing alone would leave them: its fork server waits for
every worker to go, and a worker waits for work forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from sim.core.errors import InputError
from sim.run import workers
from sim.sweep.tasks import MAX_ATTEMPTS, BatchTask, ExecutorStats, error_rows, execute_batch, one_line, warm_up

KINDS = ("serial", "pool", "dask")
MAX_WORKERS = 1024


class Executor(Protocol):
    """What the engine needs of an executor."""

    kind: str
    """'serial', 'pool' or 'dask' (recorded in the manifest)."""
    workers: int | None
    """Local worker processes (pool only)."""
    scheduler: str | None
    """The Dask scheduler's address (dask only)."""

    def run(self, tasks: Iterable[BatchTask], stats: ExecutorStats, tag: str) -> Iterator[dict[str, Any]]:
        """Execute ``tasks``, yielding each row as it finishes; ``tag`` names the sweep (Dask keys)."""
        ...

    def close(self) -> None:
        """Release what the executor holds (a Dask client); it is not used afterwards."""
        ...


def make_executor(kind: str, *, workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor called ``kind`` (``serial``, ``pool`` or ``dask``); Dask connects here.

    Raises
    ------
    InputError
        ``executor``, ``workers`` or ``scheduler`` out of range, or no scheduler at that address.
    """
    if kind == "serial":
        return SerialExecutor()
    if kind == "pool":
        return PoolExecutor(workers)
    if kind == "dask":
        from sim.sweep.dask_executor import DaskExecutor  # distributed is an optional extra

        return DaskExecutor.connect(scheduler or "")
    raise InputError(f"executor = {kind!r}: must be serial, pool or dask", field="executor",
                     allowed=", ".join(KINDS))


class SerialExecutor:
    """Every run in this process, in order."""

    kind, workers, scheduler = "serial", None, None

    def run(self, tasks: Iterable[BatchTask], stats: ExecutorStats, tag: str = "") -> Iterator[dict[str, Any]]:
        for task in tasks:
            for row in execute_batch(task):
                yield {**row, "attempts": 1}

    def close(self) -> None:
        pass


class PoolExecutor:
    """A local process pool of ``workers`` processes forked from a warm fork server."""

    kind, scheduler = "pool", None

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
            raise InputError(f"workers = {workers!r}: must be an integer in [1, {MAX_WORKERS}]", field="workers",
                             allowed=f"an integer in [1, {MAX_WORKERS}]")
        self.workers = workers

    def run(self, tasks: Iterable[BatchTask], stats: ExecutorStats, tag: str = "") -> Iterator[dict[str, Any]]:
        """Two batches in flight per worker; a dead worker (BrokenProcessPool): a new pool, its batches resubmitted."""
        pool = _PoolRun(tasks, stats, self.workers)
        try:
            yield from pool.rows()
        finally:  # also on Ctrl-C, SIGTERM (see the engine) or a consumer that stops early
            pool.stop()

    def close(self) -> None:
        pass


class _PoolRun:
    """The state of one pool run: tasks in flight, to retry, and attempts so far."""

    def __init__(self, tasks: Iterable[BatchTask], stats: ExecutorStats, workers: int) -> None:
        self.source, self.stats, self.workers = iter(tasks), stats, workers
        self.retry: deque[BatchTask] = deque()
        self.attempts: dict[int, int] = {}
        self.in_flight: dict[Future, BatchTask] = {}
        self.exhausted = False
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=pool_context(), initializer=start_worker,
                                   initargs=(os.getpid(),))

    def _restart(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = self._new_pool()

    def _fill(self) -> None:
        while len(self.in_flight) < 2 * self.workers:
            task = self.retry.popleft() if self.retry else next(self.source, None)
            if task is None:
                self.exhausted = True
                return
            self.attempts[task.run_id] = self.attempts.get(task.run_id, 0) + 1
            try:
                self.in_flight[self.pool.submit(execute_batch, task)] = task
            except BrokenProcessPool:
                self.retry.appendleft(task)
                self.attempts[task.run_id] -= 1
                return

    def rows(self) -> Iterator[dict[str, Any]]:
        while True:
            self._fill()
            if not self.in_flight:
                if self.exhausted and not self.retry:
                    return
                self._restart()
                continue
            done, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = self.in_flight.pop(fut)
                exc = fut.exception()
                if exc is None:
                    yield from self._done(fut, task)
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    yield from self._requeue(task)
                else:  # execute_batch() does not raise; this is a pickling or pool error
                    yield from error_rows(task, one_line(exc), self.attempts[task.run_id])
            if broken:
                yield from self._after_worker_death()

    def _done(self, fut: Future, task: BatchTask) -> Iterator[dict[str, Any]]:
        for row in fut.result():
            yield {**row, "attempts": self.attempts[task.run_id]}

    def _after_worker_death(self) -> Iterator[dict[str, Any]]:
        """Keep what finished, requeue the rest, start a new pool."""
        self.stats.worker_deaths += 1
        for fut, task in list(self.in_flight.items()):
            if fut.done() and fut.exception() is None:
                yield from self._done(fut, task)
            else:
                yield from self._requeue(task)
        self.in_flight.clear()
        self._restart()
        self.exhausted = False

    def _requeue(self, task: BatchTask) -> Iterator[dict[str, Any]]:
        if self.attempts[task.run_id] >= MAX_ATTEMPTS:
            yield from error_rows(task, f"WorkerDied: its worker process died on each of {MAX_ATTEMPTS} attempts",
                            self.attempts[task.run_id])
        else:
            self.stats.resubmitted += 1
            self.retry.append(task)

    def stop(self) -> None:
        """Shut the pool down; runs still in flight (an interrupted sweep) are not waited for."""
        if self.in_flight:
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):  # no public API for this
                proc.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------- worker processes

def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where available, else spawn; never plain fork of this (threaded) process.

    The fork server imports :mod:`sim.sweep.warm` once, which loads the numba kernels; every pool
    worker (and every replacement for a worker that died) is forked from it ready to run.
    """
    return workers.pool_context("sim.sweep.warm")


def start_worker(sweep_pid: int) -> None:
    """A pool worker's initializer: tie its life to its parent's, ignore Ctrl-C, load the kernels.

    Ctrl-C reaches every process of the terminal's process group; the sweep process handles it
    (keeps the finished runs, stops the pool), so a worker must not turn it into a failed run.
    """
    workers.start_worker(sweep_pid)
    warm_up()
