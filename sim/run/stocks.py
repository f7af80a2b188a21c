"""The stock layer in a run: the market's path in, a per-stock daily table and concentration series out.

:func:`stock_layer` runs the layer of :mod:`sim.model.stocks` on a finished market run: its daily
index returns are the stocks' market factor, its realised volatility thins every name's depth by
the market's own rule (:func:`sim.core.impact.thinning_factor`, with the layer's elasticity and
cap). The stock book and the layer's draws come from their own seed stream
(:func:`sim.model.stocks.portfolios.stock_streams`), so switching the layer on changes none of the
market's numbers. The coupling is one way: the layer's flows do not move the index (see
docs/stocks.md for what that means for the answers).

Outputs:

* :func:`stock_table`: ``stocks.parquet``, one row per (day, name), columns :data:`STOCK_COLUMNS`.
* :func:`stock_series`: the daily concentration and totals, added to ``timeseries`` as the
  :data:`STOCK_DAILY_COLUMNS`.
* :func:`stock_metrics`: the summary's ``stocks`` table (:data:`STOCK_METRICS`).
* :func:`stock_channel_paths`: the layer run with every subset of :data:`STOCK_CHANNELS` on the
  same market path and book, for per-name and per-sector attribution.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from sim.config.outputs import STOCK_COLUMNS, STOCK_DAILY_COLUMNS, STOCK_METRICS  # noqa: F401 (re-exported)
from sim.config.scenario import Scenario
from sim.core.detarrays import log1p_array
from sim.core.impact import thinning_factor
from sim.core.stock_impact import TRADING_DAYS
from sim.model.stocks.day import carry_and_record
from sim.model.stocks.layer import run_stock_layer
from sim.model.stocks.portfolios import build_stock_book, stock_streams, stock_universe
from sim.model.stocks.types import STOCK_CHANNELS, StockBook, StockPath
from sim.run.metrics import first_shock_day, max_drawdown, max_drawdowns, shock_drawdown

STOCK_SHOCKS = ("shock", "requirement", "short_requirement", "recall")
"""Stock event kinds that shock names (retail buying, fees and restrictions do not)."""


def stock_shock_day(spec: Scenario) -> int | None:
    """The first shock to the stock layer: the market's first event or a name-level shock, whichever is first."""
    days = [e.day for e in spec.stock_events if e.kind in STOCK_SHOCKS]
    market = first_shock_day(spec)
    if market is not None:
        days.append(market)
    return min(days, default=None)


