"""A numpy-vectorised version of one clearing call: the benchmark's fair "plain numpy" baseline.

Same algorithm and rules as :func:`sim.book.kernels.clear` (margin investors only: no dealers, no
add-on), written with whole-array operations instead of a loop over accounts. Whole-array
sums add in a different order than the kernel's sequential loop, so results agree to
rounding (tests check 1e-9), not bit for bit. Not used by the model.
"""

from __future__ import annotations

import numpy as np

from sim.book.kernels import N_STATS, AccountArrays, ClearingResult
from sim.core import margin
from sim.core.impact import log_impact


def clear_numpy(accounts: AccountArrays, rules: np.ndarray, day: int, deadline_days: int, log_base: np.ndarray,
                flow: np.ndarray, model: int, coef: np.ndarray, adv: np.ndarray, max_rounds: int) -> ClearingResult:
    """Vectorised twin of :func:`sim.book.kernels.clear` (``flow`` updated in place)."""
    a = accounts
    k = log_base.shape[0]
    broker = np.repeat(np.arange(rules.shape[0]), np.diff(a.broker_start))
    m_long, m_short, t_long, t_short = (rules[broker, c] for c in range(4))
    prices = np.exp(log_base + np.array([log_impact(flow[j], model, coef[j], adv[j]) for j in range(k)]))
    out = ClearingResult(prices, np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(N_STATS))
    stats = out.stats
    for _ in range(max_rounds):
        stats[4] += 1
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
        fraction = np.where(due, np.where(whole, 1.0, partial), 0.0)
        stats[0] += issued.sum()
        stats[1] += deposit.sum()
        a.reserve -= deposit
        a.cash += deposit
        liquidated = int(np.count_nonzero(fraction))
        stats[2] += liquidated
        if liquidated == 0:
            stats[5] = 1.0
            break
        sell = fraction[:, None] * a.long
        cover = fraction[:, None] * a.short
        a.long -= sell
        a.short -= cover
        a.cash += sell @ prices
        a.short_credit -= cover @ prices
        out.sold_usd += sell.sum(0) * prices
        out.bought_usd += cover.sum(0) * prices
        round_shares = sell.sum(0) - cover.sum(0)
        closed = fraction >= 1.0
        if closed.any():
            balance = a.cash[closed] + a.short_credit[closed]
            owed = np.maximum(-balance, 0.0)
            paid = np.minimum(a.reserve[closed], owed)
            a.reserve[closed] -= paid
            stats[3] += (owed - paid).sum()
            a.cash[closed] = np.maximum(balance, 0.0)
            a.short_credit[closed] = 0.0
            a.call_day[closed] = -1
        out.sold_shares += round_shares
        flow -= round_shares * prices
        prices = np.exp(log_base + np.array([log_impact(flow[j], model, coef[j], adv[j]) for j in range(k)]))
        out.prices[:] = prices
    return out
