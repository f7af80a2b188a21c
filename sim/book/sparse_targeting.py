"""The fire-sale cascade under leverage targeting on a sparse book (Greenwood, Landier and Thesmar 2015).

The contrast to :func:`sim.book.sparse_cascade.cascade_sparse`, whose accounts deleverage only
when a margin call binds (the threshold rule Cont and Schaanning 2017 model): here every account
holds a target leverage (gross value / equity, :func:`initial_leverage` at the pre-shock prices)
and sells, pro rata across its positions, whenever it is above it
(:func:`sim.core.targeting.targeting_fraction`). Only the rule differs: the rounds are the same
(a pass at the round's prices that makes its sales in the book as it finds them, prices moved by
the cumulative forced flow from the post-shock prices) and share the cascade's jitable pieces:
the pass's pro-rata sale :func:`~sim.book.sparse_clearing.sell_pro_rata` (with ``apply``) and
close-out write-off :func:`~sim.book.sparse_clearing.write_off`, then
:func:`~sim.book.sparse_cascade.move_prices` and :func:`~sim.book.sparse_cascade.add_round`. The result is a
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
    SparseBook,
    check_prices,
)
from sim.book.sparse_cascade import (
    CASCADE_ROUND_MAX_MOVE,
    CASCADE_STAT_CONVERGED,
    CASCADE_STAT_ROUNDS,
    CascadeImpact,
    SparseCascade,
    add_round,
    check_impact_rounds,
    empty_cascade,
    move_prices,
)
from sim.book.sparse_clearing import count_call, sell_pro_rata, write_off
from sim.core import detmath, stock_impact, targeting
from sim.core import impact as impact_laws
from sim.core.errors import InputError
from sim.core.jit import jitable, kernel
from sim.core.targeting import TARGETING_TOLERANCE, over_target, targeting_fraction


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
    p = check_prices(book, prices)
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
    """Raise InputError unless the inputs fit (see :func:`cascade_targeting`); return prices and targets as float64.

    Parameters
    ----------
    book : SparseBook
        The accounts.
    prices : array of float, (M,)
        $ per share of each name: finite and > 0.
    targets : array of float, (N,)
        Each account's target leverage: finite and >= 0.
    impact : CascadeImpact
        Impact for the book's M names.
    max_rounds : int
        Most passes, in [1, 10^6].
    tolerance : float
        Relative slack of the over-target test, in [0, 0.1].

    Returns
    -------
    tuple of ndarray
        (prices, targets) as C-contiguous float64.
    """
    p = check_prices(book, prices)
    t = np.ascontiguousarray(targets, dtype=np.float64)
    if t.shape != (book.n,) or not (np.isfinite(t).all() and np.all(t >= 0.0)):
        raise InputError(f"targets: must be finite float64 >= 0 of shape ({book.n},)", field="targets",
                         allowed=f"finite >= 0, shape ({book.n},)")
    check_impact_rounds(book, impact, max_rounds)
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
    m = book.n_names
    _targeting_kernel(book.offsets, book.names, out.shares, out.cash, p, t, float(tolerance), impact.model,
                      impact.coef, impact.y, impact.sigma_daily, impact.adv_usd, impact.thinning, max_rounds,
                      out.prices, out.flow_usd, out.sold_shares, out.sold_usd, out.bought_usd, out.per_round,
                      out.stats, np.empty(m), np.empty(m), np.empty(m), np.empty(N_SPARSE_STATS))
    out.per_round = out.per_round[:out.rounds]
    return out


@jitable
def targeting_pass(offsets, names, shares, cash, prices, targets, tolerance, sold_shares, sold_usd, bought_usd,
                   stats):
    """One leverage-targeting pass at fixed prices: every account over target sells back to it, pro rata.

    The sales are made in the book as they are found (each account reads and changes only its own
    positions and cash, so the order of accounts changes nothing), with the clearing pass's own
    steps: :func:`~sim.book.sparse_clearing.sell_pro_rata` and, for an account closed out,
    :func:`~sim.book.sparse_clearing.write_off`.

    Parameters
    ----------
    offsets, names : ndarray
        The book's CSR layout (:class:`~sim.book.sparse.SparseBook`).
    shares, cash : ndarray
        The book's positions and cash, changed in place by the sales and write-offs.
    prices : ndarray, (M,)
        $ per share (fixed during the pass).
    targets : ndarray, (N,)
        Each account's target leverage.
    tolerance : float
        Relative slack: an account sells when gross > target x equity x (1 + tolerance).
    sold_shares, sold_usd, bought_usd : ndarray, (M,)
        Per-name sums the pass's sales are added to (net shares, $ of longs sold, $ of shorts bought in).
    stats : ndarray, (N_SPARSE_STATS,)
        Gets the ``SPARSE_STAT_*`` counters added (shortfall = $ of gross above target x equity).

    Returns
    -------
    int
        The number of accounts that sold.
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
                                     True)
        write_off(i, f, equity, cash)
        n_called += 1
        count_call(stats, sold, bought, gross - targets[i] * max(equity, 0.0), equity)
    return n_called


# The round loop of sim.book.sparse_cascade._cascade_kernel with the targeting pass in place of the
# margin-call pass: the pass sells and writes off with sparse_clearing's sell_pro_rata and write_off,
# and the round is recorded and prices moved with the cascade's own add_round and move_prices.
@kernel(sparse, sparse_clearing, sparse_cascade, targeting, impact_laws, stock_impact, detmath)
def _targeting_kernel(offsets, names, shares, cash, base, targets, tolerance, model, coef, y, sigma_daily,
                      adv_usd, thinning, max_rounds, prices, flow, sold_shares, sold_usd, bought_usd, per_round,
                      stats, round_shares, round_sold, round_bought, pass_stats):  # pragma: no cover - jitted
    converged = 0.0
    rounds = 0
    for r in range(max_rounds):
        rounds += 1
        round_shares[:] = 0.0
        round_sold[:] = 0.0
        round_bought[:] = 0.0
        pass_stats[:] = 0.0
        n_called = targeting_pass(offsets, names, shares, cash, prices, targets, tolerance, round_shares,
                                  round_sold, round_bought, pass_stats)
        add_round(pass_stats, per_round, r, stats)
        if n_called == 0:
            converged = 1.0
            break
        per_round[r, CASCADE_ROUND_MAX_MOVE] = move_prices(
            base, model, coef, y, sigma_daily, adv_usd, thinning, round_shares, round_sold, round_bought, flow,
            prices, sold_shares, sold_usd, bought_usd)
    stats[CASCADE_STAT_ROUNDS] = rounds
    stats[CASCADE_STAT_CONVERGED] = converged
