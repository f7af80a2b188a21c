"""Tables of one stock-layer run (:class:`sim.model.stocks.types.StockPath`): drawdowns, sector indices, attribution.

* :func:`max_drawdowns`, :func:`sector_levels`: per name, the largest fall from a running peak; per
  sector, a cap-weighted buy-and-hold index (100 at day 0's open).
* :func:`stock_summary`, :func:`sector_summary`: one row per name / sector.
* :func:`name_attribution`, :func:`sector_attribution`: Shapley attribution over the layer's
  channels (:data:`sim.model.stocks.types.STOCK_CHANNELS`) of a metric per name or sector, from
  the runs with every subset of channels on (same seed and shocks), with the weights of
  :func:`sim.analysis.attribution.shapley`. By construction ``none`` (the metric with no channel
  on) plus the channels' values equals ``total`` (all on), name by name.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.analysis.attribution import shapley
from sim.core.errors import InputError
from sim.model.stocks.types import STOCK_CHANNELS, StockPath
from sim.run.metrics import max_drawdowns as run_max_drawdowns
from sim.run.metrics import running_peak, shock_drawdown  # noqa: F401 (running_peak re-exported)
from sim.run.stocks import stock_channel_paths, stock_shock_day

METRICS = ("drawdown", "return", "forced_sales", "shock_drawdown")
"""Attribution metrics: max drawdown (fraction, > 0 = a fall), total return over the run (fraction),
total forced sales ($: margin calls' long sales) and the shock drawdown (fraction: the fall from the
close before the shock day to the lowest close in the 21 days from it, as the market's
:func:`sim.run.metrics.shock_drawdown`; needs ``shock_day``)."""


def max_drawdowns(price0, price) -> np.ndarray:
    """Each name's largest fall from its running peak, as a fraction (0 = never below a previous high).

    Parameters
    ----------
    price0 : array of float, (N,)
        $ per share at day 0's open (the first peak).
    price : array of float, (D, N)
        $ per share at each day's close, > 0.

    Returns
    -------
    ndarray
        (N,) in [0, 1): max over t of 1 - price[t] / max(price0, price[:t + 1])
        (:func:`sim.run.metrics.max_drawdowns`, after checking the inputs).
    """
    p0 = np.asarray(price0, dtype=np.float64)
    p = np.asarray(price, dtype=np.float64)
    if p.ndim != 2 or p0.shape != (p.shape[1],) or not (np.all(p0 > 0) and np.all(p > 0)):
        raise InputError("price: must be > 0 of shape (D, N) with price0 > 0 of shape (N,)", field="price",
                         allowed="> 0, shapes (D, N) and (N,)")
    return run_max_drawdowns(p0, p)


def _sectors(path: StockPath) -> list[str]:
    """The sectors in order of first appearance."""
    return list(dict.fromkeys(path.sectors))


def _caps(path: StockPath, market_value0) -> np.ndarray:
    if market_value0 is None:
        return np.ones(path.n)
    mv = np.asarray(market_value0, dtype=np.float64)
    if mv.shape != (path.n,) or not (np.isfinite(mv).all() and np.all(mv > 0)):
        raise InputError(f"market_value0: must be finite > 0 of shape ({path.n},)", field="market_value0",
                         allowed=f"> 0, shape ({path.n},)")
    return mv


def sector_levels(path: StockPath, market_value0=None) -> pd.DataFrame:
    """Each sector's cap-weighted index per day: 100 x sum_j mv_j price[t, j] / price0_j / sum_j mv_j.

    Parameters
    ----------
    path : StockPath
        One run of the stock layer.
    market_value0 : array of float, (N,), optional
        $ market value of each name at day 0 (``StockBook.price0 * StockBook.shares_outstanding``;
        the path does not carry shares outstanding). Default: equal $ in every name at day 0.

    Returns
    -------
    DataFrame
        Index ``day`` (0..D-1, at the close), one column per sector in order of first appearance;
        100 = day 0's open. A buy-and-hold index: weights drift with prices, as a cap weight does.
    """
    mv = _caps(path, market_value0)
    grown = path.price / path.price0 * mv
    sectors = np.asarray(path.sectors)
    cols = {s: 100.0 * grown[:, sectors == s].sum(axis=1) / mv[sectors == s].sum() for s in _sectors(path)}
    return pd.DataFrame(cols, index=pd.RangeIndex(path.days, name="day"))


def _shock_drawdowns(price0: np.ndarray, price: np.ndarray, shock_day: int | None) -> np.ndarray:
    if shock_day is None:
        raise InputError("shock_day: the shock_drawdown metric needs the shock's day", field="shock_day",
                         allowed="a day of the run")
    levels = 100.0 * price / price0
    return np.array([shock_drawdown(levels[:, j], shock_day) for j in range(levels.shape[1])])


def name_metric(path: StockPath, metric: str, shock_day: int | None = None) -> np.ndarray:
    """(N,) one of :data:`METRICS` per name."""
    if metric == "shock_drawdown":
        return _shock_drawdowns(path.price0, path.price, shock_day)
    if metric == "drawdown":
        return max_drawdowns(path.price0, path.price)
    if metric == "return":
        return path.price[-1] / path.price0 - 1.0
    if metric == "forced_sales":
        return path.forced_sales_usd.sum(axis=0)
    raise InputError(f"metric: must be one of {', '.join(METRICS)}, got {metric!r}", field="metric",
                     allowed=", ".join(METRICS))


def sector_metric(path: StockPath, metric: str, market_value0=None, shock_day: int | None = None) -> np.ndarray:
    """(S,) one of :data:`METRICS` per sector, in :func:`sector_levels`' column order (on its index)."""
    if metric == "forced_sales":
        sectors = np.asarray(path.sectors)
        sold = path.forced_sales_usd.sum(axis=0)
        return np.array([sold[sectors == s].sum() for s in _sectors(path)])
    levels = sector_levels(path, market_value0).to_numpy() / 100.0
    if metric == "shock_drawdown":
        return _shock_drawdowns(np.ones(levels.shape[1]), levels, shock_day)
    if metric == "return":
        return levels[-1] - 1.0
    if metric == "drawdown":
        return max_drawdowns(np.ones(levels.shape[1]), levels)
    raise InputError(f"metric: must be one of {', '.join(METRICS)}, got {metric!r}", field="metric",
                     allowed=", ".join(METRICS))


