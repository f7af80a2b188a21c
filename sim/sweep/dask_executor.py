"""The Dask executor: runs of a sweep on a running ``dask scheduler`` and its workers.

Start a cluster with ``dask scheduler`` and, on each machine, ``dask worker tcp://HOST:8786
--nthreads 1 --nworkers N`` (one thread per worker process: the kernels are single-threaded and
numba's compiled code is per process). When the sweep connects it registers :class:`WarmUp`,
a worker plugin that loads the numba kernels once in every worker (now and in any worker that
joins later), so no run pays the compilation. Workers need marginsim installed, and the same
version as the client: the results are bit-identical to the local pool's only then.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from distributed import Client, WorkerPlugin, as_completed

from sim.config.experiment import ExperimentError
from sim.sweep.engine import MAX_ATTEMPTS, ExecutorStats, RunTask, _error_row, _one_line, execute


class WarmUp(WorkerPlugin):
    """Load the numba kernels once per worker process (``setup`` runs when the worker joins)."""

    idempotent = True

    async def setup(self, worker: Any) -> None:
        import asyncio

        from sim.sweep.engine import warm_up

        # in a thread: a cold numba compile takes a minute, and the worker must keep answering heartbeats
        await asyncio.get_running_loop().run_in_executor(None, warm_up)


def connect(address: str, timeout: float = 30.0) -> Client:
    """A client of the scheduler at ``address``; one line on failure."""
    if not address:
        raise ExperimentError("--scheduler: give the address of a running dask scheduler, e.g. tcp://HOST:8786")
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(f"--scheduler {address!r}: cannot connect ({_one_line(exc)})") from None


def run_dask(tasks: Iterable[RunTask], stats: ExecutorStats, client: Client, tag: str,
             worker_timeout: float = 120.0) -> Iterator[dict[str, Any]]:
    """Submit the runs a few per worker thread at a time; rerun what a lost worker took with it.

    ``client`` (from :func:`connect`) is closed when the generator finishes.
    """
    try:
        try:
            client.wait_for_workers(1, timeout=worker_timeout)
        except TimeoutError:
            raise ExperimentError(f"--scheduler {client.scheduler.address!r}: no worker joined in "
                                  f"{worker_timeout:g} s") from None
        client.register_plugin(WarmUp(), name="marginsim-warm-up")
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        window = max(4, 2 * threads)
        source = iter(tasks)
        retry: deque[RunTask] = deque()
        attempts: dict[int, int] = {}
        in_flight: dict[Any, RunTask] = {}
        pending = as_completed()

        def top_up() -> None:
            while len(in_flight) < window:
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    return
                attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                fut = client.submit(execute, task, key=f"marginsim-{tag}-{task.run_id}-a{attempts[task.run_id]}",
                                    pure=False)
                in_flight[fut] = task
                pending.add(fut)

        top_up()
        while in_flight:
            fut = next(pending)
            task = in_flight.pop(fut)
            if fut.status == "finished":
                yield {**fut.result(), "attempts": attempts[task.run_id]}
            else:  # a worker died with it (KilledWorker), or it was cancelled
                why = _one_line(fut.exception()) if fut.status == "error" else fut.status
                if attempts[task.run_id] >= MAX_ATTEMPTS:
                    yield _error_row(task, f"WorkerDied: {why} (after {MAX_ATTEMPTS} attempts)",
                                     attempts[task.run_id])
                else:
                    stats.resubmitted += 1
                    stats.worker_deaths += 1
                    retry.append(task)
            fut.release()
            top_up()
    finally:
        client.close()
