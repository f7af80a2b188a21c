"""Plain-Python reference of the sparse cascade: the reference pass each round, loops, no numba.

The correctness oracle for :func:`sim.book.sparse_cascade.cascade_sparse`: rounds of the
plain-Python clearing pass (:func:`sim.book.sparse_reference.clearing_pass_sparse`), its sales
applied account by account, prices moved name by name with the same impact formula
(:func:`sim.book.sparse_cascade.name_log_impact`), the same sums in the same order, so the two
agree to rounding (in practice bit for bit).
"""

from __future__ import annotations

import numpy as np

from sim.book import sparse_reference
from sim.book.sparse import (
    N_SPARSE_STATS,
    SPARSE_STAT_BOUGHT_USD,
    SPARSE_STAT_CALLS,
    SPARSE_STAT_CLOSE_OUTS,
    SPARSE_STAT_LOSSES,
    SPARSE_STAT_SOLD_USD,
    SparseBook,
    SparseRules,
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
    check_cascade_inputs,
    empty_cascade,
    name_log_impact,
)
from sim.core import detmath

_TOTALS = ((CASCADE_STAT_CALLS, SPARSE_STAT_CALLS), (CASCADE_STAT_CLOSE_OUTS, SPARSE_STAT_CLOSE_OUTS),
           (CASCADE_STAT_SOLD_USD, SPARSE_STAT_SOLD_USD), (CASCADE_STAT_BOUGHT_USD, SPARSE_STAT_BOUGHT_USD),
           (CASCADE_STAT_LOSSES, SPARSE_STAT_LOSSES))
"""(cascade counter, the pass counter added to it each round)."""


def apply_sale(out: SparseCascade, i: int, f: float, prices: list[float]) -> None:
    """Sell ``f`` of account ``i``'s positions at ``prices``; write off a closed-out account's cash.

    Called by :func:`run_rounds`, the round loop of both references.

    Parameters
    ----------
    out : SparseCascade
        The cascade so far: its ``shares`` and ``cash`` are changed in place.
    i : int
        The account.
    f : float
        Fraction of every position sold (shorts bought in), in (0, 1].
    prices : list of float
        $ per share of each name, the round's prices.
    """
    book = out.start
    positions = range(int(book.offsets[i]), int(book.offsets[i + 1]))
    close_out = False
    if f == 1.0:
        value = 0.0
        for q in positions:
            value += float(out.shares[q]) * prices[int(book.names[q])]
        close_out = float(out.cash[i]) + value <= 0.0
    for q in positions:
        traded = f * float(out.shares[q])
        out.cash[i] = float(out.cash[i]) + traded * prices[int(book.names[q])]
        out.shares[q] = float(out.shares[q]) - traded
    if close_out:
        out.cash[i] = 0.0


def cascade_sparse(book: SparseBook, prices, rules: SparseRules, impact: CascadeImpact,
                   max_rounds: int) -> SparseCascade:
    """The reference cascade (same parameters and result as the kernel's public function).

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed).
    prices : array of float, (M,)
        $ per share at the start (after the shock).
    rules : SparseRules
        House and per-name rules.
    impact : CascadeImpact
        Impact per name.
    max_rounds : int
        Most clearing passes.

    Returns
    -------
    SparseCascade
        As :func:`sim.book.sparse_cascade.cascade_sparse`.
    """
    base = check_cascade_inputs(book, prices, rules, impact, max_rounds)

    def margin_pass(out: SparseCascade, p: list[float]):
        now = SparseBook(book.offsets, book.names, out.shares, out.cash, book.broker, book.n_names)
        one = sparse_reference.clearing_pass_sparse(now, out.prices, rules)
        sellers = [(int(i), float(f)) for i, f in zip(one.called, one.fraction, strict=True)]
        return one.stats, (one.sold_shares, one.sold_usd, one.bought_usd), sellers

    return run_rounds(book, base, impact, max_rounds, margin_pass)


def run_rounds(book: SparseBook, base, impact: CascadeImpact, max_rounds: int, one_pass) -> SparseCascade:
    """The round loop both references run (this cascade's and :mod:`sim.book.sparse_targeting_reference`).

    Each round: ``one_pass`` at the round's prices, its counters recorded and added to the totals,
    its sellers' sales applied (:func:`apply_sale`), every name repriced from ``base`` by its
    cumulative forced flow; until a pass finds nobody or ``max_rounds``.

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed).
    base : array of float, (M,)
        $ per share at the start (checked).
    impact : CascadeImpact
        Impact per name.
    max_rounds : int
        Most passes.
    one_pass : callable
        ``one_pass(out, p)`` with the cascade so far and the round's prices (list of float); returns
        the pass's ``SPARSE_STAT_*`` counters, its per-name (shares, sold $, bought $) and its
        sellers as (account, fraction sold) pairs, without changing ``out``.

    Returns
    -------
    SparseCascade
        As the kernels' public functions.
    """
    base = [float(x) for x in base]
    out = empty_cascade(book, np.asarray(base), max_rounds)
    for r in range(max_rounds):
        out.stats[CASCADE_STAT_ROUNDS] = r + 1
        p = [float(x) for x in out.prices]
        stats, (shares, sold, bought), sellers = one_pass(out, p)
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
            out.sold_shares[j] += shares[j]
            out.sold_usd[j] += sold[j]
            out.bought_usd[j] += bought[j]
            out.flow_usd[j] -= sold[j] - bought[j]
            move = name_log_impact(float(out.flow_usd[j]), impact.model, float(impact.coef[j]), impact.y,
                                   float(impact.sigma_daily[j]), float(impact.adv_usd[j]), float(impact.thinning[j]))
            out.prices[j] = base[j] * detmath.exp(move)
            largest = max(largest, abs(float(out.prices[j]) / p[j] - 1.0))
        out.per_round[r, CASCADE_ROUND_MAX_MOVE] = largest
    out.per_round = out.per_round[:out.rounds]
    return out
