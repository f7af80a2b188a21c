"""The market's dynamics: prices from logs, index, fundamentals, impact state, realized volatility."""

from __future__ import annotations

import math

from sim.core import detmath
from sim.core.impact import LINEAR, log_impact, thinning_factor
from sim.core.jit import jitable
from sim.core.pairwise import pairwise_sum


@jitable
def clip(x, lo, hi):
    """``np.clip`` of one number (NaN stays NaN)."""
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


@jitable
def prices_at(log_price, out):
    """``out`` = e^log_price ($ per share)."""
    for j in range(log_price.shape[0]):
        out[j] = detmath.exp(log_price[j])
    return out


@jitable
def index_at(weights, prices, initial_prices):
    """The cap-weighted index, 100 at day 0, at ``prices`` (an index-order dot product)."""
    total = 0.0
    for j in range(prices.shape[0]):
        total += weights[j] * (prices[j] / initial_prices[j])
    return 100.0 * total


@jitable
def cap_weights(shares_outstanding, prices, caps, out):
    """Writes market caps into ``caps`` and index weights (caps / total) into ``out``."""
    for j in range(prices.shape[0]):
        caps[j] = shares_outstanding[j] * prices[j]
    total = pairwise_sum(caps)
    for j in range(prices.shape[0]):
        out[j] = caps[j] / total
    return out


@jitable
def evolve_fundamentals(log_fundamental, betas, rho, drift, vol, z, log_floor, log_ceiling):
    """One day of the one-factor model: log V_k += drift + vol (beta_k sqrt(rho) z_0 + sqrt(1 - rho) z_k)."""
    root_rho = math.sqrt(rho)
    root_rest = math.sqrt(1.0 - rho)
    for j in range(log_fundamental.shape[0]):
        shock = betas[j] * root_rho * z[0] + root_rest * z[j + 1]
        log_fundamental[j] = clip(log_fundamental[j] + (drift + vol * shock), log_floor, log_ceiling)


@jitable
def gap(log_values, betas, target, size):
    """Add an event's log move to ``log_values``: an index gap (``target`` < 0) moves asset k by beta_k x size."""
    for j in range(log_values.shape[0]):
        if target < 0:
            log_values[j] += detmath.log1p(betas[j] * size)
        elif j == target:
            log_values[j] += detmath.log1p(1.0 * size)


@jitable
def hold_in_range(log_perm, transient, log_floor, log_ceiling):
    """Keep log prices within the range; any excess comes off the permanent part."""
    k = log_perm.shape[0]
    excess = [0.0] * k
    moved = False
    for j in range(k):
        log_price = log_perm[j] + transient[j]
        excess[j] = log_price - clip(log_price, log_floor, log_ceiling)
        moved = moved or excess[j] != 0.0
    if moved:
        for j in range(k):
            log_perm[j] -= excess[j]


@jitable
def impact_state(log_base, variance, shares_outstanding, model, multiplier, sqrt_y, vol, adv_fraction,
                 reference_vol, thinning, max_thinning, coef, adv):
    """A substep's impact coefficients and ADV ($) per asset at ``log_base``, depth thinned by realized vol."""
    for j in range(log_base.shape[0]):
        cap = shares_outstanding[j] * detmath.exp(log_base[j])
        thin = thinning_factor(math.sqrt(variance[j]), reference_vol, thinning, max_thinning)
        adv[j] = adv_fraction * cap
        coef[j] = multiplier / cap * thin if model == LINEAR else sqrt_y * vol * thin


@jitable
def commit(log_perm, transient, flow, model, coef, adv, transient_fraction, log_floor, log_ceiling):
    """Make a substep's net flow's impact permanent (and partly transient)."""
    for j in range(log_perm.shape[0]):
        move = log_impact(flow[j], model, coef[j], adv[j])
        log_perm[j] += (1.0 - transient_fraction) * move
        transient[j] += transient_fraction * move
    hold_in_range(log_perm, transient, log_floor, log_ceiling)


@jitable
def ewma_variance(lam, variance, log_return):
    """An EWMA variance updated with one log return."""
    return lam * variance + (1.0 - lam) * (log_return * log_return)


@jitable
def update_variances(variance, prices, prev_close, lam):
    """Each asset's EWMA variance after the day's log return (close over previous close)."""
    for j in range(variance.shape[0]):
        variance[j] = ewma_variance(lam, variance[j], detmath.log(prices[j] / prev_close[j]))


@jitable
def annualized_vol(daily_variance):
    """Annualised volatility (fraction) from a daily EWMA variance, with 252 trading days."""
    return math.sqrt(daily_variance * 252.0)