def _check_runs(paths: Mapping[frozenset[str], StockPath]) -> StockPath:
    """The all-on run, after checking that every subset of the channels is there, alike in names."""
    want = {frozenset(c) for k in range(len(STOCK_CHANNELS) + 1) for c in itertools.combinations(STOCK_CHANNELS, k)}
    got = {frozenset(k) for k in paths}
    if got != want:
        missing = sorted("+".join(sorted(s)) or "none" for s in want - got)
        extra = sorted("+".join(sorted(s)) for s in got - want)
        raise InputError(f"paths: must hold one run per subset of {', '.join(STOCK_CHANNELS)}"
                         f"{'; missing ' + ', '.join(missing) if missing else ''}"
                         f"{'; unknown ' + ', '.join(extra) if extra else ''}", field="paths",
                         allowed=f"the {len(want)} subsets of {', '.join(STOCK_CHANNELS)}")
    full = paths[frozenset(STOCK_CHANNELS)]
    for p in paths.values():
        if p.tickers != full.tickers or p.sectors != full.sectors:
            raise InputError("paths: every run must have the same tickers and sectors", field="paths",
                             allowed="runs of one universe")
    return full


def _attribute(values: dict[frozenset[str], np.ndarray], index: pd.Index) -> pd.DataFrame:
    phi = shapley(STOCK_CHANNELS, lambda s: values[s])
    out = {"none": values[frozenset()]}
    out.update({c: np.broadcast_to(phi[c], index.shape).astype(np.float64) for c in STOCK_CHANNELS})
    out["total"] = values[frozenset(STOCK_CHANNELS)]
    return pd.DataFrame(out, index=index)


def name_attribution(paths: Mapping[frozenset[str], StockPath], metric: str = "drawdown",
                     shock_day: int | None = None) -> pd.DataFrame:
    """Shapley attribution of a metric per name over the channels.

    Parameters
    ----------
    paths : mapping of frozenset of str to StockPath
        One run per subset of :data:`STOCK_CHANNELS` (all 2^k), keyed by the channels on.
    metric : str
        One of :data:`METRICS`: ``drawdown`` (fraction), ``return`` (fraction), ``forced_sales`` ($)
        or ``shock_drawdown`` (fraction).
    shock_day : int, optional
        The shock's day, for ``shock_drawdown``.

    Returns
    -------
    DataFrame
        Index ``ticker``; columns ``sector``, ``none`` (no channel on), one per channel (its
        Shapley value) and ``total`` (all on); ``none`` + channels = ``total`` up to rounding.
    """
    full = _check_runs(paths)
    values = {frozenset(k): name_metric(p, metric, shock_day) for k, p in paths.items()}
    table = _attribute(values, pd.Index(full.tickers, name="ticker"))
    table.insert(0, "sector", list(full.sectors))
    return table


def sector_attribution(paths: Mapping[frozenset[str], StockPath], metric: str = "drawdown",
                       market_value0=None, shock_day: int | None = None) -> pd.DataFrame:
    """Shapley attribution of a metric per sector (drawdown and return on :func:`sector_levels`' index).

    Parameters
    ----------
    paths : mapping of frozenset of str to StockPath
        As for :func:`name_attribution`.
    metric : str
        One of :data:`METRICS`; ``forced_sales`` sums the sector's names.
    market_value0 : array of float, (N,), optional
        Day-0 market values for the sector indices (see :func:`sector_levels`).
    shock_day : int, optional
        The shock's day, for ``shock_drawdown``.

    Returns
    -------
    DataFrame
        Index ``sector``; columns ``none``, one per channel, ``total``.
    """
    full = _check_runs(paths)
    values = {frozenset(k): sector_metric(p, metric, market_value0, shock_day) for k, p in paths.items()}
    return _attribute(values, pd.Index(_sectors(full), name="sector"))


