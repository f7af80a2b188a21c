"""Plain-Python reference of the leverage-targeting cascade: loops, no numba.

The correctness oracle for :func:`sim.book.sparse_targeting.cascade_targeting`: each round marks
every account and sells back to target with the rule of :mod:`sim.core.targeting`; the rounds
themselves (sales applied account by account, prices moved name by name with the cascade's impact
formula) are the margin cascade reference's :func:`sim.book.sparse_cascade_reference.run_rounds`,
the same sums in the same order as the kernel, so the two agree to rounding (in practice bit for
bit).
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
from sim.book.sparse_cascade import CascadeImpact, SparseCascade
from sim.book.sparse_cascade_reference import run_rounds
from sim.book.sparse_targeting import check_targeting_inputs
from sim.core.targeting import TARGETING_TOLERANCE, over_target, targeting_fraction


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
    goal = [float(x) for x in wanted]

    def targeting_pass(out: SparseCascade, p: list[float]):
        sales, stats = np.zeros((3, book.n_names)), np.zeros(N_SPARSE_STATS)
        sellers = _pass(out, p, goal, tolerance, sales, stats)
        return stats, (sales[0], sales[1], sales[2]), sellers

    return run_rounds(book, checked, impact, max_rounds, targeting_pass)
