"""Finding the accounts short of maintenance: the read-mostly passes of the clearing kernel.

Numba-compiled pieces (``jitable``: plain Python, compiled into the kernels that call them) over
the account arrays described in :mod:`sim.book.arrays`. ``prices`` and ``addon`` are (K,)
float64 ($ per share; an extra maintenance rate on longs per asset); ``m_long``/``m_short`` a
broker's maintenance rates; ``found`` and ``near`` int32 index lists in account order, appended
from a count given (``n_found``, ``n_near``). Every function here finds the same accounts as
:func:`sim.core.margin.in_deficit` on each account; they differ only in how much they read.

Per-account pieces are inlined (``inline="always"``: a call that passes arrays would cost
reference counting per account); per-block pieces are ordinary calls, made once per 1,024 accounts.
"""

from __future__ import annotations

import numpy as np

from sim.book.arrays import RULE_MAINT_LONG, RULE_MAINT_SHORT
from sim.core import margin
from sim.core.jit import jitable


@jitable(inline="always")
def mark(long: np.ndarray, short: np.ndarray, i: int, prices: np.ndarray,
         addon: np.ndarray) -> tuple[float, float, float]:
    """Account ``i`` marked at ``prices``.

    Parameters
    ----------
    long, short : ndarray, (N, K) float64
        Shares held long and short.
    i : int
        The account (row).
    prices : ndarray, (K,) float64
        $ per share.
    addon : ndarray, (K,) float64
        Extra maintenance rate on long positions per asset (a fraction).

    Returns
    -------
    long_value, short_value, extra : float
        Long and short market value and the add-on requirement, all $.
    """
    long_value = 0.0
    short_value = 0.0
    extra = 0.0
    for j in range(prices.shape[0]):
        long_value += prices[j] * long[i, j]
        short_value += prices[j] * short[i, j]
        extra += addon[j] * prices[j] * long[i, j]
    return long_value, short_value, extra


@jitable(inline="always")
def short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, one_asset):
    """Is account ``i`` of these block slices short of maintenance? (read-only)

    Parameters
    ----------
    long_b, short_b : ndarray, (M, K) float64
        Shares held long and short by the block's M accounts.
    cash_b, credit_b : ndarray, (M,) float64
        Their cash balances and short credit, $.
    i : int
        The account, counted from the block's start.
    prices, addon : ndarray, (K,) float64
        $ per share; extra maintenance rate on longs per asset.
    m_long, m_short : float
        The broker's maintenance rates.
    one_asset : bool
        K == 1 and no add-on: the holdings are read as contiguous vectors. The arithmetic is the
        same as :func:`mark` (0.0 + x == x), so both paths give identical answers.

    Returns
    -------
    bool
        :func:`sim.core.margin.in_deficit` of the account.
    """
    if one_asset:
        p = prices[0]
        long_value = p * long_b[i, 0]
        short_value = p * short_b[i, 0]
        extra = 0.0
    else:
        long_value, short_value, extra = mark(long_b, short_b, i, prices, addon)
    eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
    return margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra)


@jitable
def scan_block(long, short, cash, short_credit, prices, addon, start, stop, m_long, m_short, found, n_found):
    """Accounts ``start..stop-1`` short of maintenance: a read-only, branch-free pass.

    Parameters
    ----------
    long, short : ndarray, (N, K) float64
        Shares held long and short.
    cash, short_credit : ndarray, (N,) float64
        Cash balances and short credit, $.
    prices, addon : ndarray, (K,) float64
        $ per share; extra maintenance rate on longs per asset.
    start, stop : int
        The accounts scanned (within one broker).
    m_long, m_short : float
        That broker's maintenance rates.
    found : ndarray, (N,) int32, or None
        None: only count. Otherwise their indices are appended from ``found[n_found]`` on.
    n_found : int
        Entries of ``found`` already used.

    Returns
    -------
    int
        How many accounts are short. Slices indexed from 0 let the compiler drop negative-index
        checks and, when only counting one asset, vectorise the loop.
    """
    one_asset = prices.shape[0] == 1 and addon[0] == 0.0
    long_b, short_b, cash_b, credit_b = long[start:stop], short[start:stop], cash[start:stop], short_credit[start:stop]
    n = 0
    if found is None:
        if one_asset:
            flat_long = long_b.reshape(long_b.shape[0])
            flat_short = short_b.reshape(short_b.shape[0])
            p = prices[0]
            for i in range(stop - start):
                long_value = p * flat_long[i]
                short_value = p * flat_short[i]
                eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
                n += margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short))
            return n
        for i in range(stop - start):
            n += short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, False)
        return n
    for i in range(stop - start):
        found[n_found + n] = start + i
        n += short_of_maintenance(long_b, short_b, cash_b, credit_b, i, prices, addon, m_long, m_short, one_asset)
    return n


