"""The book's other kernels: voluntary rebalancing (leverage targeting) and the end-of-day close.

Layering as in :mod:`sim.book.clearing`: a public function checks and allocates, a private
``@kernel`` works on the arrays in place. The plain-Python twins are
:meth:`sim.book.reference.ReferenceAccount.rebalance` and ``close_day``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.book import arrays, scan
from sim.book import stats as stat_names  # the module (kernel dependency)
from sim.book.arrays import (
    N_RULES,
    RULE_MAINT_LONG,
    RULE_MAINT_SHORT,
    RULE_RATE,
    AccountArrays,
    check_rules,
    check_vector,
)
from sim.book.scan import mark
from sim.book.stats import (
    AGG_DEBIT,
    AGG_EQUITY,
    AGG_FREE_CREDIT,
    AGG_INTEREST,
    AGG_LONG_VALUE,
    AGG_MARGIN_BALANCE,
    AGG_OPEN_CALLS,
    AGG_SHORT_VALUE,
    N_AGG,
)
from sim.core import detmath, impact, margin
from sim.core.jit import kernel

# ---------------------------------------------------------------------------- rebalancing


def rebalance(accounts: AccountArrays, index_weights: np.ndarray, concentration: float,
              buy_speed: float, sell_speed: float, band: float, initial_long: float, initial_short_equity: float,
              prices: np.ndarray, max_leverage: float = math.inf, rules: np.ndarray | None = None,
              addon: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Voluntary leverage targeting at ``prices``.

    Each investor moves ``buy_speed`` (under target) or ``sell_speed`` (over) of the way to
    ``target_leverage x equity`` in longs (and ``short_target x equity`` in shorts), outside a
    band, within buying power: Reg T's and, with ``rules``, the house maintenance's, including
    the ``addon``. Buys go to the account's allocation (``concentration`` in its home sector,
    the rest by index weight; new shorts by index weight); sales and buy-ins are pro rata to
    holdings. Trades fill at ``prices``.

    Parameters
    ----------
    accounts : AccountArrays
        The book (N accounts, K assets; see :mod:`sim.book.arrays`), updated in place.
    index_weights : ndarray, (K,) float64
        Index weights (summing to 1).
    concentration : float
        Fraction of new buying that goes to the home sector.
    buy_speed, sell_speed : float
        Fraction of the gap to target closed per call, when under / over target.
    band : float
        No trade while the gap is within ``band`` x equity.
    initial_long, initial_short_equity : float
        Reg T initial rates on longs and on shorts (equity rate), fractions.
    prices : ndarray, (K,) float64
        $ per share.
    max_leverage : float
        Caps every target (a cut in margin lending).
    rules : ndarray, (B, N_RULES) float64, optional
        Each broker's rates, as in :func:`sim.book.clearing.clear`; default Reg T only.
    addon : ndarray, (K,) float64, optional
        Extra maintenance rate on long positions per asset.

    Returns
    -------
    bought : ndarray, (K,) float64
        Net shares bought per asset (short sales negative).
    flow : ndarray, (K,) float64
        Net $ of buying per asset, at ``prices``.
    """
    k = prices.shape[0]
    accounts.validate(k)
    check_vector("index_weights", index_weights, k)
    check_vector("prices", prices, k)
    addon = np.zeros(k) if addon is None else addon
    check_vector("addon", addon, k)
    if rules is None:  # Reg T only: a house rate of 0 switches the house limit off
        rules = np.zeros((accounts.broker_start.shape[0] - 1, N_RULES))
    check_rules(rules, accounts)
    bought = np.zeros(k)
    flow = np.zeros(k)
    a = accounts
    _rebalance_kernel(a.long, a.short, a.cash, a.short_credit, a.target_leverage, a.short_target,
                      a.home, a.broker_start, rules, addon, index_weights, concentration, buy_speed, sell_speed,
                      band, initial_long, initial_short_equity, prices, max_leverage, bought, flow)
    return bought, flow


