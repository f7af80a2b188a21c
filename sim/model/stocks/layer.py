"""The stock layer: N stocks on the market's path, with a sparse margin book, leveraged ETFs and squeezes.

:func:`run_stock_layer` runs D trading days. The market (either engine) gives each day's market
factor (its log index return) and its depth thinning; the layer adds

* sector and idiosyncratic factors (:func:`sim.core.stock_impact.factor_returns`; normals
  pre-drawn from the layer's own seed stream with :mod:`sim.core.detrandom`, so the same bits on
  every CPU);
* name-level events (``[[stock_events]]``: price shocks, higher requirements, names made not
  marginable, retail buying and purchase restrictions, borrow fees, recalls of borrowed shares);
* single-stock, sector and index leveraged ETFs rebalancing in their own names (``letf``
  channel);
* retail buying and recalls that buy shorts in (``squeeze`` channel);
* the concentrated margin book's forced sales and buy-ins, to a fixed point within the day
  (:func:`sim.book.sparse_cascade.cascade_sparse`; ``margin`` channel).

Every flow moves its name's price by the square-root law on the day's thinned depth; impact is
transient (a share ``impact_decay`` of it reverts each day). Each day's steps are the kernels of
:mod:`sim.model.stocks.day`; with ``reference=True`` the layer runs their plain-Python twins and
the cascade's plain-Python reference instead, which the parity tests hold equal.

The coupling is one way: the layer's flows do not move the market's index (docs/stocks.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.book import sparse_cascade, sparse_cascade_reference
from sim.book.sparse import SparseBook, SparseRules
from sim.book.sparse_cascade import CASCADE_STAT_CALLS, CASCADE_STAT_CLOSE_OUTS, CASCADE_STAT_LOSSES, sqrt_impact
from sim.config.schema_stocks import StockEvent, StockLetf, Stocks
from sim.core import detmath, detrandom
from sim.core.detarrays import exp_array
from sim.core.errors import InputError
from sim.core.stock_impact import daily_vol, total_vol
from sim.model.stocks import day as steps
from sim.model.stocks.types import STOCK_CHANNELS, StockBook, StockPath

MARKET_VOL = 0.16
"""Default annual volatility of the market factor, for each name's impact sigma (assumption: the
calibrated market's long-run level, about 16%)."""


def _targets(target: str, book: StockBook) -> np.ndarray:
    """Boolean (N,) mask of the names an event or fund targets: a ticker, a sector, 'all' or 'index'."""
    u = book.universe
    if target in ("all", "index"):
        return np.ones(len(u.ticker), dtype=bool)
    tickers = np.array(u.ticker, dtype=object)
    mask = tickers == target
    if not mask.any():
        mask = np.array(u.sector, dtype=object) == target
    if not mask.any():
        raise InputError(f"target: {target!r} is not a ticker or sector of the universe", field="target",
                         allowed="a ticker, a sector, 'all' or 'index'")
    return mask


def _channels(channels: dict[str, bool] | None) -> dict[str, bool]:
    on = dict.fromkeys(STOCK_CHANNELS, True)
    for name, value in (channels or {}).items():
        if name not in on:
            raise InputError(f"channels: unknown stock channel {name!r}", field="channels",
                             allowed=", ".join(STOCK_CHANNELS))
        on[name] = bool(value)
    return on


def _check_inputs(book: StockBook, market_log_returns, thinning, events: Sequence[StockEvent]) -> tuple:
    r = np.ascontiguousarray(market_log_returns, dtype=np.float64)
    t = np.ascontiguousarray(thinning, dtype=np.float64)
    if r.ndim != 1 or r.size < 1 or not np.all(np.isfinite(r)):
        raise InputError("market_log_returns: must be a non-empty 1-D array of finite numbers",
                         field="market_log_returns", allowed="finite, shape (D,)")
    if t.shape != r.shape or not np.all(t >= 1.0) or not np.all(np.isfinite(t)):
        raise InputError(f"thinning: must be finite >= 1 with the returns' shape {r.shape}", field="thinning",
                         allowed=">= 1")
    for k, event in enumerate(events):
        if event.day >= r.size:
            raise InputError(f"stock_events[{k}].day: {event.day} is past the run's last day {r.size - 1}",
                             field=f"stock_events[{k}].day", allowed=f"[0, {r.size - 1}]")
    return r, t


