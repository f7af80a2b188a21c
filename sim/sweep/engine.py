"""The sweep engine: run every (design point, replicate) of an experiment, resumably.

Results go to ``DIR/runs.parquet`` (one row per run: run id, parameters, seed, scenario hash,
status, error, metrics), built from chunk files written atomically as runs finish
(``DIR/chunks/part-NNNNNN.parquet``); ``DIR/manifest.json`` records the version, the base
scenarios' hashes, the root seed and the design. Rerunning the same command skips every run
that has a row; a worker process that dies is replaced and its unfinished runs resubmitted.
A run that raises gets a row with status 'error' and the message, and the sweep goes on.

Executors: ``serial`` (this process), ``pool`` (a local process pool, the default) and
``dask`` (a running Dask distributed scheduler). Each run is ``sim.simulate(scenario, seed)``,
a pure function of its inputs, so all three give bit-identical ``runs.parquet`` files.
Non-deterministic bookkeeping (seconds per run, which worker, attempts) goes to
``DIR/timings.parquet``.
"""

from __future__ import annotations

import fcntl
import json
import math
import multiprocessing
import os
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.config.experiment import Experiment, ExperimentError
from sim.config.scenario import ScenarioError, from_dict
from sim.core.files import atomic_write
from sim.run.params import flat_metrics
from sim.run.simulate import simulate
from sim.sweep.design import Design, build_design, run_seed, seed_children, spawn_index

MAX_ATTEMPTS = 3
"""Times a run is submitted again after its worker process died, before it is recorded as an error."""
TIMING_COLUMNS = ("elapsed_s", "cpu_s", "worker", "attempts")
"""Per-run bookkeeping that depends on the machine, kept out of runs.parquet (-> timings.parquet)."""


# ---------------------------------------------------------------------------- one run (worker side)

@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable, small)."""
    run_id: int
    scenario: dict[str, Any]
    seed: int
    metrics: tuple[str, ...]
    series: tuple[str, ...] = ()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


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
        row.update(status="error", error=_one_line(exc))
        for m in task.metrics:
            row[m] = math.nan
    row["elapsed_s"] = time.perf_counter() - start
    row["cpu_s"] = time.process_time() - cpu  # the worker's CPU seconds: what a busy machine does not inflate
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return row


def warm_up() -> None:
    """Load (or compile, once) the numba kernels: a two-day run of a ten-account book.

    Pool workers call it as their initializer and Dask workers through a worker plugin, so
    numba compiles (or loads from its cache) once per worker process, not once per run.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    simulate(from_dict({"margin": {"accounts": 10}, "simulation": {"days": 2}}), 0)


# ---------------------------------------------------------------------------- executors

@dataclass
class ExecutorStats:
    """What went wrong at the executor level (not in the runs)."""
    worker_deaths: int = 0
    resubmitted: int = 0


def run_serial(tasks: Iterable[RunTask], stats: ExecutorStats) -> Iterator[dict[str, Any]]:
    """Every run in this process, in order."""
    for task in tasks:
        yield {**execute(task), "attempts": 1}


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where available, else spawn; never plain fork of this (threaded) process.

    The fork server imports :mod:`sim.sweep.warm` once, which loads the numba kernels; every pool
    worker (and every replacement for a worker that died) is forked from it ready to run.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.sweep.warm"])
    return ctx


def run_pool(tasks: Iterable[RunTask], stats: ExecutorStats, workers: int) -> Iterator[dict[str, Any]]:
    """A local process pool; a dead worker (BrokenProcessPool) gets a new pool and its runs resubmitted."""
    source = iter(tasks)
    retry: deque[RunTask] = deque()
    attempts: dict[int, int] = {}
    window = 2 * workers

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=warm_up)

    pool = new_pool()
    in_flight: dict[Any, RunTask] = {}
    exhausted = False
    try:
        while True:
            while len(in_flight) < window:
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    exhausted = True
                    break
                attempts[task.run_id] = attempts.get(task.run_id, 0) + 1
                try:
                    in_flight[pool.submit(execute, task)] = task
                except BrokenProcessPool:
                    retry.appendleft(task)
                    attempts[task.run_id] -= 1
                    break
            if not in_flight:
                if exhausted and not retry:
                    return
                pool.shutdown(wait=True, cancel_futures=True)
                pool = new_pool()
                continue
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = in_flight.pop(fut)
                exc = fut.exception()
                if exc is None:
                    yield {**fut.result(), "attempts": attempts[task.run_id]}
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    yield from _requeue(task, attempts, retry, stats, "its worker process died")
                else:  # execute() does not raise; this is a pickling or pool error
                    yield _error_row(task, _one_line(exc), attempts[task.run_id])
            if broken:
                stats.worker_deaths += 1
                for fut, task in list(in_flight.items()):
                    if fut.done() and fut.exception() is None:
                        yield {**fut.result(), "attempts": attempts[task.run_id]}
                    else:
                        yield from _requeue(task, attempts, retry, stats, "its worker process died")
                in_flight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = new_pool()
                exhausted = False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _requeue(task: RunTask, attempts: dict[int, int], retry: deque[RunTask], stats: ExecutorStats,
             why: str) -> Iterator[dict[str, Any]]:
    if attempts[task.run_id] >= MAX_ATTEMPTS:
        yield _error_row(task, f"WorkerDied: {why} on each of {MAX_ATTEMPTS} attempts", attempts[task.run_id])
    else:
        stats.resubmitted += 1
        retry.append(task)


