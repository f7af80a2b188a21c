"""Black-Scholes delta and gamma (the dealers' hedge ratios): one scalar ``jitable`` formula.

:func:`greeks` is what the dealers' rules (:mod:`sim.model.rules.dealer`) call, in both engines;
:func:`delta` and :func:`gamma` apply it over arrays of series. log, exp and the normal CDF are
:mod:`sim.core.detmath`'s and :mod:`sim.core.deterf`'s (the same bits on every CPU).
"""

from __future__ import annotations

import math

import numpy as np

from sim.core import deterf, detmath
from sim.core.jit import jitable

SQRT_2PI = math.sqrt(2.0 * math.pi)


@jitable
def d1_of(log_moneyness: float, years: float, root: float, vol: float, rate: float) -> float:
    """d1 = (ln(S / K) + (r + sigma^2 / 2) T) / (sigma sqrt(T)), from ln(S / K) and sqrt(T) = ``root``."""
    return (log_moneyness + (rate + 0.5 * vol * vol) * years) / (vol * root)


@jitable
def greeks_of(nd1: float, density: float, spot: float, vol: float, root: float, is_call: bool) -> tuple[float, float]:
    """(delta, gamma) from N(d1) and exp(-d1^2 / 2).

    delta = N(d1) (minus 1 for puts), gamma = phi(d1) / (S sigma sqrt(T)).
    """
    delta = nd1 if is_call else nd1 - 1.0
    gamma = density / SQRT_2PI / (spot * vol * root)
    return delta, gamma


@jitable
def greeks(spot: float, strike: float, years: float, vol: float, rate: float, is_call: bool) -> tuple[float, float]:
    """(delta, gamma) per unit of underlying (years > 0).

    delta = N(d1) for calls, N(d1) - 1 for puts; gamma = phi(d1) / (S sigma sqrt(T)), the same
    for calls and puts, with d1 = (ln(S / K) + (r + sigma^2 / 2) T) / (sigma sqrt(T)). Many
    series at once: :func:`sim.model.rules.dealer.book_greeks` evaluates the same pieces
    (:func:`d1_of`, :func:`greeks_of`) with log, N and exp vectorised (:mod:`sim.core.detlanes`).
    """
    root = math.sqrt(years)
    d1 = d1_of(detmath.log(spot / strike), years, root, vol, rate)
    return greeks_of(deterf.ndtr(d1), detmath.exp(-0.5 * d1 * d1), spot, vol, root, is_call)


def delta(spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, rate: float,
          is_call: np.ndarray) -> np.ndarray:
    """dV/dS per unit of underlying of each series: :func:`greeks`' delta (years > 0)."""
    return np.array([greeks(s, k, t, vol, rate, c)[0] for s, k, t, c in zip(spot, strike, years, is_call, strict=True)])


def gamma(spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, rate: float) -> np.ndarray:
    """d2V/dS2 per unit of underlying of each series: :func:`greeks`' gamma."""
    return np.array([greeks(s, k, t, vol, rate, True)[1] for s, k, t in zip(spot, strike, years, strict=True)])