def market_inputs(spec: Scenario, timeseries: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The layer's inputs from the market's run: daily log index returns and each day's depth thinning.

    Thinning is the market's rule, :func:`sim.core.impact.thinning_factor`, of the index's
    realised daily volatility (``realized_vol`` / sqrt(252)) against the market's
    ``impact.reference_vol``, with the stock layer's ``thinning_elasticity`` and ``thinning_cap``.
    """
    returns = log1p_array(timeseries["index_return"].to_numpy(dtype=np.float64))  # the same bits on every CPU
    daily = timeseries["realized_vol"].to_numpy(dtype=np.float64) / math.sqrt(TRADING_DAYS)
    s, ref = spec.stocks, spec.impact.reference_vol
    thinning = np.array([thinning_factor(v, ref, s.thinning_elasticity, s.thinning_cap) for v in daily])
    return np.ascontiguousarray(returns), thinning


def stock_layer(spec: Scenario, seed: int, timeseries: pd.DataFrame, channels: dict[str, bool] | None = None,
                book: StockBook | None = None) -> tuple[StockBook, StockPath]:
    """Build the stock book and run the layer on the market path in ``timeseries``.

    Parameters
    ----------
    spec : Scenario
        Validated, with ``stocks.enabled``.
    seed : int
        The run's seed (checked).
    timeseries : pandas.DataFrame
        The market run's daily series (``index_return``, ``realized_vol``).
    channels : dict, optional
        Which of :data:`STOCK_CHANNELS` trade (all by default).
    book : StockBook, optional
        The book at day 0 if already built for this scenario and seed (it is not changed).

    Returns
    -------
    (StockBook, StockPath)
        The book at day 0 and the layer's path.
    """
    if book is None:
        book = build_stock_book(spec, stock_universe(spec), seed)  # draws from stock_streams(seed)["book"]
    returns, thinning = market_inputs(spec, timeseries)
    market_vol = spec.market.fundamental_vol * math.sqrt(TRADING_DAYS)
    path = run_stock_layer(book, spec.stocks, list(spec.stock_letfs), list(spec.stock_events), returns, thinning,
                           stock_streams(seed)["layer"], channels=channels, market_vol=market_vol)
    return book, path


def stock_channel_paths(spec: Scenario, seed: int, timeseries: pd.DataFrame,
                        book: StockBook | None = None) -> dict[frozenset[str], StockPath]:
    """The layer with every subset of :data:`STOCK_CHANNELS` on (2^3 paths), same market path, book and draws.

    Keyed by the frozenset of channels on; the full set is the run itself. What per-name and
    per-sector Shapley attribution (:func:`sim.analysis.stock_tables.name_attribution`) takes.
    """
    if book is None:
        book = build_stock_book(spec, stock_universe(spec), seed)
    out: dict[frozenset[str], StockPath] = {}
    for k in range(len(STOCK_CHANNELS) + 1):
        for on in itertools.combinations(STOCK_CHANNELS, k):
            switches = {c: c in on for c in STOCK_CHANNELS}
            out[frozenset(on)] = stock_layer(spec, seed, timeseries, switches, book)[1]
    return out


def stock_table(path: StockPath) -> pd.DataFrame:
    """``stocks.parquet``: one row per (day, name), day-major, columns :data:`STOCK_COLUMNS`."""
    d, n = path.days, path.n
    table = pd.DataFrame({
        "day": np.repeat(np.arange(d, dtype=np.int64), n),
        "ticker": pd.Categorical(np.tile(np.array(path.tickers, dtype=object), d), categories=list(path.tickers)),
        "sector": pd.Categorical(np.tile(np.array(path.sectors, dtype=object), d),
                                 categories=list(dict.fromkeys(path.sectors))),
        "price": path.price.ravel(),
        "return": path.ret.ravel(),
        "forced_sales_usd": path.forced_sales_usd.ravel(),
        "buy_ins_usd": path.buy_ins_usd.ravel(),
        "margin_debt_usd": path.margin_debt_usd.ravel(),
        "short_interest": path.short_interest.ravel(),
        "letf_flow_usd": path.letf_flow_usd.ravel(),
    })
    return table[list(STOCK_COLUMNS)]


def stock_series(path: StockPath) -> dict[str, np.ndarray]:
    """The :data:`STOCK_DAILY_COLUMNS` of ``path``, each one value per day."""
    return {
        "stock_index_level": path.index_level,
        "stock_margin_debt_usd": path.total_margin_debt_usd,
        "stock_margin_debt_hhi": path.hhi,
        "stock_margin_debt_top10_share": path.top10_share,
        "stock_forced_sales_usd": path.total_forced_sales_usd,
        "stock_buy_ins_usd": path.total_buy_ins_usd,
        "stock_calls": path.calls,
        "stock_close_outs": path.close_outs,
        "stock_broker_losses_usd": path.losses_usd,
    }


def initial_debt(book: StockBook) -> float:
    """The stock book's margin debt at day 0 ($; :func:`sim.model.stocks.day.debit`, summed over names)."""
    b, m = book.book, book.book.n_names
    debt, short = np.empty(m), np.empty(m)
    carry_and_record(b.offsets, b.names, b.shares, b.cash.copy(), book.price0, 0.0, np.zeros(m), debt, short)
    return float(debt.sum())


def stock_metrics(spec: Scenario, book: StockBook, path: StockPath) -> dict[str, float | int | str | None]:
    """The summary's ``stocks`` table (:data:`STOCK_METRICS`)."""
    day = stock_shock_day(spec)
    names = max_drawdowns(path.price0, path.price)
    worst = int(np.argmax(names))
    by_name = path.forced_sales_usd.sum(axis=0)
    total = float(by_name.sum())
    top = int(np.argmax(by_name))
    return {
        "names": path.n,
        "accounts": book.book.n,
        "initial_margin_debt_usd": initial_debt(book),
        "final_margin_debt_usd": float(path.total_margin_debt_usd[-1]),
        "initial_hhi": float(path.hhi[0]),
        "initial_top10_share": float(path.top10_share[0]),
        "max_drawdown": max_drawdown(path.index_level),
        "shock_day": day,
        "shock_drawdown": shock_drawdown(path.index_level, day),
        "worst_name": path.tickers[worst],
        "worst_name_drawdown": float(names[worst]),
        "forced_sales_usd": total,
        "buy_ins_usd": float(path.total_buy_ins_usd.sum()),
        "calls": int(path.calls.sum()),
        "close_outs": int(path.close_outs.sum()),
        "broker_losses_usd": float(path.losses_usd.sum()),
        "top_forced_name": path.tickers[top] if total > 0 else "",
        "top_forced_name_share": float(by_name[top] / total) if total > 0 else 0.0,
    }