def _error_row(task: RunTask, message: str, attempts: int) -> dict[str, Any]:
    return {"run_id": task.run_id, "status": "error", "error": message, **{m: math.nan for m in task.metrics},
            "elapsed_s": math.nan, "cpu_s": math.nan, "worker": "", "attempts": attempts}


# ---------------------------------------------------------------------------- output folder

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


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(path, lambda p: pq.write_table(table, p))


def _chunk_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("part-*.parquet")) if folder.is_dir() else []


def read_runs(out: str | Path) -> pd.DataFrame:
    """All finished runs of an output folder, one row per run id (the latest row wins), by run id."""
    out = Path(out)
    frames = []
    if (out / "runs.parquet").exists():
        done = pd.read_parquet(out / "runs.parquet")
        if (out / "timings.parquet").exists():
            done = done.merge(pd.read_parquet(out / "timings.parquet"), on="run_id", how="left")
        frames.append(done)
    frames += [pd.read_parquet(p) for p in _chunk_files(out / "chunks")]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates("run_id", keep="last").sort_values("run_id").reset_index(drop=True)


def read_series(out: str | Path) -> pd.DataFrame:
    """The per-run daily series of an output folder (long format: run_id, day, columns)."""
    out = Path(out)
    frames = [pd.read_parquet(out / "series.parquet")] if (out / "series.parquet").exists() else []
    frames += [pd.read_parquet(p) for p in _chunk_files(out / "series")]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(["run_id", "day"], keep="last").sort_values(["run_id", "day"]).reset_index(drop=True)