@jitable
def list_block(long, short, cash, short_credit, prices, addon, start, stop, m_long, m_short, found, n_found,
               near, n_near, reach):
    """Append accounts ``start..stop-1`` short of maintenance to ``found``, those within reach of it to ``near``.

    Arguments as :func:`scan_block`, plus ``near`` ((N,) int32, used up to ``n_near``) and
    ``reach`` (a relative price move, see :func:`sim.core.margin.within_reach`). Both lists stay
    in account order. Branch-free; with one asset and no add-on the holdings are read as
    contiguous vectors (same arithmetic).

    Returns
    -------
    n_found, n_near : int
        The lists' new lengths.
    """
    if prices.shape[0] == 1 and addon[0] == 0.0:
        flat_long = long[start:stop].reshape(stop - start)
        flat_short = short[start:stop].reshape(stop - start)
        cash_b, credit_b = cash[start:stop], short_credit[start:stop]
        p = prices[0]
        for i in range(stop - start):
            long_value = p * flat_long[i]
            short_value = p * flat_short[i]
            eq = margin.equity(cash_b[i], credit_b[i], long_value, short_value)
            req = margin.requirement(long_value, short_value, m_long, m_short)
            found[n_found] = start + i
            n_found += margin.in_deficit(eq, req)
            near[n_near] = start + i
            n_near += margin.within_reach(eq, req, long_value, short_value, reach)
        return n_found, n_near
    for i in range(start, stop):
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        req = margin.requirement(long_value, short_value, m_long, m_short) + extra
        found[n_found] = i
        n_found += margin.in_deficit(eq, req)
        near[n_near] = i
        n_near += margin.within_reach(eq, req, long_value, short_value, reach)
    return n_found, n_near


@jitable
def scan_near(long, short, cash, short_credit, prices, addon, near, lo, hi, m_long, m_short, found, n_found):
    """Append the accounts ``near[lo:hi]`` short of maintenance to ``found``.

    Arguments as :func:`scan_block` (``near``: (N,) int32 account indices, one broker's between
    ``lo`` and ``hi``). Returns the new length of ``found`` (int).
    """
    for f in range(lo, hi):
        i = near[f]
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        found[n_found] = i
        n_found += margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra)
    return n_found


@jitable
def drop_out_of_reach(long, short, cash, short_credit, prices, addon, broker_start, rules, near, n_near,
                      found, n_found, reach):
    """Filter ``near`` in place after a round: an account settled this round stays only while still within reach.

    Parameters
    ----------
    long, short, cash, short_credit, prices, addon : ndarray
        As in :func:`scan_block`.
    broker_start : ndarray, (B + 1,) int64
        Broker ``b`` owns accounts ``broker_start[b]:broker_start[b+1]``.
    rules : ndarray, (B, N_RULES) float64
        The brokers' rates.
    near, found : ndarray, (N,) int32
        Account indices in account order, used up to ``n_near`` and ``n_found``; the accounts
        settled this round (``found``) are a subset of ``near``.
    reach : float
        The relative price move ``near`` was listed for. The accounts were settled at ``prices``,
        themselves within ``reach`` of where ``near`` was listed, so any later price within
        ``reach`` of that is within 2 reach / (1 - reach) of ``prices``.

    Returns
    -------
    int
        The new length of ``near``.
    """
    move = 2.0 * reach / (1.0 - reach)
    kept = 0
    f = 0
    b = 0
    for k in range(n_near):
        i = near[k]
        keep = True
        if f < n_found and found[f] == i:
            f += 1
            while i >= broker_start[b + 1]:
                b += 1
            long_value, short_value, extra = mark(long, short, i, prices, addon)
            eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
            req = margin.requirement(long_value, short_value, rules[b, RULE_MAINT_LONG],
                                     rules[b, RULE_MAINT_SHORT]) + extra
            keep = margin.within_reach(eq, req, long_value, short_value, move)
        near[kept] = i
        kept += keep
    return kept
