"""The market's dynamics: prices from logs, index, fundamentals, impact state, realized volatility."""

from __future__ import annotations

import math

import numpy as np

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
def garch_update(h, z0, alpha, beta, asymmetry):
    """Tomorrow's news variance ratio from GJR-GARCH(1,1) (Glosten, Jagannathan and Runkle 1993).

    h' = (1 - alpha - beta - asymmetry / 2) + (alpha + asymmetry 1[z0 < 0]) h z0^2 + beta h: h is
    the news variance relative to its unconditional mean (1 when alpha + beta + asymmetry / 2 < 1),
    z0 today's market-factor normal. With alpha = beta = asymmetry = 0 it returns exactly 1.0.

    Parameters
    ----------
    h : float
        Today's variance ratio (today's news vol = vol x sqrt(h)).
    z0 : float
        Today's standardised market-factor shock.
    alpha, beta, asymmetry : float
        ARCH, GARCH and leverage (negative-news) coefficients.

    Returns
    -------
    float
        Tomorrow's variance ratio.
    """
    arch = alpha + asymmetry if z0 < 0.0 else alpha
    return (1.0 - alpha - beta - 0.5 * asymmetry) + arch * h * (z0 * z0) + beta * h


@jitable
def index_innovation(weights, betas, rho, z):
    """The day's standardised index news: w' (beta sqrt(rho) z_0 + sqrt(1 - rho) z_k) x :func:`index_news_scale`.

    A standard normal (the index's share of the sector shocks over its std sqrt(w'Cw)); for one
    asset with beta 1 it is the asset's own shock, whatever rho. Pairwise sum, CPU-independent.
    """
    root_rho = math.sqrt(rho)
    root_rest = math.sqrt(1.0 - rho)
    k = weights.shape[0]
    parts = np.empty(k)
    for j in range(k):
        parts[j] = weights[j] * (betas[j] * root_rho * z[0] + root_rest * z[j + 1])
    return pairwise_sum(parts) * index_news_scale(weights, betas, rho)


@jitable
def fundamentals_day(log_fundamental, log_perm, transient, weights, betas, rho, drift, vol, h, alpha, beta,
                     asymmetry, news_to_price, z, log_floor, log_ceiling):
    """One day of news: the fundamentals evolve at vol x sqrt(h), prices take a share of the news.

    The factor model (:func:`evolve_fundamentals`) runs with today's news vol vol x sqrt(h)
    (h = 1 exactly leaves vol unchanged); ``news_to_price`` of each sector's log change of its
    fundamental is added to its permanent log price at the open (price discovery by informed
    trading; 0 = prices move only through flows), held in range. Both engines call this rule.

    Parameters
    ----------
    log_fundamental, log_perm, transient : ndarray
        Per-asset state, updated in place.
    weights, betas : ndarray
        Index weights and market-factor loadings.
    rho, drift, vol : float
        Factor correlation, daily drift, today's base news vol (events' vol regimes included).
    h : float
        Today's GJR-GARCH variance ratio.
    alpha, beta, asymmetry : float
        GJR-GARCH coefficients (:func:`garch_update`).
    news_to_price : float
        Fraction of the fundamental news that moves prices directly, in [0, 1].
    z : ndarray
        The day's normals: ``z[0]`` the market factor, ``z[1:]`` the sectors.
    log_floor, log_ceiling : float
        Range of log prices and log fundamentals.

    Returns
    -------
    float
        Tomorrow's variance ratio h: GJR-GARCH on the standardised index news
        (:func:`index_innovation`; the market factor z_0 itself when one asset has rho = 1), exactly
        1.0 when the GARCH coefficients are 0.
    """
    before = log_fundamental.copy()
    evolve_fundamentals(log_fundamental, betas, rho, drift, vol * math.sqrt(h), z, log_floor, log_ceiling)
    if news_to_price != 0.0:
        for j in range(log_perm.shape[0]):
            log_perm[j] += news_to_price * (log_fundamental[j] - before[j])
        hold_in_range(log_perm, transient, log_floor, log_ceiling)
    if alpha == 0.0 and beta == 0.0 and asymmetry == 0.0:
        return 1.0
    return garch_update(h, index_innovation(weights, betas, rho, z), alpha, beta, asymmetry)


@jitable
def index_news_scale(weights, betas, rho):
    """1 / sqrt(w' C w): the factor that makes ``vol`` the daily vol of the index's fundamental.

    C_ij = beta_i beta_j rho + (1 - rho) delta_ij is the correlation structure of the one-factor
    sector shocks, so w' C w = rho (sum_i w_i beta_i)^2 + (1 - rho) sum_i w_i^2 (w = index
    weights); sums are pairwise, so the factor is the same on every CPU.

    Parameters
    ----------
    weights, betas : ndarray
        Index weights and market-factor loadings.
    rho : float
        Factor correlation.

    Returns
    -------
    float
        The scale of the sector shocks.
    """
    k = weights.shape[0]
    loaded = np.empty(k)
    squares = np.empty(k)
    for j in range(k):
        loaded[j] = weights[j] * betas[j]
        squares[j] = weights[j] * weights[j]
    b = pairwise_sum(loaded)
    return 1.0 / math.sqrt(rho * (b * b) + (1.0 - rho) * pairwise_sum(squares))


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
