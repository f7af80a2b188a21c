"""A numpy-vectorised version of one clearing call: the benchmark's fair "plain numpy" baseline.

Same algorithm and rules as :func:`sim.book.clearing.clear` (margin investors only: no dealers, no
add-on), written with whole-array operations instead of a loop over accounts. Whole-array
sums add in a different order than the kernel's sequential loop, so results agree to
rounding (tests check 1e-9), not bit for bit. Not used by the model.
"""

from __future__ import annotations

import numpy as np

from sim.book.arrays import (
    RULE_MAINT_LONG,
    RULE_MAINT_SHORT,
    RULE_TARGET_LONG,
    RULE_TARGET_SHORT,
    AccountArrays,
    ClearingResult,
)
from sim.book.stats import (
    N_STATS,
    STAT_CALLS,
    STAT_CONVERGED,
    STAT_DEPOSITS,
    STAT_LIQUIDATIONS,
    STAT_LOSSES,
    STAT_ROUNDS,
)
from sim.core import margin
from sim.core.impact import log_impact


def clear_numpy(accounts: AccountArrays, rules: np.ndarray, day: int, deadline_days: int, log_base: np.ndarray,
                flow: np.ndarray, model: int, coef: np.ndarray, adv: np.ndarray, max_rounds: int) -> ClearingResult:
    """Vectorised twin of :func:`sim.book.clearing.clear` (same arguments; ``flow`` updated in place)."""
    a = accounts
    k = log_base.shape[0]
    broker = np.repeat(np.arange(rules.shape[0]), np.diff(a.broker_start))
    rates = tuple(rules[broker, c] for c in (RULE_MAINT_LONG, RULE_MAINT_SHORT, RULE_TARGET_LONG, RULE_TARGET_SHORT))
    prices = np.exp(log_base + np.array([log_impact(flow[j], model, coef[j], adv[j]) for j in range(k)]))
    out = ClearingResult(prices, np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(N_STATS))
    stats = out.stats
    for _ in range(max_rounds):
        stats[STAT_ROUNDS] += 1
        fraction = _call_or_deposit(a, prices, rates, day, deadline_days, stats)
        liquidated = int(np.count_nonzero(fraction))
        stats[STAT_LIQUIDATIONS] += liquidated
        if liquidated == 0:
            stats[STAT_CONVERGED] = 1.0
            break
        round_shares = _liquidate(a, fraction, prices, out)
        out.sold_shares += round_shares
        flow -= round_shares * prices
        prices = np.exp(log_base + np.array([log_impact(flow[j], model, coef[j], adv[j]) for j in range(k)]))
        out.prices[:] = prices
    return out


def _call_or_deposit(a: AccountArrays, prices: np.ndarray, rates: tuple[np.ndarray, ...], day: int,
                     deadline_days: int, stats: np.ndarray) -> np.ndarray:
    """Mark every account, issue calls, take deposits; returns the fraction to liquidate, (N,)."""
    m_long, m_short, t_long, t_short = rates
    long_value = a.long @ prices
    short_value = a.short @ prices
    eq = a.cash + a.short_credit + long_value - short_value
    required = m_long * long_value + m_short * short_value
    target = t_long * long_value + t_short * short_value
    deficit = eq < required - margin.DEFICIT_TOLERANCE * required
    issued = deficit & (a.call_day < 0)
    a.call_day[issued] = day
    shortfall = target - eq
    deposit = np.where(deficit & (a.reserve >= shortfall), shortfall, 0.0)
    due = deficit & (deposit == 0.0) & ((day - a.call_day >= deadline_days) | (eq <= 0.0))
    whole = (eq <= 0.0) | (target <= 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = np.clip(1.0 - eq / target, 0.0, 1.0)
    stats[STAT_CALLS] += issued.sum()
    stats[STAT_DEPOSITS] += deposit.sum()
    a.reserve -= deposit
    a.cash += deposit
    return np.where(due, np.where(whole, 1.0, partial), 0.0)


def _liquidate(a: AccountArrays, fraction: np.ndarray, prices: np.ndarray, out: ClearingResult) -> np.ndarray:
    """Sell ``fraction`` of every account's positions and close out the whole ones; returns net shares sold, (K,)."""
    sell = fraction[:, None] * a.long
    cover = fraction[:, None] * a.short
    a.long -= sell
    a.short -= cover
    a.cash += sell @ prices
    a.short_credit -= cover @ prices
    out.sold_usd += sell.sum(0) * prices
    out.bought_usd += cover.sum(0) * prices
    closed = fraction >= 1.0
    if closed.any():
        balance = a.cash[closed] + a.short_credit[closed]
        owed = np.maximum(-balance, 0.0)
        paid = np.minimum(a.reserve[closed], owed)
        a.reserve[closed] -= paid
        out.stats[STAT_LOSSES] += (owed - paid).sum()
        a.cash[closed] = np.maximum(balance, 0.0)
        a.short_credit[closed] = 0.0
        a.call_day[closed] = -1
    return sell.sum(0) - cover.sum(0)
