"""Funds that rebalance at the close: leveraged ETFs and volatility-control funds."""

from __future__ import annotations

import math

from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum


@jitable
def holdings_value(shares, prices):
    """$ value of holdings (an index-order dot product)."""
    total = 0.0
    for j in range(prices.shape[0]):
        total += shares[j] * prices[j]
    return total


@jitable
def liquidate(shares, prices, out):
    """Sell everything: the $ order per asset into ``out``; returns its total (negative)."""
    for j in range(prices.shape[0]):
        out[j] = -shares[j] * prices[j]
        shares[j] = 0.0
    return pairwise_sum(out)


@jitable
def letf_must_close(terminated, nav, leverage, max_market_share, underlying_cap):
    """A fund closes when terminated before, out of NAV, or too big for its underlying."""
    too_big = abs(leverage * nav) > max_market_share * underlying_cap
    return terminated or nav <= 0.0 or too_big


@jitable
def letf_creations(flow_response, leverage, last_exposure, exposure, nav, redeem_fraction):
    """(return since the last rebalance, investors' creations in $) of a leveraged ETF at the close.

    Creations = -flow_response x (L - 1) x r x NAV before the return, minus the redeemed fraction
    of NAV, never more out than the NAV.
    """
    r = exposure / last_exposure - 1.0 if last_exposure != 0.0 else 0.0
    nav_before = last_exposure / leverage
    creations = -flow_response * (leverage - 1) * r * nav_before - redeem_fraction * nav
    return r, max(creations, -nav)


@jitable
def rebalance_to(target, basket, shares, prices, out):
    """Trade to ``target`` $ of the basket: the $ order per asset into ``out``; returns its total."""
    for j in range(prices.shape[0]):
        out[j] = target * basket[j] - shares[j] * prices[j]
        shares[j] += out[j] / prices[j]
    return pairwise_sum(out)


@jitable
def vol_estimate(variance_fast, variance_slow, days_per_year):
    """Annualised volatility estimate: the larger of the two EWMA variances."""
    return math.sqrt(max(variance_fast, variance_slow) * days_per_year)


@jitable
def vol_target_exposure(cap, target_vol, vol_estimate):
    """Exposure (fraction of NAV) aimed at: min(cap, target vol / estimate)."""
    return min(cap, target_vol / vol_estimate) if vol_estimate > 0 else cap


@jitable
def vol_outside_band(nav, value, target, band):
    """Does a volatility-control fund trade today (NAV positive, exposure outside the band)?"""
    return not (nav <= 0.0 or abs(target - value / nav) <= band)


@jitable
def exposure(value, cash):
    """A fund's exposure: its holdings' value over its NAV (cash + holdings)."""
    return value / (cash + value)
