"""``ensemble``: many paths of one scenario in one call, as a labelled ``path x day`` dataset.

A path is one run: the scenario, with its own values of the fields a sweep varies (``params``),
and its own seed. Path ``p`` is exactly ``simulate(scenario with path p's params, seeds[p])``,
bit for bit, whatever the number of worker processes: each path is a pure function of its
inputs, and the results are filled into preallocated ``path x day`` arrays by path number.

The result is an :class:`xarray.Dataset` rather than a long DataFrame: a researcher slices it by
path and by day (``ds.index_level.sel(day=60)``, ``ds.margin_debt.mean("path")``), its
coordinates carry each path's seed and parameter values, and it holds one float array per
column (8 bytes per path-day) where a long table would repeat the labels on every row.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from sim import __version__
from sim.config.outputs import MARKET_METRIC_NAMES, daily_columns
from sim.config.scenario import Scenario, ScenarioError, coerce, resolve
from sim.config.schema import MAX_SEED
from sim.core.errors import InputError
from sim.core.machine import platform_info
from sim.run import workers as pool_workers
from sim.run.dates import trading_days
from sim.run.params import flat_metrics
from sim.run.simulate import ENGINES, check_seed, path_series, simulate

MAX_PATHS = 10_000_000
MAX_WORKERS = 1024
NOT_SERIES = ("day", "regime")
"""Daily columns that are not data variables: ``day`` is a dimension, ``regime`` a label."""


def run_one(spec: Scenario, seed: int, engine: str) -> Any:
    """One path: ``simulate(spec, seed, engine=engine)``; the one place an ensemble names the engine."""
    return simulate(spec, seed, engine=engine)


def spawn_seeds(count: int, root: int = 0) -> list[int]:
    """``count`` path seeds derived from the root seed ``root``, deterministically.

    Path ``p``'s seed is ``SeedSequence(root).spawn(count)[p].generate_state(1, uint64)[0] >> 1``
    (63 bits, a valid seed). A child's state depends on ``(root, p)`` only, so asking for more
    paths keeps the first ones: 10,000 paths extend a run of 1,000.
    """
    check_seed(root)
    return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
            for child in np.random.SeedSequence(root).spawn(count)]


@dataclass
class EnsembleResult:
    """P paths of one scenario.

    Attributes
    ----------
    dataset : xarray.Dataset
        One data variable per numeric daily column, dimensions ``(path, day)``; coordinates
        ``path``, ``day``, ``date`` (when the scenario has ``meta.start_date``), ``seed`` and each
        varied parameter (per path). ``attrs``: version, scenario name and hash, engine, platform.
    summary : pandas.DataFrame
        One row per path (index ``path``): ``seed``, each varied parameter, ``scenario_hash`` and
        every summary metric, flattened as in :func:`sim.simulate_params` (``max_drawdown``,
        ``channel_flows.letf.sold_usd``, ...; a missing ``regime_days.*`` is 0, None is NaN).
    """

    dataset: xr.Dataset
    summary: pd.DataFrame

    @property
    def paths(self) -> int:
        """The number of paths."""
        return int(self.dataset.sizes["path"])

    @property
    def seeds(self) -> list[int]:
        """Each path's seed."""
        return [int(s) for s in self.dataset["seed"].values]


def ensemble(scenario: Scenario | str | PathLike[str] | dict[str, Any], seeds: int | Sequence[int] = 1,
             params: Mapping[str, Sequence[Any]] | None = None, *, root_seed: int = 0, engine: str = "compiled",
             workers: int = 1, progress: bool | Callable[[int, int], None] = False,
             series: Sequence[str] | None = None) -> EnsembleResult:
    """Run P paths of ``scenario`` and return them as one labelled dataset and a summary table.

    Parameters
    ----------
    scenario : Scenario, str, os.PathLike or dict
        A Scenario, a built-in name, a ``.toml`` path or a raw dict.
    seeds : int or sequence of int
        The paths' seeds (each in [0, 2^63 - 1]), or a number of paths P: then P seeds are
        derived from ``root_seed`` by :func:`spawn_seeds` (``numpy.random.SeedSequence``).
    params : mapping, optional
        Per-path values of the fields a sweep varies: dotted path (``*`` = every item of a list,
        as in :func:`sim.simulate_params`) -> a sequence of P values.
    root_seed : int
        The root of the derived seeds when ``seeds`` is a count.
    engine : {'compiled', 'mesa'}
        The engine every path runs on.
    workers : int
        1 to 1024: threads on the compiled engine (its kernels release the GIL), processes on
        the Mesa engine; the result is identical for any number.
    progress : bool or callable
        True: a tqdm bar of paths on stderr. A callable is called as ``progress(done, total)``.
    series : sequence of str, optional
        The daily columns to keep (default: every numeric daily column).

    Returns
    -------
    EnsembleResult
        Path ``p`` equals ``simulate(scenario with params[...][p], seeds[p])`` bit for bit.

    Raises
    ------
    InputError
        Bad seeds, params, engine, workers or series, or paths of different lengths, before
        anything runs.

    Examples
    --------
    >>> res = sim.ensemble("finra-2026-05", seeds=64, params={"margin.leverage_mean": [1.6] * 64})  # doctest: +SKIP
    >>> res.summary["shock_drawdown"].quantile(0.95), res.dataset.index_level.mean("path")  # doctest: +SKIP
    """
    base = coerce(scenario)
    seed_list = _check_seeds(seeds, root_seed)
    specs = _path_specs(base, params, len(seed_list))
    _check_choice(engine, "engine", ENGINES)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"workers = {workers!r}: must be an integer in [1, {MAX_WORKERS}]", field="workers",
                         allowed=f"an integer in [1, {MAX_WORKERS}]")
    columns = _check_series(specs[0], series)
    tasks = [(p, specs[p if len(specs) > 1 else 0], seed_list[p], engine, columns) for p in range(len(seed_list))]
    filler = _Filler(len(seed_list), columns)
    report = _reporter(progress, len(seed_list), base.meta.name)
    try:
        for out in _results(tasks, workers):
            filler.put(*out)
            report(filler.done)
    finally:
        report(-1)
    return _assemble(base, specs, seed_list, params, engine, filler)


