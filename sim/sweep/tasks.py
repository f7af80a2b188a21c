"""One run of a sweep, as a worker sees it: the task, its execution and its row.

A :class:`RunTask` is small and picklable; :func:`execute` turns it into a row (run id, status,
error, metrics, timings) and never raises for a failed run. Every executor (serial, process pool,
Dask) sends tasks here, so this module knows nothing about executors or the output folder.
"""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from sim.config.scenario import from_dict
from sim.run.params import flat_metrics
from sim.run.simulate import simulate

MAX_ATTEMPTS = 3
"""Times a run is submitted again after its worker process died, before it is recorded as an error."""
TIMING_COLUMNS = ("elapsed_s", "cpu_s", "worker", "attempts")
"""Per-run bookkeeping that depends on the machine, kept out of runs.parquet (-> timings.parquet)."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable, small)."""
    run_id: int
    scenario: dict[str, Any]
    seed: int
    metrics: tuple[str, ...]
    series: tuple[str, ...] = ()


@dataclass
class ExecutorStats:
    """What went wrong at the executor level (not in the runs)."""
    worker_deaths: int = 0
    resubmitted: int = 0


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 500 characters (the ``error`` column)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def error_row(task: RunTask, message: str, attempts: int) -> dict[str, Any]:
    """The row of a run that never finished (its worker died, or it could not be sent)."""
    return {"run_id": task.run_id, "status": "error", "error": message, **{m: math.nan for m in task.metrics},
            "elapsed_s": math.nan, "cpu_s": math.nan, "worker": "", "attempts": attempts}


def execute(task: RunTask) -> dict[str, Any]:
    """Run one simulation; never raises for a failed run (status 'error' and the message instead)."""
    start, cpu = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {"run_id": task.run_id}
    try:
        result = simulate(from_dict(task.scenario), task.seed)
        flat = flat_metrics(result.summary["metrics"])
        row.update(status="ok", error="")
        for m in task.metrics:
            row[m] = float(flat.get(m, 0.0 if m.startswith("regime_days.") else math.nan))
        if task.series:
            row["_series"] = {c: result.timeseries[c].to_numpy() for c in ("day", *task.series)}
    except Exception as exc:  # a failed run is data: recorded with its error, the sweep goes on
        row.update(status="error", error=one_line(exc))
        for m in task.metrics:
            row[m] = math.nan
    row["elapsed_s"] = time.perf_counter() - start
    row["cpu_s"] = time.process_time() - cpu  # the worker's CPU seconds: what a busy machine does not inflate
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return row


def warm_up() -> None:
    """Load (or compile, once) the numba kernels: a two-day run of a ten-account book.

    Pool workers call it when they start (after the fork server, which imports
    :mod:`sim.sweep.warm`, has done the work once) and Dask workers through a worker plugin, so
    numba compiles (or loads from its cache) once per worker process, not once per run.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    simulate(from_dict({"margin": {"accounts": 10}, "simulation": {"days": 2}}), 0)
