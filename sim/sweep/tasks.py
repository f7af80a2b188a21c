"""A sweep's work, as a worker sees it: batches of runs, their execution and their rows.

A :class:`BatchTask` is a few runs whose scenarios share one structure (the same base, the same
days and start date; what differs is a set of field values, one per run). It is small and
picklable; :func:`execute_batch` runs it as one :func:`sim.run.ensemble.ensemble` call and turns
each path into the row (run id, status, error, metrics, timings) that :func:`execute` makes of one
:class:`RunTask`, value for value. If the ensemble raises (a run failed), the batch's runs are run
again one by one through :func:`execute`, so only the failing run is recorded as an error. Neither
raises for a failed run. Every executor (serial, process pool, Dask) sends batches here, so this
module knows nothing about executors or the output folder.
"""

from __future__ import annotations

import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from sim.config.outputs import STOCK_METRIC_NAMES
from sim.config.scenario import from_dict, resolve
from sim.run.ensemble import ensemble
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


@dataclass(frozen=True)
class BatchTask:
    """Runs that share a scenario structure, run as one ensemble (picklable, small).

    Run ``i`` is ``scenario`` with ``params[path][i]`` set at each dotted ``path`` (list items by
    index: ``brokers.0.house_maintenance``), and the seed ``seeds[i]``.
    """
    run_ids: tuple[int, ...]
    scenario: dict[str, Any]
    params: dict[str, tuple[Any, ...]]
    seeds: tuple[int, ...]
    metrics: tuple[str, ...]
    series: tuple[str, ...] = ()

    @property
    def run_id(self) -> int:
        """The batch's first run id (it names the batch: batches never share a run)."""
        return self.run_ids[0]

    def runs(self) -> list[RunTask]:
        """The batch as one :class:`RunTask` per run (what a batch that raised falls back to)."""
        return [RunTask(r, resolve(self.scenario, {k: v[i] for k, v in self.params.items()}).to_dict()
                        if self.params else self.scenario, self.seeds[i], self.metrics, self.series)
                for i, r in enumerate(self.run_ids)]


@dataclass
class ExecutorStats:
    """What went wrong at the executor level (not in the runs)."""
    worker_deaths: int = 0
    resubmitted: int = 0


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 500 characters (the ``error`` column)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def error_rows(batch: BatchTask, message: str, attempts: int) -> list[dict[str, Any]]:
    """The rows of a batch's runs that never finished (their worker died, or they could not be sent)."""
    return [{"run_id": r, "status": "error", "error": message, **{m: math.nan for m in batch.metrics},
             "elapsed_s": math.nan, "cpu_s": math.nan, "worker": "", "attempts": attempts} for r in batch.run_ids]


def _missing(metric: str) -> float:
    """A metric the run's summary lacks: 0 days in a regime it never entered, else NaN."""
    return 0.0 if metric.startswith("regime_days.") else math.nan


def execute(task: RunTask) -> dict[str, Any]:
    """Run one simulation; never raises for a failed run (status 'error' and the message instead)."""
    start, cpu = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {"run_id": task.run_id}
    try:
        result = simulate(from_dict(task.scenario), task.seed)
        flat = flat_metrics(result.summary["metrics"])
        stocks = result.summary.get("stocks", {})  # the stock layer's numbers, as stocks.<name>
        flat.update({f"stocks.{k}": v for k, v in stocks.items() if f"stocks.{k}" in STOCK_METRIC_NAMES})
        row.update(status="ok", error="")
        for m in task.metrics:
            value = flat.get(m, _missing(m))
            row[m] = math.nan if value is None else float(value)
        if task.series:
            row["_series"] = {c: result.timeseries[c].to_numpy() for c in ("day", *task.series)}
    except Exception as exc:  # a failed run is data: recorded with its error, the sweep goes on
        row.update(status="error", error=one_line(exc))
        for m in task.metrics:
            row[m] = math.nan
    row["elapsed_s"] = time.perf_counter() - start
    row["cpu_s"] = time.process_time() - cpu  # the worker's CPU seconds: what a busy machine does not inflate
    row["worker"] = _worker()
    return row


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def execute_batch(batch: BatchTask) -> list[dict[str, Any]]:
    """Run a batch as one ensemble: one row per run, as :func:`execute` makes it; never raises for a failed run.

    The seconds and CPU seconds of the batch are shared equally among its rows.
    """
    if any(m in STOCK_METRIC_NAMES for m in batch.metrics):  # ensembles run the market only
        return [execute(task) for task in batch.runs()]
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result = ensemble(batch.scenario, list(batch.seeds), params=batch.params or None,
                          series=batch.series or ("index_level",))
    except Exception:  # a run raised: each on its own, so that only the failing one is an error row
        return [execute(task) for task in batch.runs()]
    rows = _rows(batch, result.summary, result.dataset)
    elapsed, cpu_s = (time.perf_counter() - start) / len(rows), (time.process_time() - cpu) / len(rows)
    for row in rows:
        row.update(elapsed_s=elapsed, cpu_s=cpu_s, worker=_worker())
    return rows


def _rows(batch: BatchTask, summary: Any, dataset: Any) -> list[dict[str, Any]]:
    """Each path's row from an ensemble's summary (metrics) and dataset (series)."""
    values = summary.drop(columns=["seed", "scenario_hash", *batch.params])  # the metrics
    days = dataset["day"].to_numpy()
    rows = []
    for i, run_id in enumerate(batch.run_ids):
        row: dict[str, Any] = {"run_id": run_id, "status": "ok", "error": ""}
        for m in batch.metrics:
            row[m] = float(values[m].iat[i]) if m in values.columns else _missing(m)
        if batch.series:
            row["_series"] = {"day": days, **{c: dataset[c].to_numpy()[i] for c in batch.series}}
        rows.append(row)
    return rows


def warm_up() -> None:
    """Load (or compile, once) the numba kernels: a two-day run of a ten-account book.

    Pool workers call it when they start (after the fork server, which imports
    :mod:`sim.sweep.warm`, has done the work once) and Dask workers through a worker plugin, so
    numba compiles (or loads from its cache) once per worker process, not once per run.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    simulate(from_dict({"margin": {"accounts": 10}, "simulation": {"days": 2}}), 0)
