"""Plain-Python reference of the sparse clearing pass: loops over accounts and positions, no numba.

The correctness oracle for :func:`sim.book.sparse_clearing.clearing_pass_sparse`: the same
algorithm written for reading, on Python floats, calling the same formulas
(:func:`sim.core.house.position_requirement`, :func:`sim.core.margin.in_deficit`,
:func:`sim.core.margin.liquidation_fraction`) in the same order, so the two agree to rounding.
"""

from __future__ import annotations

import numpy as np

from sim.book.sparse import (
    SPARSE_RULE_ADD_ON,
    SPARSE_RULE_CONCENTRATION_SHARE,
    SPARSE_RULE_HOUSE_LONG,
    SPARSE_RULE_HOUSE_SHORT,
    SPARSE_RULE_TARGET,
    SPARSE_STAT_BOUGHT_USD,
    SPARSE_STAT_CALLS,
    SPARSE_STAT_CLOSE_OUTS,
    SPARSE_STAT_LOSSES,
    SPARSE_STAT_SHORTFALL,
    SPARSE_STAT_SOLD_USD,
    SparseBook,
    SparseClearing,
    SparseRules,
    empty_result,
    trim,
)
from sim.book.sparse_clearing import check_pass_inputs
from sim.core.house import position_requirement
from sim.core.margin import in_deficit, liquidation_fraction


def mark_account(book: SparseBook, i: int, prices: list[float], rules: SparseRules) -> tuple[float, float, float]:
    """Account ``i`` at ``prices``: (equity, gross value, house requirement), all in $.

    Parameters
    ----------
    book : SparseBook
        The accounts.
    i : int
        The account.
    prices : list of float
        $ per share of each name.
    rules : SparseRules
        House and per-name rules.

    Returns
    -------
    tuple of float
        Equity (cash + net value), gross value (sum of |value|), requirement.
    """
    positions = [(int(book.names[q]), float(book.shares[q])) for q in range(book.offsets[i], book.offsets[i + 1])]
    value = gross = 0.0
    for name, held in positions:
        v = held * prices[name]
        value += v
        gross += abs(v)
    row = [float(x) for x in rules.broker[book.broker[i]]]
    required = 0.0
    for name, held in positions:
        required += position_requirement(held * prices[name], gross, float(rules.name_long[name]),
                                         float(rules.name_short[name]), bool(rules.marginable[name]),
                                         row[SPARSE_RULE_HOUSE_LONG], row[SPARSE_RULE_HOUSE_SHORT],
                                         row[SPARSE_RULE_CONCENTRATION_SHARE], row[SPARSE_RULE_ADD_ON])
    return float(book.cash[i]) + value, gross, required


def clearing_pass_sparse(book: SparseBook, prices: np.ndarray, rules: SparseRules,
                         per_account: bool = False) -> SparseClearing:
    """The reference sparse clearing pass (same parameters and result as the kernel's public function).

    Parameters
    ----------
    book : SparseBook
        N accounts in CSR layout (not changed).
    prices : array of float, (M,)
        $ per share of each name.
    rules : SparseRules
        House and per-name rules.
    per_account : bool
        Also record every account's equity, requirement and gross value.

    Returns
    -------
    SparseClearing
        As :func:`sim.book.sparse_clearing.clearing_pass_sparse`.
    """
    p = [float(x) for x in check_pass_inputs(book, prices, rules)]
    out = empty_result(book.n, book.n_names, per_account)
    stats = [0.0] * out.stats.shape[0]
    n_called = 0
    for i in range(book.n):
        equity, gross, required = mark_account(book, i, p, rules)
        if per_account:
            out.equity[i], out.requirement[i], out.gross[i] = equity, required, gross
        if not in_deficit(equity, required):
            continue
        f = liquidation_fraction(equity, float(rules.broker[book.broker[i], SPARSE_RULE_TARGET]) * required)
        sold = bought = 0.0
        for q in range(book.offsets[i], book.offsets[i + 1]):
            name = int(book.names[q])
            traded = f * float(book.shares[q])
            usd = traded * p[name]
            out.sold_shares[name] += traded
            if traded > 0.0:
                out.sold_usd[name] += usd
                sold += usd
            elif traded < 0.0:
                out.bought_usd[name] -= usd
                bought -= usd
        out.called[n_called], out.fraction[n_called] = i, f
        out.account_sold_usd[n_called], out.account_bought_usd[n_called] = sold, bought
        n_called += 1
        stats[SPARSE_STAT_CALLS] += 1.0
        stats[SPARSE_STAT_SOLD_USD] += sold
        stats[SPARSE_STAT_BOUGHT_USD] += bought
        stats[SPARSE_STAT_SHORTFALL] += required - equity
        if equity <= 0.0:
            stats[SPARSE_STAT_CLOSE_OUTS] += 1.0
            stats[SPARSE_STAT_LOSSES] -= equity
    out.stats[:] = stats
    return trim(out)
