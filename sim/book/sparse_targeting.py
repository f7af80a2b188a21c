"""The fire-sale cascade under leverage targeting on a sparse book (Greenwood, Landier and Thesmar 2015).

The contrast to :func:`sim.book.sparse_cascade.cascade_sparse`, whose accounts deleverage only
when a margin call binds (the threshold rule Cont and Schaanning 2017 model): here every account
holds a target leverage (gross value / equity, :func:`initial_leverage` at the pre-shock prices)
and sells, pro rata across its positions, whenever it is above it
(:func:`sim.core.targeting.targeting_fraction`). Only the rule differs: the rounds are the same
(a pass at the round's prices, its sales applied, prices moved by the cumulative forced flow from
the post-shock prices) and reuse the cascade's own jitable steps
(:func:`apply_sales`, :func:`~sim.book.sparse_cascade.move_prices`,
:func:`~sim.book.sparse_cascade.add_round`) and the pass's pro-rata sale
(:func:`~sim.book.sparse_clearing.sell_pro_rata`). The result is a
:class:`~sim.book.sparse_cascade.SparseCascade` read with the same ``CASCADE_*`` names; in its
counters "calls" are accounts over target and "shortfall" is the $ of gross above target x equity.

Sells only: an account below its target does not buy (see :mod:`sim.core.targeting`; in a
cascade that starts from a price drop, long levered accounts only move up in leverage).
No random numbers; sums run in account order, as in the plain-Python reference
(:mod:`sim.book.sparse_targeting_reference`).
"""

from __future__ import annotations

import numpy as np

from sim.book import sparse, sparse_cascade, sparse_clearing
from sim.book.sparse import (
    N_SPARSE_STATS,
    SPARSE_STAT_BOUGHT_USD,
    SPARSE_STAT_CALLS,
    SPARSE_STAT_CLOSE_OUTS,
    SPARSE_STAT_LOSSES,
    SPARSE_STAT_SHORTFALL,
    SPARSE_STAT_SOLD_USD,
    SparseBook,
)
from sim.book.sparse_cascade import (
    CASCADE_ROUND_MAX_MOVE,
    CASCADE_STAT_CONVERGED,
    CASCADE_STAT_ROUNDS,
    CascadeImpact,
    SparseCascade,
    add_round,
    empty_cascade,
    move_prices,
)
from sim.book.sparse_clearing import sell_pro_rata
from sim.core import detmath, stock_impact, targeting
from sim.core import impact as impact_laws
from sim.core.errors import InputError
from sim.core.jit import jitable, kernel
from sim.core.targeting import TARGETING_TOLERANCE, over_target, targeting_fraction


def _prices(book: SparseBook, prices) -> np.ndarray:
    p = np.ascontiguousarray(prices, dtype=np.float64)
    if p.shape != (book.n_names,) or not (np.isfinite(p).all() and np.all(p > 0.0)):
        raise InputError(f"prices: must be finite float64 > 0 of shape ({book.n_names},)", field="prices",
                         allowed=f"finite > 0, shape ({book.n_names},)")
    return p


def account_marks(book: SparseBook, prices) -> tuple[np.ndarray, np.ndarray]:
    """Each account's equity and gross value at ``prices`` ((N,) $ each), summed position by position.

    Parameters
    ----------
    book : SparseBook
        The accounts.
    prices : array of float, (M,)
        $ per share of each name (> 0).

    Returns
    -------
    tuple of ndarray
        (equity = cash + net value, gross = sum of |shares x price|); numpy's ``bincount`` adds
        each account's positions in order.
    """
    p = _prices(book, prices)
    owner = np.repeat(np.arange(book.n), np.diff(book.offsets))
    value = book.shares * p[book.names]
    return book.cash + np.bincount(owner, value, book.n), np.bincount(owner, np.abs(value), book.n)


