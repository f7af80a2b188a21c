"""The Python API: run a scenario with a seed and get the daily series and a summary."""

from __future__ import annotations

from collections.abc import Callable
from os import PathLike
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim import __version__
from sim.config.fields import check
from sim.config.scenario import Scenario, ScenarioError, coerce
from sim.config.schema import SEED
from sim.core.errors import InputError
from sim.model import compiled
from sim.model.invariants import check_conservation
from sim.model.market_model import MarketModel, Mode
from sim.run.dates import trading_days
from sim.run.metrics import DRIFT_EVENTS, first_shock_day, summarize  # noqa: F401 (re-exported)
from sim.run.results import SimulationResult
from sim.run.stocks import stock_layer, stock_metrics, stock_series, stock_table

ENGINES = ("compiled", "mesa")
DEFAULT_ENGINE = "compiled"
"""``compiled``: the day loop in numba (:mod:`sim.model.compiled`); ``mesa``: the Mesa model's ``step()``."""
def check_seed(seed: Any) -> int:
    """Seeds are integers in [0, 2^63 - 1] (fed to numpy.random.SeedSequence); raises ScenarioError otherwise."""
    return check(seed, SEED, "seed", error=ScenarioError)


def simulate(scenario: Scenario | str | PathLike[str] | dict[str, Any], seed: int = 0, *, mode: Mode = "kernel",
             progress: bool | Callable[[int, int], None] = False, check_every_day: bool = False,
             record_intraday: bool = False, engine: str = DEFAULT_ENGINE) -> SimulationResult:
    """Run ``scenario`` with ``seed``: the daily series and the summary.

    The result is a pure function of (scenario, seed): the same inputs give bit-identical
    output in either ``mode`` and either ``engine``.

    Parameters
    ----------
    scenario : Scenario, str, os.PathLike or dict
        A Scenario, a built-in name (see :func:`sim.scenarios`), a ``.toml`` path or a raw dict.
    seed : int
        In [0, 2^63 - 1].
    mode : {'kernel', 'agents'}
        The margin book as numba arrays, or one Mesa agent per investor (the reference).
    progress : bool or callable
        True: a tqdm bar of days on stderr. A callable is called as ``progress(done, total)``
        before the first day and after each day (the compiled engine: after each block of
        days, one day with ``check_every_day``).
    check_every_day : bool
        Check the accounting invariants after every day, not only at the end.
    record_intraday : bool
        Also keep one row per substep (prices, each channel's flow, calls and forced sales) in
        ``result.intraday``.
    engine : {'compiled', 'mesa'}
        ``'compiled'`` runs the whole trading day in numba (:mod:`sim.model.compiled`);
        ``'mesa'`` steps the Mesa model (the readable reference). The compiled engine runs the
        margin book as arrays: with ``mode='agents'`` or ``record_intraday`` the Mesa engine runs.
        ``result.engine`` says which one ran (not in the files: they are the same either way).

    Returns
    -------
    SimulationResult
        ``timeseries`` has one row per trading day with its number ``day`` (0, 1, ...) and, when
        the scenario has ``meta.start_date``, its NYSE trading ``date`` (no ``date`` column
        otherwise). With ``stocks.enabled`` the stock layer runs on the market's path
        (:mod:`sim.run.stocks`): ``stocks`` is the per-stock daily table, ``stock_path`` its
        arrays, ``stock_book`` the book at day 0, ``summary['stocks']`` its metrics and
        ``timeseries`` gains the ``stock_*`` concentration columns.

    Raises
    ------
    ScenarioError
        A bad scenario, seed or mode, or a start date that is not an NYSE trading day, before
        anything runs.
    """
    spec = coerce(scenario)
    check_seed(seed)
    if engine not in ENGINES:
        raise InputError(f"engine = {engine!r}: must be 'compiled' or 'mesa'", field="engine",
                         allowed="'compiled' or 'mesa'")
    if mode == "agents" or record_intraday:
        engine = "mesa"  # one Mesa agent per investor, or rows per substep: the Mesa model only
    dates = trading_days(spec.meta.start_date, spec.simulation.days) if spec.meta.start_date else None
    model, ts, engine = _run(spec, seed, mode, progress, check_every_day, record_intraday, engine)
    metrics = summarize(ts, model.initial, first_shock_day(spec))
    book, stock_path, stocks, stock_summary = None, None, None, None
    if spec.stocks.enabled:  # the stock layer on the market's path (sim.run.stocks)
        book, stock_path = stock_layer(spec, seed, ts)
        for name, values in stock_series(stock_path).items():
            ts[name] = values
        stocks = stock_table(stock_path)
        stock_summary = stock_metrics(spec, book, stock_path)
    if dates is not None:
        ts.insert(ts.columns.get_loc("day") + 1, "date", dates.to_numpy())
    scenario_hash = spec.hash()
    summary = {
        "version": __version__,
        "seed": seed,
        "scenario_name": spec.meta.name,
        "scenario_hash": scenario_hash,
        "mode": mode,
        "metrics": metrics,
        "scenario": spec.to_dict(),
    }
    if stock_summary is not None:
        summary["stocks"] = stock_summary
    ts.attrs.update({"version": __version__, "seed": seed, "scenario_hash": scenario_hash})
    intraday = None
    if record_intraday:
        intraday = pd.DataFrame.from_records(model.intraday_records)
        intraday.attrs.update(ts.attrs)
    if stocks is not None:
        stocks.attrs.update(ts.attrs)
    return SimulationResult(ts, summary, intraday, engine, stocks, stock_path, book)


