"""Per-stock price impact (square-root law, with depth thinning) and the factor structure of stock returns.

**Impact.** A signed net dollar flow Q (positive = net buying) in stock i moves its log price by

    dlogP_i = Y x sigma_i x f_i x sign(Q) x sqrt(|Q| / ADV_i),

the square-root law of market impact: Y of order 1, sigma_i the stock's daily volatility and
ADV_i its average daily dollar volume (Toth, Lemperiere, Deremble, de Lataillade, Kockelkoren and
Bouchaud 2011, "Anomalous price impact and the critical nature of liquidity in financial
markets", Phys. Rev. X 1, 021006: Y about 0.5-1 across markets; Almgren, Thum, Hauptmann and Li
2005, "Direct estimation of equity market impact", Risk 18: exponent about 0.6, close to 1/2).
For small moves dP/P = dlogP. The default Y is the market's ``impact.sqrt_y`` (0.7, assumption
within that range). f_i >= 1 is the depth-thinning factor: when realised volatility rises above
a reference, depth thins and the same flow moves the price more. It is the market's own rule,
:func:`sim.core.impact.thinning_factor` (realised / reference)^elasticity, capped; thinning by f
is the same as trading against an ADV of ADV / f^2 (:func:`stressed_adv`). The move is
:func:`sim.core.impact.log_impact` (the square-root branch, with its price limit), not a copy.

**Returns.** Stock i's return over a step follows a factor structure,

    r_i = beta_i x r_market + s_sector(i) x z_sector(i) + e_i x z_i,

with r_market the market's return, z the pre-drawn standard normals (one per sector, one per
stock: the caller draws them from its own seeded stream) and s, e the per-step sector and
idiosyncratic volatilities. No random numbers are drawn here. All functions are
:func:`sim.core.jit.jitable`: the kernels and the plain-Python reference evaluate the same formula.
"""

from __future__ import annotations

import math

from sim.core.impact import SQRT, log_impact
from sim.core.jit import jitable

TRADING_DAYS = 252
"""Trading days a year: annual vol = daily vol x sqrt(252)."""
DEFAULT_Y = 0.7
"""The square-root law's Y: the market's ``impact.sqrt_y`` default (Toth et al. 2011: about 0.5-1)."""


@jitable
def daily_vol(annual_vol: float) -> float:
    """Daily volatility of an annual one (sqrt(252) trading days)."""
    return annual_vol / math.sqrt(TRADING_DAYS)


@jitable
def total_vol(beta: float, market_vol: float, sector_vol: float, idio_vol: float) -> float:
    """A stock's volatility under the factor structure: sqrt(beta^2 m^2 + s^2 + e^2) (same horizon for all)."""
    return math.sqrt(beta * beta * market_vol * market_vol + sector_vol * sector_vol + idio_vol * idio_vol)


@jitable
def stressed_adv(adv_usd: float, thinning: float) -> float:
    """The ADV that gives the thinned depth: ADV / f^2 (the square root turns it into an impact x f)."""
    return adv_usd / (thinning * thinning)


@jitable
def stock_log_impact(flow_usd: float, y: float, sigma_daily: float, adv_usd: float, thinning: float) -> float:
    """Log-price move of one stock from a signed net dollar flow (square-root law, thinned depth).

    Parameters
    ----------
    flow_usd : float
        Net dollar flow over the step, USD; positive = net buying.
    y : float
        The square-root law's Y (about 0.5-1; :data:`DEFAULT_Y`).
    sigma_daily : float
        The stock's daily volatility.
    adv_usd : float
        Its average daily dollar volume, USD (> 0).
    thinning : float
        Depth-thinning factor f >= 1 (:func:`sim.core.impact.thinning_factor`; 1 = normal depth).

    Returns
    -------
    float
        Y x sigma x f x sign(Q) x sqrt(|Q| / ADV), within the price limit of :mod:`sim.core.impact`.
    """
    return log_impact(flow_usd, SQRT, y * sigma_daily * thinning, adv_usd)


@jitable
def stock_log_impacts(flow_usd, y, sigma_daily, adv_usd, thinning, out):
    """:func:`stock_log_impact` for every stock (1-D float64 arrays of one length; writes ``out``, returns it)."""
    for i in range(flow_usd.shape[0]):
        out[i] = stock_log_impact(flow_usd[i], y, sigma_daily[i], adv_usd[i], thinning[i])
    return out


@jitable
def factor_return(beta: float, market_return: float, sector_vol: float, z_sector: float, idio_vol: float,
                  z_idio: float) -> float:
    """One stock's return: beta x r_market + sector_vol x z_sector + idio_vol x z_idio (per-step vols)."""
    return beta * market_return + sector_vol * z_sector + idio_vol * z_idio


@jitable
def factor_returns(beta, sector_index, market_return, sector_vol, z_sector, idio_vol, z_idio, out):
    """Every stock's return under the factor structure, from pre-drawn standard normals.

    Parameters
    ----------
    beta : numpy.ndarray
        Each stock's beta (float64, length N).
    sector_index : numpy.ndarray
        Each stock's sector, an index into ``sector_vol`` and ``z_sector`` (int64, length N).
    market_return : float
        The market's return over the step.
    sector_vol, z_sector : numpy.ndarray
        Per sector (length S): the sector factor's per-step volatility and its standard normal draw.
    idio_vol, z_idio : numpy.ndarray
        Per stock (length N): the per-step idiosyncratic volatility and its standard normal draw.
    out : numpy.ndarray
        Written with the N returns (float64) and returned.

    Returns
    -------
    numpy.ndarray
        ``out``: r_i = beta_i r_m + s_sector(i) z_sector(i) + e_i z_i.
    """
    for i in range(beta.shape[0]):
        j = sector_index[i]
        out[i] = factor_return(beta[i], market_return, sector_vol[j], z_sector[j], idio_vol[i], z_idio[i])
    return out