def stock_summary(path: StockPath) -> pd.DataFrame:
    """One row per name: what the run did to it.

    Returns
    -------
    DataFrame
        Index ``ticker``; columns ``sector``, ``drawdown`` (max, fraction), ``return`` (over the
        run, fraction), ``forced_sales_usd`` and ``buy_ins_usd`` (summed over days, $),
        ``peak_margin_debt_usd`` ($), ``peak_short_interest`` (fraction of shares outstanding),
        ``letf_flow_usd`` (net $ the leveraged ETFs traded, + = bought) and ``letf_gross_usd``
        ($ traded either way).
    """
    return pd.DataFrame({
        "sector": list(path.sectors),
        "drawdown": max_drawdowns(path.price0, path.price),
        "return": path.price[-1] / path.price0 - 1.0,
        "forced_sales_usd": path.forced_sales_usd.sum(axis=0),
        "buy_ins_usd": path.buy_ins_usd.sum(axis=0),
        "peak_margin_debt_usd": path.margin_debt_usd.max(axis=0),
        "peak_short_interest": path.short_interest.max(axis=0),
        "letf_flow_usd": path.letf_flow_usd.sum(axis=0),
        "letf_gross_usd": np.abs(path.letf_flow_usd).sum(axis=0),
    }, index=pd.Index(path.tickers, name="ticker"))


def sector_summary(path: StockPath, market_value0=None) -> pd.DataFrame:
    """One row per sector: its index's drawdown and return, and its names' flows summed.

    Returns
    -------
    DataFrame
        Index ``sector``; columns ``names`` (count), ``drawdown`` and ``return`` (of
        :func:`sector_levels`' index, fractions), ``forced_sales_usd``, ``buy_ins_usd``,
        ``letf_flow_usd`` ($ summed over names and days) and ``peak_margin_debt_usd`` (the peak
        over days of the sector's margin debt, $).
    """
    names = stock_summary(path)
    sectors = np.asarray(path.sectors)
    order = _sectors(path)
    sums = names.groupby("sector", sort=False)[["forced_sales_usd", "buy_ins_usd", "letf_flow_usd"]].sum()
    return pd.DataFrame({
        "names": [int((sectors == s).sum()) for s in order],
        "drawdown": sector_metric(path, "drawdown", market_value0),
        "return": sector_metric(path, "return", market_value0),
        **{c: sums.loc[order, c].to_numpy() for c in sums.columns},
        "peak_margin_debt_usd": [path.margin_debt_usd[:, sectors == s].sum(axis=1).max() for s in order],
    }, index=pd.Index(order, name="sector"))


def stock_attribution(spec, seed: int, timeseries: pd.DataFrame, book) -> dict[str, pd.DataFrame]:
    """Per-name and per-sector Shapley attribution of a stock-layer run's drawdowns and forced sales.

    Runs the layer with every subset of its channels on (:func:`sim.run.stocks.stock_channel_paths`:
    same market path, book and draws) and attributes each name's and each sector's max drawdown
    and forced sales.

    Parameters
    ----------
    spec : Scenario
        The run's scenario (``stocks.enabled``).
    seed : int
        The run's seed.
    timeseries : pandas.DataFrame
        The run's daily series (the market path).
    book : StockBook
        The run's book at day 0 (``SimulationResult.stock_book``).

    Returns
    -------
    dict of str to DataFrame
        ``names_drawdown``, ``names_forced_sales`` (indexed by ticker), ``sectors_drawdown``,
        ``sectors_forced_sales`` (by sector), and with a shock (:func:`sim.run.stocks.stock_shock_day`)
    ``names_shock_drawdown`` and ``sectors_shock_drawdown``; columns ``none``, one per channel,
    ``total``.
    """
    paths = stock_channel_paths(spec, seed, timeseries, book)
    caps = book.price0 * book.shares_outstanding
    out = {"names_drawdown": name_attribution(paths, "drawdown"),
           "names_forced_sales": name_attribution(paths, "forced_sales"),
           "sectors_drawdown": sector_attribution(paths, "drawdown", caps),
           "sectors_forced_sales": sector_attribution(paths, "forced_sales", caps)}
    day = stock_shock_day(spec)
    if day is not None:
        out["names_shock_drawdown"] = name_attribution(paths, "shock_drawdown", day)
        out["sectors_shock_drawdown"] = sector_attribution(paths, "shock_drawdown", caps, day)
    return out