class ChunkWriter:
    """Buffers finished runs and writes them as atomic chunk files every ``chunk_runs`` runs or seconds."""

    def __init__(self, out: Path, columns: list[str], chunk_runs: int, chunk_seconds: float) -> None:
        self.out, self.columns = out, columns
        self.chunk_runs, self.chunk_seconds = chunk_runs, chunk_seconds
        self.rows: list[dict[str, Any]] = []
        self.series: list[pd.DataFrame] = []
        self.last = time.monotonic()
        existing = _chunk_files(out / "chunks") + _chunk_files(out / "series")
        self.seq = 1 + max((int(p.stem.split("-")[1]) for p in existing), default=0)

    def add(self, row: dict[str, Any]) -> None:
        series = row.pop("_series", None)
        if series is not None:
            frame = pd.DataFrame(series)
            frame.insert(0, "run_id", np.int64(row["run_id"]))
            self.series.append(frame)
        self.rows.append(row)
        if len(self.rows) >= self.chunk_runs or time.monotonic() - self.last >= self.chunk_seconds:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        name = f"part-{self.seq:06d}.parquet"
        if self.series:  # series first: a run counts as finished only once its row is on disk
            (self.out / "series").mkdir(exist_ok=True)
            _write_parquet(self.out / "series" / name, pd.concat(self.series, ignore_index=True))
        df = pd.DataFrame(self.rows).reindex(columns=self.columns)
        _write_parquet(self.out / "chunks" / name, _typed(df))
        self.seq += 1
        self.rows, self.series = [], []


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes, whatever a chunk happens to hold (metrics float64, ids int64, text str)."""
    out = df.copy()
    for col in out.columns:
        if col in ("run_id", "point", "replicate", "seed", "seed_spawn_key", "attempts"):
            out[col] = out[col].fillna(0).astype("int64")
        elif col in ("scenario_hash", "status", "error", "worker"):
            out[col] = out[col].fillna("").astype(str)
    return out


class _Lock:
    """An exclusive lock on the output folder: two sweeps must not write the same chunks."""

    def __init__(self, out: Path) -> None:
        self.file = open(out / ".lock", "w")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise ExperimentError(f"--out {str(out)!r}: another sweep is writing there") from None

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


# ---------------------------------------------------------------------------- the sweep

def fingerprint(exp: Experiment, design: Design) -> str:
    """Hash of what decides the results: the experiment's settings, base scenarios and design points."""
    import hashlib

    bases = {name: exp.base_data(name) for name in exp.base_names()}
    text = json.dumps([exp.fingerprint(), bases, design.points], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def manifest(exp: Experiment, design: Design) -> dict[str, Any]:
    """The experiment manifest: version, scenarios and their hashes, root seed, design."""
    import numba
    import scipy

    bases = {}
    for name in exp.base_names():
        data = exp.base_data(name)
        try:
            h = from_dict(data).hash()
        except ScenarioError:  # the base alone may be invalid until the parameters are applied
            h = None
        bases[name] = {"hash": h, "name": data.get("meta", {}).get("name", name)}
    return {
        "version": __version__,
        "experiment": exp.to_dict(),
        "fingerprint": fingerprint(exp, design),
        "scenarios": bases,
        "root_seed": exp.root_seed,
        "seeds": {"mode": exp.seeds, "children": seed_children(exp, len(design.points)),
                  "rule": "seed = SeedSequence(root_seed, spawn_key=(seed_spawn_key,)).generate_state(1, uint64)[0] "
                          ">> 1, i.e. child seed_spawn_key of SeedSequence(root_seed).spawn(children); "
                          "common: seed_spawn_key = replicate, independent: point x replicates + replicate"},
        "design": {"kind": exp.design, "points": len(design.points), "replicates": exp.replicates,
                   "runs": design.n_runs, "samples": exp.samples, "second_order": exp.second_order,
                   "run_id": "point x replicates + replicate", "problem": design.problem},
        "metrics": list(exp.metrics),
        "series": list(exp.series),
        "environment": {"python": sys.version.split()[0], "numpy": np.__version__, "numba": numba.__version__,
                        "pandas": pd.__version__, "scipy": scipy.__version__, "pyarrow": pa.__version__},
    }


def run_sweep(exp: Experiment, out: str | Path, *, executor: str = "pool", workers: int = 1,
              scheduler: str | None = None, progress: bool = True, chunk_runs: int = 64,
              chunk_seconds: float = 30.0, retry_failed: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> SweepReport:
    """Run the experiment's unfinished runs into ``out`` and (when all are done) write runs.parquet."""
    if executor not in ("serial", "pool", "dask"):
        raise ValueError(f"executor = {executor!r}: must be serial, pool or dask")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out {str(out)!r}: must be a folder, not a file")
    client = None
    if executor == "dask":  # connect first: a wrong address leaves no output folder behind
        from sim.sweep.dask_executor import connect

        client = connect(scheduler or "")
    out.mkdir(parents=True, exist_ok=True)
    try:
        lock = _Lock(out)
    except ExperimentError:
        if client is not None:
            client.close()
        raise
    try:
        return _run_locked(exp, out, executor, workers, client, progress, chunk_runs, chunk_seconds,
                           retry_failed, on_progress, scheduler)
    finally:
        lock.release()
        if client is not None:
            client.close()


def _run_locked(exp: Experiment, out: Path, executor: str, workers: int, client: Any, progress: bool,
                chunk_runs: int, chunk_seconds: float, retry_failed: bool,
                on_progress: Callable[[int, int], None] | None, scheduler: str | None) -> SweepReport:
    start = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    design = build_design(exp)
    info = manifest(exp, design)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("fingerprint") != info["fingerprint"] or old.get("version") != info["version"]:
            raise ExperimentError(
                f"--out {str(out)!r}: holds runs of a different experiment or version (fingerprint "
                f"{old.get('fingerprint')} v{old.get('version')}, this one {info['fingerprint']} "
                f"v{info['version']}); use another --out or remove that folder")
        info["created"] = old.get("created")
        info["invocations"] = old.get("invocations", [])
    info.setdefault("created", datetime.now(UTC).isoformat(timespec="seconds"))
    info["status"] = "running"
    _write_json(manifest_path, info)
    (out / "chunks").mkdir(exist_ok=True)
    for stale in list(out.glob("**/.part-*")):  # temp files of a sweep killed mid-write
        stale.unlink()

    finished = read_runs(out)
    keep = finished if not retry_failed or finished.empty else finished[finished["status"] == "ok"]
    done_ids = set(keep["run_id"].tolist()) if not keep.empty else set()
    todo = [r for r in range(design.n_runs) if r not in done_ids]
    param_names = [p.name for p in exp.parameters]
    columns = ["run_id", "point", "replicate", *param_names, "seed", "seed_spawn_key", "scenario_hash", "status",
               "error", *exp.metrics, *TIMING_COLUMNS]
    meta = _RunMeta(exp, design)
    writer = ChunkWriter(out, columns, chunk_runs, chunk_seconds)
    stats = ExecutorStats()
    failed = 0
    bar = _progress_bar(exp.name, design.n_runs, design.n_runs - len(todo), progress)

    tasks = (meta.task(r) for r in todo)
    if executor == "serial":
        results = run_serial(tasks, stats)
    elif executor == "pool":
        results = run_pool(tasks, stats, workers)
    else:
        from sim.sweep.dask_executor import run_dask

        results = run_dask(tasks, stats, client, info["fingerprint"])
    new = 0
    try:
        for row in results:
            row.update(meta.describe(row["run_id"]))
            failed += row["status"] != "ok"
            writer.add(row)
            new += 1
            if bar is not None:
                bar.set_postfix(failed=failed, lost_workers=stats.worker_deaths, refresh=False)
                bar.update(1)
            if on_progress is not None:
                on_progress(new, len(todo))
    finally:
        writer.flush()
        if bar is not None:
            bar.close()

    runs = read_runs(out)
    files: list[Path] = []
    if len(runs) == design.n_runs:
        files = _consolidate(out, runs)
    info["status"] = "complete" if len(runs) == design.n_runs else "incomplete"
    info["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    info["counts"] = {"runs": design.n_runs, "ok": int((runs["status"] == "ok").sum()),
                      "error": int((runs["status"] == "error").sum())}
    info.setdefault("invocations", []).append({  # every command that worked on this folder, oldest first
        "started": started, "executor": executor, "workers": workers if executor == "pool" else None,
        "scheduler": scheduler, "new_runs": new, "seconds": round(time.perf_counter() - start, 3),
        "worker_deaths": stats.worker_deaths, "resubmitted": stats.resubmitted})
    _write_json(manifest_path, info)
    return SweepReport(out, design.n_runs, design.n_runs - len(todo), new, int((runs["status"] == "error").sum()),
                       time.perf_counter() - start, executor, workers if executor == "pool" else None, stats,
                       [manifest_path, *files])


class _RunMeta:
    """Run id -> design point, replicate, seed and resolved scenario (cached per point)."""

    def __init__(self, exp: Experiment, design: Design) -> None:
        self.exp, self.design = exp, design
        self._cached: tuple[int, dict[str, Any], str] | None = None

    def _scenario(self, point: int) -> tuple[dict[str, Any], str]:
        if self._cached is None or self._cached[0] != point:
            spec = self.exp.scenario_for(self.design.points[point])
            self._cached = (point, spec.to_dict(), spec.hash())
        return self._cached[1], self._cached[2]

    def describe(self, run_id: int) -> dict[str, Any]:
        point, rep = divmod(run_id, self.exp.replicates)
        index = spawn_index(self.exp, point, rep)
        return {"point": point, "replicate": rep, **self.design.points[point],
                "seed": run_seed(self.exp.root_seed, index), "seed_spawn_key": index,
                "scenario_hash": self._scenario(point)[1]}

    def task(self, run_id: int) -> RunTask:
        point, rep = divmod(run_id, self.exp.replicates)
        return RunTask(run_id, self._scenario(point)[0],
                       run_seed(self.exp.root_seed, spawn_index(self.exp, point, rep)), self.exp.metrics,
                       self.exp.series)


def _consolidate(out: Path, runs: pd.DataFrame) -> list[Path]:
    """runs.parquet (deterministic columns) and timings.parquet; then drop the chunk files."""
    runs = _typed(runs)
    timing = [c for c in TIMING_COLUMNS if c in runs.columns]
    _write_parquet(out / "runs.parquet", runs.drop(columns=timing))
    _write_parquet(out / "timings.parquet", runs[["run_id", *timing]])
    files = [out / "runs.parquet", out / "timings.parquet"]
    series_parts = _chunk_files(out / "series")
    if series_parts or (out / "series.parquet").exists():
        _write_parquet(out / "series.parquet", read_series(out))
        files.append(out / "series.parquet")
    for p in _chunk_files(out / "chunks") + series_parts:
        p.unlink()
    for folder in (out / "chunks", out / "series"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return files


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, lambda p: Path(p).write_text(json.dumps(data, indent=2, allow_nan=False, default=str) + "\n"))


def _progress_bar(name: str, total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=name, unit="run", file=sys.stderr, dynamic_ncols=tty,
                mininterval=0.5 if tty else 30.0, smoothing=0.05)