class _State:
    """The layer's state between days (arrays changed in place by the day's steps)."""

    def __init__(self, book: StockBook, stocks: Stocks, letfs: Sequence[StockLetf], market_vol: float) -> None:
        u = book.universe
        n = len(u.ticker)
        self.n = n
        self.sectors = tuple(dict.fromkeys(u.sector))
        self.sector_index = np.array([self.sectors.index(s) for s in u.sector], dtype=np.int64)
        self.beta = np.ascontiguousarray(u.beta, dtype=np.float64)
        self.idio_daily = np.array([daily_vol(v) for v in u.idio_vol])
        self.sector_daily = np.full(len(self.sectors), daily_vol(stocks.sector_vol))
        self.sigma_daily = np.array([daily_vol(total_vol(b, market_vol, stocks.sector_vol, e))
                                     for b, e in zip(u.beta, u.idio_vol, strict=True)])
        self.adv = np.ascontiguousarray(u.adv_usd, dtype=np.float64)
        self.price0 = np.ascontiguousarray(book.price0, dtype=np.float64)
        self.outstanding = np.ascontiguousarray(book.shares_outstanding, dtype=np.float64)
        self.cap0 = (self.outstanding * self.price0).sum()  # the universe's market value at day 0's open
        self.fundamental = np.zeros(n)
        self.impact_log = np.zeros(n)
        self.prices = self.price0.copy()
        self.fee = np.zeros(n)
        self.retail = np.zeros(n)        # $ a day of retail buying, per name, while it lasts
        self.retail_until = np.zeros(n, dtype=np.int64)
        self.restricted = np.zeros(n, dtype=bool)
        self.book = book.book
        self.rules = book.rules
        f = len(letfs)
        self.fund_mask = np.zeros((f, n))
        for k, fund in enumerate(letfs):
            self.fund_mask[k] = _targets(fund.underlying, book)
        self.leverage = np.array([fund.leverage for fund in letfs], dtype=np.float64)
        self.fund_shares = np.zeros((f, n))
        self.fund_cash = np.zeros(f)
        self.closed = np.zeros(f, dtype=np.int64)
        for k, fund in enumerate(letfs):  # exposure L x AUM in the basket at day-0 cap weights
            caps = self.fund_mask[k] * self.outstanding * self.price0
            self.fund_shares[k] = fund.leverage * fund.aum_usd * (caps / caps.sum()) / self.price0
            self.fund_cash[k] = fund.aum_usd - fund.leverage * fund.aum_usd


def _apply_event(state: _State, event: StockEvent, mask: np.ndarray, day: int, on: dict[str, bool]) -> np.ndarray:
    """Apply one of the day's events other than a shock (applied first, by the day loop) at the day's
    prices; returns $ bought in per name by a recall (zeros otherwise)."""
    bought = np.zeros(state.n)
    kind, size = event.kind, event.size
    if kind in ("requirement", "short_requirement"):
        long_rates, short_rates = state.rules.name_long.copy(), state.rules.name_short.copy()
        (long_rates if kind == "requirement" else short_rates)[mask] = size
        state.rules = SparseRules(state.rules.broker, long_rates, short_rates, state.rules.marginable)
    elif kind == "borrow_fee":
        state.fee[mask] = size
    elif kind == "restrict_buying":
        state.restricted |= mask
    elif kind == "retail_buying" and on["squeeze"]:
        caps = mask * state.outstanding * state.prices
        state.retail[mask] = size * caps[mask] / caps.sum()
        state.retail_until[mask] = day + event.days
    elif kind == "recall" and on["squeeze"]:
        b = state.book
        pos = mask[b.names] & (b.shares < 0.0)
        covered = -b.shares[pos] * size
        usd = covered * state.prices[b.names[pos]]
        shares = b.shares.copy()
        shares[pos] += covered
        cash = b.cash.copy()
        owner = np.repeat(np.arange(b.n), np.diff(b.offsets))
        np.subtract.at(cash, owner[pos], usd)
        np.add.at(bought, b.names[pos], usd)
        state.book = SparseBook(b.offsets, b.names, shares, cash, b.broker, b.n_names)
    return bought


