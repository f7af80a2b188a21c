"""Plain-Python reference of the leverage-targeting cascade: loops, no numba.

The correctness oracle for :func:`sim.book.sparse_targeting.cascade_targeting`: each round marks
every account, sells back to target with the rule of :mod:`sim.core.targeting`, applies the sales
account by account and moves prices name by name with the cascade's impact formula
(:func:`sim.book.sparse_cascade.name_log_impact`), the same sums in the same order, so the two
agree to rounding (in practice bit for bit).
"""

from __future__ import annotations

import numpy as np

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
    CASCADE_STAT_BOUGHT_USD,
    CASCADE_STAT_CALLS,
    CASCADE_STAT_CLOSE_OUTS,
    CASCADE_STAT_CONVERGED,
    CASCADE_STAT_LOSSES,
    CASCADE_STAT_ROUNDS,
    CASCADE_STAT_SOLD_USD,
    CascadeImpact,
    SparseCascade,
    empty_cascade,
    name_log_impact,
)
from sim.book.sparse_cascade_reference import apply_sale
from sim.book.sparse_targeting import check_targeting_inputs
from sim.core import detmath
from sim.core.targeting import TARGETING_TOLERANCE, over_target, targeting_fraction

_TOTALS = ((CASCADE_STAT_CALLS, SPARSE_STAT_CALLS), (CASCADE_STAT_CLOSE_OUTS, SPARSE_STAT_CLOSE_OUTS),
           (CASCADE_STAT_SOLD_USD, SPARSE_STAT_SOLD_USD), (CASCADE_STAT_BOUGHT_USD, SPARSE_STAT_BOUGHT_USD),
           (CASCADE_STAT_LOSSES, SPARSE_STAT_LOSSES))


def _pass(out: SparseCascade, p: list[float], targets: list[float], tolerance: float, sales: np.ndarray,
          stats: np.ndarray) -> list[tuple[int, float]]:
    """One targeting pass at prices ``p``: per-name sales (rows shares, sold $, bought $), counters, who sells."""
    book = out.start
    sellers = []
    for i in range(book.n):
        positions = range(int(book.offsets[i]), int(book.offsets[i + 1]))
        value = 0.0
        gross = 0.0
        for q in positions:
            v = float(out.shares[q]) * p[int(book.names[q])]
            value += v
            gross += abs(v)
        equity = float(out.cash[i]) + value
        if not over_target(equity, gross, targets[i], tolerance):
            continue
        f = targeting_fraction(equity, gross, targets[i])
        sold = bought = 0.0
        for q in positions:
            j = int(book.names[q])
            traded = f * float(out.shares[q])
            usd = traded * p[j]
            sales[0, j] += traded
            if traded > 0.0:
                sales[1, j] += usd
                sold += usd
            elif traded < 0.0:
                sales[2, j] -= usd
                bought -= usd
        sellers.append((i, f))
        stats[SPARSE_STAT_CALLS] += 1.0
        stats[SPARSE_STAT_SOLD_USD] += sold
        stats[SPARSE_STAT_BOUGHT_USD] += bought
        stats[SPARSE_STAT_SHORTFALL] += gross - targets[i] * max(equity, 0.0)
        if equity <= 0.0:
            stats[SPARSE_STAT_CLOSE_OUTS] += 1.0
            stats[SPARSE_STAT_LOSSES] -= equity
    return sellers


def cascade_targeting(book: SparseBook, prices, targets, impact: CascadeImpact, max_rounds: int,
                      tolerance: float = TARGETING_TOLERANCE) -> SparseCascade:
    """The reference cascade (same parameters and result as the kernel's public function).

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed).
    prices : array of float, (M,)
        $ per share at the start (after the shock).
    targets : array of float, (N,)
        Target leverage per account.
    impact : CascadeImpact
        Impact per name.
    max_rounds : int
        Most passes.
    tolerance : float
        Relative slack of the over-target test.

    Returns
    -------
    SparseCascade
        As :func:`sim.book.sparse_targeting.cascade_targeting`.
    """
    checked, wanted = check_targeting_inputs(book, prices, targets, impact, max_rounds, tolerance)
    base = [float(x) for x in checked]
    goal = [float(x) for x in wanted]
    out = empty_cascade(book, np.asarray(base), max_rounds)
    for r in range(max_rounds):
        out.stats[CASCADE_STAT_ROUNDS] = r + 1
        p = [float(x) for x in out.prices]
        sales, stats = np.zeros((3, book.n_names)), np.zeros(N_SPARSE_STATS)
        sellers = _pass(out, p, goal, tolerance, sales, stats)
        out.per_round[r, :N_SPARSE_STATS] = stats
        for total, counter in _TOTALS:
            out.stats[total] += stats[counter]
        if not sellers:
            out.stats[CASCADE_STAT_CONVERGED] = 1.0
            break
        for i, f in sellers:
            apply_sale(out, i, f, p)
        largest = 0.0
        for j in range(book.n_names):
            out.sold_shares[j] += sales[0, j]
            out.sold_usd[j] += sales[1, j]
            out.bought_usd[j] += sales[2, j]
            out.flow_usd[j] -= sales[1, j] - sales[2, j]
            move = name_log_impact(float(out.flow_usd[j]), impact.model, float(impact.coef[j]), impact.y,
                                   float(impact.sigma_daily[j]), float(impact.adv_usd[j]), float(impact.thinning[j]))
            out.prices[j] = base[j] * detmath.exp(move)
            largest = max(largest, abs(float(out.prices[j]) / p[j] - 1.0))
        out.per_round[r, CASCADE_ROUND_MAX_MOVE] = largest
    out.per_round = out.per_round[:out.rounds]
    return out
