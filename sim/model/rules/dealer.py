"""The options dealers' book: Black-Scholes greeks per series, the delta hedge, dollar gamma, limits, rolls.

Series arrays (M,): ``underlying`` (asset index, -1 for the index), ``is_call``, ``strike``,
``expiry`` (trading day), ``quantity`` (signed units of the underlying). Index-level sums over
series go in numpy's order (:func:`sim.core.pairwise.pairwise_sum`), per-asset sums in series order
(as ``np.add.at``).
"""

from __future__ import annotations

import math

import numpy as np

from sim.core import detlanes, options
from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum

INDEX = -1
MIN_YEARS_DAYS = 1e-6
INDEX_DAY0 = 100.0
"""The index's day-0 level (:func:`sim.model.rules.market.index_at`): the base of its strike grid."""


@jitable
def spot(underlying, prices, index_level):
    """The series' underlying level: the index or one asset's price."""
    return index_level if underlying == INDEX else prices[max(underlying, 0)]


@jitable
def book_greeks(underlying, is_call, strike, expiry, quantity, time, prices, index_level, days_per_year, vol, rate,
                pos_delta, pos_gamma):
    """The dealers' position delta and gamma per series (units of the underlying; 0 for closed series).

    :func:`sim.core.options.greeks` of every series, with its log, normal CDF and exp evaluated
    for all series at once (:mod:`sim.core.detlanes`: SIMD, the same bits as the scalars).
    """
    m = quantity.shape[0]
    scratch = np.empty((5, m))
    years, root, level, a, b = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    odd = np.empty(m, dtype=np.bool_)
    for i in range(m):
        years[i] = max(expiry[i] - time, MIN_YEARS_DAYS) / days_per_year
        root[i] = math.sqrt(years[i])
        level[i] = spot(underlying[i], prices, index_level)
        a[i] = level[i] / strike[i]
    detlanes.log_all(a, b, odd)                 # b = ln(S / K)
    for i in range(m):
        a[i] = options.d1_of(b[i], years[i], root[i], vol, rate)
        b[i] = -0.5 * a[i] * a[i]
    detlanes.exp_all(b, pos_gamma, odd)         # exp(-d1^2 / 2)
    detlanes.ndtr_all(a, pos_delta, odd)        # N(d1)
    for i in range(m):
        d, g = options.greeks_of(pos_delta[i], pos_gamma[i], level[i], vol, root[i], is_call[i])
        live = quantity[i] != 0.0
        pos_delta[i] = quantity[i] * (d if live else 0.0)
        pos_gamma[i] = quantity[i] * (g if live else 0.0)


@jitable
def per_asset(underlying, per_series, out):
    """Per asset: its own series' values added in series order (``np.add.at``); returns the index series' total."""
    for j in range(out.shape[0]):
        out[j] = 0.0
    n_index = 0
    for i in range(underlying.shape[0]):
        if underlying[i] != INDEX:
            out[underlying[i]] = out[underlying[i]] + per_series[i]
        else:
            n_index += 1
    on_index = np.empty(n_index)
    n_index = 0
    for i in range(underlying.shape[0]):
        if underlying[i] == INDEX:
            on_index[n_index] = per_series[i]
            n_index += 1
    return pairwise_sum(on_index)


@jitable
def target_hedge(underlying, pos_delta, index_level, cap_weights, prices, out):
    """Shares of each asset that make the book delta-neutral (index options hedged with the basket)."""
    for i in range(pos_delta.shape[0]):
        pos_delta[i] = -pos_delta[i]
    index_units = per_asset(underlying, pos_delta, out)
    for j in range(prices.shape[0]):
        out[j] = out[j] + index_units * index_level * cap_weights[j] / prices[j]
    return out


@jitable
def dollar_gamma(underlying, pos_gamma, prices, index_level, cap_weights, out):
    """Gamma x S^2 per asset ($ of delta per unit relative move); index gamma split by cap weight."""
    dollar = np.empty(pos_gamma.shape[0])
    for i in range(pos_gamma.shape[0]):
        s = spot(underlying[i], prices, index_level)
        dollar[i] = pos_gamma[i] * s * s
    on_index = per_asset(underlying, dollar, out)
    for j in range(out.shape[0]):
        out[j] = out[j] + on_index * cap_weights[j]
    return out


@jitable
def hedge_limit(underlying, quantity, prices, index_level, cap_weights, out):
    """Most $ the hedge of each asset can change: the book's whole notional on it."""
    notional = np.empty(quantity.shape[0])
    for i in range(quantity.shape[0]):
        notional[i] = abs(quantity[i]) * spot(underlying[i], prices, index_level)
    on_index = per_asset(underlying, notional, out)
    for j in range(out.shape[0]):
        out[j] = out[j] + on_index * cap_weights[j]
    return out


@jitable
def rehedge_to(target, shares, prices, out):
    """Trade the hedge to ``target`` shares at ``prices``: the $ order into ``out``; returns its total."""
    for j in range(prices.shape[0]):
        trade = target[j] - shares[j]
        out[j] = trade * prices[j]
        shares[j] += trade
    return pairwise_sum(out)


@jitable
def on_grid(strike, unit):
    """``strike`` rounded to the nearest listed level ``n x unit`` (halves up, n >= 1); ``unit <= 0``: unchanged.

    Exchanges list strikes at fixed levels (SPX: every 5 index points), so a series listed at a
    moneyness gets the nearest listed strike; the lowest listed level is one ``unit``.
    """
    if unit <= 0.0:
        return strike
    n = math.floor(strike / unit + 0.5)
    return max(n, 1) * unit


@jitable
def roll_expired(underlying, strike, expiry, quantity, moneyness, tenor, day, prices, index_level, roll,
                 initial_prices, strike_step):
    """Expired series roll into new ones at the same moneyness and tenor, or leave the book; returns how many rolled.

    The new strike is ``moneyness x`` today's spot on the strike grid (:func:`on_grid`, unit =
    ``strike_step`` x the underlying's day-0 level: ``initial_prices`` for an asset,
    :data:`INDEX_DAY0` for the index); ``strike_step = 0`` keeps it exact.
    """
    rolled = 0
    for i in range(expiry.shape[0]):
        if not expiry[i] <= day:
            continue
        if roll:
            unit = strike_step * spot(underlying[i], initial_prices, INDEX_DAY0)
            strike[i] = on_grid(moneyness[i] * spot(underlying[i], prices, index_level), unit)
            expiry[i] = day + tenor[i]
            rolled += 1
        else:
            quantity[i] = 0.0
            expiry[i] = np.inf
    return rolled