def run_stock_layer(stock_book: StockBook, stocks: Stocks, letfs: Sequence[StockLetf],
                    events: Sequence[StockEvent], market_log_returns, thinning,
                    seed_sequence: np.random.SeedSequence, channels: dict[str, bool] | None = None,
                    reference: bool = False, market_vol: float = MARKET_VOL) -> StockPath:
    """Run the stock layer for D days on the market's path.

    Parameters
    ----------
    stock_book : StockBook
        The universe, margin book and rules at day 0 (:func:`sim.model.stocks.portfolios.build_stock_book`).
    stocks : Stocks
        The ``[stocks]`` table (factor vols, impact, interest, rounds).
    letfs, events : sequences of StockLetf, StockEvent
        The scenario's ``[[stock_letfs]]`` and ``[[stock_events]]`` (targets checked).
    market_log_returns : array of float, (D,)
        The market factor: each day's log index return.
    thinning : array of float, (D,)
        Each day's depth-thinning factor (>= 1).
    seed_sequence : numpy.random.SeedSequence
        The layer's stream (sector and idiosyncratic normals, drawn up front).
    channels : dict, optional
        Which of :data:`~sim.model.stocks.types.STOCK_CHANNELS` trade (default all).
    reference : bool
        Run the plain-Python references of every step (slow; for the parity tests).
    market_vol : float
        Annual vol of the market factor, for the names' impact sigma.

    Returns
    -------
    StockPath
        Per day and name, and per day.
    """
    returns, thin = _check_inputs(stock_book, market_log_returns, thinning, events)
    on = _channels(channels)
    state = _State(stock_book, stocks, letfs, market_vol)
    d, n, f = returns.size, state.n, len(letfs)
    rng = np.random.Generator(np.random.PCG64(seed_sequence))
    z_sector = detrandom.standard_normal(rng, (d, len(state.sectors)))
    z_idio = detrandom.standard_normal(rng, (d, n))
    path = _empty_path(stock_book, d)
    masks = [_targets(e.target, stock_book) for e in events]
    ops = _ops(reference)
    day_returns, basket, order = np.empty(n), np.empty(n), np.empty(n)
    fund_flow = np.zeros((f, n))
    debt, short = np.empty(n), np.empty(n)
    previous = state.price0.copy()
    for t in range(d):
        ops["open"](state.beta, state.sector_index, float(returns[t]), state.sector_daily, z_sector[t],
                    state.idio_daily, z_idio[t], stocks.impact_decay, day_returns, state.fundamental, state.impact_log)
        today = [(event, mask) for event, mask in zip(events, masks, strict=True) if event.day == t]
        for event, mask in today:  # price shocks first: the day's other events act at the shocked prices
            if event.kind == "shock":
                state.fundamental[mask] += detmath.log1p(event.size)
        state.prices = state.price0 * exp_array(state.fundamental + state.impact_log)
        buy_ins = np.zeros(n)
        for event, mask in today:
            buy_ins += _apply_event(state, event, mask, t, on)
        flow = buy_ins.copy()
        if f and on["letf"]:
            ops["funds"](state.fund_shares, state.fund_cash, state.leverage, state.fund_mask, state.closed,
                         state.outstanding, state.prices, basket, order, fund_flow)
            path.letf_flow_usd[t] = fund_flow.sum(axis=0)
            flow += path.letf_flow_usd[t]
        active = (state.retail_until > t) & ~state.restricted
        flow[active] += state.retail[active]
        ops["impact"](flow, stocks.impact_y, state.sigma_daily, state.adv, float(thin[t]), state.fundamental,
                      state.impact_log, state.price0, state.prices)
        if on["margin"]:
            _clear(state, stocks, float(thin[t]), ops, path, t)
        path.buy_ins_usd[t] += buy_ins
        b = state.book
        cash = b.cash.copy()
        ops["carry"](b.offsets, b.names, b.shares, cash, state.prices, stocks.interest_rate, state.fee, debt, short)
        state.book = SparseBook(b.offsets, b.names, b.shares, cash, b.broker, b.n_names)
        _record(path, state, t, previous, debt, short)
        previous = state.prices.copy()
    return path