def path_series(spec: Scenario, seed: int, engine: str = DEFAULT_ENGINE) -> tuple[pd.DataFrame, dict]:
    """One run's daily series (without ``date``) and summary metrics: :func:`simulate`'s, without the rest.

    For ensembles: the same model, engine, checks and :func:`sim.run.metrics.summarize` as
    :func:`simulate` (so the same numbers), without the summary's scenario copy and hashes, the
    dates or the attributes. ``spec`` and ``seed`` are assumed checked.
    """
    model, ts, _ = _run(spec, seed, "kernel", False, False, False, engine)
    return ts, summarize(ts, model.initial, first_shock_day(spec))


def _run(spec: Scenario, seed: int, mode: Mode, progress: bool | Callable[[int, int], None], check_every_day: bool,
         record_intraday: bool, engine: str) -> tuple[MarketModel, pd.DataFrame, str]:
    """Build the model and run it on ``engine`` (the Mesa one where only it can); checks conservation at the end."""
    if mode == "agents" or record_intraday:
        engine = "mesa"  # one Mesa agent per investor, or rows per substep: the Mesa model only
    model = MarketModel(spec, seed=seed, mode=mode, check_every_day=check_every_day,
                        record_intraday=record_intraday)
    if engine == "compiled":
        ts = compiled.run(model, _reporter(spec, progress), check_every_day=check_every_day)
    else:
        _run_days(model, spec, progress)
        ts = pd.DataFrame.from_records(model.records)
        ts["day"] = ts["day"].astype("int64")
    check_conservation(model)
    return model, ts, engine


def _reporter(spec: Scenario, progress: bool | Callable[[int, int], None]) -> Callable[[int, int], None] | None:
    """``progress`` as a ``(done, total)`` callback for the compiled engine (True: a tqdm bar)."""
    if progress is not True:
        return progress if callable(progress) else None
    bar = tqdm(total=spec.simulation.days, desc=spec.meta.name, unit="day", leave=False)

    def report(done: int, total: int) -> None:
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def _run_days(model: MarketModel, spec: Scenario, progress: bool | Callable[[int, int], None]) -> None:
    """Step ``model`` through the scenario's days, reporting progress as asked."""
    total = spec.simulation.days
    if progress is True:
        for _ in tqdm(range(total), desc=spec.meta.name, unit="day", leave=False):
            model.step()
        return
    report = progress if callable(progress) else None
    if report is not None:
        report(0, total)
    for done in range(1, total + 1):
        model.step()
        if report is not None:
            report(done, total)