# ----------------------------------------------------------------------------------- checks
def _check_choice(value: Any, field: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(f"{field} = {value!r}: must be one of {', '.join(allowed)}", field=field,
                         allowed=", ".join(allowed))


def _check_seeds(seeds: Any, root: int) -> list[int]:
    allowed = f"a path count in [1, {MAX_PATHS}] or a non-empty list of integers in [0, 2^63 - 1]"
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if not 1 <= seeds <= MAX_PATHS:
            raise InputError(f"seeds = {int(seeds)}: a path count must be in [1, {MAX_PATHS}]", field="seeds",
                             allowed=allowed)
        return spawn_seeds(int(seeds), root)
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, (Sequence, np.ndarray)) or len(seeds) == 0:
        raise InputError(f"seeds = {str(seeds)[:60]!r}: must be {allowed}", field="seeds", allowed=allowed)
    out = []
    for i, s in enumerate(seeds):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED:
            raise InputError(f"seeds[{i}] = {s!r}: must be an integer in [0, 2^63 - 1]", field="seeds",
                             allowed=allowed)
        out.append(int(s))
    return out


def _path_specs(base: Scenario, params: Any, count: int) -> list[Scenario]:
    """One scenario per path with its parameter values (just the base when nothing varies)."""
    if params is None or (isinstance(params, Mapping) and not params):
        return [base]
    if not isinstance(params, Mapping):
        raise InputError(f"params = {str(params)[:60]!r}: must be a dict of dotted path -> list of {count} values",
                         field="params", allowed=f"a dict of dotted path -> {count} values")
    for key, values in params.items():
        if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__") or len(values) != count:
            n = len(values) if hasattr(values, "__len__") and not isinstance(values, (str, bytes)) else "not a list"
            raise InputError(f"params[{key!r}]: {n} values for {count} paths; must be a list of {count} values "
                             "(one per path)", field="params", allowed=f"{count} values per parameter")
    data = base.to_dict()
    specs = []
    for p in range(count):
        spec = resolve(data, {k: _plain(v[p]) for k, v in params.items()})
        spec.source = base.source
        specs.append(spec)
    shape = {(s.simulation.days, s.meta.start_date) for s in specs}
    if len(shape) > 1:
        raise InputError("params: every path must have the same simulation.days and meta.start_date "
                         f"({len(shape)} different ones)", field="params", allowed="one number of days for all paths")
    return specs


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _check_series(spec: Scenario, series: Sequence[str] | None) -> tuple[str, ...]:
    allowed = [c for c in daily_columns(spec.market.assets, value_funds=spec.value_funds.count > 0)
               if c not in NOT_SERIES]
    if series is None:
        return tuple(allowed)
    if isinstance(series, str) or not isinstance(series, Sequence) or not series:
        raise ScenarioError(f"series = {str(series)[:60]!r}: must be a non-empty list of daily columns",
                            field="series", allowed=", ".join(allowed))
    for column in series:
        if column not in allowed:
            raise ScenarioError(f"series {column!r}: not a numeric daily column; allowed: " + ", ".join(allowed),
                                field="series", allowed=", ".join(allowed))
    return tuple(series)


# ------------------------------------------------------------------------------------ running
def _path(task: tuple) -> tuple[int, dict[str, np.ndarray], dict[str, float], np.ndarray]:
    """One path's columns (numpy arrays), flat metrics and days; what a worker sends back."""
    p, spec, seed, engine, columns = task
    ts, summary_metrics = path_series(spec, seed, engine)  # simulate's series and metrics, without its extras
    flat = flat_metrics(summary_metrics)
    metrics = {m: 0.0 if m.startswith("regime_days.") else math.nan for m in MARKET_METRIC_NAMES}  # as a sweep's rows
    metrics.update((m, float(v)) for m, v in flat.items())
    return p, {c: ts[c].to_numpy() for c in columns}, metrics, ts["day"].to_numpy()