def _ops(reference: bool) -> dict:
    if reference:
        return {"open": steps.open_day_reference, "funds": steps.fund_orders_reference,
                "impact": steps.add_impact_reference, "carry": steps.carry_and_record_reference,
                "cascade": sparse_cascade_reference.cascade_sparse, "brokers": steps.broker_sales_reference}
    return {"open": steps.open_day, "funds": steps.fund_orders, "impact": steps.add_impact,
            "carry": steps.carry_and_record, "cascade": sparse_cascade.cascade_sparse, "brokers": steps.broker_sales}


def _clear(state: _State, stocks: Stocks, thinning: float, ops: dict, path: StockPath, t: int) -> None:
    """The margin cascade at the day's prices; its forced flow joins the names' impact."""
    spec = sqrt_impact(state.sigma_daily, state.adv, stocks.impact_y, np.full(state.n, thinning))
    out = ops["cascade"](state.book, state.prices, state.rules, spec, stocks.max_rounds)
    after = out.book()
    if out.stats[CASCADE_STAT_CALLS]:
        _by_broker(state, after, path, t, ops)
    state.book = after
    zero = np.zeros(state.n)
    ops["impact"](out.flow_usd, stocks.impact_y, state.sigma_daily, state.adv, thinning, zero, state.impact_log,
                  np.ones(state.n), np.empty(state.n))
    # the cascade moved prices from the day's by the same rule: recompute them from the state
    state.prices = state.price0 * exp_array(state.fundamental + state.impact_log)
    path.forced_sales_usd[t] = out.sold_usd
    path.buy_ins_usd[t] = out.bought_usd
    path.calls[t] = out.stats[CASCADE_STAT_CALLS]
    path.close_outs[t] = out.stats[CASCADE_STAT_CLOSE_OUTS]
    path.losses_usd[t] = out.stats[CASCADE_STAT_LOSSES]


def _by_broker(state: _State, after: SparseBook, path: StockPath, t: int, ops: dict) -> None:
    """Each broker's forced long sales (valued at the day's prices) and close-outs in the day's cascade."""
    before = state.book
    ops["brokers"](before.offsets, before.names, before.shares, after.shares, state.prices, before.broker,
                   path.broker_forced_sales_usd[t], path.broker_close_outs[t])


def _empty_path(book: StockBook, d: int) -> StockPath:
    u = book.universe
    n = len(u.ticker)
    grid = [np.zeros((d, n)) for _ in range(7)]
    line = [np.zeros(d) for _ in range(9)]
    b = book.rules.n_brokers
    return StockPath(tuple(u.ticker), tuple(u.sector), book.price0.copy(), *grid, *line, np.zeros((d, b)),
                     np.zeros((d, b)))


def _record(path: StockPath, state: _State, t: int, previous: np.ndarray, debt: np.ndarray,
            short: np.ndarray) -> None:
    path.price[t] = state.prices
    path.ret[t] = state.prices / previous - 1.0
    path.margin_debt_usd[t] = debt
    path.short_interest[t] = short / state.outstanding
    caps = state.outstanding * state.prices
    path.index_level[t] = 100.0 * caps.sum() / state.cap0
    total = float(debt.sum())
    path.total_margin_debt_usd[t] = total
    path.total_forced_sales_usd[t] = path.forced_sales_usd[t].sum()
    path.total_buy_ins_usd[t] = path.buy_ins_usd[t].sum()
    if total > 0.0:
        share = debt / total
        path.hhi[t] = float(np.sum(share * share))
        path.top10_share[t] = float(np.sort(share)[-10:].sum())