def initial_leverage(book: SparseBook, prices) -> np.ndarray:
    """Each account's leverage, gross value / equity, at ``prices``: the targets of :func:`cascade_targeting`.

    Parameters
    ----------
    book : SparseBook
        The accounts: each holding positions must have positive equity at ``prices``.
    prices : array of float, (M,)
        $ per share (the pre-shock prices).

    Returns
    -------
    ndarray
        (N,) float64, >= 0 (0 for an account holding nothing).
    """
    equity, gross = account_marks(book, prices)
    if np.any((gross > 0.0) & (equity <= 0.0)):
        raise InputError("book: every account holding positions needs equity > 0 for a leverage target",
                         field="book.cash", allowed="equity > 0 where gross > 0")
    return np.divide(gross, equity, out=np.zeros(book.n), where=gross > 0.0)


def check_targeting_inputs(book: SparseBook, prices, targets, impact: CascadeImpact, max_rounds: int,
                           tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Raise InputError unless the inputs fit (see :func:`cascade_targeting`); return prices and targets as float64."""
    p = _prices(book, prices)
    t = np.ascontiguousarray(targets, dtype=np.float64)
    if t.shape != (book.n,) or not (np.isfinite(t).all() and np.all(t >= 0.0)):
        raise InputError(f"targets: must be finite float64 >= 0 of shape ({book.n},)", field="targets",
                         allowed=f"finite >= 0, shape ({book.n},)")
    if not isinstance(impact, CascadeImpact) or impact.n_names != book.n_names:
        raise InputError(f"impact: must be a CascadeImpact for the book's {book.n_names} names", field="impact",
                         allowed=f"CascadeImpact of {book.n_names} names")
    if not (isinstance(max_rounds, int | np.integer) and 1 <= max_rounds <= 10**6):
        raise InputError(f"max_rounds: must be an integer in [1, 10^6], got {max_rounds!r}", field="max_rounds",
                         allowed="[1, 10^6]")
    if not (np.isfinite(tolerance) and 0.0 <= tolerance <= 0.1):
        raise InputError(f"tolerance: must be in [0, 0.1], got {tolerance}", field="tolerance", allowed="[0, 0.1]")
    return p, t


def cascade_targeting(book: SparseBook, prices, targets, impact: CascadeImpact, max_rounds: int,
                      tolerance: float = TARGETING_TOLERANCE) -> SparseCascade:
    """Run the leverage-targeting fire sale from ``prices`` (post-shock) to a fixed point.

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed: the cascade works on a copy).
    prices : array of float, (M,)
        $ per share of each name at the start (after the initial shock), > 0.
    targets : array of float, (N,)
        Each account's target leverage, gross / equity (>= 0; usually :func:`initial_leverage`
        of the pre-shock book).
    impact : CascadeImpact
        How net forced flow moves each price (:func:`sim.book.sparse_cascade.linear_impact`, ...).
    max_rounds : int
        Most passes (>= 1).
    tolerance : float
        Relative slack in [0, 0.1]: an account sells when gross > target x equity x (1 + tolerance).

    Returns
    -------
    SparseCascade
        Final prices and book, per-name cumulative sales, per-round counters, totals.
    """
    p, t = check_targeting_inputs(book, prices, targets, impact, max_rounds, tolerance)
    out = empty_cascade(book, p, max_rounds)
    n, m = book.n, book.n_names
    _targeting_kernel(book.offsets, book.names, out.shares, out.cash, p, t, float(tolerance), impact.model,
                      impact.coef, impact.y, impact.sigma_daily, impact.adv_usd, impact.thinning, max_rounds,
                      out.prices, out.flow_usd, out.sold_shares, out.sold_usd, out.bought_usd, out.per_round,
                      out.stats, np.empty(m), np.empty(m), np.empty(m), np.empty(n, dtype=np.int64), np.empty(n),
                      np.empty(N_SPARSE_STATS))
    out.per_round = out.per_round[:out.rounds]
    return out


@jitable
def targeting_pass(offsets, names, shares, cash, prices, targets, tolerance, sold_shares, sold_usd, bought_usd,
                   called, fraction, stats):
    """One leverage-targeting pass at fixed prices: every account over target sells back to it, pro rata.

    Per-name sales are added to ``sold_shares``/``sold_usd``/``bought_usd``; the accounts that
    sell and their fractions go to ``called``/``fraction`` in account order; ``stats`` gets the
    ``SPARSE_STAT_*`` counters (shortfall = $ of gross above target x equity).
    """
    n_called = 0
    for i in range(cash.shape[0]):
        lo = offsets[i]
        hi = offsets[i + 1]
        value = 0.0
        gross = 0.0
        for q in range(lo, hi):
            v = shares[q] * prices[names[q]]
            value += v
            gross += abs(v)
        equity = cash[i] + value
        if not over_target(equity, gross, targets[i], tolerance):
            continue
        f = targeting_fraction(equity, gross, targets[i])
        sold, bought = sell_pro_rata(i, lo, hi, f, names, shares, cash, prices, sold_shares, sold_usd, bought_usd,
                                     False)
        called[n_called] = i
        fraction[n_called] = f
        n_called += 1
        stats[SPARSE_STAT_CALLS] += 1.0
        stats[SPARSE_STAT_SOLD_USD] += sold
        stats[SPARSE_STAT_BOUGHT_USD] += bought
        stats[SPARSE_STAT_SHORTFALL] += gross - targets[i] * max(equity, 0.0)
        if equity <= 0.0:
            stats[SPARSE_STAT_CLOSE_OUTS] += 1.0
            stats[SPARSE_STAT_LOSSES] -= equity
    return n_called


@jitable
def apply_sales(offsets, names, shares, cash, prices, called, fraction, n_called):
    """Sell ``fraction[k]`` of every position of account ``called[k]`` (k < n_called) at ``prices``.

    The proceeds (traded shares x price, the pass's own product) go to cash. An account with
    fraction 1 and no positive equity (the pass's close-out test, same sum in the same order) is
    written off: its cash is set to 0 (its broker takes the loss).
    """
    for k in range(n_called):
        i = called[k]
        f = fraction[k]
        lo = offsets[i]
        hi = offsets[i + 1]
        close_out = False
        if f == 1.0:
            value = 0.0
            for q in range(lo, hi):
                value += shares[q] * prices[names[q]]
            close_out = cash[i] + value <= 0.0
        for q in range(lo, hi):
            traded = f * shares[q]
            cash[i] += traded * prices[names[q]]
            shares[q] -= traded
        if close_out:
            cash[i] = 0.0


# The round loop of sim.book.sparse_cascade._cascade_kernel with the targeting pass in place of the
# margin-call pass; the apply/move/record steps are the cascade's own jitable functions.
@kernel(sparse, sparse_clearing, sparse_cascade, targeting, impact_laws, stock_impact, detmath)
def _targeting_kernel(offsets, names, shares, cash, base, targets, tolerance, model, coef, y, sigma_daily,
                      adv_usd, thinning, max_rounds, prices, flow, sold_shares, sold_usd, bought_usd, per_round,
                      stats, round_shares, round_sold, round_bought, called, fraction,
                      pass_stats):  # pragma: no cover - jitted
    converged = 0.0
    rounds = 0
    for r in range(max_rounds):
        rounds += 1
        round_shares[:] = 0.0
        round_sold[:] = 0.0
        round_bought[:] = 0.0
        pass_stats[:] = 0.0
        n_called = targeting_pass(offsets, names, shares, cash, prices, targets, tolerance, round_shares,
                                  round_sold, round_bought, called, fraction, pass_stats)
        add_round(pass_stats, per_round, r, stats)
        if n_called == 0:
            converged = 1.0
            break
        apply_sales(offsets, names, shares, cash, prices, called, fraction, n_called)
        per_round[r, CASCADE_ROUND_MAX_MOVE] = move_prices(
            base, model, coef, y, sigma_daily, adv_usd, thinning, round_shares, round_sold, round_bought, flow,
            prices, sold_shares, sold_usd, bought_usd)
    stats[CASCADE_STAT_ROUNDS] = rounds
    stats[CASCADE_STAT_CONVERGED] = converged
