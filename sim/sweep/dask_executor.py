"""The Dask executor: runs of a sweep on a running ``dask scheduler`` and its workers.

Start a cluster on this machine with ``dask scheduler --host 127.0.0.1`` and ``dask worker
tcp://127.0.0.1:8786 --host 127.0.0.1 --nthreads 1 --nworkers N`` (one thread per worker process:
the kernels are single-threaded and numba's compiled code is per process); across machines, give
the scheduler's and each worker's address on the network you trust instead of 127.0.0.1. When
the sweep connects it registers :class:`WarmUp`, a worker plugin that loads the numba kernels
once in every worker (now and in any worker that joins later), so no run pays the compilation.
Workers need marginsim installed, and the same version as the client: the results are
bit-identical to the local pool's only then.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from distributed import Client, WorkerPlugin, as_completed

from sim.config.experiment import ExperimentError
from sim.sweep.tasks import MAX_ATTEMPTS, BatchTask, ExecutorStats, error_rows, execute_batch, one_line, warm_up

SCHEDULER_ALLOWED = "the address of a running dask scheduler, e.g. tcp://127.0.0.1:8786"


class WarmUp(WorkerPlugin):
    """Load the numba kernels once per worker process (``setup`` runs when the worker joins)."""

    idempotent = True

    async def setup(self, worker: Any) -> None:
        # in a thread: a cold numba compile takes a minute, and the worker must keep answering heartbeats
        await asyncio.get_running_loop().run_in_executor(None, warm_up)


def connect(address: str, timeout: float = 30.0) -> Client:
    """A client of the scheduler at ``address``; a one-line error (field ``scheduler``) on failure."""
    if not address:
        raise ExperimentError(f"scheduler: give {SCHEDULER_ALLOWED}", field="scheduler", allowed=SCHEDULER_ALLOWED)
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(f"scheduler {address!r}: cannot connect ({one_line(exc)})", field="scheduler",
                              allowed=SCHEDULER_ALLOWED) from None


class DaskExecutor:
    """Runs on a Dask cluster through ``client``, a few per worker thread at a time."""

    kind, workers = "dask", None

    def __init__(self, client: Client, scheduler: str | None = None, worker_timeout: float = 120.0) -> None:
        self.client = client
        self.scheduler = scheduler or client.scheduler.address
        self.worker_timeout = worker_timeout

    @classmethod
    def connect(cls, address: str, timeout: float = 30.0) -> DaskExecutor:
        """An executor on the scheduler at ``address`` (see :func:`connect`)."""
        return cls(connect(address, timeout), address)

    def close(self) -> None:
        self.client.close()

    def _start(self) -> int:
        """Wait for a worker, register the warm-up plugin; the number of runs to keep in flight."""
        try:
            self.client.wait_for_workers(1, timeout=self.worker_timeout)
        except TimeoutError:
            raise ExperimentError(f"scheduler {self.scheduler!r}: no worker joined in {self.worker_timeout:g} s",
                                  field="scheduler", allowed="a scheduler with at least one worker") from None
        self.client.register_plugin(WarmUp(), name="marginsim-warm-up")
        threads = sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())
        return max(4, 2 * threads)

    def run(self, tasks: Iterable[BatchTask], stats: ExecutorStats, tag: str) -> Iterator[dict[str, Any]]:
        """Submit the runs; rerun what a lost worker took with it (``tag`` keeps the task keys unique)."""
        window = self._start()
        source = iter(tasks)
        retry: deque[BatchTask] = deque()
        attempts: dict[int, int] = {}
        in_flight: dict[Any, BatchTask] = {}
        pending = as_completed()

        def top_up() -> None:
            while len(in_flight) < window:
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    return
                attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                fut = self.client.submit(execute_batch, task, pure=False,
                                         key=f"marginsim-{tag}-{task.run_id}-a{attempts[task.run_id]}")
                in_flight[fut] = task
                pending.add(fut)

        top_up()
        while in_flight:
            fut = next(pending)
            task = in_flight.pop(fut)
            if fut.status == "finished":
                for row in fut.result():
                    yield {**row, "attempts": attempts[task.run_id]}
            else:  # a worker died with it (KilledWorker), or it was cancelled
                why = one_line(fut.exception()) if fut.status == "error" else fut.status
                if attempts[task.run_id] >= MAX_ATTEMPTS:
                    yield from error_rows(task, f"WorkerDied: {why} (after {MAX_ATTEMPTS} attempts)",
                                          attempts[task.run_id])
                else:
                    stats.resubmitted += 1
                    stats.worker_deaths += 1
                    retry.append(task)
            fut.release()
            top_up()
