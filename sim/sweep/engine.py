"""The sweep engine: run every (design point, replicate) of an experiment, resumably.

Results go to ``DIR/runs.parquet`` (one row per run: run id, parameters, seed, scenario hash,
status, error, metrics), built from chunk files written atomically as runs finish; the folder's
layout, lock and manifest are :mod:`sim.sweep.store`'s. Rerunning the same command skips every run
that has a row. A run that raises gets a row with status 'error' and the message, and the sweep
goes on.

The runs are executed by an executor (:mod:`sim.sweep.executors`: ``serial``, ``pool``, the
default, or ``dask``) handed to :func:`run_sweep`, in batches: consecutive runs whose scenarios
share one structure go to a worker as one :func:`sim.ensemble` call (:mod:`sim.sweep.batches`).
Each run is ``sim.simulate(scenario, seed)``, a pure function of its inputs (an ensemble's path
equals it bit for bit), so all three executors and any batch size give bit-identical
``runs.parquet`` files.
Non-deterministic bookkeeping (seconds per run, which worker, attempts) goes to
``DIR/timings.parquet``. Ctrl-C or SIGTERM stop a sweep cleanly: the finished runs are written,
the workers stopped, and the same command resumes.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.config.experiment import Experiment
from sim.core.errors import InputError
from sim.sweep.batches import MAX_BATCH_RUNS, PointScenario, batch_size, make_batches
from sim.sweep.design import Design, build_design, run_seed, spawn_index
from sim.sweep.executors import Executor, make_executor
from sim.sweep.store import (
    ChunkWriter,
    OutputLock,
    check_out,
    close_manifest,
    make_out,
    manifest,
    now,
    open_manifest,
    pending_runs,
)
from sim.sweep.tasks import TIMING_COLUMNS, BatchTask, ExecutorStats


@dataclass(frozen=True)
class SweepOptions:
    """How a sweep writes and reports its runs (nothing here changes a result).

    Attributes
    ----------
    progress : bool
        A progress bar on stderr.
    chunk_runs, chunk_seconds : int, float
        Finished runs are written to disk every ``chunk_runs`` runs or ``chunk_seconds`` seconds.
    retry_failed : bool
        Run again the runs recorded with status 'error'.
    batch_runs : int, optional
        Runs per batch (one ensemble call in a worker); default: about four batches per worker,
        at most :data:`sim.sweep.batches.MAX_BATCH_RUNS`.
    on_progress : callable, optional
        Called as ``on_progress(new_runs_done, new_runs_total)`` after each run.
    """

    progress: bool = True
    chunk_runs: int = 64
    chunk_seconds: float = 30.0
    retry_failed: bool = False
    on_progress: Callable[[int, int], None] | None = None
    batch_runs: int | None = None

    def __post_init__(self) -> None:
        if self.batch_runs is not None and (isinstance(self.batch_runs, bool) or not isinstance(self.batch_runs, int)
                                            or self.batch_runs < 1):
            raise InputError(f"batch_runs = {self.batch_runs!r}: must be an integer >= 1", field="batch_runs",
                             allowed="an integer >= 1")
        if isinstance(self.chunk_runs, bool) or not isinstance(self.chunk_runs, int) or self.chunk_runs < 1:
            raise InputError(f"chunk_runs = {self.chunk_runs!r}: must be an integer >= 1", field="chunk_runs",
                             allowed="an integer >= 1")
        if not isinstance(self.chunk_seconds, int | float) or not math.isfinite(self.chunk_seconds) \
                or self.chunk_seconds <= 0:
            raise InputError(f"chunk_seconds = {self.chunk_seconds!r}: must be a number > 0", field="chunk_seconds",
                             allowed="a finite number > 0")


@dataclass
class SweepReport:
    """What one invocation did."""
    out: Path
    n_runs: int
    skipped: int
    new: int
    failed: int
    seconds: float
    executor: str
    workers: int | None
    stats: ExecutorStats = field(default_factory=ExecutorStats)
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    """One invocation: the experiment, its design, where it goes and how it runs."""
    exp: Experiment
    design: Design
    out: Path
    executor: Executor
    options: SweepOptions


def run_sweep(exp: Experiment, out: str | Path, *, executor: str | Executor = "pool", workers: int = 1,
              scheduler: str | None = None, progress: bool = True, chunk_runs: int = 64,
              chunk_seconds: float = 30.0, retry_failed: bool = False,
              on_progress: Callable[[int, int], None] | None = None, batch_runs: int | None = None) -> SweepReport:
    """Run the experiment's unfinished runs into ``out`` and (when all are done) write runs.parquet.

    Parameters
    ----------
    exp : Experiment
        The loaded experiment.
    out : str or Path
        The output folder: new, or one an earlier run of the same experiment wrote.
    executor : str or Executor
        ``'serial'``, ``'pool'`` or ``'dask'`` (made here with ``workers`` / ``scheduler``, and
        closed at the end), or an executor object, which the caller closes.
    workers : int
        Pool worker processes.
    scheduler : str, optional
        The Dask scheduler's address.
    progress, chunk_runs, chunk_seconds, retry_failed, on_progress, batch_runs
        See :class:`SweepOptions`.

    Returns
    -------
    SweepReport

    Raises
    ------
    InputError
        A one-line error naming the field (``out``, ``executor``, ``workers``, ``scheduler``,
        ``chunk_runs``, ``chunk_seconds``, ``batch_runs``); it is raised before any run starts, and a bad ``out``
        or ``scheduler`` leaves nothing written.
    """
    options = SweepOptions(progress, chunk_runs, chunk_seconds, retry_failed, on_progress, batch_runs)
    out = check_out(out)
    design = build_design(exp)
    info = manifest(exp, design)
    runner = make_executor(executor, workers=workers, scheduler=scheduler) if isinstance(executor, str) else executor
    try:
        make_out(out)
        with OutputLock(out), _sigterm_exits():
            return _run_locked(_Job(exp, design, out, runner, options), info)
    finally:
        if isinstance(executor, str):
            runner.close()


def _run_locked(job: _Job, info: dict[str, Any]) -> SweepReport:
    start, started = time.perf_counter(), now()
    info = open_manifest(job.out, info, started)
    n_runs = job.design.n_runs
    todo = pending_runs(job.out, n_runs, job.options.retry_failed)
    stats = ExecutorStats()
    new = _execute(job, todo, stats, info["fingerprint"])
    runner = job.executor
    invocation = {"started": started, "executor": runner.kind, "workers": runner.workers,
                  "scheduler": runner.scheduler, "new_runs": new, "seconds": round(time.perf_counter() - start, 3),
                  "worker_deaths": stats.worker_deaths, "resubmitted": stats.resubmitted}
    files = close_manifest(job.out, info, n_runs, invocation)
    return SweepReport(job.out, n_runs, n_runs - len(todo), new, info["counts"]["error"],
                       time.perf_counter() - start, runner.kind, runner.workers, stats, files)


def _execute(job: _Job, todo: list[int], stats: ExecutorStats, tag: str) -> int:
    """The loop: hand the runs to the executor, write each row as it comes back; the number written."""
    exp, options = job.exp, job.options
    meta = _RunMeta(exp, job.design)
    columns = ["run_id", "point", "replicate", *(p.name for p in exp.parameters), "seed", "seed_spawn_key",
               "scenario_hash", "status", "error", *exp.metrics, *TIMING_COLUMNS]
    writer = ChunkWriter(job.out, columns, options.chunk_runs, options.chunk_seconds)
    bar = _progress_bar(exp.name, job.design.n_runs, job.design.n_runs - len(todo), options.progress)
    size = options.batch_runs or batch_size(len(todo), job.executor.workers)
    rows = job.executor.run(meta.batches(todo, size), stats, tag)
    new = failed = 0
    try:
        for row in rows:
            row.update(meta.describe(row["run_id"]))
            failed += row["status"] != "ok"
            writer.add(row)
            new += 1
            if bar is not None:
                bar.set_postfix(failed=failed, lost_workers=stats.worker_deaths, refresh=False)
                bar.update(1)
            if options.on_progress is not None:
                options.on_progress(new, len(todo))
    finally:  # finished runs are kept whatever stopped the loop (Ctrl-C, SIGTERM, an error)
        try:
            writer.close()
        finally:
            getattr(rows, "close", lambda: None)()  # stops the executor's workers if the loop ended early
            if bar is not None:
                bar.close()
    return new


class _RunMeta:
    """Run id -> design point, replicate, seed and resolved scenario (the last points' cached)."""

    def __init__(self, exp: Experiment, design: Design) -> None:
        self.exp, self.design = exp, design
        self._points: OrderedDict[int, PointScenario] = OrderedDict()
        self._hashes: dict[int, str] = {}
        self._keep = MAX_BATCH_RUNS + 1

    def point(self, point: int) -> PointScenario:
        """Design point ``point``'s scenario (the last batch's points are kept; every point's hash)."""
        if point not in self._points:
            spec = self.exp.scenario_for(self.design.points[point])
            self._points[point] = PointScenario.of(spec.to_dict(), spec.hash())
            self._hashes[point] = self._points[point].hash
            if len(self._points) > self._keep:
                self._points.popitem(last=False)
        return self._points[point]

    def describe(self, run_id: int) -> dict[str, Any]:
        point, rep = divmod(run_id, self.exp.replicates)
        index = spawn_index(self.exp, point, rep)
        return {"point": point, "replicate": rep, **self.design.points[point],
                "seed": run_seed(self.exp.root_seed, index), "seed_spawn_key": index,
                "scenario_hash": self._hashes.get(point) or self.point(point).hash}

    def batches(self, todo: list[int], size: int) -> Iterator[BatchTask]:
        """The runs ``todo`` as batches of at most ``size`` runs (:func:`sim.sweep.batches.make_batches`)."""
        self._keep = max(size, MAX_BATCH_RUNS) + 1
        runs = ((r, r // self.exp.replicates,
                 run_seed(self.exp.root_seed, spawn_index(self.exp, *divmod(r, self.exp.replicates)))) for r in todo)
        return make_batches(runs, self.point, size, self.exp.metrics, self.exp.series)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM ends the sweep as Ctrl-C does (finished runs written, workers stopped), exit status 143.

    Only in the main thread and only where SIGTERM has its default action (a program that set its
    own handler keeps it); a second SIGTERM kills at once.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _progress_bar(name: str, total: int, initial: int, enabled: bool) -> tqdm | None:
    if not enabled:
        return None
    tty = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=name, unit="run", file=sys.stderr, dynamic_ncols=tty,
                mininterval=0.5 if tty else 30.0, smoothing=0.05)