def _results(tasks: list[tuple], workers: int):
    """Each path's output as it finishes: in order in this process, or from ``workers`` threads or processes.

    Compiled paths run in threads: the day kernel releases the GIL, so the paths' kernels run
    side by side while their Python set-up and summaries (about a seventh of a path at 1,000
    accounts) take turns; no worker process to start, nothing pickled. Mesa paths hold the GIL
    throughout, so they run in a pool of processes.
    """
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            yield _path(task)
        return
    if all(task[3] == "compiled" for task in tasks):
        yield _path(tasks[0])  # loads the kernels once, in this thread
        yield from _pooled(ThreadPoolExecutor(max_workers=min(workers, len(tasks) - 1)), tasks[1:], workers)
        return
    context = pool_workers.pool_context("sim.run.warm")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                               initializer=pool_workers.start_worker, initargs=(os.getpid(),))
    yield from _pooled(pool, tasks, workers)


def _pooled(pool: Executor, tasks: list[tuple], workers: int):
    """``_path`` of every task on ``pool``, at most two per worker in flight; results as they finish."""
    pending = iter(tasks)
    in_flight: set[Future] = set()
    try:
        while True:
            while len(in_flight) < 2 * workers and (task := next(pending, None)) is not None:
                in_flight.add(pool.submit(_path, task))  # at most two paths per worker held at once
            if not in_flight:
                return
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
    finally:
        if in_flight and isinstance(pool, ProcessPoolExecutor):  # an error or Ctrl-C: don't wait for running paths
            for proc in list((getattr(pool, "_processes", None) or {}).values()):  # no public API for this
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


class _Filler:
    """Preallocated ``path x day`` arrays, filled one path at a time as results arrive."""

    def __init__(self, paths: int, columns: tuple[str, ...]) -> None:
        self.paths, self.columns = paths, columns
        self.arrays: dict[str, np.ndarray] = {}
        self.metrics: list[dict[str, float] | None] = [None] * paths
        self.days: np.ndarray | None = None
        self.done = 0

    def put(self, p: int, values: dict[str, np.ndarray], metrics: dict[str, float], days: np.ndarray) -> None:
        if self.days is None:  # sized by the first path to arrive (every path has the same days)
            self.days = days
            self.arrays = {c: np.empty((self.paths, days.size), dtype=values[c].dtype) for c in self.columns}
        for c in self.columns:
            self.arrays[c][p] = values[c]
        self.metrics[p] = metrics
        self.done += 1


def _reporter(progress: bool | Callable[[int, int], None], total: int, name: str) -> Callable[[int], None]:
    """``report(done)`` after each path; ``report(-1)`` closes the bar."""
    if progress is True:
        bar = tqdm(total=total, desc=name, unit="path", leave=False)
        return lambda done: bar.close() if done < 0 else bar.update(done - bar.n)
    if callable(progress):
        progress(0, total)
        return lambda done: None if done < 0 else progress(done, total)
    return lambda done: None


def _assemble(base: Scenario, specs: list[Scenario], seeds: list[int], params: Mapping[str, Sequence[Any]] | None,
              engine: str, filler: _Filler) -> EnsembleResult:
    """The dataset and the summary table from the filled arrays."""
    paths = np.arange(len(seeds))
    varied = {k: np.asarray([_plain(x) for x in v]) for k, v in (params or {}).items()}
    coords: dict[str, Any] = {"path": paths, "day": filler.days, "seed": ("path", np.asarray(seeds, dtype=np.int64))}
    if base.meta.start_date:
        coords["date"] = ("day", trading_days(base.meta.start_date, base.simulation.days).to_numpy())
    coords.update({k: ("path", v) for k, v in varied.items()})
    attrs = {"version": __version__, "scenario_name": base.meta.name, "scenario_hash": base.hash(), "engine": engine,
             "platform": json.dumps(platform_info(), sort_keys=True)}
    dataset = xr.Dataset({c: (("path", "day"), a) for c, a in filler.arrays.items()}, coords=coords, attrs=attrs)
    hashes = [s.hash() for s in specs] if len(specs) > 1 else [base.hash()] * len(seeds)
    summary = pd.DataFrame.from_records(filler.metrics, index=pd.Index(paths, name="path"))
    front = pd.DataFrame({"seed": np.asarray(seeds, dtype=np.int64), **varied, "scenario_hash": hashes},
                         index=summary.index)
    summary = pd.concat([front, summary], axis=1)
    summary.attrs.update(attrs)
    return EnsembleResult(dataset, summary)