@kernel(margin, impact, detmath, arrays, scan)
def _rebalance_kernel(long, short, cash, short_credit, target_leverage, short_target, home, broker_start, rules,
                      addon, weights, concentration, buy_speed, sell_speed, band, initial_long, initial_short_equity,
                      prices, max_leverage, bought, flow):  # pragma: no cover - jitted
    n_assets = prices.shape[0]
    top_addon = 0.0
    for j in range(n_assets):
        top_addon = max(top_addon, addon[j])
    b = 0
    for i in range(cash.shape[0]):
        while i >= broker_start[b + 1]:
            b += 1
        long_value, short_value, extra = mark(long, short, i, prices, addon)
        eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
        m_long = rules[b, RULE_MAINT_LONG]
        house = m_long + top_addon if m_long > 0.0 else 0.0
        power = margin.buying_power(eq, long_value, short_value, initial_long, initial_short_equity,
                                    margin.requirement(long_value, short_value, m_long, rules[b, RULE_MAINT_SHORT])
                                    + extra, house)
        target = min(target_leverage[i], max_leverage) * eq
        trade = margin.leverage_trade(eq, long_value, target, buy_speed, sell_speed, band, power)
        power_left = max(power - max(trade, 0.0), 0.0) * initial_long / initial_short_equity
        short_trade = margin.leverage_trade(eq, short_value, short_target[i] * eq, buy_speed, sell_speed, band,
                                            power_left)
        if trade == 0.0 and short_trade == 0.0:
            continue
        for j in range(n_assets):
            alloc = (1.0 - concentration) * weights[j] + (concentration if home[i] == j else 0.0)
            if trade >= 0.0:
                usd = trade * alloc
            else:
                usd = trade * (prices[j] * long[i, j] / long_value)
            if short_trade >= 0.0:
                short_usd = short_trade * weights[j]
            else:
                short_usd = short_trade * (prices[j] * short[i, j] / short_value)
            shares = usd / prices[j]
            short_shares = short_usd / prices[j]
            long[i, j] += shares
            short[i, j] += short_shares
            cash[i] -= usd
            short_credit[i] += short_usd
            bought[j] += shares - short_shares
            flow[j] += usd - short_usd


# ----------------------------------------------------------------------------- end of day

def end_of_day(accounts: AccountArrays, rules: np.ndarray, days_per_year: float,
               prices: np.ndarray, addon: np.ndarray | None = None) -> np.ndarray:
    """Accrue a day's interest on debit balances, close calls that are met, and aggregate.

    Also sweeps the short credit of accounts without shorts into cash.

    Parameters
    ----------
    accounts : AccountArrays
        The book (N accounts, K assets; see :mod:`sim.book.arrays`), updated in place.
    rules : ndarray, (B, N_RULES) float64
        Each broker's rates (maintenance for the call check, ``RULE_RATE`` per year for interest).
    days_per_year : float
        Trading days per year (interest accrues 1/days_per_year of the annual rate).
    prices : ndarray, (K,) float64
        $ per share.
    addon : ndarray, (K,) float64, optional
        Extra maintenance rate on long positions per asset.

    Returns
    -------
    ndarray, (N_AGG,) float64
        The aggregates, named by ``sim.book.stats.AGG_*``: debit balances, free credit (margin
        credit + reserves), interest, long and short value, equity, open calls (a count) and
        the FINRA margin balance (debit + shares borrowed), in $.
    """
    k = prices.shape[0]
    addon = np.zeros(k) if addon is None else addon
    accounts.validate(k)
    check_rules(rules, accounts)
    check_vector("prices", prices, k)
    check_vector("addon", addon, k)
    agg = np.zeros(N_AGG)
    a = accounts
    _end_of_day_kernel(a.long, a.short, a.cash, a.short_credit, a.reserve, a.call_day,
                       a.broker_start, rules, days_per_year, prices, addon, agg)
    return agg


@kernel(margin, impact, detmath, arrays, stat_names, scan)
def _end_of_day_kernel(long, short, cash, short_credit, reserve, call_day, broker_start, rules,
                       days_per_year, prices, addon, agg):  # pragma: no cover - jitted
    for b in range(broker_start.shape[0] - 1):
        m_long = rules[b, RULE_MAINT_LONG]
        m_short = rules[b, RULE_MAINT_SHORT]
        rate = rules[b, RULE_RATE]
        for i in range(broker_start[b], broker_start[b + 1]):
            long_value, short_value, extra = mark(long, short, i, prices, addon)
            interest = margin.daily_interest(cash[i], rate, days_per_year)
            cash[i] -= interest
            if short_value == 0.0:
                cash[i] += short_credit[i]
                short_credit[i] = 0.0
            eq = margin.equity(cash[i], short_credit[i], long_value, short_value)
            if not margin.in_deficit(eq, margin.requirement(long_value, short_value, m_long, m_short) + extra):
                call_day[i] = -1
            debit = margin.debit_balance(cash[i])
            agg[AGG_DEBIT] += debit
            agg[AGG_FREE_CREDIT] += margin.free_credit(cash[i]) + reserve[i]
            agg[AGG_INTEREST] += interest
            agg[AGG_LONG_VALUE] += long_value
            agg[AGG_SHORT_VALUE] += short_value
            agg[AGG_EQUITY] += eq
            agg[AGG_OPEN_CALLS] += call_day[i] >= 0
            agg[AGG_MARGIN_BALANCE] += margin.margin_balance(debit, short_value, 0.0)
